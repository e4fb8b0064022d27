"""Reading the files and names a user hands the CLI: bounded, text-only, one-line errors.

Config files, call fixtures, scenarios and composer payloads all come through here, so an
oversized, binary or mis-encoded input gets the same short message whichever command read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def is_file(path: Path) -> bool:
    """`path.is_file()`, but a name the OS cannot even look up (too long, NUL) is not a file."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_input_bytes(path: Path, what: str, error: type[HarnessError]) -> bytes:
    """At most MAX_INPUT_BYTES + 1 bytes of `path` (one more, to tell "too big" apart)."""
    try:
        with path.open("rb") as handle:
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
    """Strict JSON: no NaN/Infinity (not JSON, and the CRM's data file could not hold them)
    and no nesting so deep the parser runs out of stack."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON: {exc.msg} at line {exc.lineno}", where) from None
    except ValueError as exc:  # from _reject_constant
        raise error(f"invalid JSON: {exc}", where) from None
    except RecursionError:
        raise error("invalid JSON: nested too deeply", where) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")
