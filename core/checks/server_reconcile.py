"""check-interfaces against a server: its implementedInterfaces, then each of its callLogs
rows read back through the server (`GET /callLog … requireDetails=true`), with the same
problem codes as the embedded reconciliation plus `not-found-by-server`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.checks.interfaces import CheckOptions, CheckReport, validate_options
from appconnect.core.checks.problems import (
    CONTACT_MISMATCH,
    CRM_UNREADABLE,
    NOT_FOUND_BY_SERVER,
    ORPHANED_ROW,
    Problem,
)
from appconnect.core.checks.reconcile import Reconciliation
from appconnect.core.errors import BadInput, HarnessError
from appconnect.core.targets.server_client import ServerClient


def check_server(
    client: ServerClient, platform: str, rows: Iterable[CallLogRecord], options: CheckOptions
) -> CheckReport:
    since = validate_options(options, platform)
    implemented = client.implemented_interfaces()
    problems: list[Problem] = []
    checked = 0
    for row in rows:
        if since is not None and row.createdAt < since:
            continue
        checked += 1
        problem = _check_row(client, row)
        if problem is not None:
            problems.append(problem)
    reconciliation = Reconciliation(ok=not problems, checked=checked, problems=problems)
    scope = {"sessionId": options.session_id, "since": since, "through": "server"}
    return CheckReport(platform, implemented, reconciliation, scope=scope)


def _check_row(client: ServerClient, row: CallLogRecord) -> Problem | None:
    def problem(code: str, message: str) -> Problem:
        return Problem(code, row.sessionId, row.thirdPartyLogId, message)

    def lookup(details: bool) -> list[dict[str, Any]]:
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
    here (no contract probes, no bulk CRM reads) and its manifest is the server's."""
    defaults = CheckOptions()
    refused = [
        ("--reads", options.reads != defaults.reads),
        ("--probe-writes", options.probe.probe_writes),
        ("--probe-number", options.probe.probe_number != defaults.probe.probe_number),
        ("--manifest", options.manifest is not None),
        ("--concurrency", options.concurrency != defaults.concurrency),
        ("--rate-limit", options.rate_limit is not None),
    ]
    for option, given in refused:
        if given:
            raise BadInput("the server target cannot honour this option", option)
