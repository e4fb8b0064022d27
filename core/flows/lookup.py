"""GET /callLog: App Connect's lookup (ref §3.5)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.pipeline import Pipeline
from appconnect.core.flows.update import fetch_call_log


@dataclass(frozen=True, slots=True)
class LookupEntry:
    sessionId: str
    matched: bool
    logId: str | None = None
    logData: Mapping[str, Any] | None = None


def get_call_logs(
    pipeline: Pipeline,
    session_ids: Sequence[str],
    identity: Identity,
    *,
    require_details: bool = False,
) -> list[LookupEntry]:
    """The first five ids, each matched by App Connect's preference order."""
    entries: list[LookupEntry] = []
    user, header = pipeline.user, ""
    if require_details and user is not None:
        user, header = pipeline.authorize(user)  # App Connect authorizes only for details
    for session_id in list(session_ids)[:5]:
        row = pick_row(list(pipeline.store.iter_call_logs(session_id)), identity)
        # App Connect compares the session id with 0 (`sId == 0`) when details are asked for.
        if row is None or (require_details and session_id == "0"):
            entries.append(LookupEntry(sessionId=session_id, matched=False))
            continue
        details: Mapping[str, Any] | None = None
        if require_details and user is not None:
            fetched = fetch_call_log(pipeline, row, user, header)
            if fetched is not None and fetched.callLogInfo is not None:
                details = fetched.callLogInfo.model_dump()
        entries.append(
            LookupEntry(
                sessionId=session_id, matched=True, logId=row.thirdPartyLogId, logData=details
            )
        )
    return entries


def pick_row(rows: Sequence[CallLogRecord], identity: Identity) -> CallLogRecord | None:
    """Ref §3.5: exact hash; empty hash + same extension; empty hash + empty extension;
    with no hash given, the first row whose extension matches; with neither, the first row."""
    ext, hashed = identity.extension_number, identity.hashed_extension_id
    if hashed:
        tests: list[Callable[[CallLogRecord], bool]] = [
            lambda r: r.hashedExtensionId == hashed,
            lambda r: not r.hashedExtensionId and r.extensionNumber == ext,
            lambda r: not r.hashedExtensionId and not r.extensionNumber,
        ]
    elif ext:
        tests = [lambda r: r.extensionNumber == ext]
    else:  # no identity at all: the session alone decides (ref §4)
        tests = [lambda r: True]
    for test in tests:
        for row in rows:
            if test(row):
                return row
    return None
