"""`appconnect connector`: lint a proxy connector file; list the connectors you can select."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from appconnect.cli.completion import connector_kinds
from appconnect.cli.context import app_context, handle_errors

connector_group = typer.Typer(
    help="Connectors: lint a proxy connector file, list what --connector can select.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(connector_group, name="connector")


@connector_group.command("lint")
@handle_errors
def lint(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An App Connect proxy connector JSON file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable findings.")] = False,
) -> None:
    """Check a proxy connector file: schema errors, unknown template variables, operations
    call logging needs, response mappings that point nowhere. Each finding is printed as
    `<json.path>: <problem>`.

    Exits 0 when there are no errors (warnings allowed), 1 on errors, 2 when the file cannot
    be read.
    """
    from appconnect.connectors.proxy.lint import lint_file
    from appconnect.connectors.proxy.loader import ProxyConfigError
    from appconnect.core.errors import BadInput

    app = app_context(ctx)
    try:
        findings = lint_file(file)
    except ProxyConfigError as exc:
        raise BadInput(exc.message, exc.where) from None
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    if as_json:
        app.terminal.json(
            {
                "file": str(file),
                "ok": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "findings": [
                    {"path": f.path, "severity": f.severity, "problem": f.problem} for f in findings
                ],
            }
        )
    else:
        app.terminal.raw("".join(f"{finding}\n" for finding in findings))
        summary = f"{file}: {errors} error(s), {warnings} warning(s)"
        if errors:
            app.terminal.info(summary)
        else:
            app.terminal.success(summary)
    if errors:
        raise typer.Exit(1)


@connector_group.command("list")
@handle_errors
def list_connectors(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
) -> None:
    """The connectors `--connector` / `connector.name` can select by name, and where each
    comes from: built in, a bundled proxy file, or an installed package's entry point
    (group `appconnect.connectors`). A path to a proxy *.json file or a module:Class also works.
    """
    from dataclasses import asdict

    from appconnect.connectors.discovery import available_connectors

    app = app_context(ctx)
    sources = available_connectors()
    if as_json:
        app.terminal.json([asdict(source) for source in sources])
        return
    app.terminal.table(
        "connectors",
        ("name", "kind", "target", "from"),
        ((s.name, s.kind, s.target, s.origin) for s in sources),
    )


@connector_group.command("new")
@handle_errors
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The connector's name: lowercase, e.g. acme-crm.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="python (a package), proxy (a JSON file) or node (a server).",
            autocompletion=connector_kinds,
        ),
    ] = "python",
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Where to create it (default: ./NAME); must be empty.",
                      file_okay=False),
    ] = None,
) -> None:
    """Create a working connector project against the fixture CRM: the connector, an
    appconnect.toml, a scenario and a CI workflow (.github/workflows/smoke.yml) that runs
    smoke. `appconnect smoke` passes in it as generated.

    Exits 2 when the name or kind is invalid or the directory is not empty.
    """
    from appconnect.core.scaffold import create_project, project_for

    app = app_context(ctx)
    project = project_for(name, kind)
    target = directory or Path(name)
    written = create_project(project, target)
    app.terminal.raw("".join(f"{target / path}\n" for path in written))
    app.terminal.success(f"created the {kind} connector '{name}' in {target}")
