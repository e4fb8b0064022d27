"""`appconnect check-interfaces`: interfaces, contract, manifest, then callLogs vs the CRM."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.usage import checked_session_id

if TYPE_CHECKING:
    from appconnect.cli.terminal import Terminal
    from appconnect.core.checks.interfaces import CheckReport

#: Below this many rows a check is quick enough that a progress bar is only noise.
PROGRESS_MIN_ROWS = 200


def register(app: typer.Typer) -> None:
    app.command("check-interfaces")(check_interfaces)


@handle_errors
def check_interfaces(
    ctx: typer.Context,
    session_id: Annotated[
        str | None, typer.Option(
            "--session-id",
            help="Check only this session's rows.",
            callback=checked_session_id,
        )
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Check only rows created since this ISO date/time (UTC)."),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option("--platform", help="The platform to check (default: the configured one)."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", help="CRM reads in flight at once (1-32).")
    ] = 4,
    rate_limit: Annotated[
        float | None,
        typer.Option("--rate-limit", help="Max CRM requests per second (default: unlimited)."),
    ] = None,
    reads: Annotated[
        Literal["auto", "listing", "per-row"],
        typer.Option(
            "--reads",
            help="Read rows' CRM logs one getCallLog per row, or from one listCallLogs "
            "(auto: the listing above 1,000 rows when the connector can list).",
        ),
    ] = "auto",
    manifest: Annotated[
        Path | None,
        typer.Option("--manifest", help="App Connect manifest JSON to check.", dir_okay=False),
    ] = None,
    probe_number: Annotated[
        str | None,
        typer.Option("--probe-number", help="Phone number the findContact probe looks up."),
    ] = None,
    probe_writes: Annotated[
        bool,
        typer.Option(
            "--probe-writes",
            help="Also probe createCallLog/updateCallLog with one probe log (deleted after "
            "when the harness can).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Show which App Connect interfaces the connector implements (the keys of
    /implementedInterfaces), probe them against their documented shapes, check a manifest,
    and reconcile every callLogs row with the CRM.

    Exits 1 when a check finds problems, 2 for bad input.
    """
    from appconnect.core.checks.contract import DEFAULT_PROBE_NUMBER, ProbeOptions
    from appconnect.core.checks.interfaces import CheckOptions

    app = app_context(ctx)
    options = CheckOptions(
        session_id=session_id,
        since=since,
        platform=platform,
        concurrency=concurrency,
        rate_limit=rate_limit,
        manifest=manifest,
        reads=reads,
        probe=ProbeOptions(
            probe_number=probe_number or DEFAULT_PROBE_NUMBER, probe_writes=probe_writes
        ),
    )
    show_progress = not as_json
    with (
        app.target() as target,
        app.terminal.progress(
            "reconciling callLogs", enabled=show_progress, min_total=PROGRESS_MIN_ROWS
        ) as progress,
    ):
        report = target.check(options, progress=progress)
    if as_json:
        app.terminal.json(report.as_dict())
    else:
        _render(app.terminal, report)
    if not report.ok:
        raise typer.Exit(1)


def _render(terminal: Terminal, report: CheckReport) -> None:
    terminal.table(
        f"implementedInterfaces?platform={report.platform}",
        ("interface", "implemented"),
        ((name, "yes" if on else "no") for name, on in report.implementedInterfaces.items()),
    )
    contract = report.contract
    if contract is not None and contract.violations:
        terminal.table(
            "contract violations",
            ("interface", "field", "expected", "got"),
            ((v.interface, v.field, v.expected, v.got) for v in contract.violations),
        )
    manifest = report.manifest
    if manifest is not None and manifest.violations:
        terminal.table(
            f"manifest problems ({manifest.path})",
            ("field", "expected", "got"),
            ((v.field, v.expected, v.got) for v in manifest.violations),
        )
    recon = report.reconciliation
    if recon.problems:
        terminal.table(
            "reconciliation problems",
            ("code", "sessionId", "thirdPartyLogId", "message"),
            ((p.code, p.sessionId, p.thirdPartyLogId, p.message) for p in recon.problems),
        )
    if report.notes:
        terminal.table(
            "notes (not failures)",
            ("code", "sessionId", "thirdPartyLogId", "message"),
            ((n.code, n.sessionId, n.thirdPartyLogId, n.message) for n in report.notes),
        )
    if contract is not None:
        line = f"contract: {len(contract.probed)} interfaces probed"
        line += f", {len(contract.violations)} violations"
        if contract.logFormat is not None:
            line += f"; log format {contract.logFormat} ({contract.logFormatKind})"
        (terminal.info if contract.ok else terminal.warning)(line)
        for log in contract.probeLogs:
            if not log.cleanedUp:
                terminal.warning(f"probe CRM log {log.logId} is still in the CRM: delete it there")
    if manifest is not None:
        line = f"manifest: {len(manifest.violations)} problems"
        (terminal.info if manifest.ok else terminal.warning)(line)
    summary = f"{recon.checked} callLogs rows checked, {len(recon.problems)} problems"
    if report.notes:
        summary += f", {len(report.notes)} notes"
    if not recon.ok:
        terminal.failure(summary)
    elif report.ok:
        terminal.success(summary)
    else:
        terminal.info(summary)  # the rows are fine but another check failed: no "OK:"
