"""`appconnect logs`: the callLogs rows, with App Connect's column names."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.usage import checked_session_id

TABLE_COLUMNS = ("sessionId", "thirdPartyLogId", "contactId", "userId", "extensionNumber")


def register(app: typer.Typer) -> None:
    app.command("logs")(logs)


@handle_errors
def logs(
    ctx: typer.Context,
    session_id: Annotated[
        str | None, typer.Option(
            "--session-id", help="Only this session's rows.", callback=checked_session_id
        )
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array of rows.")] = False,
) -> None:
    """List the local callLogs table (links from call sessions to CRM logs)."""
    app = app_context(ctx)
    with app.target() as core:
        rows = core.call_logs(session_id)
        if as_json:
            app.terminal.json_array(asdict(row) for row in rows)
            return
        # The columns that fit a terminal; --json has them all.
        app.terminal.table(
            "callLogs",
            TABLE_COLUMNS,
            ([getattr(row, column) for column in TABLE_COLUMNS] for row in rows),
        )
