"""The `appconnect` command line: one module per command, all output through `terminal`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from appconnect import __version__
from appconnect.cli import (
    bench,
    call_fixtures,
    check_interfaces,
    completion,
    compose,
    connector,
    edit_log,
    fixture_crm,
    load,
    log_call,
    logs,
    repair,
    serve,
    simulate,
    simulate_recording,
    smoke,
)
from appconnect.cli.context import AppContext
from appconnect.cli.usage import OneLineGroup

app = typer.Typer(
    name="appconnect",
    help="App Connect's call-logging core as a local harness: log calls through a connector "
    "into a CRM (the bundled fixture CRM by default), edit them, land recordings, check.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=OneLineGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"appconnect {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="APPCONNECT_CONFIG",
            help="Config file (default: ./appconnect.toml when present).",
            dir_okay=False,
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="APPCONNECT_HOME",
            help="State directory (default: ./.appconnect).",
            file_okay=False,
        ),
    ] = None,
    connector_name: Annotated[
        str | None,
        typer.Option(
            "--connector",
            envvar="APPCONNECT_CONNECTOR",
            help="Connector to run, over the config's connector.name: fixture, a proxy *.json "
            "file, an installed plugin name, or module:Class (see `connector list`).",
            autocompletion=completion.connector_names,
        ),
    ] = None,
    target: Annotated[
        Literal["embedded", "server"],
        typer.Option(
            "--target",
            envvar="APPCONNECT_TARGET",
            help="embedded: our core in-process; server: the App Connect server in [server] "
            "(log-call, edit-log, simulate-recording, check-interfaces, logs).",
        ),
    ] = "embedded",
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Make CRM requests fail: createCallLog=429, getCallLog=500x2 (then succeed), "
            "updateCallLog=timeout, 'PATCH /v1/activities/*=reset'. Repeatable.",
        ),
    ] = None,
    fault_rate: Annotated[
        float | None,
        typer.Option(
            "--fault-rate", min=0, max=1, help="Random faults on this share of CRM requests."
        ),
    ] = None,
    trace: Annotated[
        Literal["http"] | None,
        typer.Option(
            "--trace",
            envvar="APPCONNECT_TRACE",
            help="http: show every HTTP request the connector makes and its answer (secrets "
            "redacted). `simulate --trace` shows the interface calls.",
        ),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            help="Record the connector's CRM traffic to this cassette (YAML; .json for JSON), "
            "secrets scrubbed; replaces the file. See docs/record-replay.md.",
            dir_okay=False,
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(
            "--replay",
            help="Answer the connector's CRM requests from this cassette: no CRM needed.",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", envvar="APPCONNECT_DEBUG", help="Show tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = AppContext(
        config=config,
        home=home,
        debug=debug,
        connector=connector_name,
        target_kind=target,
        fault_rules=list(fault or []),
        fault_rate=fault_rate,
        trace_http=trace == "http",
        record=record,
        replay=replay,
    )


log_call.register(app)
edit_log.register(app)
simulate_recording.register(app)
logs.register(app)
check_interfaces.register(app)
fixture_crm.register(app)
call_fixtures.register(app)
simulate.register(app)
compose.register(app)
smoke.register(app)
connector.register(app)
bench.register(app)
repair.register(app)
serve.register(app)
load.register(app)


def main() -> None:
    app(prog_name="appconnect")
