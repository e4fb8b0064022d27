"""`check-interfaces`: what the connector implements, whether it keeps its contract, whether the
manifest fits it, and whether callLogs agrees with the CRM.

This module puts the parts together and validates the options; the parts are
`contract_checks` (interface returns vs the documented shapes), `manifest` (ref §7) and
`reconcile` (callLogs rows vs CRM records, with the stable problem codes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from appconnect.connectors.contract import implemented_interfaces
from appconnect.core.checks.contract import ContractReport, ProbeOptions, check_contract
from appconnect.core.checks.manifest import ManifestReport, check_manifest, load_manifest
from appconnect.core.checks.problems import (
    BODY_EDITED_BY_USER,
    BODY_OVERWRITTEN,
    BODY_UNVERIFIABLE,
    CONNECTOR_ERROR,
    CONTACT_MISMATCH,
    CONTRACT_VIOLATION,
    CRM_UNREADABLE,
    DUPLICATE_CRM_LOGS,
    DUPLICATE_ROWS,
    NOT_FOUND_BY_SERVER,
    ORPHANED_ROW,
    OUTCOME_UNKNOWN,
    UNLINKED_CRM_LOG,
    UNVERIFIABLE,
    UPDATE_INCOMPLETE,
    USER_MISMATCH,
    Problem,
)
from appconnect.core.checks.reconcile import (
    Progress,
    RateLimiter,
    Reconciliation,
    Scope,
    reconcile,
)
from appconnect.core.errors import BadInput
from appconnect.core.flows.pipeline import Pipeline

if TYPE_CHECKING:
    from appconnect.core.targets.embedded import EmbeddedTarget

__all__ = [
    "NOTE_CODES",
    "PROBLEM_CODES",
    "CheckOptions",
    "CheckReport",
    "Problem",
    "Reconciliation",
    "check_interfaces",
    "parse_since",
    "run_checks",
]

#: Every problem code (fails the check) and note code (reported only); see docs.
PROBLEM_CODES = (
    ORPHANED_ROW,
    CRM_UNREADABLE,
    UNVERIFIABLE,
    CONNECTOR_ERROR,
    CONTRACT_VIOLATION,
    CONTACT_MISMATCH,
    USER_MISMATCH,
    DUPLICATE_ROWS,
    DUPLICATE_CRM_LOGS,
    UNLINKED_CRM_LOG,
    BODY_OVERWRITTEN,
    NOT_FOUND_BY_SERVER,
    OUTCOME_UNKNOWN,
    UPDATE_INCOMPLETE,
)
NOTE_CODES = (BODY_EDITED_BY_USER, BODY_UNVERIFIABLE)

MAX_CONCURRENCY = 32


@dataclass(frozen=True, slots=True)
class CheckOptions:
    session_id: str | None = None
    #: ISO date or date-time as the user typed it (naive means UTC); see `parse_since`.
    since: str | None = None
    #: Must name the configured platform when given (the config holds one connector today).
    platform: str | None = None
    concurrency: int = 4
    #: Max CRM requests per second across all threads; None is unlimited.
    rate_limit: float | None = None
    manifest: Path | None = None
    probe: ProbeOptions = ProbeOptions()
    #: How rows' CRM logs are read: one getCallLog per row, or one listCallLogs for all
    #: ("auto": the listing above BULK_READ_ROWS rows, when the connector can list).
    reads: Literal["auto", "listing", "per-row"] = "auto"


@dataclass(frozen=True, slots=True)
class CheckReport:
    platform: str
    implementedInterfaces: dict[str, bool]
    reconciliation: Reconciliation
    contract: ContractReport | None = None
    manifest: ManifestReport | None = None
    #: Findings that do not fail the check (e.g. `body-edited-by-user`), shaped like problems.
    notes: list[Problem] = field(default_factory=list)
    scope: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.reconciliation.ok
            and (self.contract is None or self.contract.ok)
            and (self.manifest is None or self.manifest.ok)
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {"platform": data.pop("platform"), "ok": self.ok, **data}


def run_checks(
    target: EmbeddedTarget,
    options: CheckOptions = CheckOptions(),
    *,
    progress: Progress | None = None,
) -> CheckReport:
    """Validate the options before connecting (bad input must not touch the CRM), then check.
    A `--probe-writes` log is deleted through the target's CRM access (the fixture CRM, or
    the connector's deleteCallLog)."""
    validate_options(options, target.platform)
    if options.manifest is not None:
        load_manifest(options.manifest)  # fail fast on a missing or broken file
    probe = options.probe
    if probe.cleanup is None:
        crm = target.crm

        def cleanup(log_id: str) -> None:
            if not crm.delete(log_id):
                raise LookupError(f"{crm.description} cannot delete {log_id}")

        probe = replace(probe, cleanup=cleanup)
    return check_interfaces(target.pipeline(), replace(options, probe=probe), progress=progress)


def check_interfaces(
    pipeline: Pipeline, options: CheckOptions = CheckOptions(), *, progress: Progress | None = None
) -> CheckReport:
    since = validate_options(options, pipeline.platform)
    connector = pipeline.connector
    manifest = None
    if options.manifest is not None:
        manifest = check_manifest(options.manifest, pipeline.platform, connector.get_auth_type())
    limiter = RateLimiter(options.rate_limit)
    result = reconcile(
        pipeline,
        Scope(session_id=options.session_id, since=since),
        concurrency=options.concurrency,
        limiter=limiter,
        progress=progress,
        reads=options.reads,
    )
    # After reconciliation, so a --probe-writes log never shows up in the CRM listing.
    contract = check_contract(pipeline, options.probe, limiter=limiter, last_row=result.last_row)
    return CheckReport(
        platform=pipeline.platform,
        implementedInterfaces=implemented_interfaces(connector, cache_call_note=pipeline.use_cache),
        reconciliation=result.reconciliation,
        contract=contract,
        manifest=manifest,
        notes=result.notes,
        scope={
            "sessionId": options.session_id,
            "since": since,
            "skippedOtherPlatforms": result.skipped_other_platform,
            "crmListing": result.crm_listing,
            "concurrency": options.concurrency,
            "rateLimit": options.rate_limit,
        },
    )


def validate_options(options: CheckOptions, platform: str) -> str | None:
    """Raise BadInput (exit 2) for an unusable option; returns `since` in store timestamp form."""
    if options.platform is not None and options.platform != platform:
        raise BadInput(
            f"unknown platform '{options.platform}'; the config has '{platform}'", "--platform"
        )
    if options.session_id is not None and not options.session_id.strip():
        raise BadInput("the session id is empty", "--session-id")
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise BadInput(
            f"concurrency must be 1 to {MAX_CONCURRENCY}, not {options.concurrency}",
            "--concurrency",
        )
    if options.rate_limit is not None and not options.rate_limit > 0:
        raise BadInput(
            f"the rate limit must be above 0 requests per second, not {options.rate_limit}",
            "--rate-limit",
        )
    return None if options.since is None else parse_since(options.since)


def parse_since(text: str) -> str:
    """An ISO date or date-time (naive means UTC) as the store's `createdAt` text, so the two
    compare as strings."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"not an ISO date or date-time: '{text}'", "--since") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} +00:00"
