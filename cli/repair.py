"""`appconnect repair`: link CRM logs whose callLogs row was never written."""

from __future__ import annotations

from dataclasses import asdict
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
    was written) and clear abandoned session claims; report anything ambiguous.

    Exits 0 when nothing is left to resolve by hand, 1 when something was reported.
    """
    from appconnect.core.checks.repair import repair as run_repair

    app = app_context(ctx)
    with app.harness() as harness:
        actions = run_repair(harness.pipeline(), dry_run=dry_run)
    reported = [a for a in actions if a.kind == "reported"]
    terminal = app.terminal
    if as_json:
        terminal.json({"dryRun": dry_run, "actions": [asdict(a) for a in actions]})
    else:
        if actions:
            terminal.table(
                "repair" + (" (dry run)" if dry_run else ""),
                ("action", "sessionId", "thirdPartyLogId", "message"),
                ((a.kind, a.sessionId, a.thirdPartyLogId, a.message) for a in actions),
            )
        summary = f"{len(actions) - len(reported)} repaired, {len(reported)} to resolve by hand"
        if reported:
            terminal.warning(summary)
        else:
            terminal.success(summary if actions else "nothing to repair")
    if reported:
        raise typer.Exit(1)
