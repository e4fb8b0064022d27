"""check-interfaces against a server: its implementedInterfaces, then each of its callLogs
rows read back through the server (`GET /callLog … requireDetails=true`), with the same
problem codes as the embedded reconciliation plus `not-found-by-server`.

Rows stream from the server's database; `--concurrency` lookups are in flight at once and
`--rate-limit` spaces every request. With `--reads listing` the rows are judged against the
CRM's own paged listing instead (core/checks/listing_join.py), in bounded memory, and only
rows the listing cannot judge are looked up through the server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from appconnect.connectors.contract import CallLogInfo, CallLogRecord, CRMCallLog
from appconnect.core.checks.compare import compare_row
from appconnect.core.checks.interfaces import CheckOptions, CheckReport, validate_options
from appconnect.core.checks.listing_join import Lister, bounded_map, join, pages
from appconnect.core.checks.problems import (
    CONTACT_MISMATCH,
    CRM_UNREADABLE,
    NOT_FOUND_BY_SERVER,
    ORPHANED_ROW,
    Problem,
)
from appconnect.core.checks.reconcile import Judged, RateLimiter, Reconciliation
from appconnect.core.errors import BadInput, HarnessError
from appconnect.core.targets.server_client import ServerClient


def check_server(
    client: ServerClient, platform: str, rows: Iterable[CallLogRecord], options: CheckOptions
) -> CheckReport:
    since = validate_options(options, platform)
    implemented = client.implemented_interfaces()
    limiter = RateLimiter(options.rate_limit)
    check = _checker(client, limiter)
    in_scope = (row for row in rows if since is None or row.createdAt >= since)
    counted = _Counted(in_scope)
    found = bounded_map(check, counted, options.concurrency)
    problems = [problem for problem in found if problem is not None]
    reconciliation = Reconciliation(ok=not problems, checked=counted.count, problems=problems)
    scope = {"sessionId": options.session_id, "since": since, "through": "server"}
    return CheckReport(platform, implemented, reconciliation, scope=scope)


def check_server_listing(
    client: ServerClient,
    platform: str,
    rows: Iterable[CallLogRecord],
    options: CheckOptions,
    *,
    lister: Lister,
    user_id: str,
) -> CheckReport:
    """Rows against the CRM's listing (`--reads listing`); unlisted rows through the server."""
    since = validate_options(options, platform)
    implemented = client.implemented_interfaces()
    limiter = RateLimiter(options.rate_limit)
    check = _checker(client, limiter)

    def limited(after: str | None, limit: int) -> list[CRMCallLog]:
        limiter.acquire()
        return lister(after, limit)

    def judge(row: CallLogRecord, info: CallLogInfo) -> Judged:
        return compare_row(row, info, None)  # the server's composed bodies are not visible

    def fallback(row: CallLogRecord) -> Judged:
        found = check(row)
        return ([found] if found is not None else []), []

    result = join(
        rows,
        pages(limited),
        platform=platform,
        user_id=user_id,
        since=since,
        judge=judge,
        fallback=fallback,
        concurrency=options.concurrency,
    )
    reconciliation = Reconciliation(
        ok=not result.problems, checked=result.checked, problems=result.problems
    )
    scope = {
        "sessionId": options.session_id,
        "since": since,
        "through": "server",
        "crmListing": "checked",
        "listed": result.listed,
        "skippedOtherPlatform": result.skipped_other_platform,
    }
    return CheckReport(platform, implemented, reconciliation, notes=result.notes, scope=scope)


Check = Callable[[CallLogRecord], Problem | None]


def _checker(client: ServerClient, limiter: RateLimiter) -> Check:
    """`_check_row` for worker threads: the first one logs in (under a lock) and the others
    reuse its JWT, instead of each logging in at once."""
    lock = threading.Lock()
    logged_in = False

    def check(row: CallLogRecord) -> Problem | None:
        nonlocal logged_in
        if not logged_in:
            with lock:
                client.jwt()
                logged_in = True
        return _check_row(client, row, limiter)

    return check


class _Counted:
    """An iterable that counts what was drawn from it (the rows checked, while streaming)."""

    def __init__(self, items: Iterable[CallLogRecord]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Any:
        for item in self._items:
            self.count += 1
            yield item


def _check_row(client: ServerClient, row: CallLogRecord, limiter: RateLimiter) -> Problem | None:
    def problem(code: str, message: str) -> Problem:
        return Problem(code, row.sessionId, row.thirdPartyLogId, message)

    def lookup(details: bool) -> list[dict[str, Any]]:
        limiter.acquire()
        return client.get_call_logs(
            [row.sessionId],
            require_details=details,
            extension_number=row.extensionNumber,
            hashed_extension_id=row.hashedExtensionId,
        )

    if not any(entry.get("matched") for entry in lookup(False)):
        return problem(NOT_FOUND_BY_SERVER, "the server does not match this row's session")
    try:
        entries = lookup(True)
    except HarnessError as exc:  # the server failed reading the CRM log for the details
        log_id = row.thirdPartyLogId
        return problem(CRM_UNREADABLE, f"the server could not read CRM log {log_id}: {exc}")
    entry = entries[0] if entries else {}
    if not entry.get("matched"):
        # Matched without details, not with them: the CRM log could not be fetched.
        return problem(ORPHANED_ROW, f"CRM log {row.thirdPartyLogId} could not be fetched")
    details = entry.get("logData")
    if not isinstance(details, dict):
        return problem(CRM_UNREADABLE, f"the server returned no logData for {row.thirdPartyLogId}")
    record = details.get("fullLogResponse")
    if not details.get("fullBody") and not details.get("subject") and not record:
        return problem(ORPHANED_ROW, f"CRM log {row.thirdPartyLogId} no longer exists")
    contact = record.get("contactId") if isinstance(record, dict) else None
    if contact is not None and str(contact) != row.contactId:
        return problem(
            CONTACT_MISMATCH,
            f"row has contact {row.contactId}, CRM log {row.thirdPartyLogId} has {contact}",
        )
    return None


def refuse_unsupported(options: CheckOptions) -> None:
    """Options a server target cannot honour: the server's connector is not reachable from
    here (no contract probes) and its manifest is the server's. `--reads listing` lists the
    CRM through the configured connector (see ServerTarget.check)."""
    defaults = CheckOptions()
    refused = [
        ("--probe-writes", options.probe.probe_writes),
        ("--probe-number", options.probe.probe_number != defaults.probe.probe_number),
        ("--manifest", options.manifest is not None),
    ]
    for option, given in refused:
        if given:
            raise BadInput("the server target cannot honour this option", option)
