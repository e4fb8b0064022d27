"""Reading a composeCallLog parameter object from JSON, for `appconnect compose`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from appconnect.core.compose.composer import compose_call_log
from appconnect.core.compose.failures import ComposeError
from appconnect.core.errors import BadInput
from appconnect.core.user_files import decode_input, parse_json, read_input_text, shown

WHAT = "compose input"

# Keys whose values must be JSON objects (or null) when given.
_OBJECT_KEYS = ("callLog", "contactInfo", "user")
_TEXT_KEYS = ("logFormat", "existingBody")


def compose_from_json(
    text: str, where: str, *, log_format: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """Parse, check the types the composer relies on, compose. Returns (params, body);
    body None means "no body: the connector composes" (a custom logFormat)."""
    # Text the caller read itself still gets the checks (size, NUL, BOM) a file read gets.
    text = decode_input(text.encode("utf-8", "surrogatepass"), WHAT, where, BadInput)
    params = parse_json(text, where, BadInput)
    if not isinstance(params, dict):
        raise BadInput("the parameter object must be a JSON object", where)
    if log_format is not None:
        params["logFormat"] = log_format
    for key in _OBJECT_KEYS:
        if params.get(key) is not None and not isinstance(params[key], Mapping):
            raise BadInput(f"'{key}' must be an object", where)
    for key in _TEXT_KEYS:
        if params.get(key) is not None and not isinstance(params[key], str):
            raise BadInput(f"'{key}' must be a string", where)
    user = params.get("user") or {}
    settings = user.get("userSettings")
    if settings is not None and not isinstance(settings, Mapping):
        raise BadInput("'user.userSettings' must be an object", where)
    legs = (params.get("callLog") or {}).get("legs")
    if legs is not None and not isinstance(legs, list):
        raise BadInput("'callLog.legs' must be an array", where)
    try:
        return params, compose_call_log(params)
    except ComposeError as exc:  # App Connect's create/update would fail on this input
        raise BadInput(f"App Connect's composer fails on this input: {exc.what}", where) from None


def read_params_text(source: str) -> tuple[str, str]:
    """The parameter object's text and where it came from: a file, or stdin for `-`."""
    if source == "-":
        return decode_input(sys.stdin.buffer.read(), WHAT, "stdin", BadInput), "stdin"
    return read_input_text(Path(source), WHAT, BadInput), shown(source)
