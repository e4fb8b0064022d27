"""`repair`: close the window between a CRM create and the callLogs row that records it.

A create that succeeded in the CRM but whose row was never written (a crash, `kill -9`, a
full disk) leaves a CRM log no row points to, and possibly an open session claim. `repair`
finds them through the connector's listCallLogs and, where the answer is unambiguous (one
CRM log for the session, no row), adopts the CRM log into callLogs; a claim with no CRM log
behind it is simply cleared. Anything ambiguous (several CRM logs for one session) is
reported, never guessed.

A claim whose create's outcome is unknown (store.claims) is settled the same way: adopted when
the CRM holds the session's log, cleared when it holds none. Half-done updates (store.intents)
are settled by repair_updates.

The guarantee, with repair: every CRM log the harness created ends up linked by exactly one
row, or reported; a session is never logged twice by the harness itself (the claim).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Literal

from appconnect.connectors.contract import CallLogRecord, CRMCallLog, ListCallLogsRequest
from appconnect.core.checks.repair_updates import settle_updates
from appconnect.core.errors import ConfigError
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.pipeline import Pipeline
from appconnect.core.store.claims import UNKNOWN, pid_alive

Kind = Literal[
    "adopted",
    "claim-cleared",
    "claim-kept",
    "reported",
    "update-cleared",
    "update-recorded",
    "update-dropped",
]
STALE_CLAIM_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class RepairAction:
    kind: Kind
    sessionId: str
    thirdPartyLogId: str
    message: str


@dataclass(frozen=True, slots=True)
class RepairReport:
    dry_run: bool
    actions: list[RepairAction]

    @property
    def reported(self) -> list[RepairAction]:
        return [a for a in self.actions if a.kind == "reported"]

    @property
    def ok(self) -> bool:
        """Nothing is left to resolve by hand."""
        return not self.reported

    def as_dict(self) -> dict[str, Any]:
        return {"dryRun": self.dry_run, "ok": self.ok, "actions": [asdict(a) for a in self.actions]}


def repair(
    pipeline: Pipeline,
    *,
    dry_run: bool = False,
    stale_after: float = STALE_CLAIM_SECONDS,
    now: float | None = None,
) -> RepairReport:
    lister, user = pipeline.connector.list_call_logs, pipeline.user
    if lister is None or user is None:
        raise ConfigError(
            "the connector cannot list CRM call logs (listCallLogs), so there is nothing to "
            "repair from",
            "repair",
        )
    header = auth_header(pipeline.connector, user)
    logs = pipeline.call_retrying("listCallLogs", lister, ListCallLogsRequest(user, header))
    by_session: dict[str, list[CRMCallLog]] = defaultdict(list)
    for log in logs:
        if log.sessionId:
            by_session[log.sessionId].append(log)
    claims = {claim["sessionId"]: claim for claim in pipeline.store.claims()}
    moment = time.time() if now is None else now
    actions: list[RepairAction] = []
    live = _settle_claims(pipeline, claims, by_session, actions, dry_run, moment, stale_after)
    linked = {row.thirdPartyLogId for row in pipeline.store.iter_call_logs()}
    for session_id, session_logs in sorted(by_session.items()):
        unlinked = [log for log in session_logs if log.id not in linked]
        if unlinked and session_id not in live:
            claim = claims.get(session_id)
            actions.append(_adopt_unlinked(pipeline, session_logs, unlinked, claim, dry_run))
    for kind, session_id, log_id, message in settle_updates(pipeline, dry_run):
        actions.append(RepairAction(kind, session_id, log_id, message))  # type: ignore[arg-type]
    return RepairReport(dry_run, actions)


def _settle_claims(
    pipeline: Pipeline,
    claims: dict[str, dict[str, Any]],
    by_session: dict[str, list[CRMCallLog]],
    actions: list[RepairAction],
    dry_run: bool,
    now: float,
    stale_after: float,
) -> set[str]:
    """Keep live claims, clear abandoned ones with no CRM log; the sessions still live."""
    live: set[str] = set()
    for session_id, claim in claims.items():
        if _claim_is_live(claim, now, stale_after):
            live.add(session_id)  # its process will write the row itself: hands off
            actions.append(
                RepairAction("claim-kept", session_id, "", "still being logged by a live process")
            )
            continue
        if by_session.get(session_id):
            continue  # the CRM log is adopted below, which also removes the claim
        if not dry_run:
            pipeline.store.release_claim(
                session_id,
                extension_number=claim["extensionNumber"],
                hashed_extension_id=claim["hashedExtensionId"],
                force=True,
            )
        actions.append(RepairAction("claim-cleared", session_id, "", "no CRM log was created"))
    return live


def _adopt_unlinked(
    pipeline: Pipeline,
    session_logs: list[CRMCallLog],
    unlinked: list[CRMCallLog],
    claim: dict[str, Any] | None,
    dry_run: bool,
) -> RepairAction:
    """Adopt a session's one unlinked CRM log, or report why it cannot be."""
    session_id = unlinked[0].sessionId or ""
    if len(session_logs) > 1:
        ids = ", ".join(log.id for log in session_logs)
        message = f"{len(session_logs)} CRM logs for one session ({ids}): resolve by hand"
        return RepairAction("reported", session_id, unlinked[0].id, message)
    (log,) = unlinked
    if pipeline.store.find_call_log(session_id) is not None:
        message = "a row for this session points elsewhere"
        return RepairAction("reported", session_id, log.id, message)
    if not dry_run:
        assert pipeline.user is not None
        _adopt(pipeline, log, claim, pipeline.user.id)
    return RepairAction("adopted", session_id, log.id, "CRM log adopted into callLogs")


def _claim_is_live(claim: dict[str, Any], now: float, stale_after: float) -> bool:
    """A claim younger than `stale_after` whose process still runs may finish by itself; one
    whose outcome is unknown has no process (store.claims)."""
    if claim.get("outcome") == UNKNOWN or now - float(claim["claimedAt"]) >= stale_after:
        return False
    return pid_alive(int(claim["pid"]))


def _adopt(pipeline: Pipeline, log: CRMCallLog, claim: dict[str, Any] | None, user_id: str) -> None:
    record = CallLogRecord(
        # The telephony session id died with the process; the session id stands in for it.
        id=log.sessionId or log.id,
        sessionId=log.sessionId or "",
        extensionNumber=claim["extensionNumber"] if claim else "",
        hashedExtensionId=claim["hashedExtensionId"] if claim else "",
        platform=pipeline.platform,
        thirdPartyLogId=log.id,
        userId=log.ownerId or user_id,
        contactId=log.contactId or "",
    )
    pipeline.store.insert_call_log(record)  # also removes the claim, in one transaction
