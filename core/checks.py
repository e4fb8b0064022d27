"""`check-interfaces`: what the connector implements, and whether callLogs agrees with the CRM.

App Connect never checks that its callLogs rows still point at CRM records; this does, one
row at a time through the connector's getCallLog, and reports each disagreement as a problem
with a stable code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from appconnect.connectors.contract import CallLogRecord, GetCallLogRequest, implemented_interfaces
from appconnect.connectors.errors import CRMError
from appconnect.core.auth import auth_header
from appconnect.core.flows import Pipeline

# Stable problem codes (the JSON report's `code`).
ORPHANED_ROW = "orphaned-row"
CRM_UNREADABLE = "crm-unreadable"
CONTACT_MISMATCH = "contact-mismatch"
UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    sessionId: str
    thirdPartyLogId: str
    message: str


@dataclass(frozen=True, slots=True)
class Reconciliation:
    ok: bool
    checked: int
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckReport:
    platform: str
    implementedInterfaces: dict[str, bool]
    reconciliation: Reconciliation

    @property
    def ok(self) -> bool:
        return self.reconciliation.ok

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_interfaces(pipeline: Pipeline) -> CheckReport:
    interfaces = implemented_interfaces(pipeline.connector)
    return CheckReport(
        platform=pipeline.platform,
        implementedInterfaces=interfaces,
        reconciliation=reconcile(pipeline),
    )


def reconcile(pipeline: Pipeline) -> Reconciliation:
    problems: list[Problem] = []
    checked = 0
    for row in pipeline.store.iter_call_logs():
        checked += 1
        problem = check_row(pipeline, row)
        if problem is not None:
            problems.append(problem)
    return Reconciliation(ok=not problems, checked=checked, problems=problems)


def check_row(pipeline: Pipeline, row: CallLogRecord) -> Problem | None:
    """Does the CRM record this row points at exist, and is it about the same contact?"""

    def problem(code: str, message: str) -> Problem:
        return Problem(code, row.sessionId, row.thirdPartyLogId, message)

    getter, user = pipeline.connector.get_call_log, pipeline.user
    if getter is None or user is None:
        return problem(UNVERIFIABLE, "the connector has no getCallLog, so the CRM cannot be read")
    request = GetCallLogRequest(
        user=user,
        telephony_session_id=row.id,
        call_log_id=row.thirdPartyLogId,
        contact_id=row.contactId,
        auth_header=auth_header(pipeline.connector, user),
    )
    try:
        result = pipeline.call("getCallLog", getter, request)
    except CRMError as exc:
        if exc.status in (404, 410):
            return problem(ORPHANED_ROW, f"CRM log {row.thirdPartyLogId} no longer exists")
        return problem(CRM_UNREADABLE, f"CRM log {row.thirdPartyLogId} could not be read: {exc}")
    info = result.callLogInfo
    if info is None:
        return problem(ORPHANED_ROW, f"CRM log {row.thirdPartyLogId} no longer exists")
    response = info.fullLogResponse
    crm_contact = response.get("contactId") if isinstance(response, Mapping) else None
    if crm_contact is not None and str(crm_contact) != row.contactId:
        return problem(
            CONTACT_MISMATCH,
            f"row has contact {row.contactId}, CRM log {row.thirdPartyLogId} has {crm_contact}",
        )
    return None
