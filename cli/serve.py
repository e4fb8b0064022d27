"""`appconnect serve`: our core over App Connect's HTTP routes, on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


@handle_errors
def serve(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free).")
    ] = 6066,
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
    /callLog/cacheNote) with App Connect's JWT scheme, until interrupted."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from appconnect.core.serve.app import CoreServer

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # request lines may carry ?jwtToken=: never print them

    app = app_context(ctx)
    secret = os.environ.get(secret_env) or secrets.token_urlsafe(32)
    with app.embedded() as harness:
        server = make_server("127.0.0.1", port, CoreServer(harness, secret), handler_class=Quiet)
        app.terminal.info(
            f"App Connect core serving http://127.0.0.1:{server.server_port} (Ctrl-C to stop)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
