"""What the embedded target asks of the connector for App Connect's extension and its
server-side logger: the contact match (findContact, createContact) and the CRM user a
server-side log belongs to (getUserList), each traced and retried through the pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from appconnect.connectors.contract import (
    ContactInfo,
    CreateContactRequest,
    FindContactRequest,
    User,
    UserListRequest,
)
from appconnect.core.extension.contact import Contact, match_contact
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.pipeline import Pipeline
from appconnect.core.flows.user_mapping import match_users


def match_contact_through(
    pipeline: Pipeline,
    body: dict[str, Any],
    create_name: str | None,
    *,
    extension_number_logging: bool,
) -> bool:
    """The extension's contact match (`GET /contact`, then `POST /contact`) into `body`."""
    user, connector = pipeline.user, pipeline.connector
    finder, creator = connector.find_contact, connector.create_contact
    if user is None or finder is None:
        return False
    header = auth_header(connector, user)

    def find(number: str, is_extension: bool) -> list[Contact]:
        request = FindContactRequest(
            user=user, auth_header=header, phone_number=number, is_extension=is_extension
        )
        found = pipeline.call_retrying("findContact", finder, request)
        return [_contact(info) for info in found.matchedContactInfo]

    def create(number: str, name: str) -> Contact | None:
        assert creator is not None
        request = CreateContactRequest(
            user=user, auth_header=header, phone_number=number, new_contact_name=name
        )
        reply = pipeline.call_retrying(
            "createContact",
            creator,
            request,
            # A create whose outcome is unknown is not repeated: no duplicate contact.
            safe_to_retry=lambda error: not error.outcome_unknown,
        )
        return None if reply.contactInfo is None else _contact(reply.contactInfo)

    return match_contact(
        body,
        find=find,
        create=create if creator is not None else None,
        create_name=create_name,
        extension_number_logging=extension_number_logging,
    )


def mapped_user(
    pipeline: Pipeline, rc_extension_id: str, rc_extensions: Sequence[Mapping[str, Any]]
) -> User | None:
    """The CRM user a server-side log for this extension belongs to (matched through
    getUserList), holding the admin-assigned token; None when it is the admin or unmatched."""
    admin, lister = pipeline.user, pipeline.connector.get_user_list
    if admin is None or lister is None:
        return None
    header = auth_header(pipeline.connector, admin)
    crm_users = pipeline.call_retrying("getUserList", lister, UserListRequest(admin, header))
    crm_id = match_users(rc_extensions, crm_users).get(rc_extension_id)
    if crm_id is None or crm_id == admin.id:
        return None
    store = pipeline.store
    mapped = store.get_user(crm_id)
    if mapped is None or mapped.accessToken != admin.accessToken:
        mapped = store.upsert_user(
            replace(admin, id=crm_id, userSettings=mapped.userSettings if mapped else {})
        )
    return mapped


def _contact(info: ContactInfo) -> Contact:
    return Contact(
        id=str(info.id),
        name=info.name or "",
        type=info.type or "",
        is_new_contact=bool(info.isNewContact),
    )
