"""Reading the files and names a user hands the CLI: bounded, text-only, one-line errors.

Config files, call fixtures, scenarios and composer payloads all come through here, so an
oversized, binary or mis-encoded input gets the same short message whichever command read it.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator

from appconnect.core.errors import HarnessError

#: Far above any real fixture, scenario or config; stops a stray `log-call big.iso` early.
MAX_INPUT_BYTES = 5 * 1024 * 1024
#: How much of a user-given name an error message shows.
MAX_SHOWN_CHARS = 240


def shown(text: str | Path) -> str:
    """`text` safe for a one-line message: control and bidi characters escaped, long names cut."""
    text = str(text)
    if not text:
        return "''"  # so an empty name still shows as `(<where>)`
    cut = len(text) > MAX_SHOWN_CHARS
    text = text[:MAX_SHOWN_CHARS]
    # isprintable() is False for newlines, NULs and the invisible bidi overrides (Cf).
    safe = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return safe + ("…" if cut else "")


#: App Connect's id and key columns are VARCHAR(255).
MAX_ID_CHARS = 255


def identifier_problem(value: str) -> str | None:
    """What makes `value` unusable as an id that becomes a key or is printed, or None:
    empty, longer than App Connect's 255-character columns, or holding characters that break
    lookups and output lines (newlines, NUL, bidi overrides, lone surrogates)."""
    if not value.strip():
        return "is empty"
    if len(value) > MAX_ID_CHARS:
        return f"is longer than {MAX_ID_CHARS} characters ({len(value)})"
    if not value.isprintable():
        return f"contains control characters: {shown(value)}"
    return None


def is_file(path: Path) -> bool:
    """`path.is_file()`, but a name the OS cannot even look up (too long, NUL) is not a file."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_input_bytes(path: Path, what: str, error: type[HarnessError]) -> bytes:
    """At most MAX_INPUT_BYTES + 1 bytes of `path` (one more, to tell "too big" apart)."""
    try:
        # O_NONBLOCK so a FIFO or a device given as a file cannot hang the open itself;
        # fstat on the opened descriptor then refuses anything that is not a regular file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError
            if not stat.S_ISREG(mode):
                raise error(f"the {what} is not a regular file", shown(path))
            return handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{what} not found", shown(path)) from None
    except IsADirectoryError:
        raise error(f"the {what} is a directory, not a file", shown(path)) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise error(f"cannot read the {what}: {reason}", shown(path)) from None


def decode_input(data: bytes, what: str, where: str, error: type[HarnessError]) -> str:
    """UTF-8 text (a leading BOM is dropped, as editors on Windows write one), else an error."""
    if len(data) > MAX_INPUT_BYTES:
        raise error(f"the {what} is larger than {MAX_INPUT_BYTES // 2**20} MB", where)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # what Windows "Unicode" saves
        raise error(f"the {what} is UTF-16 text; save it as UTF-8", where)
    if b"\x00" in data:
        raise error(f"the {what} contains NUL bytes (a binary file?)", where)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            where,
        ) from None


def read_input_text(path: Path, what: str, error: type[HarnessError]) -> str:
    """A user-given text file, checked for size, NUL bytes and encoding."""
    return decode_input(read_input_bytes(path, what, error), what, shown(path), error)


def parse_json(text: str, where: str, error: type[HarnessError]) -> Any:
    """Strict JSON: no NaN/Infinity (not JSON, and the CRM's data file could not hold them),
    no number too large for a double (1e400), no lone surrogate escape (nothing downstream
    can encode it) and no nesting so deep the parser runs out of stack."""
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON: {exc.msg} at line {exc.lineno}", where) from None
    except ValueError as exc:  # from _reject_constant / _finite_float
        raise error(f"invalid JSON: {exc}", where) from None
    except RecursionError:
        raise error("invalid JSON: nested too deeply", where) from None
    if _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(data):
        raise error("invalid JSON: a \\u escape is a lone surrogate (not a character)", where)
    return data


def parse_toml(text: str, where: str, error: type[HarnessError]) -> dict[str, Any]:
    """TOML without nan/inf (or a float that overflows to inf): no setting means either."""
    try:
        return tomllib.loads(text, parse_float=_finite_float)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"invalid TOML: {exc}", where) from None
    except ValueError as exc:  # from _finite_float
        raise error(f"invalid TOML: {exc}", where) from None
    except RecursionError:
        raise error("invalid TOML: nested too deeply", where) from None


# Only a text holding a \uD800-\uDFFF escape can decode to a lone surrogate (UTF-8 cannot).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string in `value` (keys included) cannot be encoded as UTF-8.

    Iterative, so a deeply nested value cannot exhaust the stack.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{shown(text[:40])} is not a finite number")
    return value


def _valid_identifier(value: str) -> str:
    # Inside a pydantic model the ValueError is reported against the field's own key.
    problem = identifier_problem(value)
    if problem is not None:
        raise ValueError(f"the value {problem}")
    return value


def _valid_optional_identifier(value: str) -> str:
    # Identity keys may be absent or empty; when given they become keys and get printed.
    return _valid_identifier(value) if value else value


#: A string that becomes a key (callLogs.sessionId, users.id, …) and is printed.
Identifier = Annotated[str, AfterValidator(_valid_identifier)]
#: The same, or empty.
OptionalIdentifier = Annotated[str, AfterValidator(_valid_optional_identifier)]
