"""How one callLogs row is judged against the CRM log it points to: the shape of the
connector's getCallLog answer, the contact and owner, and the body core last composed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from appconnect.connectors.contract import CallLogInfo, CallLogRecord, GetCallLogResult
from appconnect.core.checks.problems import (
    BODY_EDITED_BY_USER,
    BODY_OVERWRITTEN,
    BODY_UNVERIFIABLE,
    CONTACT_MISMATCH,
    USER_MISMATCH,
    Problem,
    problem,
)
from appconnect.core.store.db import ComposedBody


def shape_problem(result: GetCallLogResult) -> str:
    """Why a getCallLog answer breaks the contract, or "" when its shape is right.

    `callLogInfo: null` set on purpose is how a connector says "gone"; one never set (the
    answer carries other keys) or one with none of subject/note/fullBody is a wrong shape."""
    if "callLogInfo" not in result.model_fields_set:
        others = sorted((result.model_extra or {}).keys())
        got = f"keys {', '.join(others)}" if others else "no keys"
        return f"returned no callLogInfo ({got}); the contract wants callLogInfo.fullBody"
    info = result.callLogInfo
    if info is None:
        return ""
    if info.subject is None and info.note is None and info.fullBody is None:
        others = sorted((info.model_extra or {}).keys())
        got = f" (it has {', '.join(others)})" if others else ""
        return f"returned callLogInfo without subject, note or fullBody{got}"
    return ""


def compare_row(
    row: CallLogRecord, info: CallLogInfo, composed: ComposedBody | None
) -> tuple[list[Problem], list[Problem]]:
    """(problems, notes) for a row whose CRM log was read."""
    problems: list[Problem] = []
    notes: list[Problem] = []
    log_id = row.thirdPartyLogId
    record: Mapping[str, Any] = (
        info.fullLogResponse if isinstance(info.fullLogResponse, Mapping) else {}
    )
    crm_contact = record.get("contactId")
    if crm_contact is not None and str(crm_contact) != row.contactId:
        problems.append(
            problem(
                row,
                CONTACT_MISMATCH,
                f"row has contact {row.contactId}, CRM log {log_id} has {crm_contact}",
            )
        )
    owner = record.get("ownerId")
    # App Connect stores proxy-connector users as "<CRM id>-<platform>" (ref §6).
    if owner is not None and str(owner) not in (row.userId, crm_user_id(row)):
        problems.append(
            problem(row, USER_MISMATCH, f"row has user {row.userId}, CRM log {log_id} has {owner}")
        )
    if composed is None or not composed.body:
        return problems, notes  # nothing composed (custom format): nothing to drift from
    if info.fullBody is None:
        notes.append(
            problem(row, BODY_UNVERIFIABLE, f"getCallLog gave no fullBody for CRM log {log_id}")
        )
        return problems, notes
    lost = missing_sections(composed.body, info.fullBody, composed.logFormat)
    if lost:
        first = lost[0] if len(lost[0]) <= 60 else lost[0][:57] + "..."
        what = f"{len(lost)} composed section(s) missing or changed in CRM log {log_id}, "
        what += f"first: {first!r}"
        if record.get("lastEditedBy") == "user":
            notes.append(problem(row, BODY_EDITED_BY_USER, f"{what} (last edited by a CRM user)"))
        else:
            problems.append(problem(row, BODY_OVERWRITTEN, f"{what} (not by a CRM user)"))
    return problems, notes


_HTML_SECTION_END = re.compile(r"(?<=</li>)|(?<=</div>)|(?<=<br>)|\r\n|\r|\n")


def missing_sections(composed: str, crm_body: str, log_format: str) -> list[str]:
    """The sections of what core composed that the CRM body no longer contains verbatim.

    A section is a line (an HTML element for text/html). Text a user added around the
    sections is fine: only what we wrote must still be there.
    """
    if log_format == "text/html":
        parts = _HTML_SECTION_END.split(composed)
    else:
        parts = composed.splitlines()
    sections = [part.strip() for part in parts]
    return [s for s in sections if s and s not in crm_body]


#: Problems and notes whose classification needs getCallLog's full record (who edited it).


def crm_user_id(row: CallLogRecord) -> str:
    return row.userId.removesuffix(f"-{row.platform}")
