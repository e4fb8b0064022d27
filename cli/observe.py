"""What `--trace http`, body diffs and `--report` show: printing and writing, no logic.

Light on purpose (the `--report` option is declared here): the core modules behind these
features are imported only when a command uses them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from appconnect.cli.terminal import Terminal
from appconnect.core.errors import BadInput
from appconnect.core.user_files import shown

if TYPE_CHECKING:
    from appconnect.core.runs.body_diff import BodyDiff
    from appconnect.core.runs.report_html import RunReport
    from appconnect.core.transports.http_trace import HttpExchange


def show_http(
    terminal: Terminal, exchanges: Iterable[HttpExchange], step: int | None = None
) -> None:
    """Each exchange of an HTTP trace, in order (stderr: `--json` output stays parsable)."""
    for exchange in exchanges:
        terminal.http_exchange(exchange.as_dict(), step)


def show_diff(terminal: Terminal, title: str, diff: BodyDiff | None) -> None:
    if diff is not None:
        terminal.diff(title, [(s.section, s.lines) for s in diff.sections])


def report_path_writable(path: Path, what: str = "the report") -> None:
    """Refuse a report path that cannot be written, before the run (bad input, exit 2)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise BadInput(f"cannot write {what}: {exc.strerror}", shown(path)) from None


#: `--report FILE.html` of `simulate` and `smoke`.
ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Also write a self-contained HTML report of the run here (FILE.html).",
        dir_okay=False,
    ),
]


def write_report(terminal: Terminal, path: Path, report: RunReport) -> None:
    from appconnect.core.runs.report_html import render_html

    try:
        path.write_text(render_html(report), encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"cannot write the report: {exc.strerror}", shown(path)) from None
    terminal.info(f"report written to {shown(path)}")


def show_opened_traces(terminal: Terminal, targets: Iterable[Any]) -> None:
    """The HTTP traces of the targets a command opened, once each (after it ran or failed)."""
    for target in targets:
        show_http(terminal, target.http_exchanges)
        trace = getattr(target, "http_trace", None)
        if trace is not None and trace.dropped:
            terminal.warning(
                f"the HTTP trace kept the first {len(trace.exchanges)} exchanges "
                f"and left out {trace.dropped}"
            )
