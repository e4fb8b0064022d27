"""`appconnect log-call`: log a call fixture through the pipeline, as App Connect's create flow."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.completion import call_fixture_names
from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.flow_output import show_flow

DEFAULT_FIXTURE = "inbound-answered"


def register(app: typer.Typer) -> None:
    app.command("log-call")(log_call)


@handle_errors
def log_call(
    ctx: typer.Context,
    fixture: Annotated[
        str,
        typer.Argument(
            help="A call fixture file (JSON), or a bundled fixture's name: inbound-answered, "
            "outbound-recorded, missed.",
            autocompletion=call_fixture_names,
        ),
    ] = DEFAULT_FIXTURE,
    session_id: Annotated[
        str | None, typer.Option("--session-id", help="Override logInfo.sessionId.")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="The log subject (logInfo.customSubject).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="The agent note.")] = None,
    create_contact: Annotated[
        str | None,
        typer.Option(
            "--create-contact",
            metavar="NAME",
            help="When no CRM contact matches the number, create one with this name.",
        ),
    ] = None,
    show_body: Annotated[
        bool, typer.Option("--show-body", help="Print the body core composed.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Log a call: contact match, plugins, composition, createCallLog, the callLogs row.

    Exits 0 when a log exists for the session afterwards (also when it already did: App
    Connect's "Existing log for session" warning), 1 when nothing could be logged.
    """
    from appconnect.core.extension.call_fixtures import load_call_fixture

    app = app_context(ctx)
    call = load_call_fixture(fixture)
    with app.target() as core:
        outcome = core.log_call(
            call,
            session_id=session_id,
            subject=subject,
            note=note,
            create_contact_name=create_contact,
        )
        calls = core.calls
    if outcome.contact_created and not as_json:
        app.terminal.info(f"created CRM contact '{create_contact}'")
    show_flow(app.terminal, outcome.result, calls, as_json=as_json, show_body=show_body)
    if not outcome.result.logged:
        raise typer.Exit(1)
