"""`appconnect fixture-crm`: serve the bundled CRM, and act on it as a CRM user would."""

from __future__ import annotations

from typing import Annotated

import typer

from appconnect.cli.context import app_context, handle_errors
from appconnect.cli.usage import checked_activity_id, checked_session_id

group = typer.Typer(
    help="The bundled fixture CRM of this home: serve it, list and edit its call activities.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="fixture-crm")


@group.command("serve")
@handle_errors
def serve(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free).")
    ] = 8765,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Server processes (sharing the home).")
    ] = 1,
) -> None:
    """Serve the fixture CRM over HTTP on 127.0.0.1 (gunicorn) until SIGTERM or Ctrl-C."""
    from appconnect.core.errors import BadInput
    from appconnect.core.serve import http
    from appconnect.core.targets.fixture_crm import CRMState, FixtureCRM

    app = app_context(ctx)
    with app.embedded() as harness:  # creates or migrates the home's CRM now, with one-line errors
        path = harness.crm_state.path
    options = http.ServeOptions(port=port, workers=workers)
    try:
        sock = http.bind(options)
    except OSError as exc:
        raise BadInput(str(exc), "fixture-crm serve") from None

    def ready(url: str) -> None:
        app.terminal.info(f"fixture CRM serving {url} (Ctrl-C to stop)")

    # Each worker opens its own connection to the home's database, after the fork.
    http.run(sock, lambda: FixtureCRM(CRMState(path)), options, on_ready=ready)


@group.command("activities")
@handle_errors
def activities(
    ctx: typer.Context,
    session_id: Annotated[
        str | None, typer.Option(
            "--session-id",
            help="Only this session's activities.",
            callback=checked_session_id,
        )
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
) -> None:
    """List the CRM's call activities."""
    app = app_context(ctx)
    with app.embedded() as harness:
        items = harness.crm_state.list_activities(session_id=session_id)
    if as_json:
        app.terminal.json(items)
        return
    app.terminal.table(
        "fixture CRM call activities",
        ("id", "contactId", "sessionId", "subject", "body", "revision", "lastEditedBy"),
        (
            (
                a["id"],
                a["contactId"],
                a["sessionId"],
                a["subject"],
                a["body"],
                a["revision"],
                a["lastEditedBy"],
            )
            for a in items
        ),
    )


@group.command("edit-activity")
@handle_errors
def edit_activity(
    ctx: typer.Context,
    activity_id: Annotated[
        str, typer.Argument(help="The activity id, e.g. act-1.", callback=checked_activity_id)
    ],
    subject: Annotated[str | None, typer.Option("--subject", help="New subject.")] = None,
    body: Annotated[str | None, typer.Option("--body", help="New body.")] = None,
) -> None:
    """Edit an activity as a CRM user would, outside App Connect."""
    from appconnect.core.errors import BadInput

    app = app_context(ctx)
    changes = {k: v for k, v in (("subject", subject), ("body", body)) if v is not None}
    if not changes:
        raise BadInput("nothing to edit: give --subject and/or --body", activity_id)
    with app.embedded() as harness:
        _crm_call(lambda: harness.crm_state.update_activity(activity_id, changes, by="user"))
    app.terminal.success(f"activity {activity_id} edited")


@group.command("delete-activity")
@handle_errors
def delete_activity(
    ctx: typer.Context,
    activity_id: Annotated[
        str, typer.Argument(help="The activity id, e.g. act-1.", callback=checked_activity_id)
    ],
) -> None:
    """Delete an activity as a CRM user would (its callLogs row is then orphaned)."""
    app = app_context(ctx)
    with app.embedded() as harness:
        _crm_call(lambda: harness.crm_state.delete_activity(activity_id, by="user"))
    app.terminal.success(f"activity {activity_id} deleted")


def _crm_call(action: object) -> None:
    from appconnect.core.errors import BadInput
    from appconnect.core.targets.fixture_crm import Invalid, NotFound

    assert callable(action)
    try:
        action()
    except (NotFound, Invalid) as exc:
        raise BadInput(str(exc), "fixture CRM") from None
