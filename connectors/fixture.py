"""The built-in `fixture` connector: App Connect's interfaces over the fixture CRM's JSON API.

It is written the way a connector developer would write one for a real CRM: API-key auth in
App Connect's Basic form, a targeted update that only touches the fields it owns, and every
HTTP failure turned into `CRMError` at this boundary.
"""

from __future__ import annotations

import base64
import re
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
    OAuthInfo,
    PlatformUserInfo,
    ReturnMessage,
    UpdateCallLogRequest,
    UpdateCallLogResult,
    UserEditRequest,
    UserInfoRequest,
    UserInfoResult,
    UserListRequest,
)
from appconnect.connectors.errors import CRMError, error_message

#: The fixture CRM records a PATCH carrying this header as a CRM user's edit, not the API's.
USER_ACTOR_HEADER = "X-Fixture-Actor"
_NOTE_LINE = re.compile(r"^- (?:Note|Agent notes): (.*)$", re.MULTILINE)


def _success(message: str) -> ReturnMessage:
    return ReturnMessage(message=message, messageType="success", ttl=2000)


class FixtureConnector(Connector):
    platform = "fixture"

    def __init__(
        self,
        client: httpx.Client,
        *,
        log_format: str = "text/plain",
        auth_type: AuthType = "apiKey",
        oauth_client: tuple[str, str] | None = None,
    ) -> None:
        self._client = client
        self._log_format = log_format
        self._auth_type: AuthType = auth_type
        self._oauth_client = oauth_client

    def close(self) -> None:
        self._client.close()

    # --- auth -------------------------------------------------------------------------

    def get_auth_type(self) -> AuthType:
        return self._auth_type

    def get_oauth_info(self) -> OAuthInfo:
        client_id, secret = self._oauth_client or ("", "")
        base = str(self._client.base_url).rstrip("/")
        return OAuthInfo(
            clientId=client_id,
            clientSecret=secret,
            accessTokenUri=f"{base}/oauth/token",
            redirectUri="https://appconnect.harness.invalid/oauth-callback",
            authorizationUri=f"{base}/oauth/authorize",
        )

    def get_basic_auth(self, api_key: str) -> str:
        return base64.b64encode(f"{api_key}:".encode()).decode("ascii")

    def get_user_info(self, request: UserInfoRequest) -> UserInfoResult:
        me = self._request("GET", "/v1/me", request.auth_header)["user"]
        return UserInfoResult(
            successful=True,
            platformUserInfo=PlatformUserInfo(
                id=str(me["id"]),
                name=str(me["name"]),
                timezoneName=me.get("timezoneName"),
                timezoneOffset=me.get("timezoneOffset"),
                platformAdditionalInfo={"email": me.get("email")},
            ),
            returnMessage=_success("Connected to fixture CRM."),
        )

    # --- contacts ---------------------------------------------------------------------

    def find_contact(self, request: FindContactRequest) -> FindContactResult:
        key = "extension" if request.is_extension else "phone"
        body = self._request(
            "GET", "/v1/contacts", request.auth_header, params={key: request.phone_number}
        )
        matches = [_contact_info(item) for item in body["contacts"]]
        return FindContactResult(
            successful=True,
            matchedContactInfo=matches,
            returnMessage=_success(f"Found {len(matches)} contacts"),
        )

    def create_contact(self, request: CreateContactRequest) -> CreateContactResult:
        payload = {
            "name": request.new_contact_name,
            "phone": request.phone_number,
            "type": request.new_contact_type or "Contact",
        }
        body = self._request("POST", "/v1/contacts", request.auth_header, json=payload)
        return CreateContactResult(
            contactInfo=_contact_info(body["contact"], is_new=True),
            returnMessage=_success("Contact created."),
        )

    # --- call logs --------------------------------------------------------------------

    def get_log_format_type(self) -> str:
        return self._log_format

    def create_call_log(self, request: CreateCallLogRequest) -> CreateCallLogResult:
        call = request.call_log
        contact = request.contact_info
        recording = call.get("recording") or {}
        payload = {
            "contactId": contact.id,
            "sessionId": str(call.get("sessionId", "")),
            "subject": call.get("customSubject") or _default_subject(call, contact.name),
            # A custom log format means core composed nothing: the connector builds the body.
            "body": request.composed_log_details or _own_body(request.note),
            "direction": call.get("direction"),
            "startTime": _iso_time(call.get("startTime")),
            "duration": _seconds(call.get("duration")),
            "result": call.get("result"),
            "recordingLink": recording.get("link") if isinstance(recording, Mapping) else None,
        }
        if request.is_from_sscl:
            # Server-side logging may act for a mapped CRM user: the activity is theirs.
            payload["ownerId"] = request.user.id
        body = self._request("POST", "/v1/activities", request.auth_header, json=payload)
        return CreateCallLogResult(
            logId=str(body["activity"]["id"]), returnMessage=_success("Call logged")
        )

    def get_call_log(self, request: GetCallLogRequest) -> GetCallLogResult:
        activity = self._request(
            "GET", f"/v1/activities/{request.call_log_id}", request.auth_header
        )["activity"]
        full_body = str(activity.get("body") or "")
        note = _NOTE_LINE.search(full_body)
        return GetCallLogResult(
            callLogInfo=CallLogInfo(
                subject=activity.get("subject"),
                note=note.group(1) if note else "",
                fullBody=full_body,
                fullLogResponse=activity,
            ),
            returnMessage=_success("Call log fetched."),
        )

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        # Targeted update: send only what this arrival changes, so edits a CRM user made to
        # other fields survive.
        changes: dict[str, Any] = {}
        if request.composed_log_details:
            changes["body"] = request.composed_log_details
        elif request.note is not None:
            changes["body"] = _own_body(request.note)
        if request.subject is not None:
            changes["subject"] = request.subject
        if _seconds(request.duration) is not None:
            changes["duration"] = _seconds(request.duration)
        if request.result is not None:
            changes["result"] = request.result
        if request.recording_link is not None:
            changes["recordingLink"] = request.recording_link
        log_id = request.existing_call_log.thirdPartyLogId
        self._request("PATCH", f"/v1/activities/{log_id}", request.auth_header, json=changes)
        return UpdateCallLogResult(
            updatedNote=request.note, returnMessage=_success("Call log updated.")
        )

    def upsert_call_disposition(self, request: DispositionRequest) -> DispositionResult:
        # Dispositions live in their own field: the body and subject are left alone.
        log_id = request.existing_call_log.thirdPartyLogId
        self._request(
            "PATCH",
            f"/v1/activities/{log_id}",
            request.auth_header,
            json={"disposition": dict(request.dispositions)},
        )
        return DispositionResult(logId=log_id, returnMessage=_success("Disposition updated"))

    def get_user_list(self, request: UserListRequest) -> list[CRMUser]:
        users = self._request("GET", "/v1/users", request.auth_header)["users"]
        return [
            CRMUser(id=str(u["id"]), name=str(u.get("name") or ""), email=u.get("email"))
            for u in users
        ]

    def list_call_logs(self, request: ListCallLogsRequest) -> list[CRMCallLog]:
        params = {"sessionId": request.session_id} if request.session_id else {}
        if request.limit is not None:
            params["limit"] = str(request.limit)
        if request.after is not None:
            params["after"] = request.after
        items = self._request("GET", "/v1/activities", request.auth_header, params=params or None)
        return [
            CRMCallLog(
                id=str(a["id"]),
                sessionId=a.get("sessionId"),
                contactId=a.get("contactId"),
                ownerId=a.get("ownerId"),
                subject=a.get("subject"),
                body=a.get("body"),
            )
            for a in items["activities"]
        ]

    def delete_call_log(self, request: DeleteCallLogRequest) -> None:
        self._request(
            "DELETE",
            f"/v1/activities/{request.call_log_id}",
            request.auth_header,
            expect_body=False,
        )

    def edit_call_log_as_user(self, request: UserEditRequest) -> None:
        """A CRM user's edit: the fixture CRM records it as the user's (`X-Fixture-Actor`),
        as a real CRM records an edit made in its UI."""
        changes: dict[str, Any] = {}
        if request.subject is not None:
            changes["subject"] = request.subject
        body = request.body
        if request.append is not None:
            if body is None:
                activity = self._request(
                    "GET", f"/v1/activities/{request.call_log_id}", request.auth_header
                )["activity"]
                body = str(activity.get("body") or "")
            body += request.append
        if body is not None:
            changes["body"] = body
        self._request(
            "PATCH",
            f"/v1/activities/{request.call_log_id}",
            request.auth_header,
            json=changes,
            headers={USER_ACTOR_HEADER: "user"},
        )

    # --- transport --------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        auth_header: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        expect_body: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._client.request(
                method,
                path,
                params=params,
                json=json,
                headers={"Authorization": auth_header, **(headers or {})},
            )
        except httpx.HTTPError as exc:
            raise CRMError.from_transport(exc, f"{method} {path}") from exc
        if response.is_error:
            raise CRMError.from_response(response, f"{method} {path}", error_message(response))
        if not expect_body:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise CRMError(f"{method} {path}: response is not JSON", status=None) from exc
        if not isinstance(data, dict):
            raise CRMError(f"{method} {path}: response is not a JSON object", status=None)
        return data


def _contact_info(item: Mapping[str, Any], *, is_new: bool | None = None) -> ContactInfo:
    return ContactInfo(
        id=str(item["id"]),
        name=str(item.get("name") or ""),
        phone=item.get("phone"),
        type=item.get("type"),
        isNewContact=is_new,
    )


def _iso_time(value: Any) -> str | None:
    # App Connect sends ISO text from the extension and epoch milliseconds from SSCL.
    if isinstance(value, int | float) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value / 1000, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return None if value is None else str(value)


def _seconds(duration: Any) -> int | float | None:
    # Server-side logging sends "pending" until the call ends; the CRM field is numeric.
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        return duration
    return None


def _default_subject(call: Mapping[str, Any], contact_name: str) -> str:
    # The subject App Connect's proxy engine uses when the client sends no customSubject.
    direction = call.get("direction") or "Outbound"
    preposition = "from" if direction == "Inbound" else "to"
    return f"{direction} Call {preposition} {contact_name}".rstrip()


def _own_body(note: str | None) -> str:
    return f"- Note: {note}\n" if note else ""

