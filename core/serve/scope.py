"""What `appconnect serve` checks that App Connect's core does not: whose session it is, and
whether a body has what a route cannot work without.

Scoping: a callLogs row carries the `userId` of the user who logged it. A served route that
names a session acts only when the session has no row yet or its row (picked as App Connect
picks it) is the token's user's; another user's session is answered exactly like an unknown
one, so a token cannot even learn that the session was logged. App Connect scopes nothing
(any valid token reads and changes any user's logs by session id); `serve --unscoped` keeps
that for the differential tests against the real core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from appconnect.connectors.contract import ReturnMessage, User
from appconnect.core.errors import UnknownSession
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.lookup import LookupEntry, pick_row
from appconnect.core.store.db import Store


class BadRequest(ValueError):
    """A body the route cannot work with: answered 400 `{error}`, App Connect's shape for an
    error escaping a handler (where it would fail with a TypeError deeper in)."""


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def require_log_info(body: Mapping[str, Any]) -> None:
    log_info = body.get("logInfo")
    if not isinstance(log_info, dict):
        raise BadRequest("logInfo is required and must be an object")
    if log_info.get("sessionId") in (None, ""):
        raise BadRequest("logInfo.sessionId is required")


def require_session_id(body: Mapping[str, Any]) -> None:
    session_id = body.get("sessionId")
    if session_id in (None, "") or isinstance(session_id, dict | list | bool):
        raise BadRequest("sessionId is required")


def _owner(store: Store, session_id: str, identity: Identity) -> str | None:
    """The userId of the row App Connect would pick for the session (None: no row)."""
    row = pick_row(list(store.iter_call_logs(session_id)), identity)
    return row.userId if row is not None else None


def is_foreign(store: Store, body: Mapping[str, Any], identity: Identity, user: User) -> bool:
    owner = _owner(store, str(body.get("sessionId") or ""), identity)
    return owner is not None and owner != user.id


def require_own_session(
    store: Store, body: Mapping[str, Any], identity: Identity, user: User
) -> None:
    if is_foreign(store, body, identity, user):
        raise UnknownSession(f"no call log for session {body.get('sessionId')}", "callLogs")


def foreign_sessions(
    store: Store, session_ids: Sequence[str], identity: Identity, user: User
) -> set[str]:
    return {sid for sid in session_ids if _owner(store, sid, identity) not in (None, user.id)}


def merge_unmatched(
    session_ids: Sequence[str], entries: Sequence[LookupEntry], foreign: set[str]
) -> list[LookupEntry]:
    """The lookup's entries in the asked order, another user's sessions as unmatched."""
    looked_up = iter(entries)
    return [
        LookupEntry(sessionId=sid, matched=False) if sid in foreign else next(looked_up)
        for sid in session_ids
    ]


def not_found(body: Mapping[str, Any]) -> ReturnMessage:
    return ReturnMessage(
        message=f"Cannot find call log for session {body.get('sessionId')}",
        messageType="warning",
        ttl=3000,
    )
