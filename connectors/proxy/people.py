"""The proxy connector's operations on people: the CRM user (getUserInfo, getUserList) and
contacts (findContact, createContact)."""

from __future__ import annotations

from typing import Any

from appconnect.connectors.contract import (
    ContactInfo,
    CreateContactRequest,
    CreateContactResult,
    CRMUser,
    FindContactRequest,
    FindContactResult,
    PlatformUserInfo,
    UserInfoRequest,
    UserInfoResult,
    UserListRequest,
)
from appconnect.connectors.proxy import inputs as computed
from appconnect.connectors.proxy.base import (
    ProxyBase,
    _given,
    _listed,
    _message,
    _opt,
    _text,
)
from appconnect.connectors.proxy.models import ItemMapping, ResponseMapping
from appconnect.connectors.proxy.templating import UNDEFINED, get_by_path, js_string


class ProxyPeople(ProxyBase):
    """getUserInfo, findContact, createContact and getUserList from the file's operations."""

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
