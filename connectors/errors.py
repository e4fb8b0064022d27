"""The one error a connector raises when its CRM fails; core maps it to App Connect's messages."""

from __future__ import annotations


class CRMError(Exception):
    """A CRM request failed. `status` is the HTTP status, or None when no response came back."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
