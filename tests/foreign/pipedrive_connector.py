"""A Pipedrive-style Python connector: OAuth (Bearer), `text/html` bodies, Pipedrive's v1 API.

Written against `appconnect.connectors.contract` as a connector developer would for Pipedrive:
persons found by phone (the number without its country code, as Pipedrive stores it), App
Connect's "create new contact" placeholder appended to every answer, activities whose `note`
is the composed HTML, and a targeted PUT on update. The breakages at the end are the bugs real
connectors ship; the suite checks that smoke names each one.
"""

from __future__ import annotations

import os
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
    CRMUser,
    DeleteCallLogRequest,
    FindContactRequest,
    FindContactResult,
    GetCallLogRequest,
    GetCallLogResult,
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
from appconnect.connectors.errors import CRMError

NEW_CONTACT = ContactInfo(id="createNewContact", name="Create new contact...", isNewContact=True)
_NOTES = re.compile(r"<b>Agent notes</b>(.*?)<b>Call details</b>", re.S)


def _duration(seconds: Any) -> str | None:
    """Pipedrive's `HH:MM`; None for server-side logging's `pending`."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return None
    minutes = int(seconds) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _due(start: Any) -> tuple[str, str]:
    if isinstance(start, int | float):
        moment = datetime.fromtimestamp(start / 1000, UTC)
    else:
        moment = datetime.fromisoformat(str(start).replace("Z", "+00:00")).astimezone(UTC)
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M")


class PipedriveConnector(Connector):
    platform = "pipedrive"

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def close(self) -> None:
        self._client.close()

    def get_auth_type(self) -> AuthType:
        return "oauth"

    def get_oauth_info(self) -> OAuthInfo:
        # Like App Connect's Pipedrive connector: the OAuth client comes from the environment.
        token_uri = os.environ.get("PIPEDRIVE_ACCESS_TOKEN_URI") or str(
            self._client.base_url.join("/oauth/token")
        )
        return OAuthInfo(
            clientId=os.environ.get("PIPEDRIVE_CLIENT_ID", ""),
            clientSecret=os.environ.get("PIPEDRIVE_CLIENT_SECRET", ""),
            accessTokenUri=token_uri,
            redirectUri="https://unified-crm-extension.example/pipedrive-redirect",
        )

    def get_log_format_type(self) -> str:
        return "text/html"

    def get_user_info(self, request: UserInfoRequest) -> UserInfoResult:
        me = self._send("GET", "/v1/users/me", request.auth_header)["data"]
        return UserInfoResult(
            successful=True,
            platformUserInfo=PlatformUserInfo(
                id=f"{me['id']}-pipedrive",
                name=me["name"],
                timezoneName=me.get("timezone_name"),
                timezoneOffset=me.get("timezone_offset"),
                platformAdditionalInfo={"companyId": me.get("company_id")},
            ),
            returnMessage=ReturnMessage(message="Connected to Pipedrive."),
        )

    def find_contact(self, request: FindContactRequest) -> FindContactResult:
        digits = re.sub(r"\D", "", request.phone_number)
        term = digits[1:] if request.phone_number.startswith("+1") else digits
        found: list[ContactInfo] = []
        start: int | None = 0
        while start is not None:  # follow Pipedrive's pagination to the end
            page = self._send("GET", "/v1/persons/search", request.auth_header, params={
                "term": term, "fields": "phone", "start": str(start), "limit": "50",
            })  # fmt: skip
            for entry in page["data"]["items"]:
                item = entry["item"]
                found.append(ContactInfo(
                    id=str(item["id"]), name=item["name"], type="Person",
                    phone=(item.get("phones") or [None])[0],
                ))  # fmt: skip
            pagination = (page.get("additional_data") or {}).get("pagination") or {}
            more = pagination.get("more_items_in_collection")
            start = pagination.get("next_start") if more else None
        # As App Connect's own Pipedrive connector: the placeholder is always offered.
        return FindContactResult(
            successful=True,
            matchedContactInfo=[*found, NEW_CONTACT],
            returnMessage=ReturnMessage(message=f"Found {len(found)} contacts"),
        )

    def create_contact(self, request: CreateContactRequest) -> CreateContactResult:
        person = self._send("POST", "/v1/persons", request.auth_header, json={
            "name": request.new_contact_name, "phone": request.phone_number,
        })["data"]  # fmt: skip
        return CreateContactResult(
            contactInfo=ContactInfo(id=str(person["id"]), name=person["name"], type="Person"),
            returnMessage=ReturnMessage(message="Contact created."),
        )

    def get_user_list(self, request: UserListRequest) -> list[CRMUser]:
        users = self._send("GET", "/v1/users", request.auth_header)["data"]
        return [CRMUser(id=str(u["id"]), name=u["name"], email=u.get("email")) for u in users]

    # --- call logs ------------------------------------------------------------------------

    def create_call_log(self, request: CreateCallLogRequest) -> CreateCallLogResult:
        call = request.call_log
        direction = call.get("direction", "Inbound")
        to_from = "to" if direction == "Outbound" else "from"
        due_date, due_time = _due(call.get("startTime"))
        body = {
            "subject": call.get("customSubject")
            or f"{direction} Call {to_from} {request.contact_info.name}",
            "type": "call",
            "note": request.composed_log_details,
            "due_date": due_date,
            "due_time": due_time,
            "duration": _duration(call.get("duration")),
            "person_id": int(request.contact_info.id),
            "user_id": int(request.user.id.split("-")[0]),
            "done": True,
        }
        created = self._send("POST", "/v1/activities", request.auth_header, json=body)
        return self._created(created)

    def _created(self, created: Mapping[str, Any]) -> CreateCallLogResult:
        return CreateCallLogResult(
            logId=str(created["data"]["id"]),
            returnMessage=ReturnMessage(message="Call logged", ttl=2000),
        )

    def get_call_log(self, request: GetCallLogRequest) -> GetCallLogResult:
        answer = self._send("GET", f"/v1/activities/{request.call_log_id}", request.auth_header)
        activity = answer["data"]
        note = _NOTES.search(activity.get("note") or "")
        people = (answer.get("related_objects") or {}).get("person") or {}
        return GetCallLogResult(
            callLogInfo=CallLogInfo(
                subject=activity["subject"],
                note=note.group(1).replace("<br>", "") if note else "",
                fullBody=activity.get("note") or "",
                fullLogResponse=activity,
                contactName=next(iter(people.values()), {}).get("name", "Unknown"),
            ),
            returnMessage=ReturnMessage(message="Call log fetched.", ttl=3000),
        )

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        log_id = request.existing_call_log.thirdPartyLogId
        self._send("PUT", f"/v1/activities/{log_id}", request.auth_header,
                   json=self._changes(request))  # fmt: skip
        return UpdateCallLogResult(
            updatedNote=request.note,
            returnMessage=ReturnMessage(message="Call log updated.", ttl=3000),
        )

    def _changes(self, request: UpdateCallLogRequest) -> dict[str, Any]:
        """Only what this update changes: a CRM user's other edits survive."""
        changes: dict[str, Any] = {"note": request.composed_log_details}
        if request.subject:
            changes["subject"] = request.subject
        if _duration(request.duration) is not None:
            changes["duration"] = _duration(request.duration)
        return changes

    def delete_call_log(self, request: DeleteCallLogRequest) -> None:
        self._send("DELETE", f"/v1/activities/{request.call_log_id}", request.auth_header)

    def edit_call_log_as_user(self, request: UserEditRequest) -> None:
        path = f"/v1/activities/{request.call_log_id}"
        changes: dict[str, Any] = {}
        if request.subject is not None:
            changes["subject"] = request.subject
        body = request.body
        if request.append is not None:
            if body is None:
                body = self._send("GET", path, request.auth_header)["data"].get("note") or ""
            # Pipedrive's editor keeps HTML: a user's new line is a paragraph.
            body += f"<p>{request.append.strip()}</p>"
        if body is not None:
            changes["note"] = body
        self._send("PUT", path, request.auth_header, json=changes)

    # --- transport -----------------------------------------------------------------------

    def _send(self, method: str, path: str, auth: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.request(method, path, headers={"Authorization": auth},
                                            **kwargs)  # fmt: skip
        except httpx.HTTPError as exc:
            raise CRMError.from_transport(exc, f"{method} {path}") from exc
        if response.is_error:
            try:
                detail = str(response.json().get("error") or "")
            except ValueError:
                detail = response.text[:100]
            raise CRMError.from_response(response, f"{method} {path}", detail)
        data: dict[str, Any] = response.json()
        if data.get("success") is not True:
            raise CRMError(f"{method} {path}: Pipedrive answered success: false", status=None)
        return data


# --- the breakages real connectors ship --------------------------------------------------


class WholeBodyUpdate(PipedriveConnector):
    """Update writes only the note it was given: every other section of the body is lost."""

    def _changes(self, request: UpdateCallLogRequest) -> dict[str, Any]:
        changes = super()._changes(request)
        changes["note"] = f"<b>Agent notes</b><br>{request.note or ''}"
        return changes


class WrongShapeGetCallLog(PipedriveConnector):
    """getCallLog returns Pipedrive's activity under its own key, not `callLogInfo`."""

    def get_call_log(self, request: GetCallLogRequest) -> GetCallLogResult:
        answer = self._send("GET", f"/v1/activities/{request.call_log_id}", request.auth_header)
        return GetCallLogResult.model_validate({"activity": answer["data"]})


class NoIdCreate(PipedriveConnector):
    """createCallLog reads the id from the wrong place (Pipedrive's v2 shape): no logId."""

    def _created(self, created: Mapping[str, Any]) -> CreateCallLogResult:
        return CreateCallLogResult(
            logId=created.get("id"), returnMessage=ReturnMessage(message="Call logged")
        )


class DateOverwrite(PipedriveConnector):
    """Update sends the due date and time of *now*: every edit moves the call's date."""

    def _changes(self, request: UpdateCallLogRequest) -> dict[str, Any]:
        changes = super()._changes(request)
        now = datetime.now(UTC).isoformat()
        changes["due_date"], changes["due_time"] = _due(request.start_time or now)
        return changes
