"""`appconnect repair`: link CRM logs whose callLogs row was never written."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors


def register(app: typer.Typer) -> None:
    app.command("repair")(repair)


@handle_errors
def repair(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be done; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Adopt CRM logs that no callLogs row points to (a create that crashed before its row
    was written, or whose outcome was unknown), clear abandoned session claims, and settle
    half-done updates (re-read the CRM log, record what it holds); report anything ambiguous.

    Exits 0 when nothing is left to resolve by hand, 1 when something was reported.
    """
    app = app_context(ctx)
    with app.target() as target:
        report = target.repair(dry_run=dry_run)
    terminal = app.terminal
    if as_json:
        terminal.json(report.as_dict())
    else:
        actions = report.actions
        if actions:
            terminal.table(
                "repair" + (" (dry run)" if dry_run else ""),
                ("action", "sessionId", "thirdPartyLogId", "message"),
                ((a.kind, a.sessionId, a.thirdPartyLogId, a.message) for a in actions),
            )
        reported = len(report.reported)
        summary = f"{len(actions) - reported} repaired, {reported} to resolve by hand"
        if reported:
            terminal.warning(summary)
        else:
            terminal.success(summary if actions else "nothing to repair")
    if not report.ok:
        raise typer.Exit(1)
