"""The call-logging flows, in App Connect's order with App Connect's messages (ref §3.2-3.5).

`create_call_log`, `update_call_log` and `get_call_logs` take the request body in App Connect's
wire shape (the JSON its client sends) and return what App Connect's route would answer. Every
connector call goes through `Pipeline.call`, which records it, so the order of interface calls
("getCallLog then updateCallLog") can be shown and asserted.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from appconnect.connectors.contract import (
    CallLogRecord,
    Connector,
    ContactRef,
    CreateCallLogRequest,
    CreateCallLogResult,
    DispositionRequest,
    GetCallLogRequest,
    GetCallLogResult,
    ListCallLogsRequest,
    ReturnMessage,
    UpdateCallLogRequest,
    User,
)
from appconnect.connectors.errors import CRMError
from appconnect.core.compose.composer import compose_call_log, is_composable
from appconnect.core.compose.failures import ComposeError, failed_log
from appconnect.core.errors import UnknownSession
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.errormap import api_error_message, warning
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.oauth import ERROR_CODE as SESSION_REVOKED_CODE
from appconnect.core.flows.oauth import SESSION_EXPIRED, SessionExpired
from appconnect.core.flows.plugins import Plugin, run_async_plugins, run_sync_plugins
from appconnect.core.flows.retry import NO_RETRY, RetryPolicy
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.store.db import ComposedBody, Store

T = TypeVar("T")

#: App Connect's warning for a session that is already logged (ref §3.2 step 3).
EXISTING_LOG = "Existing log for session"

#: The RingSense fields App Connect passes through to composition and the connector.
RINGSENSE_KEYS = (
    "ringSenseTranscript",
    "ringSenseSummary",
    "ringSenseAIScore",
    "ringSenseBulletedSummary",
    "ringSenseLink",
)


@dataclass
class Pipeline:
    """What every flow needs: the store, the connector, the logged-in user and plugins."""

    store: Store
    connector: Connector
    user: User | None
    platform: str
    plugins: Sequence[Plugin] = ()
    #: App Connect's USE_CACHE: server-side logging reads the note from the note cache.
    use_cache: bool = False
    retry: RetryPolicy = NO_RETRY
    #: OAuth: returns the user with fresh tokens (may raise SessionExpired); None for API keys.
    authorizer: Callable[[User], User] | None = None
    calls: list[InterfaceCall] = field(default_factory=list)

    def authorize(self, user: User) -> tuple[User, str]:
        """App Connect's auth step: refresh OAuth tokens when due, then the auth header."""
        if self.authorizer is not None:
            fresh = self.authorizer(user)
            if self.user is not None and fresh.id == self.user.id:
                self.user = fresh
            user = fresh
        return user, auth_header(self.connector, user)

    def call_retrying(
        self,
        interface: str,
        fn: Callable[..., T],
        *args: Any,
        safe_to_retry: Callable[[CRMError], bool] | None = None,
    ) -> T:
        """`call`, retried by the pipeline's policy while the failure may pass (and, for
        writes, while `safe_to_retry` agrees). Every attempt is in the trace."""
        policy = self.retry
        attempt = 1
        while True:
            try:
                return self.call(interface, fn, *args)
            except CRMError as exc:
                if attempt >= policy.attempts or not policy.retryable(exc):
                    raise
                if safe_to_retry is not None and not safe_to_retry(exc):
                    raise
                policy.sleep(policy.delay(exc, attempt))
                attempt += 1

    def call(self, interface: str, fn: Callable[..., T], *args: Any) -> T:
        """Call a connector interface, recording it (arguments, result or error) in order."""
        arguments = args[0] if len(args) == 1 else list(args)
        started = time.perf_counter()
        try:
            result = fn(*args)
        except Exception as exc:
            elapsed = time.perf_counter() - started
            self.calls.append(InterfaceCall(interface, False, str(exc), arguments, None, elapsed))
            raise
        elapsed = time.perf_counter() - started
        self.calls.append(InterfaceCall(interface, True, None, arguments, result, elapsed))
        return result

    @contextmanager
    def acting_as(self, user: User | None) -> Iterator[None]:
        """Run flows as another user (server-side logging for a mapped CRM user)."""
        previous = self.user
        if user is not None:
            self.user = user
        try:
            yield
        finally:
            self.user = previous

    def log_format(self) -> str:
        getter = self.connector.get_log_format_type
        # App Connect's default when a connector has no getLogFormatType.
        return self.call("getLogFormatType", getter) if getter is not None else "text/plain"


@dataclass(frozen=True, slots=True)
class FlowResult:
    """What App Connect's route answers, plus what the harness wants to show about it."""

    successful: bool
    return_message: ReturnMessage | None = None
    log_id: str | None = None
    record: CallLogRecord | None = None
    composed_log_details: str = ""
    updated_note: str | None = None
    #: Failures of async plugins, which run after the flow and cannot undo it.
    plugin_errors: tuple[str, ...] = ()
    #: App Connect's `errorCode` (CRM_SESSION_REVOKED when the OAuth session is gone).
    error_code: str | None = None

    @property
    def logged(self) -> bool:
        """Does a log exist for the session now (created, or already there)?"""
        message = self.return_message.message if self.return_message else ""
        return self.successful or message.startswith(EXISTING_LOG)


def _failure(message: ReturnMessage, **extra: Any) -> FlowResult:
    return FlowResult(successful=False, return_message=message, **extra)


Flow = Callable[[Pipeline, Mapping[str, Any], Identity], FlowResult]


def _revoked_session_answers(flow: Flow) -> Flow:
    """A revoked OAuth session ends the flow with App Connect's 401 answer (ref §3.1)."""

    @functools.wraps(flow)
    def run(pipeline: Pipeline, body: Mapping[str, Any], identity: Identity) -> FlowResult:
        try:
            return flow(pipeline, body, identity)
        except SessionExpired:
            return _failure(SESSION_EXPIRED, error_code=SESSION_REVOKED_CODE)

    return run


# --- create (POST /callLog) ----------------------------------------------------------------


@_revoked_session_answers
def create_call_log(pipeline: Pipeline, body: Mapping[str, Any], identity: Identity) -> FlowResult:
    log_info: Mapping[str, Any] = body["logInfo"]
    session_id = str(log_info["sessionId"])

    key = {
        "extension_number": identity.extension_number,
        "hashed_extension_id": identity.hashed_extension_id,
    }
    state, existing = pipeline.store.begin_create(session_id, **key)
    if state == "existing":
        return _failure(warning(f"{EXISTING_LOG} {session_id}", 3000), record=existing)
    if state == "busy":
        # Ours: App Connect has no claim, so concurrent logs of one session both create.
        return _failure(warning(f"Session {session_id} is being logged by another process", 3000))
    try:
        return _create_claimed(pipeline, body, identity, session_id)
    finally:
        # A row replaced the claim on success; on any failure the claim goes, so a later
        # attempt can log the session. (A killed process leaves it: `appconnect repair`.)
        pipeline.store.release_claim(session_id, **key)


def _create_claimed(
    pipeline: Pipeline, body: Mapping[str, Any], identity: Identity, session_id: str
) -> FlowResult:
    log_info: Mapping[str, Any] = body["logInfo"]

    user = pipeline.user
    if user is None or not user.accessToken:
        return _failure(warning("User not found", 5000))

    user, header = pipeline.authorize(user)
    direction = log_info.get("direction")
    party = log_info.get("from" if direction == "Inbound" else "to") or {}
    contact_number = str(party.get("phoneNumber") or "")
    contact_id = body.get("contactId")
    if not contact_id:
        return _failure(warning(f"Contact not found for number {contact_number}", 5000))
    contact = ContactRef(
        id=str(contact_id),
        phoneNumber=contact_number,
        type=str(body.get("contactType") or ""),
        name=str(body.get("contactName") or ""),
    )

    is_from_sscl = bool(body.get("isFromSSCL"))
    if pipeline.use_cache and is_from_sscl:
        # App Connect reads the cached note here, then overwrites it with body.note after the
        # plugins (quirk 1: the cache is dead). We keep the cached note: it is why it exists.
        cached = pipeline.store.cached_note(session_id)
        if cached is not None:
            body = {**body, "note": cached}
    data = run_sync_plugins(pipeline.plugins, dict(body))
    note = data.get("note")

    composed = ""
    log_format = pipeline.log_format()
    if is_composable(log_format):
        recording = log_info.get("recording") or {}
        voicemail = log_info.get("voicemail") or {}
        # JS semantics matter here: a key that is absent is `undefined` to the composer and
        # skips its section, while null (None) does not; so only keys that were given are passed.
        params: dict[str, Any] = {
            "logFormat": log_format,
            "existingBody": "",
            "callLog": log_info,
            "contactInfo": {
                "id": contact.id,
                "phoneNumber": contact.phoneNumber,
                "type": contact.type,
                "name": contact.name,
            },
            "user": _user_params(user),
            **_given(data, {"note": "note"}),
            **_given(body, {"aiNote": "aiNote", "transcript": "transcript"}),
            **_given(recording, {"recordingLink": "link"}),
            **_given(
                log_info,
                {
                    "subject": "customSubject",
                    "startTime": "startTime",
                    "duration": "duration",
                    "result": "result",
                },
            ),
            **_given(body, {key: key for key in RINGSENSE_KEYS}),
        }
        voicemail_link = body.get("voicemailLink")
        if voicemail_link is None:  # App Connect's `??`
            voicemail_link = voicemail.get("link")
        if voicemail_link is not None:
            params["voicemailLink"] = voicemail_link
        # Issue 14: where App Connect's composer throws, its create fails (failures.py).
        try:
            composed = compose_call_log(params) or ""  # None only for formats not composed here
        except ComposeError:
            return _failure(failed_log("createCallLog", pipeline.platform))

    request = CreateCallLogRequest(
        user=user,
        contact_info=contact,
        auth_header=header,
        call_log=log_info,
        note=note,
        additional_submission=body.get("additionalSubmission"),
        ai_note=body.get("aiNote"),
        transcript=body.get("transcript"),
        voicemail_link=body.get("voicemailLink"),
        composed_log_details=composed,
        hashed_account_id=identity.hashed_account_id,
        is_from_sscl=is_from_sscl,
    )
    try:
        result = _create_with_retries(pipeline, request, session_id)
    except CRMError as exc:
        return _failure(api_error_message("createCallLog", pipeline.platform, exc.status))
    if not result.logId:
        # No log id means the connector failed: no row, whatever message it gave.
        return _failure(result.returnMessage or warning("Error creating call log", 5000))

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
    except sqlite3.Error:
        # App Connect's answer too. The CRM log now has no row: `appconnect repair` adopts it
        # and check-interfaces reports it as unlinked until then.
        return _failure(warning("Database operation failed", 5000), log_id=result.logId)
    return FlowResult(
        successful=True,
        return_message=result.returnMessage,
        log_id=result.logId,
        record=record,
        composed_log_details=composed,
        plugin_errors=tuple(run_async_plugins(pipeline.plugins, data)),
    )


def _create_with_retries(
    pipeline: Pipeline, request: CreateCallLogRequest, session_id: str
) -> CreateCallLogResult:
    """createCallLog with bounded retries that never make a second CRM log.

    When the outcome of a try is unknown (no answer, or a server error after the CRM had the
    request), the CRM is asked for a log of this session first (the connector's
    listCallLogs); one found is the result. A connector that cannot list is not retried.
    """
    policy = pipeline.retry
    attempt = 1
    while True:
        try:
            return pipeline.call("createCallLog", pipeline.connector.create_call_log, request)
        except CRMError as exc:
            if exc.outcome_unknown:
                checked, found = _find_crm_log(pipeline, request, session_id)
                if found is not None:
                    return CreateCallLogResult(
                        logId=found,
                        returnMessage=ReturnMessage(message="Call logged", ttl=2000),
                        extraDataTracking={"adoptedAfterUnknownOutcome": True},
                    )
                if not checked:
                    raise
            if attempt >= policy.attempts or not policy.retryable(exc):
                raise
            policy.sleep(policy.delay(exc, attempt))
            attempt += 1


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


# --- update (PATCH /callLog) ---------------------------------------------------------------


@_revoked_session_answers
def update_call_log(pipeline: Pipeline, body: Mapping[str, Any], identity: Identity) -> FlowResult:
    """Recompose from the body in the CRM and hand both to updateCallLog; the row is unchanged.

    Differs from App Connect on purpose: an unknown session raises `UnknownSession` instead of
    a bare `{successful: false}` (quirk 10), and a failed getCallLog stops the update instead
    of composing from an empty body and overwriting the CRM log (quirk 9).
    """
    session_id = str(body["sessionId"])
    row = pipeline.store.find_call_log(
        session_id,
        extension_number=identity.extension_number,
        hashed_extension_id=identity.hashed_extension_id,
    )
    if row is None:
        raise UnknownSession(f"no call log for session {session_id}", "callLogs")
    user = pipeline.user
    if user is None or not user.accessToken:
        return _failure(warning("User not found", 5000))

    user, header = pipeline.authorize(user)
    data = run_sync_plugins(pipeline.plugins, dict(body))

    composed = ""
    existing_details: Any = None
    log_format = pipeline.log_format()
    if is_composable(log_format):
        try:
            fetched = _fetch_call_log(pipeline, row, user, header)
        except CRMError as exc:
            return _failure(api_error_message("getCallLog", pipeline.platform, exc.status))
        existing_body = ""
        if fetched is not None and fetched.callLogInfo is not None:
            info = fetched.callLogInfo
            existing_details = info.fullLogResponse
            existing_body = info.fullBody or info.note or ""
        call_log = {
            "sessionId": row.sessionId,
            **_given(data, {key: key for key in ("startTime", "duration", "result")}),
            **_given(data, {key: key for key in ("direction", "from", "to")}),
            "legs": data.get("legs") or [],
        }
        # Issue 14: where App Connect's composer throws, its update fails (failures.py).
        try:
            composed = compose_call_log(
                {
                    "logFormat": log_format,
                    "existingBody": existing_body,
                    "callLog": call_log,
                    "contactInfo": None,
                    "user": _user_params(user),
                    **_given(data, {key: key for key in (*_UPDATE_COMPOSE_KEYS, *RINGSENSE_KEYS)}),
                }
            ) or ""  # None only for formats not composed here
        except ComposeError:
            return _failure(failed_log("updateCallLog", pipeline.platform))

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
    try:
        # An update sends the whole recomposed body: repeating it is harmless.
        result = pipeline.call_retrying(
            "updateCallLog", pipeline.connector.update_call_log, request
        )
    except CRMError as exc:
        return _failure(api_error_message("updateCallLog", pipeline.platform, exc.status))
    if composed:
        pipeline.store.record_composed(
            ComposedBody(
                pipeline.platform, row.thirdPartyLogId, row.sessionId, log_format, composed
            )
        )
    return FlowResult(
        successful=True,
        return_message=result.returnMessage,
        log_id=row.thirdPartyLogId,
        record=row,
        composed_log_details=composed,
        updated_note=result.updatedNote,
        plugin_errors=tuple(run_async_plugins(pipeline.plugins, data)),
    )


# --- disposition (PUT /callDisposition) ----------------------------------------------------


@_revoked_session_answers
def upsert_call_disposition(
    pipeline: Pipeline, body: Mapping[str, Any], identity: Identity
) -> FlowResult:
    """Ref §3.4: row, user, auth, then the connector; `successful` is whether a logId came back."""
    session_id = str(body["sessionId"])
    row = pipeline.store.find_call_log(
        session_id,
        extension_number=identity.extension_number,
        hashed_extension_id=identity.hashed_extension_id,
    )
    if row is None:
        return _failure(warning("Cannot find log", 3000))
    user = pipeline.user
    if user is None or not user.accessToken:
        return _failure(warning("Cannot find user", 3000))
    upsert = pipeline.connector.upsert_call_disposition
    if upsert is None:
        return _failure(warning("Not supported", 2000), record=row)
    user, header = pipeline.authorize(user)
    request = DispositionRequest(
        user=user,
        existing_call_log=row,
        auth_header=header,
        dispositions=body.get("dispositions") or {},
    )
    try:
        result = pipeline.call_retrying("upsertCallDisposition", upsert, request)
    except CRMError as exc:
        return _failure(
            api_error_message("upsertCallDisposition", pipeline.platform, exc.status), record=row
        )
    return FlowResult(
        successful=bool(result.logId),
        return_message=result.returnMessage,
        log_id=result.logId,
        record=row,
    )


_UPDATE_COMPOSE_KEYS = (
    "note",
    "aiNote",
    "transcript",
    "recordingLink",
    "voicemailLink",
    "subject",
    "startTime",
    "duration",
    "result",
)


# --- lookup (GET /callLog) -----------------------------------------------------------------


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
    """App Connect's lookup: the first five ids, each matched by App Connect's preference order."""
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
            fetched = _fetch_call_log(pipeline, row, user, header)
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


# --- shared --------------------------------------------------------------------------------


def _fetch_call_log(
    pipeline: Pipeline, row: CallLogRecord, user: User, header: str
) -> GetCallLogResult | None:
    getter = pipeline.connector.get_call_log
    if getter is None:
        return None
    request = GetCallLogRequest(
        user=user,
        telephony_session_id=row.id,
        call_log_id=row.thirdPartyLogId,
        contact_id=row.contactId,
        auth_header=header,
    )
    return pipeline.call_retrying("getCallLog", getter, request)


def _given(source: Mapping[str, Any], keys: Mapping[str, str]) -> dict[str, Any]:
    """`{param: source[key]}` for the keys present in `source` (absent stays absent)."""
    return {param: source[key] for param, key in keys.items() if key in source}


def _user_params(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "timezoneOffset": user.timezoneOffset,
        "userSettings": dict(user.userSettings),
    }
