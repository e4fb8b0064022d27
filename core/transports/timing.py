"""Time spent in the HTTP transport under a connector: what share of a run is the CRM."""

from __future__ import annotations

import time

import httpx


class TimingTransport(httpx.BaseTransport):
    """Wraps a transport and adds up the time requests spend in it."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self.inner.handle_request(request)
            response.read()  # the body is part of the transfer
            return response
        finally:
            self.seconds += time.perf_counter() - started
            self.requests += 1

    def close(self) -> None:
        self.inner.close()
