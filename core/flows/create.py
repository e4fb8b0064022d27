"""POST /callLog: App Connect's create flow (ref §3.2), in its order with its messages."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appconnect.connectors.contract import (
    CallLogRecord,
    ContactRef,
    CreateCallLogRequest,
    CreateCallLogResult,
    ListCallLogsRequest,
    ReturnMessage,
    User,
)
from appconnect.connectors.errors import CRMError
from appconnect.core.compose.composer import compose_call_log, is_composable
from appconnect.core.compose.failures import ComposeError, failed_log
from appconnect.core.errors import StoreError
from appconnect.core.extension.parties import other_party_number
from appconnect.core.flows.compose_inputs import create_params
from appconnect.core.flows.errormap import api_error_message, warning
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.pipeline import (
    EXISTING_LOG,
    FlowResult,
    Pipeline,
    connected_user,
    failure,
    revoked_session_answers,
)
from appconnect.core.flows.plugins import run_async_plugins, run_sync_plugins
from appconnect.core.store.claims import CREATING, UNKNOWN
from appconnect.core.store.db import ComposedBody


@revoked_session_answers
def create_call_log(pipeline: Pipeline, body: Mapping[str, Any], identity: Identity) -> FlowResult:
    session_id = str(body["logInfo"]["sessionId"])
    key = _key(identity)
    state, existing = pipeline.store.begin_create(session_id, **key)
    if state == "existing":
        return failure(warning(f"{EXISTING_LOG} {session_id}", 3000), record=existing)
    if state == "busy":
        # Ours: App Connect has no claim, so concurrent logs of one session both create.
        return failure(warning(f"Session {session_id} is being logged by another process", 3000))
    try:
        return _create_claimed(pipeline, body, identity, session_id, state == "unresolved")
    finally:
        # A row replaced the claim on success; a failed create's claim goes, so a later
        # attempt can log the session; one whose outcome is unknown stays (store.claims).
        pipeline.store.release_claim(
            session_id,
            extension_number=identity.extension_number,
            hashed_extension_id=identity.hashed_extension_id,
        )


def _create_claimed(
    pipeline: Pipeline,
    body: Mapping[str, Any],
    identity: Identity,
    session_id: str,
    unresolved: bool,
) -> FlowResult:
    user = connected_user(pipeline)
    if user is None:
        return failure(warning("User not found", 5000))
    user, header = pipeline.authorize(user)
    contact = _contact(body)
    if contact is None:
        number = other_party_number(body["logInfo"])
        return failure(warning(f"Contact not found for number {number}", 5000))

    is_from_sscl = bool(body.get("isFromSSCL"))
    if pipeline.use_cache and is_from_sscl:
        # App Connect reads the cached note here, then overwrites it with body.note after the
        # plugins (quirk 1: the cache is dead). We keep the cached note: it is why it exists.
        cached = pipeline.store.cached_note(session_id)
        if cached is not None:
            body = {**body, "note": cached}
    data = run_sync_plugins(pipeline.plugins, dict(body))

    composed = ""
    log_format = pipeline.log_format()
    if is_composable(log_format):
        # Where App Connect's composer throws, its create fails (compose/failures.py).
        try:
            params = create_params(log_format, body, data, contact, user)
            composed = compose_call_log(params) or ""  # None: a format the connector composes
        except ComposeError:
            return failure(failed_log("createCallLog", pipeline.platform))

    request = CreateCallLogRequest(
        user=user,
        contact_info=contact,
        auth_header=header,
        call_log=body["logInfo"],
        note=data.get("note"),
        additional_submission=body.get("additionalSubmission"),
        ai_note=body.get("aiNote"),
        transcript=body.get("transcript"),
        voicemail_link=body.get("voicemailLink"),
        composed_log_details=composed,
        hashed_account_id=identity.hashed_account_id,
        is_from_sscl=is_from_sscl,
    )
    if unresolved:
        # An earlier create of this session got no answer (or its process died): the CRM
        # may hold its log. Find it and link it, or prove there is none, before creating.
        found = _resolve_earlier_create(pipeline, request, identity, session_id)
        if isinstance(found, FlowResult):
            return found
        if found is not None:
            # Not our composition: the body in the CRM is the earlier attempt's.
            return _link(pipeline, body, identity, user, contact, found, log_format, "", data)
    result = _create(pipeline, request, identity, session_id)
    if isinstance(result, FlowResult):
        return result
    if not result.logId:
        # No log id means the connector failed: no row, whatever message it gave.
        return failure(result.returnMessage or warning("Error creating call log", 5000))
    return _link(pipeline, body, identity, user, contact, result, log_format, composed, data)


def _create(
    pipeline: Pipeline, request: CreateCallLogRequest, identity: Identity, session_id: str
) -> CreateCallLogResult | FlowResult:
    looked = _Looked()
    try:
        return _create_with_retries(pipeline, request, session_id, looked)
    except CRMError as exc:
        if exc.outcome_unknown and looked.failed:
            # The CRM may have the log and could not be asked: keep the session claimed as
            # "unknown" so no later attempt creates blindly (`logs`, check-interfaces, repair).
            pipeline.store.mark_claim(UNKNOWN, session_id, **_key(identity))
        return failure(api_error_message("createCallLog", pipeline.platform, exc.status))


@dataclass
class _Looked:
    """Did the last look for this session's CRM log (after an unknown outcome) fail?"""

    failed: bool = False


def _key(identity: Identity) -> dict[str, str]:
    return {
        "extension_number": identity.extension_number,
        "hashed_extension_id": identity.hashed_extension_id,
    }


def _resolve_earlier_create(
    pipeline: Pipeline, request: CreateCallLogRequest, identity: Identity, session_id: str
) -> CreateCallLogResult | FlowResult | None:
    """The CRM log an earlier create made, None when the CRM proves there is none (this
    process may create), or the failure that leaves the outcome unknown."""
    checked, found = _find_crm_log(pipeline, request, session_id)
    if found is not None:
        return CreateCallLogResult(
            logId=found, returnMessage=ReturnMessage(message="Call logged", ttl=2000)
        )
    if not checked:
        return failure(
            warning(
                f"An earlier log of session {session_id} has an unknown outcome and the CRM "
                "cannot be asked now; try again later or run `appconnect repair`",
                5000,
            )
        )
    pipeline.store.mark_claim(CREATING, session_id, **_key(identity))
    return None


def _contact(body: Mapping[str, Any]) -> ContactRef | None:
    """The contact the extension matched (its id in the body), or None."""
    contact_id = body.get("contactId")
    if not contact_id:
        return None
    return ContactRef(
        id=str(contact_id),
        phoneNumber=other_party_number(body["logInfo"]),
        type=str(body.get("contactType") or ""),
        name=str(body.get("contactName") or ""),
    )


def _link(
    pipeline: Pipeline,
    body: Mapping[str, Any],
    identity: Identity,
    user: User,
    contact: ContactRef,
    result: CreateCallLogResult,
    log_format: str,
    composed: str,
    data: Mapping[str, Any],
) -> FlowResult:
    """The callLogs row linking the session to the new CRM log (and the body composed)."""
    log_info: Mapping[str, Any] = body["logInfo"]
    session_id = str(log_info["sessionId"])
    assert result.logId is not None
    record = CallLogRecord(
        id=str(log_info.get("telephonySessionId") or log_info["id"]),
        sessionId=session_id,
        extensionNumber=identity.extension_number,
        hashedExtensionId=identity.hashed_extension_id,
        platform=pipeline.platform,
        thirdPartyLogId=result.logId,
        userId=user.id,
        contactId=contact.id,
    )
    composed_body = (
        ComposedBody(pipeline.platform, result.logId, session_id, log_format, composed)
        if composed
        else None
    )
    try:
        record = pipeline.store.insert_call_log(record, composed_body)
    except (sqlite3.Error, StoreError):
        # App Connect's answer too. The CRM log now has no row: the claim says so ("unknown":
        # the next log of the session finds and links it), `appconnect repair` adopts it,
        # and check-interfaces reports it until then.
        with contextlib.suppress(sqlite3.Error, StoreError):
            pipeline.store.mark_claim(UNKNOWN, session_id, **_key(identity))
        return failure(warning("Database operation failed", 5000), log_id=result.logId)
    return FlowResult(
        successful=True,
        return_message=result.returnMessage,
        log_id=result.logId,
        record=record,
        composed_log_details=composed,
        plugin_errors=tuple(run_async_plugins(pipeline.plugins, data)),
    )


def _create_with_retries(
    pipeline: Pipeline, request: CreateCallLogRequest, session_id: str, looked: _Looked
) -> CreateCallLogResult:
    """createCallLog with bounded retries that never make a second CRM log: when a try's
    outcome is unknown, the CRM is asked for this session's log first (the connector's
    listCallLogs); one found is the result. A connector that cannot list is not retried."""

    def look_first() -> tuple[bool, CreateCallLogResult | None]:
        checked, found = _find_crm_log(pipeline, request, session_id)
        looked.failed = not checked
        if found is None:
            return checked, None
        adopted = CreateCallLogResult(
            logId=found,
            returnMessage=ReturnMessage(message="Call logged", ttl=2000),
            extraDataTracking={"adoptedAfterUnknownOutcome": True},
        )
        return True, adopted

    return pipeline.call_retrying(
        "createCallLog", pipeline.connector.create_call_log, request, look_first=look_first
    )


def _find_crm_log(
    pipeline: Pipeline, request: CreateCallLogRequest, session_id: str
) -> tuple[bool, str | None]:
    """(could we look, the id of this session's CRM log if there is one)."""
    lister = pipeline.connector.list_call_logs
    if lister is None:
        return False, None
    query = ListCallLogsRequest(request.user, request.auth_header, session_id)
    try:
        logs = pipeline.call_retrying("listCallLogs", lister, query)
    except CRMError:
        return False, None
    matches = [log.id for log in logs if log.sessionId == session_id]
    return True, (matches[0] if matches else None)
