"""The HTTP trace (`--trace http`): every request a connector makes and its answer, in order.

An httpx transport under the connector's client, so it sees what any connector sends
(built-in, proxy, plugin), whatever the CRM. Secrets are redacted as each exchange is
recorded (`Redactor`), so nothing unredacted is ever held, printed or written to a report.
Each exchange is tagged with the App Connect interface it served (see `scope.py`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from appconnect.core.config import HarnessConfig
from appconnect.core.config_secrets import known_secrets
from appconnect.core.redaction import Redactor
from appconnect.core.transports.scope import current_scope


@dataclass(frozen=True, slots=True)
class HttpExchange:
    """One request and its answer, as recorded (already redacted)."""

    index: int
    method: str
    url: str
    #: None when no answer came (a reset, a timeout): `error` says what happened instead.
    status: int | None
    seconds: float
    interface: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "interface": self.interface,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "ms": round(self.seconds * 1000, 1),
            "request": {"headers": self.request_headers, "body": self.request_body},
            "response": {"headers": self.response_headers, "body": self.response_body},
            "error": self.error,
        }


#: A trace keeps this many exchanges; a long-lived target (`serve` with `[trace] http`) counts
#: the rest in `dropped` instead of growing without end.
MAX_EXCHANGES = 10_000


class HttpTrace:
    """The exchanges of one target, in the order they were sent."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor or Redactor()
        self.exchanges: list[HttpExchange] = []
        self.dropped = 0
        self._lock = threading.Lock()

    def record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        seconds: float,
        error: BaseException | None = None,
    ) -> HttpExchange | None:
        if len(self.exchanges) >= MAX_EXCHANGES:
            with self._lock:
                self.dropped += 1
            return None
        redact = self.redactor
        scope = current_scope()
        content_type = request.headers.get("content-type", "")
        exchange_fields: dict[str, Any] = {
            "method": request.method,
            "url": redact.url(str(request.url)),
            "status": None if response is None else response.status_code,
            "seconds": seconds,
            "interface": scope.interface if scope else None,
            "request_headers": redact.headers(request.headers.multi_items()),
            "request_body": redact.body(_content(request), content_type),
            "error": None if error is None else redact.text(f"{type(error).__name__}: {error}"),
        }
        if response is not None:
            exchange_fields["response_headers"] = redact.headers(response.headers.multi_items())
            exchange_fields["response_body"] = redact.body(
                response.content, response.headers.get("content-type", "")
            )
        with self._lock:
            exchange = HttpExchange(index=len(self.exchanges) + 1, **exchange_fields)
            self.exchanges.append(exchange)
        return exchange


def _content(request: httpx.Request) -> bytes:
    try:
        return request.read()
    except httpx.StreamConsumed:  # a streamed upload already sent: nothing to show
        return b""


class HttpTraceTransport(httpx.BaseTransport):
    """Records every exchange through `inner` into `trace` (failures included)."""

    def __init__(self, inner: httpx.BaseTransport, trace: HttpTrace) -> None:
        self.inner = inner
        self.trace = trace

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body is shown; reading it first keeps it for the inner transport
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
            response.read()
        except Exception as exc:
            self.trace.record(request, None, time.perf_counter() - started, exc)
            raise
        self.trace.record(request, response, time.perf_counter() - started)
        return response

    def close(self) -> None:
        self.inner.close()


def traced(
    inner: httpx.BaseTransport,
    config: HarnessConfig,
    secrets_now: Callable[[], Iterable[str | None]],
) -> tuple[HttpTrace, HttpTraceTransport]:
    """A trace of `inner`, redacting the config's secrets, the `[redaction] fields` names and what
    `secrets_now` holds at each exchange (a target's tokens change during a run)."""
    held = known_secrets(config)

    def known() -> list[str | None]:
        return [*held, *secrets_now()]

    trace = HttpTrace(Redactor(config.redaction.fields, known))
    return trace, HttpTraceTransport(inner, trace)
