"""`ProxyConnector`: App Connect's interfaces run from a proxy connector file (ref §6).

An operation the file does not define is not implemented: its optional interface stays None
(implementedInterfaces shows false). createCallLog and updateCallLog are required by the
contract, so without their operation they answer App Connect's `Not supported` warning.
`listCallLogs` and `deleteCallLog` are harness extensions (no App Connect counterpart).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from appconnect.connectors.contract import (
    AuthType,
    CallLogInfo,
    Connector,
    ContactInfo,
    CreateCallLogRequest,
    CreateCallLogResult,
    CreateContactRequest,
    CreateContactResult,
    CRMCallLog,
    CRMUser,
    DeleteCallLogRequest,
    DispositionRequest,
    DispositionResult,
    FindContactRequest,
    FindContactResult,
    GetCallLogRequest,
    GetCallLogResult,
    ListCallLogsRequest,
    PlatformUserInfo,
    ReturnMessage,
    UpdateCallLogRequest,
    UpdateCallLogResult,
    User,
    UserEditRequest,
    UserInfoRequest,
    UserInfoResult,
    UserListRequest,
)
from appconnect.connectors.errors import CRMError
from appconnect.connectors.proxy import inputs as computed
from appconnect.connectors.proxy.engine import prepare, send
from appconnect.connectors.proxy.models import ItemMapping, ProxyConfig, ResponseMapping
from appconnect.connectors.proxy.templating import UNDEFINED, get_by_path, js_string

__all__ = ["ProxyConnector", "build_proxy_connector", "context_user_id"]

#: Optional interface attribute -> the operation that implements it.
OPTIONAL_OPERATIONS = {
    "get_user_info": "getUserInfo",
    "find_contact": "findContact",
    "create_contact": "createContact",
    "get_call_log": "getCallLog",
    "upsert_call_disposition": "upsertCallDisposition",
    "get_user_list": "getUserList",
    "list_call_logs": "listCallLogs",
    "delete_call_log": "deleteCallLog",
}


def _message(text: str, ttl: int, kind: str = "success") -> ReturnMessage:
    return ReturnMessage(message=text, messageType=kind, ttl=ttl)


def _given(value: Any) -> Any:
    """The harness's requests use None for "not given": App Connect's undefined."""
    return UNDEFINED if value is None else computed.plain(value)


def _opt(value: Any) -> Any:
    return None if value is UNDEFINED else value


def _text(value: Any) -> str | None:
    if value is None or value is UNDEFINED:
        return None
    return value if isinstance(value, str) else js_string(value)


def context_user_id(user: User) -> str:
    """`user.id` in templates: the users.id without the `-<platform>` suffix getUserInfo added.

    App Connect takes the text before the first `-`, which breaks CRM ids that contain one
    (`fx-user-1` would become `fx`); the harness strips the suffix it knows was added.
    """
    suffix = f"-{user.platform}"
    return user.id[: -len(suffix)] if user.id.endswith(suffix) else user.id


class ProxyConnector(Connector):
    """Build with `build_proxy_connector` (it sets `platform` from `meta.name`)."""

    platform = "proxy"

    def __init__(self, config: ProxyConfig, client: httpx.Client, *, source: str = "") -> None:
        self.config = config
        self.source = source
        self._client = client
        operations = config.operations
        self.get_user_info = self._get_user_info if "getUserInfo" in operations else None
        self.find_contact = self._find_contact if "findContact" in operations else None
        self.create_contact = self._create_contact if "createContact" in operations else None
        self.get_call_log = self._get_call_log if "getCallLog" in operations else None
        self.upsert_call_disposition = (
            self._upsert_call_disposition if "upsertCallDisposition" in operations else None
        )
        self.get_user_list = self._get_user_list if "getUserList" in operations else None
        self.list_call_logs = self._list_call_logs if "listCallLogs" in operations else None
        self.delete_call_log = self._delete_call_log if "deleteCallLog" in operations else None
        self.edit_call_log_as_user = (
            self._edit_call_log_as_user if "editCallLogAsUser" in operations else None
        )

    def close(self) -> None:
        self._client.close()

    # --- fixed behaviours ----------------------------------------------------------------

    def get_auth_type(self) -> AuthType:
        return self.config.auth.type or "apiKey"

    def get_basic_auth(self, api_key: str) -> str:
        return base64.b64encode(f"{api_key}:".encode()).decode("ascii")

    def get_log_format_type(self) -> str:
        return self.config.meta.logFormat or "custom"

    # --- the request --------------------------------------------------------------------

    def _call(
        self,
        name: str,
        op_inputs: Mapping[str, Any],
        *,
        user: User | None,
        auth_header: str,
        api_key: str = "",
    ) -> Any:
        op = self.config.operations[name]
        access_token = user.accessToken if user is not None and user.accessToken else api_key
        context: dict[str, Any] = {k: v for k, v in op_inputs.items() if v is not UNDEFINED}
        context["user"] = self._user_context(user, access_token)
        context["authHeader"] = auth_header
        context["apiKey"] = access_token
        if self.config.secretKey is not None:
            context["secretKey"] = self.config.secretKey
        request = prepare(self.config, name, op, context, auth_header)
        secrets = tuple(s for s in (access_token, self.config.secretKey) if s)
        return send(
            self._client,
            request,
            timeout=self.config.requestDefaults.timeoutSeconds,
            secrets=secrets,
        )

    @staticmethod
    def _user_context(user: User | None, access_token: str) -> dict[str, Any]:
        if user is None or not user.id:
            return {"accessToken": access_token}
        return {
            "accessToken": access_token,
            "id": context_user_id(user),
            "hostname": user.hostname,
            "timezoneName": user.timezoneName,
            "timezoneOffset": user.timezoneOffset,
            "platform": user.platform,
            "platformAdditionalInfo": computed.plain(user.platformAdditionalInfo),
            "refreshToken": user.refreshToken,
            "tokenExpiry": user.tokenExpiry,
        }

    def _mapping(self, name: str) -> ResponseMapping | None:
        return self.config.operations[name].responseMapping

    # --- auth ----------------------------------------------------------------------------

    def _get_user_info(self, request: UserInfoRequest) -> UserInfoResult:
        additional = computed.plain(request.additional_info) if request.additional_info else None
        body = self._call(
            "getUserInfo",
            {
                "additionalInfo": _given(additional),
                "apiKey": request.api_key,
                "hostname": request.hostname,
                "platform": request.platform,
            },
            user=None,
            auth_header=request.auth_header,
            api_key=request.api_key,
        )
        mapping = self._mapping("getUserInfo") or ResponseMapping()
        ctx = {
            "body": body,
            "additionalInfo": _given(additional),
            "apiKey": request.api_key,
            "hostname": request.hostname,
            "platform": request.platform,
        }
        raw_id = get_by_path(ctx, mapping.idPath) if mapping.idPath else UNDEFINED
        name = get_by_path(ctx, mapping.namePath) if mapping.namePath else raw_id
        info: dict[str, Any] = {
            "id": f"{js_string(raw_id)}-{request.platform}",
            "name": _text(name) or "",
        }
        if mapping.timezoneNamePath and (zone := get_by_path(ctx, mapping.timezoneNamePath)):
            info["timezoneName"] = _text(zone)
        if mapping.overridingApiKeyPath:
            overriding = get_by_path(ctx, mapping.overridingApiKeyPath)
            if overriding:
                info["overridingApiKey"] = overriding
        extra = {k: v for k, v in (additional or {}).items() if k != "password"}
        for key, path in (mapping.platformAdditionalInfoPaths or {}).items():
            extra[key] = _opt(get_by_path(ctx, path))
        if extra:
            info["platformAdditionalInfo"] = extra
        message = get_by_path(ctx, mapping.messagePath) if mapping.messagePath else None
        return UserInfoResult(
            successful=True,
            platformUserInfo=PlatformUserInfo.model_validate(info),
            returnMessage=_message(_text(message) or f"Connected to {request.platform}.", 1000),
        )

    # --- contacts ------------------------------------------------------------------------

    def _find_contact(self, request: FindContactRequest) -> FindContactResult:
        body = self._call(
            "findContact",
            {
                "phoneNumber": request.phone_number,
                "parsedPhoneNumber": computed.parsed_phone_number(request.phone_number),
                "overridingFormat": request.overriding_format,
                "isExtension": request.is_extension,
                # harness extension: lets one file query by extension or by phone
                "extensionNumber": request.phone_number if request.is_extension else UNDEFINED,
            },
            user=request.user,
            auth_header=request.auth_header,
        )
        mapping = self._mapping("findContact")
        matches = [] if mapping is None else self._contacts("findContact", mapping, body)
        return FindContactResult(
            successful=True,
            matchedContactInfo=matches,
            returnMessage=_message(f"Found {len(matches)} contacts", 3000),
        )

    @staticmethod
    def _contacts(name: str, mapping: ResponseMapping, body: Any) -> list[ContactInfo]:
        items = _listed(name, mapping, body, default_path="body")
        item = mapping.item or ItemMapping()

        def pick(entry: Any, path: str | None, default: str) -> Any:
            return get_by_path(entry, path or default)

        contacts = []
        for entry in items:
            contacts.append(
                ContactInfo.model_validate(
                    {
                        "id": js_string(pick(entry, item.idPath, "id")),
                        "name": _text(pick(entry, item.namePath, "name")) or "",
                        "phone": _text(pick(entry, item.phonePath, "phone")) or None,
                        "type": _text(pick(entry, item.typePath, "type")) or "Contact",
                        "title": _text(pick(entry, item.titlePath, "title")) or "",
                        "company": _text(pick(entry, item.companyPath, "company")) or "",
                        "createdDate": _text(pick(entry, item.createdDatePath, "createdDate"))
                        or None,
                        "mostRecentActivityDate": _text(
                            pick(entry, item.mostRecentActivityDatePath, "mostRecentActivityDate")
                        )
                        or None,
                        "additionalInfo": _opt(
                            pick(entry, item.additionalInfoPath, "additionalInfo")
                        )
                        or None,
                    }
                )
            )
        return contacts

    def _create_contact(self, request: CreateContactRequest) -> CreateContactResult:
        body = self._call(
            "createContact",
            {
                "phoneNumber": request.phone_number,
                "newContactName": request.new_contact_name,
                "newContactType": request.new_contact_type,
                "additionalSubmission": _given(request.additional_submission),
            },
            user=request.user,
            auth_header=request.auth_header,
        )
        mapping = self._mapping("createContact") or ResponseMapping()
        contact = None
        if mapping.idPath:
            ctx = {"body": body}
            contact = ContactInfo(
                id=js_string(get_by_path(ctx, mapping.idPath)),
                name=_text(get_by_path(ctx, mapping.namePath or "body.name")) or "",
                type=_text(get_by_path(ctx, mapping.typePath or "body.type")) or "Contact",
            )
        return CreateContactResult(
            contactInfo=contact, returnMessage=_message("Contact created", 2000)
        )

    # --- call logs -----------------------------------------------------------------------

    def create_call_log(self, request: CreateCallLogRequest) -> CreateCallLogResult:
        if "createCallLog" not in self.config.operations:
            return CreateCallLogResult(returnMessage=_message("Not supported", 2000, "warning"))
        call = computed.plain(request.call_log)
        contact = computed.plain(request.contact_info)
        start = call.get("startTime", UNDEFINED)
        body = self._call(
            "createCallLog",
            {
                "contactInfo": contact,
                "callLog": call,
                "note": _given(request.note),
                "additionalSubmission": _given(request.additional_submission),
                "aiNote": _given(request.ai_note),
                "transcript": _given(request.transcript),
                "voicemailLink": _given(request.voicemail_link),
                "composedLogDetails": request.composed_log_details,
                "hashedAccountId": request.hashed_account_id,
                "isFromSSCL": request.is_from_sscl,
                "subject": computed.default_subject(call, request.contact_info.name),
                "startTime": computed.iso_utc(start),
                "endTime": computed.end_time(start, call.get("duration")),
                **{key: "" for key in _RINGSENSE},
                "durationSeconds": computed.duration_seconds(call.get("duration")),
            },
            user=request.user,
            auth_header=request.auth_header,
        )
        mapping = self._mapping("createCallLog")
        log_id = None
        if mapping is not None:
            found = get_by_path({"body": body}, mapping.idPath or "body.id")
            log_id = js_string(found) if found not in (None, UNDEFINED, "", 0, False) else None
        return CreateCallLogResult(logId=log_id, returnMessage=_message("Call logged", 2000))

    def _get_call_log(self, request: GetCallLogRequest) -> GetCallLogResult:
        body = self._call(
            "getCallLog",
            {"thirdPartyLogId": request.call_log_id, "contactId": request.contact_id},
            user=request.user,
            auth_header=request.auth_header,
        )
        mapping = self._mapping("getCallLog") or ResponseMapping()
        ctx = {"body": body}
        full_path = mapping.fullLogResponsePath  # harness extension; App Connect: the body
        full = get_by_path(ctx, full_path) if full_path else body
        return GetCallLogResult(
            callLogInfo=CallLogInfo(
                subject=_text(get_by_path(ctx, mapping.subjectPath or "body.subject")),
                # App Connect's client reads a missing note as empty; the contract wants text
                note=_text(get_by_path(ctx, mapping.notePath or "body.note")) or "",
                fullBody=_text(get_by_path(ctx, mapping.fullBodyPath or "body.note")),
                fullLogResponse=_opt(full),
            ),
            returnMessage=_message("Call log fetched.", 3000),
        )

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        if "updateCallLog" not in self.config.operations:
            return UpdateCallLogResult(returnMessage=_message("Not supported", 2000, "warning"))
        row = request.existing_call_log
        # As App Connect: `moment(startTime)` with no startTime is *now*, so an update that
        # carries none (an edit, a recording) renders the current time for startTime/endTime.
        # A file that maps them overwrites the CRM's call date on every such update: that is
        # the production behaviour, and the harness must show it, not hide it.
        start: Any = request.start_time
        if start is None:
            start = datetime.now(UTC)
        self._call(
            "updateCallLog",
            {
                "thirdPartyLogId": row.thirdPartyLogId,
                "existingCallLog": computed.plain(row),
                "recordingLink": _given(request.recording_link),
                "voicemailLink": _given(request.voicemail_link),
                "subject": _given(request.subject),
                "note": _given(request.note),
                "startTime": computed.iso_utc(start),
                "endTime": computed.end_time(start, request.duration),
                "duration": _given(request.duration),
                "result": _given(request.result),
                "aiNote": _given(request.ai_note),
                "transcript": _given(request.transcript),
                "additionalSubmission": _given(request.additional_submission),
                "composedLogDetails": request.composed_log_details,
                "existingCallLogDetails": _given(request.existing_call_log_details),
                "hashedAccountId": request.hashed_account_id,
                "isFromSSCL": request.is_from_sscl,
                **{key: "" for key in _RINGSENSE},
                "durationSeconds": computed.duration_seconds(request.duration),
            },
            user=request.user,
            auth_header=request.auth_header,
        )
        return UpdateCallLogResult(
            updatedNote=None, returnMessage=_message("Call log updated.", 3000)
        )

    def _upsert_call_disposition(self, request: DispositionRequest) -> DispositionResult:
        row = request.existing_call_log
        self._call(
            "upsertCallDisposition",
            {
                "existingCallLog": computed.plain(row),
                "dispositions": computed.plain(request.dispositions),
                "thirdPartyLogId": row.thirdPartyLogId,
            },
            user=request.user,
            auth_header=request.auth_header,
        )
        return DispositionResult(
            logId=row.thirdPartyLogId, returnMessage=_message("Disposition updated", 2000)
        )

    def _get_user_list(self, request: UserListRequest) -> list[CRMUser]:
        body = self._call(
            "getUserList",
            {"user": {}},
            user=request.user,
            auth_header=request.auth_header,
        )
        mapping = self._mapping("getUserList") or ResponseMapping()
        if not mapping.listPath:
            return []
        users = []
        for entry in _listed("getUserList", mapping, body, default_path=mapping.listPath):
            users.append(
                CRMUser(
                    id=js_string(get_by_path(entry, mapping.idPath or "id")),
                    name=_text(get_by_path(entry, mapping.namePath or "name")) or "",
                    email=_text(get_by_path(entry, mapping.emailPath or "email")),
                )
            )
        return users

    # --- harness extensions --------------------------------------------------------------

    def _list_call_logs(self, request: ListCallLogsRequest) -> list[CRMCallLog]:
        body = self._call(
            "listCallLogs",
            {"sessionId": _given(request.session_id)},
            user=request.user,
            auth_header=request.auth_header,
        )
        mapping = self._mapping("listCallLogs") or ResponseMapping()
        item = mapping.item or ItemMapping()
        logs = []
        for entry in _listed("listCallLogs", mapping, body, default_path="body"):
            logs.append(
                CRMCallLog(
                    id=js_string(get_by_path(entry, item.idPath or "id")),
                    sessionId=_text(get_by_path(entry, item.sessionIdPath or "sessionId")),
                    contactId=_text(get_by_path(entry, item.contactIdPath or "contactId")),
                    ownerId=_text(get_by_path(entry, item.ownerIdPath or "ownerId")),
                    subject=_text(get_by_path(entry, item.subjectPath or "subject")),
                    body=_text(get_by_path(entry, item.bodyPath or "body")),
                )
            )
        return logs

    def _delete_call_log(self, request: DeleteCallLogRequest) -> None:
        self._call(
            "deleteCallLog",
            {"thirdPartyLogId": request.call_log_id},
            user=request.user,
            auth_header=request.auth_header,
        )

    def _edit_call_log_as_user(self, request: UserEditRequest) -> None:
        """`editCallLogAsUser`: the file sends the edit with the credentials of a CRM user
        (its own `auth`, e.g. a user's API key). `body` is the whole new body: with `append`
        alone, the engine reads the record with getCallLog first and appends to its body."""
        body = request.body
        if request.append is not None and body is None:
            if self.get_call_log is None:
                raise CRMError("editCallLogAsUser with append needs a getCallLog operation")
            read = self._get_call_log(
                GetCallLogRequest(
                    user=request.user,
                    telephony_session_id="",
                    call_log_id=request.call_log_id,
                    contact_id="",
                    auth_header=request.auth_header,
                )
            )
            info = read.callLogInfo
            body = (info.fullBody or "") if info is not None else ""
        if request.append is not None:
            body = (body or "") + request.append
        self._call(
            "editCallLogAsUser",
            {
                "thirdPartyLogId": request.call_log_id,
                "subject": _given(request.subject),
                "body": _given(body),
                "append": _given(request.append),
            },
            user=request.user,
            auth_header=request.auth_header,
        )


_RINGSENSE = (
    "ringSenseTranscript",
    "ringSenseSummary",
    "ringSenseAIScore",
    "ringSenseBulletedSummary",
    "ringSenseLink",
)


def _listed(name: str, mapping: ResponseMapping, body: Any, *, default_path: str) -> list[Any]:
    found = get_by_path({"body": body}, mapping.listPath or default_path)
    if found is None or found is UNDEFINED:
        return []
    if not isinstance(found, list):
        path = mapping.listPath or default_path
        raise CRMError(f"{name}: listPath {path} is not a list in the response")
    return found


def build_proxy_connector(
    config: ProxyConfig, client: httpx.Client, *, source: str = ""
) -> ProxyConnector:
    """A ProxyConnector whose `platform` is the file's `meta.name`."""
    cls: type[ProxyConnector] = type(
        "ProxyConnector", (ProxyConnector,), {"platform": config.platform}
    )
    return cls(config, client, source=source)
