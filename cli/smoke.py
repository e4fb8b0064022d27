"""`appconnect smoke`: App Connect's testing checklist as one CI check with a clear exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from appconnect.cli.completion import connector_names
from appconnect.cli.context import app_context, handle_errors
from appconnect.core.errors import BadInput
from appconnect.core.user_files import shown


def register(app: typer.Typer) -> None:
    app.command("smoke")(smoke)


@handle_errors
def smoke(
    ctx: typer.Context,
    connector: Annotated[
        str | None,
        typer.Option(
            "--connector",
            help="Connector to check: fixture, or module:Class (default: config).",
            autocompletion=connector_names,
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="Also write a JUnit XML report here.", dir_okay=False),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Leave the CRM logs smoke created in a real CRM.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Run the checklist against the configured CRM (the fixture CRM by default): connect,
    implementedInterfaces, contact, log + verify, server-side logging, edit (getCallLog then
    updateCallLog), recording, and a CRM user's edit surviving a later update.

    Exits 0 when every check that ran passed, 1 when one failed, 2 for bad input or config.
    """
    from appconnect.core.home import harness_home
    from appconnect.core.runs.junit import Case, junit_xml
    from appconnect.core.runs.smoke import run_smoke

    app = app_context(ctx)
    config, config_path = app.config_and_path()
    if connector is not None:
        config = config.model_copy(
            update={"connector": config.connector.model_copy(update={"name": connector})}
        )
    if junit is not None:  # a report that cannot be written is bad input: say so before the run
        _writable(junit)
    report = run_smoke(
        config,
        home=app.home or harness_home(),
        keep=keep,
        target="server" if app.target_kind == "server" else "embedded",
        config_path=config_path,
    )
    if junit is not None:
        cases = [
            Case(f"appconnect.smoke.{report.platform}", c.id, c.status, c.reason, c.seconds)
            for c in report.checks
        ]
        try:
            junit.write_text(junit_xml(f"appconnect smoke ({report.platform})", cases), "utf-8")
        except OSError as exc:
            raise BadInput(f"cannot write the JUnit report: {exc.strerror}", shown(junit)) from None
    counts = report.counts()
    terminal = app.terminal
    if as_json:
        terminal.json(report.as_dict())
    else:
        terminal.table(
            f"smoke: {report.platform} (run {report.run_id})",
            ("check", "status", "reason"),
            ((c.id, c.status, c.reason) for c in report.checks),
        )
        if report.left_in_crm:
            terminal.warning("left in the CRM: " + ", ".join(report.left_in_crm))
        summary = f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
        if report.ok:
            terminal.success(summary)
        else:
            terminal.failure(summary)
    if not report.ok:
        raise typer.Exit(1)


def _writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise BadInput(f"cannot write the JUnit report: {exc.strerror}", shown(path)) from None
