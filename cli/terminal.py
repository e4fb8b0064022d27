"""All terminal output: messages to stderr, data (tables, JSON) to stdout.

One place owns rich, with markup, emoji and highlighting off so user text (CRM bodies, notes)
prints exactly as it is, and tests compare plain strings.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from appconnect.core.redaction import redact_urls

if TYPE_CHECKING:
    from rich.console import Console


#: What a command exits with when its reader went away (`appconnect logs --json | head -1`).
BROKEN_PIPE_EXIT = 1


@contextmanager
def _stdout_reader_may_leave() -> Iterator[None]:
    """Stop quietly when stdout's reader has closed the pipe, as Unix tools do.

    stdout is pointed at /dev/null first so the interpreter's final flush cannot raise again.
    """
    try:
        yield
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):  # not a real file (a test's buffer)
            pass
        raise typer.Exit(BROKEN_PIPE_EXIT) from None


class Terminal:
    def __init__(self) -> None:
        self._out: Console | None = None
        self._err: Console | None = None

    def _console(self, *, stderr: bool) -> Console:
        from rich.console import Console

        if stderr:
            if self._err is None:
                self._err = Console(stderr=True, markup=False, emoji=False, highlight=False)
            return self._err
        if self._out is None:
            self._out = Console(markup=False, emoji=False, highlight=False)
        return self._out

    # --- messages (stderr) -----------------------------------------------------------------

    def info(self, text: str) -> None:
        self._console(stderr=True).print(redact_urls(text), soft_wrap=True)

    def success(self, text: str) -> None:
        self._console(stderr=True).print(f"OK: {redact_urls(text)}", style="green", soft_wrap=True)

    def warning(self, text: str) -> None:
        self._console(stderr=True).print(
            f"Warning: {redact_urls(text)}", style="yellow", soft_wrap=True
        )

    def failure(self, text: str) -> None:
        """A run or check that failed: named as a failure, never as a warning."""
        self._console(stderr=True).print(
            f"Failed: {redact_urls(text)}", style="bold red", soft_wrap=True
        )

    def ask(self, prompt: str) -> str:
        """Read one line from the user; no input (CI, a closed stdin) reads as Enter."""
        self._console(stderr=True).print(prompt, end="")
        try:
            return input()
        except EOFError:
            return ""

    def trace(self, step: int, call: dict[str, Any]) -> None:
        """One interface call of a trace, arguments and result as JSON (secrets redacted)."""
        status = "ok" if call["ok"] else f"error: {call.get('error')}"
        err = self._console(stderr=False)
        arguments = redact_urls(json.dumps(call["arguments"], ensure_ascii=False))
        result = redact_urls(json.dumps(call["result"], ensure_ascii=False))
        err.print(f"[{step}] {call['interface']} ({redact_urls(status)})", soft_wrap=True)
        err.print("    arguments: " + arguments, soft_wrap=True)
        err.print("    result: " + result, soft_wrap=True)

    def http_exchange(self, exchange: dict[str, Any], step: int | None = None) -> None:
        """One HTTP exchange of `--trace http` (already redacted), on stderr."""
        err = self._console(stderr=True)
        status = exchange["status"] if exchange["status"] is not None else exchange["error"]
        where = f"[{step}] " if step is not None else ""
        via = f" ({exchange['interface']})" if exchange["interface"] else ""
        line = f"{where}HTTP {exchange['method']} {exchange['url']} -> {status}"
        err.print(f"{line} {exchange['ms']} ms{via}", soft_wrap=True, style="cyan")
        for side in ("request", "response"):
            part = exchange[side]
            err.print(f"    {side} headers: " + json.dumps(part["headers"]), soft_wrap=True)
            if part["body"]:
                err.print(f"    {side} body: " + part["body"], soft_wrap=True)

    def diff(self, title: str, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> None:
        """A body diff per section: `-` red, `+` green on a terminal, plain text when piped."""
        with _stdout_reader_may_leave():
            out = self._console(stderr=False)
            out.print(f"--- {title}", style="bold", soft_wrap=True)
            if not sections:
                out.print("(body unchanged)", style="dim", soft_wrap=True)
            for section, lines in sections:
                out.print(f"@@ {section}", style="cyan", soft_wrap=True)
                for op, text in lines:
                    out.print(f"{op} {text}", style="red" if op == "-" else "green", soft_wrap=True)
            sys.stdout.flush()

    def abort(self, text: str, code: int) -> typer.Exit:
        """Print the one-line error and return the Exit to raise."""
        self._console(stderr=True).print(f"Error: {redact_urls(text)}", style="red", soft_wrap=True)
        return typer.Exit(code)

    @contextmanager
    def progress(
        self, label: str, *, enabled: bool = True, min_total: int = 0
    ) -> Iterator[Callable[[int, int], None]]:
        """A transient progress bar on stderr; yields `advance(done, total)`.

        Only on a terminal, and only once `total` reaches `min_total` (small jobs finish
        before a bar would help).
        """
        console = self._console(stderr=True)
        if not enabled or not console.is_terminal:
            yield lambda done, total: None
            return
        from rich.progress import Progress, TaskID

        bar = Progress(console=console, transient=True)
        task: list[TaskID] = []

        def advance(done: int, total: int) -> None:
            if total < min_total:
                return
            if not task:
                bar.start()
                task.append(bar.add_task(label, total=total))
            bar.update(task[0], completed=done, total=total)

        try:
            yield advance
        finally:
            bar.stop()

    # --- data (stdout) ---------------------------------------------------------------------

    def raw(self, text: str) -> None:
        """Text exactly as given (a fixture to copy, a composed body, lint findings)."""
        with _stdout_reader_may_leave():
            sys.stdout.write(text)
            sys.stdout.flush()

    def json(self, data: Any) -> None:
        with _stdout_reader_may_leave():
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    def json_array(self, items: Iterable[Any]) -> None:
        """Stream a JSON array item by item, so a large table is never held in memory."""
        out = sys.stdout
        first = True
        with _stdout_reader_may_leave():
            out.write("[")
            for item in items:
                out.write("\n  " if first else ",\n  ")
                out.write(json.dumps(item, ensure_ascii=False))
                first = False
            out.write("\n]\n" if not first else "]\n")
            out.flush()

    def table(
        self, title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        with _stdout_reader_may_leave():
            self._console(stderr=False).print(table)
            sys.stdout.flush()

    def fields(self, title: str, values: Mapping[str, Any]) -> None:
        """A two-column key/value summary."""
        self.table(title, ("field", "value"), values.items())

    def text(self, title: str, body: str) -> None:
        from rich.panel import Panel
        from rich.text import Text

        with _stdout_reader_may_leave():
            console = self._console(stderr=False)
            console.print(Panel(Text(body), title=title, title_align="left"))
            sys.stdout.flush()
