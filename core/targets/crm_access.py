"""How checks reach the CRM itself: reading a log back, listing a session's logs, deleting
what a run made and, where the CRM allows, editing a log as a CRM user would.

A target carries one `CrmAccess`. The fixture CRM's (core/targets/fixture_crm.py) reads the
CRM's own state, so a connector cannot vouch for itself; the connector's reads through the
connector under test; the server's through the server's `GET /callLog … requireDetails`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from appconnect.connectors.contract import (
    CallLogInfo,
    CallLogRecord,
    Connector,
    CRMCallLog,
    DeleteCallLogRequest,
    ListCallLogsRequest,
    User,
    UserEditRequest,
)
from appconnect.connectors.errors import CRMError
from appconnect.core.checks.compare import shape_problem
from appconnect.core.errors import ContractError
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.requests import get_call_log_request
from appconnect.core.transports.scope import interface_scope


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """A CRM call log as a check compares it: its subject, body and contact."""

    log_id: str
    subject: str | None
    body: str
    contact_id: str | None = None
    #: The record as the CRM (or the connector) gave it, for assertions on other fields.
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_info(cls, log_id: str, info: CallLogInfo) -> CrmRecord:
        record = info.fullLogResponse if isinstance(info.fullLogResponse, dict) else {}
        contact = record.get("contactId")
        return cls(
            log_id=log_id,
            subject=info.subject,
            body=info.fullBody or info.note or "",
            contact_id=None if contact is None else str(contact),
            raw=record,
        )


@dataclass(frozen=True, slots=True)
class UserEdit:
    """A CRM user's edit of a log: a new subject, a new body, or text appended to it."""

    subject: str | None = None
    body: str | None = None
    append: str | None = None


class CrmAccess(Protocol):
    #: Named in skip reasons and messages ("the fixture CRM", "the connector").
    description: str
    #: Does it read the CRM's own state, rather than what the connector under test reports?
    independent: bool
    #: Is the CRM the bundled fixture CRM (so scenarios may assert its own data)?
    fixture_crm: bool

    @property
    def can_edit_as_user(self) -> bool: ...

    def read(self, row: CallLogRecord) -> CrmRecord | None:
        """The row's CRM log, or None when it is gone; CRMError when it cannot be read."""
        ...

    def list(self, session_id: str) -> list[CRMCallLog] | None:
        """The session's CRM logs, or None when they cannot be listed here."""
        ...

    def delete(self, log_id: str) -> bool:
        """Delete a log a run made; False when it cannot be deleted here."""
        ...

    def edit_as_user(self, row: CallLogRecord, edit: UserEdit) -> None:
        """Change the log as a CRM user would (only when `can_edit_as_user`)."""
        ...


class ConnectorCrmAccess:
    """The CRM as the connector under test reports it: getCallLog, listCallLogs,
    deleteCallLog, and the connector's optional edit-as-a-CRM-user method."""

    description = "the connector"
    independent = False
    fixture_crm = False

    def __init__(self, connector: Callable[[], Connector], user: Callable[[], User | None]):
        self._connector, self._user = connector, user

    def _auth(self) -> tuple[Connector, User] | None:
        user = self._user()
        return None if user is None else (self._connector(), user)

    @property
    def can_edit_as_user(self) -> bool:
        return self._connector().edit_call_log_as_user is not None

    def read(self, row: CallLogRecord) -> CrmRecord | None:
        auth = self._auth()
        if auth is None or auth[0].get_call_log is None:
            return None
        connector, user = auth
        assert connector.get_call_log is not None
        request = get_call_log_request(row, user, auth_header(connector, user))
        try:
            result = connector.get_call_log(request)
        except CRMError as exc:
            if exc.status in (404, 410):
                return None
            raise
        problem = shape_problem(result)
        if problem:  # the record may well exist: the answer is what is wrong
            raise ContractError(f"getCallLog {problem}", row.thirdPartyLogId)
        info = result.callLogInfo
        return None if info is None else CrmRecord.from_info(row.thirdPartyLogId, info)

    def list(self, session_id: str) -> list[CRMCallLog] | None:
        auth = self._auth()
        if auth is None or auth[0].list_call_logs is None:
            return None
        connector, user = auth
        assert connector.list_call_logs is not None
        return connector.list_call_logs(
            ListCallLogsRequest(user, auth_header(connector, user), session_id)
        )

    def delete(self, log_id: str) -> bool:
        auth = self._auth()
        if auth is None or auth[0].delete_call_log is None:
            return False
        connector, user = auth
        assert connector.delete_call_log is not None
        try:
            connector.delete_call_log(
                DeleteCallLogRequest(user, auth_header(connector, user), log_id)
            )
        except CRMError:
            return False
        return True

    def edit_as_user(self, row: CallLogRecord, edit: UserEdit) -> None:
        auth = self._auth()
        if auth is None or auth[0].edit_call_log_as_user is None:
            raise CRMError("the connector cannot edit a log as a CRM user")
        connector, user = auth
        assert connector.edit_call_log_as_user is not None
        request = UserEditRequest(
            user=user,
            auth_header=auth_header(connector, user),
            call_log_id=row.thirdPartyLogId,
            subject=edit.subject,
            body=edit.body,
            append=edit.append,
        )
        with interface_scope("editCallLogAsUser"):
            connector.edit_call_log_as_user(request)
