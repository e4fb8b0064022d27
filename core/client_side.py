"""What App Connect's extension does before the core's create flow, shared by both cores
(the embedded `Harness` and the `ServerTarget`): a call fixture becomes a `POST /callLog`
body with the CLI's overrides, and is logged through the core's `log_body`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appconnect.connectors.contract import User
from appconnect.core.calls import CallFixture, request_body
from appconnect.core.flows import FlowResult


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
