"""What App Connect's extension does around the core's flows, shared by both cores (the
embedded `Harness` and the `ServerTarget`): a call fixture becomes a `POST /callLog` body
with the CLI's overrides, an edit becomes a `PATCH /callLog` body; each core supplies
`log_body` and `update_log`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appconnect.connectors.contract import User
from appconnect.core.errors import BadInput
from appconnect.core.extension.call_fixtures import CallFixture, request_body
from appconnect.core.flows.pipeline import FlowResult


@dataclass(frozen=True, slots=True)
class LogCallOutcome:
    result: FlowResult
    contact_created: bool = False


class LogsCalls(ABC):
    @abstractmethod
    def log_body(
        self,
        body: dict[str, Any],
        identity_overrides: Mapping[str, str],
        *,
        create_contact_name: str | None = None,
        as_user: User | None = None,
    ) -> LogCallOutcome:
        """Match the contact as the extension does, then create the log from `body`."""

    @abstractmethod
    def update_log(self, body: Mapping[str, Any]) -> FlowResult:
        """`PATCH /callLog` with `body` (App Connect's key names)."""

    def edit_log(self, session_id: str, *, subject: str | None, note: str | None) -> FlowResult:
        """The user edits the log's subject and/or note in the extension."""
        if subject is None and note is None:
            raise BadInput("nothing to edit: give --subject and/or --note", session_id)
        body: dict[str, Any] = {"sessionId": session_id}
        body.update({k: v for k, v in (("subject", subject), ("note", note)) if v is not None})
        return self.update_log(body)

    def log_call(
        self,
        fixture: CallFixture,
        *,
        session_id: str | None = None,
        subject: str | None = None,
        note: str | None = None,
        create_contact_name: str | None = None,
    ) -> LogCallOutcome:
        """The user logs a call from the extension (`POST /callLog`)."""
        body = request_body(fixture, session_id=session_id, subject=subject, note=note)
        return self.log_body(
            body, fixture.identity_overrides(), create_contact_name=create_contact_name
        )
