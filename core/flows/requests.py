"""Connector requests built from a callLogs row: one builder each, shared by the flows, the
checks and the targets (so "read this row's CRM log" means the same thing everywhere)."""

from __future__ import annotations

from appconnect.connectors.contract import (
    CallLogRecord,
    GetCallLogRequest,
    User,
)


def get_call_log_request(row: CallLogRecord, user: User, auth_header: str) -> GetCallLogRequest:
    """App Connect's getCallLog arguments for a row: its telephony id, CRM log and contact."""
    return GetCallLogRequest(
        user=user,
        telephony_session_id=row.id,
        call_log_id=row.thirdPartyLogId,
        contact_id=row.contactId,
        auth_header=auth_header,
    )
