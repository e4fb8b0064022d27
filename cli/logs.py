"""`appconnect logs`: the callLogs rows, with App Connect's column names."""

from __future__ import annotations

from dataclasses import asdict
from itertools import chain
from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.usage import checked_session_id

TABLE_COLUMNS = ("sessionId", "thirdPartyLogId", "contactId", "userId", "extensionNumber")
CLAIM_COLUMNS = ("sessionId", "claim", "extensionNumber", "pid")


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
    """List the local callLogs table (links from call sessions to CRM logs), and sessions
    whose create has not finished (being logged, or with an unknown outcome)."""
    app = app_context(ctx)
    with app.target() as core:
        rows = core.call_logs(session_id)
        claims = core.open_claims(session_id)
        if as_json:
            # Claims follow the rows, each with a "claim" key and no thirdPartyLogId.
            app.terminal.json_array(chain((asdict(row) for row in rows), claims))
            return
        # The columns that fit a terminal; --json has them all.
        app.terminal.table(
            "callLogs",
            TABLE_COLUMNS,
            ([getattr(row, column) for column in TABLE_COLUMNS] for row in rows),
        )
        if claims:
            app.terminal.table(
                "sessionClaims (creates not finished)",
                CLAIM_COLUMNS,
                ([claim[column] for column in CLAIM_COLUMNS] for claim in claims),
            )
