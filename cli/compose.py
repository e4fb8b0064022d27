"""`appconnect compose`: preview the body App Connect's core composes for a parameter object."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors

NO_BODY = (
    "no body: the connector composes (App Connect composes only text/plain, text/html, "
    "text/markdown)"
)


def register(app: typer.Typer) -> None:
    app.command("compose")(compose)


@handle_errors
def compose(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            help="A JSON file holding composeCallLog's parameter object, or - for stdin."
        ),
    ] = "-",
    log_format: Annotated[
        str | None,
        typer.Option("--format", help="Override logFormat (text/plain, text/html, text/markdown)."),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help='Print {"logFormat", "body"} as JSON (body null: no body).'),
    ] = False,
) -> None:
    """Compose a call-log body exactly as App Connect's core would (composeCallLog).

    The parameter object uses App Connect's keys: logFormat, existingBody, callLog,
    contactInfo, user (userSettings, timezoneOffset), note, subject, startTime, duration,
    result, recordingLink, voicemailLink, aiNote, transcript, ringSense*.
    """
    from appconnect.core.compose.params import compose_from_json, read_params_text

    app = app_context(ctx)
    text, where = read_params_text(source)
    params, body = compose_from_json(text, where, log_format=log_format)
    if as_json:
        app.terminal.json({"logFormat": params.get("logFormat", "text/plain"), "body": body})
    elif body is None:  # App Connect's undefined: not the same as an empty body
        app.terminal.info(NO_BODY)
    else:
        app.terminal.raw(body)
