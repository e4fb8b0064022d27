"""`appconnect call-fixtures`: list the bundled call fixtures, or print one to copy and edit."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.completion import call_fixture_names
from appconnect.cli.context import app_context, handle_errors


def register(app: typer.Typer) -> None:
    app.command("call-fixtures")(call_fixtures)


@handle_errors
def call_fixtures(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(
            help="Print this fixture's JSON (redirect it to a file).",
            autocompletion=call_fixture_names,
        ),
    ] = None,
) -> None:
    """List the bundled call fixtures; with a NAME, print that fixture to edit a copy of it."""
    from appconnect.core.extension.call_fixtures import (
        bundled_names,
        load_call_fixture,
        read_fixture_text,
    )

    app = app_context(ctx)
    if name is not None:
        text, _ = read_fixture_text(name)
        app.terminal.raw(text if text.endswith("\n") else text + "\n")
        return
    rows = []
    for bundled in bundled_names():
        info = load_call_fixture(bundled).logInfo
        rows.append((bundled, info.sessionId, info.direction, info.result, info.duration))
    app.terminal.table(
        "bundled call fixtures", ("name", "sessionId", "direction", "result", "duration"), rows
    )
