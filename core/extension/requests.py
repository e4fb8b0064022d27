"""The request bodies App Connect's extension sends: a call becomes a `POST /callLog` body
with the CLI's overrides, an edit of the log's subject or note a `PATCH /callLog` body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appconnect.core.errors import BadInput
from appconnect.core.flows.pipeline import FlowResult


@dataclass(frozen=True, slots=True)
class LogCallOutcome:
    result: FlowResult
    contact_created: bool = False


def edit_body(session_id: str, *, subject: str | None, note: str | None) -> dict[str, Any]:
    """The user edits the log's subject and/or note in the extension."""
    if subject is None and note is None:
        raise BadInput("nothing to edit: give --subject and/or --note", session_id)
    body: dict[str, Any] = {"sessionId": session_id}
    body.update({k: v for k, v in (("subject", subject), ("note", note)) if v is not None})
    return body
