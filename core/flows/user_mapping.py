"""Server-side logging user mapping (ref §3.6): RingCentral extensions -> CRM users.

App Connect's admin route calls getUserList and auto-matches each extension on equal email,
equal name, or `"first last"` equal to the CRM user's name. The mapping decides whose CRM
activity a server-side log becomes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from appconnect.connectors.contract import CRMUser


def _norm(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


def match_users(
    rc_extensions: Iterable[Mapping[str, Any]], crm_users: Sequence[CRMUser]
) -> dict[str, str]:
    """`{rcExtensionId: crmUserId}` for every extension that matches a CRM user."""
    mapping: dict[str, str] = {}
    for extension in rc_extensions:
        email = _norm(extension.get("email"))
        names = {
            _norm(extension.get("name")),
            _norm(f"{extension.get('firstName') or ''} {extension.get('lastName') or ''}"),
        } - {""}
        for user in crm_users:
            if (email and email == _norm(user.email)) or _norm(user.name) in names:
                mapping[str(extension["id"])] = user.id
                break
    return mapping
