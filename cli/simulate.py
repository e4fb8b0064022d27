"""`appconnect simulate` and `appconnect scenario`: replay a call's life from a scenario file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from appconnect.cli.completion import scenario_names
from appconnect.cli.context import AppContext, app_context, handle_errors
from appconnect.cli.observe import ReportOption, report_path_writable

if TYPE_CHECKING:
    from appconnect.core.runs.runner import ScenarioRun

scenario_group = typer.Typer(help="Bundled scenarios and the scenario file format.")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
    app.add_typer(scenario_group, name="scenario")


@handle_errors
def simulate(
    ctx: typer.Context,
    scenario: Annotated[
        str,
        typer.Argument(
            help="A scenario file (.json/.toml) or a bundled scenario's name.",
            autocompletion=scenario_names,
        ),
    ],
    step_by_step: Annotated[
        bool,
        typer.Option("--step-by-step", help="Pause before each step (Enter runs it, q stops)."),
    ] = False,
    trace: Annotated[
        bool, typer.Option("--trace", help="Show every interface call with arguments and result.")
    ] = False,
    keep: Annotated[
        bool,
        typer.Option(
            "--keep",
            help="Run in this home (store and fixture CRM keep the result) instead of a sandbox; "
            "session ids get a per-run suffix so runs can repeat.",
        ),
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show what each step changed in the CRM body.")
    ] = False,
    report: ReportOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
) -> None:
    """Run a scenario: each step drives the real flow (log, updates, dispositions, server-side
    logging) and assertions check the CRM, the callLogs row and the interface calls.

    Exits 0 when every step passes, 1 otherwise.
    """

    import secrets

    from appconnect.core.home import harness_home
    from appconnect.core.runs.runner import run_scenario
    from appconnect.core.runs.scenarios import load_scenario

    app = app_context(ctx)
    loaded = load_scenario(scenario)
    config, config_path = app.config_and_path()
    if report is not None:  # the report shows each step's HTTP exchanges: record them
        report_path_writable(report)
        config = config.model_copy(update={"trace": config.trace.model_copy(update={"http": True})})
    before = _pause(app) if step_by_step else None
    on_server = app.target_kind == "server"
    run = run_scenario(
        config,
        loaded,
        home=app.home or harness_home(),
        sandbox=not keep,
        # A home or a server keeps what runs leave: new session ids keep runs repeatable.
        session_suffix=f"-{secrets.token_hex(3)}" if keep or on_server else "",
        before_step=before,
        target="server" if on_server else "embedded",
        config_path=config_path,
    )
    show_run(app, run, trace=trace, as_json=as_json, diff=diff)
    if report is not None:
        from appconnect.cli.observe import write_report
        from appconnect.core.runs.report_html import scenario_report

        write_report(app.terminal, report, scenario_report(run, config.redaction.fields))
    if not run.ok:
        raise typer.Exit(1)


def _pause(app: AppContext) -> Any:
    def before(index: int, step: Any) -> bool:
        label = f"step {index}: {step.kind}" + (f" ({step.name})" if step.name else "")
        answer = app.terminal.ask(f"{label} - Enter to run, q to stop: ")
        return answer.strip().lower() != "q"

    return before


def show_run(
    app: AppContext, run: ScenarioRun, *, trace: bool, as_json: bool, diff: bool = False
) -> None:
    terminal = app.terminal
    if as_json:
        terminal.json(run.as_dict())
        return
    terminal.table(
        f"scenario {run.scenario} (session {run.session_id})",
        ("#", "step", "status", "message"),
        ((s.index, s.name, s.status, s.message) for s in run.steps),
    )
    if trace:
        for step in run.steps:
            for call in step.calls:
                terminal.trace(step.index, call.as_dict())
    if app.trace_http or diff:
        from appconnect.cli.observe import show_diff, show_http

        for step in run.steps:
            if app.trace_http:
                show_http(terminal, step.http, step.index)
            if diff:
                show_diff(terminal, f"step {step.index}: {step.name}", step.body_change())
    if run.left_in_crm:
        terminal.warning("left in the CRM: " + ", ".join(run.left_in_crm))
    passed = sum(1 for s in run.steps if s.status == "pass")
    failed = sum(1 for s in run.steps if s.status == "fail")
    summary = f"{passed} passed, {failed} failed"
    if run.ok:
        terminal.success(summary)
    else:
        terminal.failure(summary)


@scenario_group.command("list")
@handle_errors
def scenario_list(ctx: typer.Context) -> None:
    """The bundled scenarios."""
    from appconnect.core.runs.scenarios import bundled_scenarios, load_scenario

    app = app_context(ctx)
    rows = []
    for name in bundled_scenarios():
        loaded = load_scenario(name)
        rows.append((name, len(loaded.steps), loaded.description))
    app.terminal.table("bundled scenarios", ("name", "steps", "description"), rows)


@scenario_group.command("schema")
@handle_errors
def scenario_schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of scenario files."""
    from appconnect.core.runs.scenarios import scenario_json_schema

    app_context(ctx).terminal.json(scenario_json_schema())


@scenario_group.command("show")
@handle_errors
def scenario_show(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="A bundled scenario.", autocompletion=scenario_names)
    ],
) -> None:
    """Print a scenario as JSON (to copy and edit)."""
    from appconnect.core.runs.scenarios import load_scenario

    loaded = load_scenario(name)
    app_context(ctx).terminal.json(loaded.model_dump(mode="json", exclude_defaults=True))
