"""The embedded target's one edge into fixtures/: the bundled fixture CRM, run in-process
or read from this home, and the CRM access it gives checks (its own state, so a connector
cannot vouch for itself). No other module of core/ imports fixtures/ (a test enforces it).
"""

from __future__ import annotations

from pathlib import Path

import httpx

from appconnect.connectors.contract import CallLogRecord, CRMCallLog
from appconnect.core.errors import BadInput, StoreError
from appconnect.core.home import fixture_crm_path
from appconnect.core.targets.crm_access import CrmRecord, UserEdit
from appconnect.fixtures.crm import (
    CRMDataError,
    CRMState,
    FixtureCRM,
    Invalid,
    NotFound,
    basic_auth_header,
    make_server,
)
from appconnect.fixtures.crm.oauth import OAuthServer

# Re-exported for the commands and runs that act on the fixture CRM itself (fixture-crm,
# bench's loopback CRM): they reach fixtures/ only through here.
__all__ = [
    "CRMState",
    "FixtureCRM",
    "FixtureCrmAccess",
    "Invalid",
    "NotFound",
    "basic_auth_header",
    "fixture_crm_state",
    "fixture_transport",
    "make_server",
]


def fixture_crm_state(home: Path | None) -> CRMState:
    """The fixture CRM of this home (created, or migrated from its JSON file, now), or a
    fresh in-memory one (home None). Unusable data is a StoreError naming the file."""
    try:
        return CRMState(None if home is None else fixture_crm_path(home))
    except CRMDataError as exc:
        raise StoreError(exc.message, exc.where) from None


def fixture_transport(state: CRMState) -> httpx.BaseTransport:
    """The fixture CRM served in-process: no socket, same HTTP."""
    return httpx.WSGITransport(app=FixtureCRM(state))


def fixture_oauth_client(state: CRMState) -> tuple[str, str]:
    """The fixture CRM's registered OAuth client (id, secret)."""
    client = OAuthServer(state).client()
    return client["clientId"], client["clientSecret"]


class FixtureCrmAccess:
    """The fixture CRM's own state: reads, listings, deletes and edits by a CRM user."""

    description = "the fixture CRM"
    independent = True
    fixture_crm = True
    can_edit_as_user = True

    def __init__(self, state: CRMState, *, deletes: bool = True) -> None:
        self.state = state
        #: False for an in-memory CRM: nothing outlives the run, so nothing is left.
        self._deletes = deletes

    def read(self, row: CallLogRecord) -> CrmRecord | None:
        try:
            activity = self.state.get_activity(row.thirdPartyLogId)
        except NotFound:
            return None
        contact = activity.get("contactId")
        return CrmRecord(
            log_id=row.thirdPartyLogId,
            subject=activity.get("subject"),
            body=str(activity.get("body") or ""),
            contact_id=None if contact is None else str(contact),
            raw=activity,
        )

    def list(self, session_id: str) -> list[CRMCallLog] | None:
        return [
            CRMCallLog(
                id=a["id"],
                sessionId=a.get("sessionId"),
                contactId=a.get("contactId"),
                ownerId=a.get("ownerId"),
                subject=a.get("subject"),
                body=a.get("body"),
            )
            for a in self.state.list_activities(session_id=session_id)
        ]

    def delete(self, log_id: str) -> bool:
        if not self._deletes:
            return True
        try:
            self.state.delete_activity(log_id, by="api")
        except LookupError:
            return False
        return True

    def edit_as_user(self, row: CallLogRecord, edit: UserEdit) -> None:
        log_id = row.thirdPartyLogId
        given = (("subject", edit.subject), ("body", edit.body))
        changes = {key: value for key, value in given if value is not None}
        try:
            if edit.append is not None:
                current = self.state.get_activity(log_id)
                changes["body"] = str(changes.get("body", current["body"])) + edit.append
            self.state.update_activity(log_id, changes, by="user")
        except NotFound as exc:
            raise BadInput(str(exc), "fixture CRM") from None
