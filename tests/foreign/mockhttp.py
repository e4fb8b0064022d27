"""A small WSGI toolkit for the mock CRMs: routing, JSON in and out, and loopback serving.

The mocks are WSGI apps, so a test can use them in-process (`httpx.WSGITransport`) or serve
them on 127.0.0.1 for a connector that runs in another process (the CLI, a Node server).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

from appconnect.fixtures.crm.server import FixtureCRMServer

Json = Any
Handler = Callable[..., tuple[int, Json]]


class HTTPFailure(Exception):
    """An error answer: status and the CRM's own error body."""

    def __init__(self, status: int, body: Json) -> None:
        super().__init__(status)
        self.status, self.body = status, body


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Json:
        try:
            return json.loads(self.raw or b"null")
        except ValueError:
            raise HTTPFailure(400, {"error": "body is not JSON"}) from None

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.raw.decode("utf-8", "replace")).items()}


@dataclass
class Router:
    """Routes `(method, pattern)` to handlers; `before` runs first (authentication)."""

    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    before: Callable[[Request], None] | None = None
    not_found: Callable[[str], Json] = lambda path: {"error": f"no route for {path}"}
    requests: list[Request] = field(default_factory=list)

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"/?$"), handler))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = _request(environ)
        self.requests.append(request)
        try:
            status, body = self._dispatch(request)
        except HTTPFailure as failure:
            status, body = failure.status, failure.body
        payload = b"" if body is None else json.dumps(body).encode()
        headers = [("Content-Type", "application/json")] if body is not None else []
        start_response(f"{status} {_REASONS.get(status, 'Status')}", headers)
        return [payload]

    def _dispatch(self, request: Request) -> tuple[int, Json]:
        allowed = False
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            allowed = True
            if method == request.method:
                if self.before is not None:
                    self.before(request)
                return handler(request, *match.groups())
        if allowed:
            raise HTTPFailure(405, {"error": f"{request.method} not allowed"})
        raise HTTPFailure(404, self.not_found(request.path))


_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 422: "Unprocessable Entity", 429: "Too Many Requests"}  # fmt: skip


def _request(environ: dict[str, Any]) -> Request:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return Request(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), query, headers, raw)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) for the block; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, server_class=FixtureCRMServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="mock-crm", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
