"""The extension's contact match before it logs a call (`GET /contact`, then `POST /contact`).

Both targets do this the same way; only how they reach findContact/createContact differs
(the connector in-process, or the server's routes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from appconnect.core.extension.parties import contact_lookup

#: The id of App Connect's "create new contact" entry in a findContact answer: a prompt for
#: the user, not a contact. The extension never logs a call against it.
NEW_CONTACT_PLACEHOLDER_ID = "createNewContact"


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str = ""
    type: str = ""
    is_new_contact: bool = False

    @property
    def is_placeholder(self) -> bool:
        return self.is_new_contact or self.id == NEW_CONTACT_PLACEHOLDER_ID


#: (number, is it an extension) -> the CRM's matches, in its order.
FindContact = Callable[[str, bool], Sequence[Contact]]
#: (phone number, new contact's name) -> the contact created, or None.
CreateContact = Callable[[str, str], Contact | None]


def match_contact(
    body: dict[str, Any],
    *,
    find: FindContact,
    create: CreateContact | None,
    create_name: str | None,
    extension_number_logging: bool,
) -> bool:
    """Put the matched (or, with `create_name`, created) contact into `body` as the extension
    does; whether a contact was created. Placeholders are not matches."""
    number, is_extension = contact_lookup(
        body["logInfo"], extension_number_logging=extension_number_logging
    )
    if not number:
        return False
    matches = [contact for contact in find(number, is_extension) if not contact.is_placeholder]
    contact = matches[0] if matches else None
    created = False
    if contact is None and create_name and create is not None and not is_extension:
        contact = create(number, create_name)
        created = contact is not None
    if contact is not None:
        body.update(contactId=contact.id, contactName=contact.name, contactType=contact.type)
    return created
