"""`appconnect simulate-recording`: a recording link arrives after the call was logged."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.flow_output import show_flow
from appconnect.cli.usage import checked_session_id


def register(app: typer.Typer) -> None:
    app.command("simulate-recording")(simulate_recording)


@handle_errors
def simulate_recording(
    ctx: typer.Context,
    session_id: Annotated[
        str, typer.Argument(help="The call's session id.", callback=checked_session_id)
    ],
    link: Annotated[
        str | None,
        typer.Option("--link", help="The recording link (default: a made-up media URL)."),
    ] = None,
    show_body: Annotated[
        bool, typer.Option("--show-body", help="Print the body core recomposed.")
    ] = False,
    diff: Annotated[
        bool,
        typer.Option("--diff/--no-diff", help="Show what the update changed in the CRM body."),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Send the later update App Connect sends when a recording lands: only the link changes.

    The same machinery as a scenario's `recording` step, on this home's call log.
    """
    from appconnect.core.runs.runner import ScenarioRunner
    from appconnect.core.runs.scenarios import RecordingStep

    app = app_context(ctx)
    with app.target() as core:
        runner = ScenarioRunner(core, session_id=session_id, strict=True)
        step = runner.run_step(1, RecordingStep(kind="recording", link=link))
    assert step.flow is not None  # a recording step always runs the update flow
    result = step.flow
    show_flow(app.terminal, result, step.calls, as_json=as_json, show_body=show_body)
    if diff and not as_json:
        from appconnect.cli.observe import show_diff
        from appconnect.core.runs.body_diff import flow_body_change

        show_diff(app.terminal, "CRM body", flow_body_change(step.calls, result))
    if not result.successful:
        raise typer.Exit(1)
