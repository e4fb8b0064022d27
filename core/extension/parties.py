"""Who the "other party" of a call is: the caller of an inbound call, the callee of an
outbound one. App Connect's extension, its core and the composer all read the contact's
number from that leg; this is the one place that rule is written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def other_party(log_info: Mapping[str, Any]) -> Mapping[str, Any]:
    """The logInfo leg (`from` or `to`) of the party that is not the RingCentral user."""
    inbound = log_info.get("direction") == "Inbound"
    party = log_info.get("from" if inbound else "to")
    return party if isinstance(party, Mapping) else {}


def other_party_number(log_info: Mapping[str, Any]) -> str:
    return str(other_party(log_info).get("phoneNumber") or "")


def contact_lookup(
    log_info: Mapping[str, Any], *, extension_number_logging: bool
) -> tuple[str, bool]:
    """The number the extension looks a contact up by, and whether it is an internal
    extension: only when the manifest enables extension-number logging and the other party
    has no phone number."""
    party = other_party(log_info)
    number = str(party.get("phoneNumber") or "")
    extension = str(party.get("extensionNumber") or "")
    if not number and extension and extension_number_logging:
        return extension, True
    return number, False
