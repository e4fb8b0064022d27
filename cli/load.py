"""`appconnect load`: Locust load on an App Connect server, then the consistency verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from appconnect.cli.context import app_context, handle_errors

if TYPE_CHECKING:
    from appconnect.cli.terminal import Terminal
    from appconnect.core.runs.load import LoadReport


def register(app: typer.Typer) -> None:
    app.command("load")(load)


@handle_errors
def load(
    ctx: typer.Context,
    scenario: Annotated[
        str | None,
        typer.Argument(help="A scenario whose steps each simulated call sends "
                       "(default: log, edit, recording, final data, disposition)."),
    ] = None,
    users: Annotated[int, typer.Option("--users", "-u", min=1, help="Simulated agents.")] = 10,
    spawn_rate: Annotated[
        float, typer.Option("--spawn-rate", "-r", min=0.01, help="Agents started per second.")
    ] = 10.0,
    run_time: Annotated[
        float, typer.Option("--run-time", "-t", min=1, max=86400, help="Seconds to run.")
    ] = 30.0,
    max_requests: Annotated[
        int | None,
        typer.Option("--max-requests", min=1, help="Stop after this many requests in all."),
    ] = None,
    call_seconds: Annotated[
        float,
        typer.Option("--call-seconds", min=0, max=3600,
                     help="A call's life: its updates are spread over it (±50% per call)."),
    ] = 2.0,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Load `appconnect serve` on a fresh home (the bundled "
                     "fixture CRM) instead of the config's [server]."),
    ] = False,
    serve_workers: Annotated[
        int, typer.Option("--serve-workers", min=1, max=64, help="With --serve: its processes.")
    ] = 2,
    master: Annotated[
        bool, typer.Option("--master", help="Distributed: the master (workers: --worker).")
    ] = False,
    worker: Annotated[
        bool, typer.Option("--worker", help="Distributed: a worker of --master-host.")
    ] = False,
    master_host: Annotated[
        str, typer.Option("--master-host", help="The master a worker joins.")
    ] = "127.0.0.1",
    master_port: Annotated[
        int, typer.Option("--master-port", min=1, max=65535, help="The master's port.")
    ] = 5557,
    master_bind_host: Annotated[
        str,
        typer.Option("--master-bind-host",
                     help="Where the master listens (loopback unless you say so)."),
    ] = "127.0.0.1",
    expect_workers: Annotated[
        int, typer.Option("--expect-workers", min=1, help="The master starts with N workers.")
    ] = 1,
    csv: Annotated[
        str | None, typer.Option("--csv", help="Save Locust's CSV reports as PREFIX_*.csv.")
    ] = None,
    html: Annotated[str | None, typer.Option("--html", help="Save Locust's HTML report.")] = None,
    allow_remote: Annotated[
        list[str] | None,
        typer.Option("--allow-remote", help="A non-loopback host that may be loaded (or a "
                     "remote master). Repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON report.")] = False,
) -> None:
    """Load an App Connect server with Locust (simulated agents logging and updating calls as
    the extension does), then check every session it acknowledged: one callLogs row and one
    CRM log each, no duplicates, no lost updates. Headless on one machine, or distributed
    with --master and --worker. Stops by itself (--run-time, --max-requests).

    Exits 1 when the verdict is not clean or requests failed.
    """
    from appconnect.core.runs import load as core_load

    app = app_context(ctx)
    allowed = tuple(allow_remote or ())
    if worker:
        code = core_load.run_worker(master_host, master_port, allowed)
        if code:
            raise typer.Exit(1)
        return
    from appconnect.core.home import harness_home
    from appconnect.core.runs.load_plan import DEFAULT_LOAD_SCENARIO
    from appconnect.core.runs.scenarios import load_scenario

    config, path = app.config_and_path()
    options = core_load.LoadOptions(
        users=users, spawn_rate=spawn_rate, run_time=run_time, max_requests=max_requests,
        call_seconds=call_seconds, master=master, expect_workers=expect_workers,
        master_bind_host=master_bind_host, master_port=master_port, csv=csv, html=html,
        allow_remote=allowed, serve=serve, serve_workers=serve_workers,
        connector=app.connector,
        scenario=load_scenario(scenario) if scenario else DEFAULT_LOAD_SCENARIO,
    )  # fmt: skip
    report = core_load.run_load(
        config, app.home or harness_home(), options,
        config_dir=path.parent if path else None,
    )  # fmt: skip
    if as_json:
        app.terminal.json(report.as_dict())
    else:
        _show(app.terminal, report)
    if not report.ok:
        raise typer.Exit(1)


def _show(terminal: Terminal, report: LoadReport) -> None:
    routes = [*report.routes, *([report.total] if report.total else [])]
    terminal.table(
        f"Locust ({report.mode}, {report.users} users)",
        ("route", "requests", "failures", "p50 ms", "p95 ms", "p99 ms", "req/s"),
        ((r.name, r.requests, r.failures, r.p50_ms, r.p95_ms, r.p99_ms, r.requests_per_s)
         for r in routes),
    )  # fmt: skip
    for route, error, count in report.failures[:10]:
        terminal.warning(f"{count} x {route}: {error}")
    verdict = report.verdict
    for finding in verdict.findings[:20]:
        terminal.warning(finding)
    crm = "CRM records listed" if verdict.crm_listed else "CRM records read through the server"
    summary = (
        f"{verdict.acknowledged} sessions acknowledged, {verdict.rows} callLogs rows "
        f"({verdict.checked} reconciled; {crm}): duplicates {verdict.duplicates}, "
        f"lost {verdict.lost} (lost updates {verdict.lost_updates})"
    )
    (terminal.success if verdict.clean else terminal.failure)(summary)
    for name, where in report.reports.items():
        terminal.info(f"{name} report: {where}")
