"""`appconnect bench`: call lifecycles through the real pipeline, with latency percentiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from appconnect.cli.completion import scenario_names
from appconnect.cli.context import app_context, handle_errors

if TYPE_CHECKING:
    from appconnect.cli.terminal import Terminal
    from appconnect.core.runs.bench_report import BenchReport


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


@handle_errors
def bench(
    ctx: typer.Context,
    scenario: Annotated[
        str | None,
        typer.Argument(
            help="A scenario run as one lifecycle (default: log, edit, recording, final data).",
            autocompletion=scenario_names,
        ),
    ] = None,
    lifecycles: Annotated[
        int, typer.Option("--lifecycles", "-n", min=1, help="How many lifecycles.")
    ] = 1000,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, max=64, help="Worker processes.")
    ] = 1,
    transport: Annotated[
        Literal["inprocess", "loopback", "configured", "serve"],
        typer.Option(
            "--transport",
            help="inprocess: the fixture CRM in each worker; loopback: a fixture CRM served on "
            "127.0.0.1; configured: the CRM in your config (asks first, rate-capped); serve: "
            "`appconnect serve` on a fresh real home, over HTTP (-c: workers and clients).",
        ),
    ] = "inprocess",
    rate: Annotated[
        float,
        typer.Option(
            "--rate", min=0.01, help="Lifecycles per second cap for --transport configured."
        ),
    ] = 2.0,
    faults: Annotated[
        float,
        typer.Option(
            "--faults",
            min=0,
            max=1,
            help="Chaos run: this share of CRM requests fail (429, 5xx, lost answers).",
        ),
    ] = 0.0,
    home_persistent: Annotated[
        bool,
        typer.Option(
            "--home-persistent",
            help="Run against a fresh real home (SQLite store and fixture CRM on disk, inside "
            "this home, removed afterwards) instead of memory.",
        ),
    ] = False,
    kill_rate: Annotated[
        float,
        typer.Option(
            "--kill-rate",
            min=0,
            max=1,
            help="Kill -9 run: SIGKILL worker processes at random moments, about this many per "
            "lifecycle, and restart them; ends with the invariants checked on disk, `repair` and "
            "check-interfaces (a fresh real home; implies --home-persistent).",
        ),
    ] = 0.0,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep", help="Keep the run's home (--kill-rate, --home-persistent) to inspect it."
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask before loading a real CRM.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON report for CI trend lines.")
    ] = False,
) -> None:
    """Run N call lifecycles and report throughput, p50/p95/p99/max latency per step and per
    connector interface, errors, and a reconciliation (duplicates and lost must be 0).

    Exits 1 when a lifecycle failed or the reconciliation found duplicates or lost logs.
    """
    from appconnect.core.errors import BadInput
    from appconnect.core.home import harness_home
    from appconnect.core.runs.bench import DEFAULT_LIFECYCLE, run_bench
    from appconnect.core.runs.scenarios import load_scenario

    app = app_context(ctx)
    terminal = app.terminal
    config = app.load_config()
    loaded = load_scenario(scenario) if scenario else DEFAULT_LIFECYCLE
    cap = None
    if transport == "configured":
        if config.crm.url is None:
            raise BadInput("no CRM is configured: set crm.url", "--transport configured")
        if not yes:
            answer = terminal.ask(
                f"Run {lifecycles} lifecycles against {config.crm.url} "
                f"(at most {rate:g} per second)? [y/N] "
            )
            if answer.strip().lower() not in ("y", "yes"):
                raise BadInput("not confirmed", "--transport configured")
        cap = rate
    with terminal.progress("lifecycles", enabled=not as_json) as advance:
        report = run_bench(
            config,
            home=app.home or harness_home(),
            scenario=loaded,
            lifecycles=lifecycles,
            concurrency=concurrency,
            transport=transport,
            rate_per_s=cap,
            fault_rate=faults,
            progress=advance,
            persistent=home_persistent,
            kill_rate=kill_rate,
            keep=keep,
        )
    if as_json:
        terminal.json(report.as_dict())
    else:
        _show(terminal, report, growth=home_persistent or transport == "serve", faults=faults)
    if not report.ok:
        raise typer.Exit(1)


def _show(terminal: Terminal, report: BenchReport, *, growth: bool, faults: float) -> None:
    data = report.as_dict()
    columns = ("name", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
    for title, group in (("steps", data["steps"]), ("interfaces", data["interfaces"])):
        if not group:
            continue  # a kill run times nothing: its workers die mid-step
        terminal.table(
            title,
            columns,
            (
                (name, s["count"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"],
                 s["errors"])
                for name, s in group.items()
            ),
        )  # fmt: skip
    if growth:
        terminal.table(
            "growth (p50 of the first and last 10% of each step)",
            ("step", "first 10% ms", "last 10% ms"),
            ((name, first, last) for name, (first, last) in report.growth.items()),
        )
    terminal.info(
        f"{report.lifecycles} lifecycles in {report.seconds:.2f} s: "
        f"{report.lifecycles_per_s:.1f} lifecycles/s ({report.transport}, {report.concurrency} "
        f"worker{'s' if report.concurrency > 1 else ''}); "
        f"HTTP transport {report.transport_share:.0%} of the time, "
        f"{report.transport_ms_per_request:.3f} ms per request"
    )
    if report.first_error:
        terminal.warning(f"first error: {report.first_error}")
    if report.chaos is not None:
        _show_chaos(terminal, report.chaos)
    if report.kept_home:
        terminal.info(f"kept: {report.kept_home}")
    summary = f"errors {report.errors}, duplicates {report.duplicates}, lost {report.lost}"
    if faults:
        summary = f"{report.faults_injected} faults injected; {summary}"
    (terminal.success if report.ok else terminal.failure)(summary)


def _show_chaos(terminal: Terminal, chaos: dict[str, Any]) -> None:
    terminal.info(
        f"kill -9: {chaos['kills']} kills, {chaos['restarts']} restarts; acknowledged "
        f"{chaos['acknowledgedCreates']} creates and {chaos['acknowledgedUpdates']} updates; "
        f"lost {chaos['lostCreates']} creates and {chaos['lostUpdates']} updates; "
        f"duplicates {chaos['duplicates']}; {chaos['unacknowledgedSteps']} steps failed "
        "under faults (never acknowledged)"
    )
    before = ", ".join(f"{k} {v}" for k, v in chaos["problemsBeforeRepair"].items()) or "none"
    repaired = ", ".join(f"{k} {v}" for k, v in chaos["repairActions"].items()) or "nothing"
    after = ", ".join(f"{k} {v}" for k, v in chaos["problemsAfterRepair"].items()) or "none"
    clean = "clean" if chaos["cleanAfterRepair"] else "NOT clean"
    how = ", ".join(f"{k} {v}" for k, v in sorted(chaos["logsBy"].items()))
    terminal.info(f"log steps: {how} (linked: an interrupted create's CRM log, found first)")
    terminal.info(
        f"check-interfaces before repair: {before}; repair: {repaired}; "
        f"after repair: {after} ({clean})"
    )
