"""`appconnect check-interfaces`: the implemented-interface map, then callLogs vs the CRM."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors


def register(app: typer.Typer) -> None:
    app.command("check-interfaces")(check_interfaces)


@handle_errors
def check_interfaces(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Show which App Connect interfaces the connector implements (the keys of
    /implementedInterfaces) and check every callLogs row against the CRM.

    Exits 1 when a row's CRM record is missing or disagrees with the row.
    """
    app = app_context(ctx)
    with app.harness() as harness:
        report = harness.check_interfaces()
    terminal = app.terminal
    recon = report.reconciliation
    if as_json:
        data = report.as_dict()
        terminal.json(
            {
                "platform": data["platform"],
                "implementedInterfaces": data["implementedInterfaces"],
                "reconciliation": data["reconciliation"],
            }
        )
    else:
        terminal.table(
            f"implementedInterfaces?platform={report.platform}",
            ("interface", "implemented"),
            ((name, "yes" if on else "no") for name, on in report.implementedInterfaces.items()),
        )
        if recon.problems:
            terminal.table(
                "reconciliation problems",
                ("code", "sessionId", "thirdPartyLogId", "message"),
                ((p.code, p.sessionId, p.thirdPartyLogId, p.message) for p in recon.problems),
            )
        summary = f"{recon.checked} callLogs rows checked, {len(recon.problems)} problems"
        if recon.ok:
            terminal.success(summary)
        else:
            terminal.warning(summary)
    if not recon.ok:
        raise typer.Exit(1)
