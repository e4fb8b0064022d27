"""Serving a WSGI app for real: gunicorn (pre-fork workers, threaded, keep-alive), on loopback.

Why gunicorn: it is the maintained production WSGI server with both things `serve` needs,
`--workers N` processes (each builds its own app after the fork, so no SQLite connection crosses
a fork) and a threaded worker (`gthread`) with HTTP keep-alive, and it stops gracefully on
SIGTERM and at once on SIGINT. Our apps are WSGI already, so no ASGI adapter is needed.

We bind the listening socket ourselves and hand it over (`fd://`): a port in use is then one
clear error before anything starts, and port 0 is known before the first request.
Hardening against slow or hostile clients, all per connection, none needing a proxy in front:
- a read timeout (SO_RCVTIMEO, inherited by every accepted socket): a client that stops
  sending mid-request loses its connection after `read_timeout` seconds; it never stalls the
  other threads, and an idle connection waits in gunicorn's poller, not in a thread;
- request-line and header limits (gunicorn's), and a body limit in the apps (413).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["ServeOptions", "bind", "require_loopback", "run"]


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 0
    workers: int = 1
    threads: int = 8
    keepalive: int = 5  # seconds an idle keep-alive connection is kept
    read_timeout: float = 10.0  # seconds a started request may stall between two reads
    graceful_timeout: int = 1  # SIGTERM: in-flight requests get this long, then exit


class BindError(OSError):
    """The address cannot be served (in use, not ours, not loopback when it must be)."""


def require_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise BindError(f"only serves on loopback, not {host!r} (it is a test server)")


def bind(options: ServeOptions) -> socket.socket:
    """A listening socket with the read timeout set (accepted sockets inherit it on Linux)."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((options.host, options.port))
        sock.listen(1024)
        seconds = int(options.read_timeout)
        micros = int((options.read_timeout - seconds) * 1_000_000)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", seconds, micros))
    except OSError as exc:
        sock.close()
        raise BindError(f"cannot listen on {options.host}:{options.port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in str(host) else str(host)
    return f"http://{shown}:{port}"


def run(
    sock: socket.socket,
    make_app: Callable[[], WSGIApplication],
    options: ServeOptions,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `make_app()` (built once per worker, after the fork) until SIGTERM or SIGINT."""
    from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]

    url = url_of(sock)
    settings: dict[str, Any] = {
        "bind": [f"fd://{sock.fileno()}"],
        "workers": options.workers,
        "worker_class": "gthread",
        "threads": options.threads,
        "keepalive": options.keepalive,
        "graceful_timeout": options.graceful_timeout,
        "timeout": 60,  # a worker silent this long is replaced (a stuck CRM call)
        "preload_app": False,
        "accesslog": None,  # request lines may carry ?jwtToken=: never log them
        "errorlog": "-",
        "loglevel": "error",
        "proc_name": "appconnect",
        "when_ready": lambda _arbiter: on_ready(url) if on_ready else None,
    }

    class _App(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApplication:
            return make_app()

    _App().run()
