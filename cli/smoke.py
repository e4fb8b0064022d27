"""`appconnect smoke`: App Connect's testing checklist as one CI check with a clear exit code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from appconnect.cli.completion import connector_names
from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.observe import ReportOption, report_path_writable
from appconnect.core.errors import BadInput
from appconnect.core.user_files import shown

if TYPE_CHECKING:
    from appconnect.cli.terminal import Terminal
    from appconnect.core.runs.smoke_report import Check


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
    report_file: ReportOption = None,
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
        report_path_writable(junit, "the JUnit report")
    if report_file is not None:  # the report shows each check's HTTP exchanges: record them
        report_path_writable(report_file)
        config = config.model_copy(update={"trace": config.trace.model_copy(update={"http": True})})
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
    if report_file is not None:
        from appconnect.cli.observe import write_report
        from appconnect.core.runs.report_html import smoke_report

        write_report(terminal, report_file, smoke_report(report, config.redaction.fields))
    if as_json:
        terminal.json(report.as_dict())
    else:
        terminal.table(
            f"smoke: {report.platform} (run {report.run_id})",
            ("check", "status", "reason"),
            ((c.id, c.status, c.reason) for c in report.checks),
        )
        _show_checks(app.trace_http, terminal, report.checks)
        if report.left_in_crm:
            terminal.warning("left in the CRM: " + ", ".join(report.left_in_crm))
        summary = f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped"
        if report.ok:
            terminal.success(summary)
        else:
            terminal.failure(summary)
    if not report.ok:
        raise typer.Exit(1)


def _show_checks(trace_http: bool, terminal: Terminal, checks: list[Check]) -> None:
    """The HTTP trace per check (`--trace http`), and what each failed check's update did to
    the CRM body: the diff is what explains "dropped …" and "does not hold …"."""
    from appconnect.cli.observe import show_diff, show_http

    for index, check in enumerate(checks, start=1):
        if trace_http:
            show_http(terminal, check.http, index)
        if check.status == "fail":
            show_diff(terminal, f"{check.id}: the CRM body before and after", check.body_change())
