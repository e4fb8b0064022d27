"""Click's usage errors as the harness's one line: `Error: <what> (<where>)`, exit 2.

Click prints a usage block, a hint and the error over several lines for a bad option value;
every other bad input here is one line, so scripts and people read all of them the same way.
The group also refuses arguments that are not UTF-8 text before anything parses them.
"""

from __future__ import annotations

from typing import Any

import typer

# Typer vendors Click; these are not re-exported under public names.
from typer._click.exceptions import MissingParameter, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from appconnect.core.errors import BadInput


class OneLineUsage(UsageError):
    """A usage error shown without Click's usage block (no ctx: Click prints only the line)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, None)

    def format_message(self) -> str:
        return self.message


def one_line(exc: UsageError) -> OneLineUsage:
    command = exc.ctx.command_path if exc.ctx is not None else "appconnect"
    where = f"{command} --help"
    what = exc.format_message()
    if isinstance(exc, typer.BadParameter) and not isinstance(exc, MissingParameter):
        names = _param_names(exc)
        if names:
            where = " / ".join(names)
            what = exc.message.removeprefix("Value error, ")
            if not isinstance(exc, BadIdentifier):  # those already say what is wrong with what
                what = f"invalid value: {what}"
    what = what[:1].lower() + what[1:]
    return OneLineUsage(str(BadInput(what.rstrip("."), where.replace("'", ""))))


def _param_names(exc: typer.BadParameter) -> list[str]:
    if exc.param is None:
        hint = exc.param_hint or []
        return [hint] if isinstance(hint, str) else list(hint)
    if getattr(exc.param, "param_type_name", "") == "argument":
        return [(exc.param.name or "argument").upper()]  # as --help shows it: SESSION_ID
    names = list(exc.param.opts)
    envvar = getattr(exc.param, "envvar", None)
    if isinstance(envvar, str):  # the value may have come from there
        names.append(f"${envvar}")
    return names


def check_arguments(args: list[str]) -> None:
    """Arguments the OS handed over as bytes that are not UTF-8 arrive as lone surrogates
    (Python's surrogateescape); no file, note or id can hold them, so refuse them first."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = ord(arg[exc.start]) - 0xDC00 if 0xDC80 <= ord(arg[exc.start]) <= 0xDCFF else None
            what = f"byte 0x{bad:02x}" if bad is not None else "a lone surrogate"
            raise OneLineUsage(
                str(BadInput(f"argument {number} is not UTF-8 text ({what})", "command line"))
            ) from None


class OneLineGroup(TyperGroup):
    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        if parent is None:
            check_arguments(args)
        try:
            return super().make_context(info_name, args, parent, **extra)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise one_line(exc) from None

    def invoke(self, ctx: Any) -> Any:
        # Sub-commands parse their options here, inside the group's invoke.
        try:
            return super().invoke(ctx)
        except (NoArgsIsHelpError, OneLineUsage):
            raise
        except UsageError as exc:
            raise one_line(exc) from None


class BadIdentifier(typer.BadParameter):
    """`the session id is empty`: worded like core's own identifier errors."""


def checked_session_id(value: str | None) -> str | None:
    """Option/argument callback: a session id that can be a key and be printed (item 10)."""
    return _checked_id(value, "session id")


def checked_activity_id(value: str | None) -> str | None:
    return _checked_id(value, "activity id")


def _checked_id(value: str | None, what: str) -> str | None:
    from appconnect.core.extension.call_fixtures import id_problem

    problem = None if value is None else id_problem(value)
    if problem is not None:
        raise BadIdentifier(f"the {what} {problem}")
    return value
