"""`appconnect edit-log`: the user edits subject/note in App Connect (getCallLog, updateCallLog)."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.flow_output import show_flow
from appconnect.cli.usage import checked_session_id


def register(app: typer.Typer) -> None:
    app.command("edit-log")(edit_log)


@handle_errors
def edit_log(
    ctx: typer.Context,
    session_id: Annotated[
        str, typer.Argument(help="The call's session id.", callback=checked_session_id)
    ],
    subject: Annotated[str | None, typer.Option("--subject", help="New subject.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="New agent note.")] = None,
    show_body: Annotated[
        bool, typer.Option("--show-body", help="Print the body core recomposed.")
    ] = False,
    diff: Annotated[
        bool,
        typer.Option("--diff/--no-diff", help="Show what the update changed in the CRM body."),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Edit a logged call's subject and/or note; core recomposes from the CRM's body."""
    app = app_context(ctx)
    with app.target() as core:
        result = core.edit_log(session_id, subject=subject, note=note)
        calls = core.calls
    show_flow(app.terminal, result, calls, as_json=as_json, show_body=show_body)
    if diff and not as_json:
        from appconnect.cli.observe import show_diff
        from appconnect.core.runs.body_diff import flow_body_change

        show_diff(app.terminal, "CRM body", flow_body_change(calls, result))
    if not result.successful:
        raise typer.Exit(1)
