"""The one error a connector raises when its CRM fails; core maps it to App Connect's messages
and decides from it whether a retry is safe."""

from __future__ import annotations

import email.utils
import time

import httpx


class CRMError(Exception):
    """A CRM request failed.

    `status` is the HTTP status, or None when no usable response came back. `sent` is False
    only when the request certainly never reached the CRM (the connection was refused), so
    a create can be retried without checking. `retry_after` is the CRM's Retry-After, in
    seconds.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        sent: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.sent = sent
        self.retry_after = retry_after

    @property
    def outcome_unknown(self) -> bool:
        """Might the CRM have done what was asked? (no answer, or a server error)"""
        if not self.sent:
            return False
        return self.status is None or self.status >= 500

    @classmethod
    def from_transport(cls, exc: httpx.HTTPError, where: str) -> CRMError:
        """A request that got no response: refused before sending, or lost after."""
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
        return cls(f"{where}: {type(exc).__name__}", sent=not never_sent)

    @classmethod
    def from_response(cls, response: httpx.Response, where: str, detail: str = "") -> CRMError:
        text = f"{where}: HTTP {response.status_code}" + (f" {detail}" if detail else "")
        return cls(
            text,
            status=response.status_code,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def error_message(response: httpx.Response) -> str:
    """The `message` of a CRM's JSON error body, or "" when it has none."""
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("message", "")) if isinstance(data, dict) else ""
