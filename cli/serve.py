"""`appconnect serve`: our core over App Connect's HTTP routes, on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Annotated

import typer

from appconnect.cli.context import app_context, handle_errors

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


@handle_errors
def serve(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free).")
    ] = 6066,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you say so).")
    ] = "127.0.0.1",
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Server processes (sharing the home).")
    ] = 1,
    threads: Annotated[int, typer.Option("--threads", min=1, max=256, help="Per worker.")] = 8,
    read_timeout: Annotated[
        float,
        typer.Option("--read-timeout", min=0.1, max=600,
                     help="Seconds a client may stall while sending a request."),
    ] = 10.0,
    unscoped: Annotated[
        bool,
        typer.Option(
            "--unscoped",
            help="App Connect's behaviour: any valid token reads and changes any user's logs "
            "by session id (default: each token only its own user's).",
        ),
    ] = False,
    secret_env: Annotated[
        str,
        typer.Option(
            "--secret-env",
            help="Environment variable holding the JWT secret (APP_SERVER_SECRET_KEY); "
            "unset: a random secret for this run (log in with POST /apiKeyLogin).",
        ),
    ] = "APP_SERVER_SECRET_KEY",
) -> None:
    """Serve the Python core over the call-logging routes of @app-connect/core (/isAlive,
    /implementedInterfaces, /apiKeyLogin, /contact, /callLog, /callDisposition,
    /callLog/cacheNote) with App Connect's JWT scheme, on gunicorn, until SIGTERM or Ctrl-C."""
    from appconnect.core.errors import BadInput
    from appconnect.core.serve import http

    app = app_context(ctx)
    # A random secret is shared by the workers: they fork after it is drawn.
    secret = os.environ.get(secret_env) or secrets.token_urlsafe(32)
    with app.embedded() as harness:  # opens (creates, migrates) the home once, before binding
        harness.store  # noqa: B018 - fail here, with one line, on a bad store or config
        if harness.embedded_crm:
            harness.crm_state  # noqa: B018
    options = http.ServeOptions(
        host=host, port=port, workers=workers, threads=threads, read_timeout=read_timeout
    )
    try:
        sock = http.bind(options)
    except OSError as exc:
        raise BadInput(str(exc), "serve") from None

    def make_app() -> WSGIApplication:
        from appconnect.core.serve.app import CoreServer

        return CoreServer(app.embedded(), secret, scoped=not unscoped)  # one per worker

    def ready(url: str) -> None:
        scope = "unscoped" if unscoped else "scoped by user"
        app.terminal.info(
            f"App Connect core serving {url} ({workers} worker(s), {scope}; Ctrl-C to stop)"
        )

    http.run(sock, make_app, options, on_ready=ready)
