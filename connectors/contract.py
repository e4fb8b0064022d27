"""The connector contract: App Connect's interfaces as a typed Python class.

A connector subclasses `Connector`. `create_call_log` and `update_call_log` are required (App
Connect refuses to register a connector without them); every other interface is optional and is
"implemented" when the subclass defines it — the Python counterpart of App Connect's
`!!connector[key]`. Method names are snake_case; `INTERFACE_NAMES` maps each to its App Connect
name, which is what `check-interfaces` reports.

Returns are pydantic models (the boundary where a connector's output is validated); the
requests core sends are plain dataclasses whose fields mirror App Connect's argument objects.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

AuthType = Literal["apiKey", "oauth"]

# App Connect interface name -> Python method name, in `/implementedInterfaces` order
# (ref §2; getOauthInfo / getBasicAuth are filtered by auth type there).
INTERFACE_NAMES: dict[str, str] = {
    "getAuthType": "get_auth_type",
    "getOauthInfo": "get_oauth_info",
    "getBasicAuth": "get_basic_auth",
    "getUserInfo": "get_user_info",
    "createCallLog": "create_call_log",
    "updateCallLog": "update_call_log",
    "getCallLog": "get_call_log",
    "createMessageLog": "create_message_log",
    "updateMessageLog": "update_message_log",
    "createContact": "create_contact",
    "findContact": "find_contact",
    "listAppointments": "list_appointments",
    "createAppointment": "create_appointment",
    "updateAppointment": "update_appointment",
    "refreshAppointment": "refresh_appointment",
    "confirmAppointment": "confirm_appointment",
    "cancelAppointment": "cancel_appointment",
    "unAuthorize": "un_authorize",
    "upsertCallDisposition": "upsert_call_disposition",
    "findContactWithName": "find_contact_with_name",
    "getUserList": "get_user_list",
    "getManagedAuthOptions": "get_managed_auth_options",
    "getLicenseStatus": "get_license_status",
    "getLogFormatType": "get_log_format_type",
    "refreshUserInfo": "refresh_user_info",
}


# --- what connectors return (validated at the boundary) -------------------------------------


class _Model(BaseModel):
    # Connectors may return more than the contract names; keep it, App Connect does.
    model_config = ConfigDict(extra="allow")


class ReturnMessage(_Model):
    message: str
    messageType: str = "success"
    ttl: int = 2000
    details: list[dict[str, Any]] | None = None


class OAuthInfo(_Model):
    """`getOauthInfo`: what core needs to refresh tokens (App Connect's client-oauth2 fields)."""

    clientId: str
    clientSecret: str
    accessTokenUri: str
    redirectUri: str = ""
    scopes: str | list[str] | None = None
    failMessage: str | None = None
    #: Not App Connect's: where the harness can run the authorization-code step itself.
    authorizationUri: str | None = None


class PlatformUserInfo(_Model):
    id: str
    name: str
    timezoneName: str | None = None
    timezoneOffset: str | int | None = None
    platformAdditionalInfo: dict[str, Any] | None = None


class UserInfoResult(_Model):
    successful: bool
    platformUserInfo: PlatformUserInfo | None = None
    returnMessage: ReturnMessage | None = None


class ContactInfo(_Model):
    id: str
    name: str = ""
    phone: str | None = None
    type: str | None = None
    createdDate: str | None = None
    additionalInfo: dict[str, Any] | None = None
    isNewContact: bool | None = None


class FindContactResult(_Model):
    successful: bool
    matchedContactInfo: list[ContactInfo] = []
    returnMessage: ReturnMessage | None = None


class CreateContactResult(_Model):
    contactInfo: ContactInfo | None = None
    returnMessage: ReturnMessage | None = None


class CreateCallLogResult(_Model):
    logId: str | None = None
    returnMessage: ReturnMessage | None = None
    extraDataTracking: dict[str, Any] | None = None


class UpdateCallLogResult(_Model):
    updatedNote: str | None = None
    returnMessage: ReturnMessage | None = None


class CallLogInfo(_Model):
    subject: str | None = None
    note: str | None = None
    fullBody: str | None = None
    fullLogResponse: Any = None
    contactName: str | None = None
    dispositions: Any = None


class GetCallLogResult(_Model):
    callLogInfo: CallLogInfo | None = None
    returnMessage: ReturnMessage | None = None


class DispositionResult(_Model):
    logId: str | None = None
    returnMessage: ReturnMessage | None = None


class CRMUser(_Model):
    id: str
    name: str = ""
    email: str | None = None


class CRMCallLog(_Model):
    """One call log as the CRM lists it (harness extension `listCallLogs`, not App Connect's)."""

    id: str
    sessionId: str | None = None
    contactId: str | None = None
    ownerId: str | None = None
    subject: str | None = None
    body: str | None = None


# --- what core passes (App Connect's tables and argument objects) ---------------------------


@dataclass(frozen=True, slots=True)
class User:
    """A `users` row (ref §4). Column names are App Connect's."""

    id: str
    platform: str
    accessToken: str = ""
    refreshToken: str | None = None
    tokenExpiry: str | None = None
    rcAccountId: str | None = None
    hostname: str | None = None
    timezoneName: str | None = None
    timezoneOffset: str | None = None
    platformAdditionalInfo: Mapping[str, Any] = field(default_factory=dict)
    hashedRcExtensionId: str | None = None
    userSettings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallLogRecord:
    """A `callLogs` row (ref §4): links a call session to the CRM log id."""

    id: str
    sessionId: str
    extensionNumber: str
    hashedExtensionId: str
    platform: str
    thirdPartyLogId: str
    userId: str
    contactId: str
    createdAt: str = ""
    updatedAt: str = ""


@dataclass(frozen=True, slots=True)
class ContactRef:
    """`contactInfo` as core builds it for createCallLog (ref §3.2 step 7)."""

    id: str
    phoneNumber: str
    type: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class UserInfoRequest:
    auth_header: str
    api_key: str
    platform: str
    hostname: str = ""
    additional_info: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class FindContactRequest:
    user: User
    auth_header: str
    phone_number: str
    overriding_format: str = ""
    is_extension: bool = False
    is_force_refresh_account_data: bool = False


@dataclass(frozen=True, slots=True)
class CreateContactRequest:
    user: User
    auth_header: str
    phone_number: str
    new_contact_name: str
    new_contact_type: str = ""
    additional_submission: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CreateCallLogRequest:
    user: User
    contact_info: ContactRef
    auth_header: str
    call_log: Mapping[str, Any]
    note: str | None = None
    additional_submission: Mapping[str, Any] | None = None
    ai_note: str | None = None
    transcript: str | None = None
    voicemail_link: str | None = None
    composed_log_details: str = ""
    hashed_account_id: str = ""
    is_from_sscl: bool = False


@dataclass(frozen=True, slots=True)
class GetCallLogRequest:
    user: User
    telephony_session_id: str
    call_log_id: str
    contact_id: str
    auth_header: str


@dataclass(frozen=True, slots=True)
class UpdateCallLogRequest:
    user: User
    existing_call_log: CallLogRecord
    auth_header: str
    subject: str | None = None
    note: str | None = None
    recording_link: str | None = None
    voicemail_link: str | None = None
    start_time: str | int | None = None
    duration: Any = None
    result: str | None = None
    ai_note: str | None = None
    transcript: str | None = None
    additional_submission: Mapping[str, Any] | None = None
    composed_log_details: str = ""
    existing_call_log_details: Any = None
    hashed_account_id: str = ""
    is_from_sscl: bool = False


@dataclass(frozen=True, slots=True)
class DispositionRequest:
    user: User
    existing_call_log: CallLogRecord
    auth_header: str
    dispositions: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class UserListRequest:
    user: User
    auth_header: str


@dataclass(frozen=True, slots=True)
class ListCallLogsRequest:
    user: User
    auth_header: str
    session_id: str | None = None
    #: One page: at most `limit` logs, those after the log `after` in the CRM's own stable
    #: order (keyset paging). A connector may ignore both and return every log.
    after: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class DeleteCallLogRequest:
    user: User
    auth_header: str
    call_log_id: str


@dataclass(frozen=True, slots=True)
class UserEditRequest:
    """Harness extension: edit a CRM call log as a CRM user would, outside App Connect.

    Each field given is applied; `append` adds text to the end of the body as it reads in the
    CRM (a user typing a line under the logged details). The edit must be recorded as the
    CRM records a user's edit (the CRM's own UI or the user's token), not as the integration.
    """

    user: User
    auth_header: str
    call_log_id: str
    subject: str | None = None
    body: str | None = None
    append: str | None = None


# --- the connector -------------------------------------------------------------------------


class Connector(ABC):
    """Base of every connector; optional interfaces stay `None` until a subclass defines them."""

    #: The platform name (the key App Connect's routes and `callLogs.platform` use).
    platform: ClassVar[str]

    get_basic_auth: Callable[[str], str] | None = None
    get_oauth_info: Callable[[], OAuthInfo] | None = None
    get_user_info: Callable[[UserInfoRequest], UserInfoResult] | None = None
    find_contact: Callable[[FindContactRequest], FindContactResult] | None = None
    create_contact: Callable[[CreateContactRequest], CreateContactResult] | None = None
    get_call_log: Callable[[GetCallLogRequest], GetCallLogResult] | None = None
    get_log_format_type: Callable[[], str] | None = None
    upsert_call_disposition: Callable[[DispositionRequest], DispositionResult] | None = None
    get_user_list: Callable[[UserListRequest], list[CRMUser]] | None = None
    #: Harness extension (no App Connect counterpart): list the CRM's call logs, so
    #: reconciliation can find activities that no callLogs row points to.
    list_call_logs: Callable[[ListCallLogsRequest], list[CRMCallLog]] | None = None
    #: Harness extension: delete a CRM call log, so `smoke` can clean up after itself.
    delete_call_log: Callable[[DeleteCallLogRequest], None] | None = None
    #: Harness extension: "edit this record as a CRM user would", so `crm-edit` scenario steps
    #: and smoke's `user-edit` check can test, on your own CRM, that a CRM user's edit
    #: survives App Connect's later updates. Without it those are skipped with that reason.
    edit_call_log_as_user: Callable[[UserEditRequest], None] | None = None

    @abstractmethod
    def get_auth_type(self) -> AuthType: ...

    @abstractmethod
    def create_call_log(self, request: CreateCallLogRequest) -> CreateCallLogResult: ...

    @abstractmethod
    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult: ...

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release what the connector holds (its HTTP client)."""


def implemented_interfaces(
    connector: Connector, *, cache_call_note: bool = False
) -> dict[str, bool]:
    """The `/implementedInterfaces` map, computed as App Connect computes it (ref §2).

    `cache_call_note` stands in for App Connect's `!!process.env.USE_CACHE`.
    """
    auth_type = connector.get_auth_type()
    result: dict[str, bool] = {}
    for name, attr in INTERFACE_NAMES.items():
        if name == "getOauthInfo" and auth_type != "oauth":
            continue
        if name == "getBasicAuth" and auth_type != "apiKey":
            continue
        result[name] = callable(getattr(connector, attr, None))
    result["cacheCallNote"] = cache_call_note
    return result
