"""PATCH /callLog: App Connect's update flow (ref §3.3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appconnect.connectors.contract import (
    CallLogRecord,
    GetCallLogResult,
    UpdateCallLogRequest,
    User,
)
from appconnect.connectors.errors import CRMError
from appconnect.core.compose.composer import compose_call_log, is_composable
from appconnect.core.compose.failures import ComposeError, failed_log
from appconnect.core.errors import UnknownSession
from appconnect.core.flows.compose_inputs import update_params
from appconnect.core.flows.errormap import api_error_message, warning
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.pipeline import (
    FlowResult,
    Pipeline,
    connected_user,
    failure,
    revoked_session_answers,
)
from appconnect.core.flows.plugins import run_async_plugins, run_sync_plugins
from appconnect.core.flows.requests import get_call_log_request
from appconnect.core.store import intents
from appconnect.core.store.db import ComposedBody


@revoked_session_answers
def update_call_log(pipeline: Pipeline, body: Mapping[str, Any], identity: Identity) -> FlowResult:
    """Recompose from the body in the CRM and hand both to updateCallLog; the row is unchanged.

    Differs from App Connect on purpose: an unknown session raises `UnknownSession` instead of
    a bare `{successful: false}` (quirk 10), and a failed getCallLog stops the update instead
    of composing from an empty body and overwriting the CRM log (quirk 9).
    """
    session_id = str(body["sessionId"])
    row = pipeline.find_row(session_id, identity)
    if row is None:
        raise UnknownSession(f"no call log for session {session_id}", "callLogs")
    user = connected_user(pipeline)
    if user is None:
        return failure(warning("User not found", 5000))

    # Updates of one log are serialised from here to the store write (store.intents): a
    # locked store fails here, before any CRM call.
    with intents.held(
        pipeline.store, pipeline.platform, row.thirdPartyLogId, row.sessionId, "updateCallLog"
    ) as lock:
        return _update_locked(pipeline, body, identity, row, user, lock)


def _update_locked(
    pipeline: Pipeline,
    body: Mapping[str, Any],
    identity: Identity,
    row: CallLogRecord,
    user: User,
    lock: intents.UpdateLock,
) -> FlowResult:
    user, header = pipeline.authorize(user)
    data = run_sync_plugins(pipeline.plugins, dict(body))

    log_format = pipeline.log_format()
    recomposed = _recompose(pipeline, row, user, header, data, log_format)
    if isinstance(recomposed, FlowResult):
        return recomposed
    composed, existing_details = recomposed

    request = UpdateCallLogRequest(
        user=user,
        existing_call_log=row,
        auth_header=header,
        subject=data.get("subject"),
        note=data.get("note"),
        recording_link=data.get("recordingLink"),
        voicemail_link=data.get("voicemailLink"),
        start_time=data.get("startTime"),
        duration=data.get("duration"),
        result=data.get("result"),
        ai_note=data.get("aiNote"),
        transcript=data.get("transcript"),
        additional_submission=data.get("additionalSubmission"),
        composed_log_details=composed,
        existing_call_log_details=existing_details,
        hashed_account_id=identity.hashed_account_id,
        is_from_sscl=bool(data.get("isFromSSCL")),
    )
    intents.mark_sent(pipeline.store, lock, log_format, composed)
    try:
        # An update sends the whole recomposed body: repeating it is harmless.
        result = pipeline.call_retrying(
            "updateCallLog", pipeline.connector.update_call_log, request
        )
    except CRMError as exc:
        lock.outcome_unknown = exc.outcome_unknown
        return failure(api_error_message("updateCallLog", pipeline.platform, exc.status))
    recorded = (
        ComposedBody(pipeline.platform, row.thirdPartyLogId, row.sessionId, log_format, composed)
        if composed
        else None
    )
    intents.complete(pipeline.store, lock, recorded)
    return FlowResult(
        successful=True,
        return_message=result.returnMessage,
        log_id=row.thirdPartyLogId,
        record=row,
        composed_log_details=composed,
        updated_note=result.updatedNote,
        plugin_errors=tuple(run_async_plugins(pipeline.plugins, data)),
    )


def _recompose(
    pipeline: Pipeline,
    row: CallLogRecord,
    user: User,
    header: str,
    data: Mapping[str, Any],
    log_format: str,
) -> tuple[str, Any] | FlowResult:
    """(the body recomposed from the CRM's, the CRM's record) for a composable format, or
    the flow's failure: a getCallLog that failed, or a composer that throws as App
    Connect's does."""
    if not is_composable(log_format):
        return "", None
    try:
        fetched = fetch_call_log(pipeline, row, user, header)
    except CRMError as exc:
        return failure(api_error_message("getCallLog", pipeline.platform, exc.status))
    existing_body, existing_details = "", None
    if fetched is not None and fetched.callLogInfo is not None:
        info = fetched.callLogInfo
        existing_details = info.fullLogResponse
        existing_body = info.fullBody or info.note or ""
    # Where App Connect's composer throws, its update fails (compose/failures.py).
    try:
        params = update_params(log_format, existing_body, row, data, user)
        composed = compose_call_log(params) or ""  # None: a format the connector composes
    except ComposeError:
        return failure(failed_log("updateCallLog", pipeline.platform))
    return composed, existing_details


def fetch_call_log(
    pipeline: Pipeline, row: CallLogRecord, user: User, header: str
) -> GetCallLogResult | None:
    """getCallLog for a row, traced and retried; None when the connector has none."""
    getter = pipeline.connector.get_call_log
    if getter is None:
        return None
    return pipeline.call_retrying("getCallLog", getter, get_call_log_request(row, user, header))
