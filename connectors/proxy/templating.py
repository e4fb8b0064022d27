"""App Connect's `{{ dot.path }}` templating, with JavaScript's undefined kept apart from null.

- A string that is exactly one expression renders to the raw value (object, number, ...).
- Mixed text interpolates every expression; null and undefined become `''`.
- A value that is not there is `UNDEFINED`, not None: App Connect's JSON body drops a key whose
  value is undefined (JSON.stringify) and axios drops such query parameters and headers, while
  null is sent as null. `to_json` applies those rules to a rendered value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

# One `undefined` for the whole harness: the composer's, so values pass between them.
from appconnect.connectors.js import UNDEFINED

__all__ = [
    "UNDEFINED",
    "expressions",
    "get_by_path",
    "js_string",
    "json_key",
    "render",
    "render_string",
    "to_json",
]

_EXPR = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")
_ONLY_EXPR = re.compile(r"^\{\{\s*([^}]+?)\s*\}\}$")


def get_by_path(data: Any, path: str | None) -> Any:
    """`a.b.0.c` over dicts and lists; UNDEFINED where a step is missing. `$`/empty: the whole."""
    if not path or path == "$":
        return data
    current = data
    for part in path.split("."):
        if current is None or current is UNDEFINED:
            return UNDEFINED
        if isinstance(current, Mapping):
            current = current.get(part, UNDEFINED)
        elif isinstance(current, list) and part.isdigit():
            index = int(part)
            current = current[index] if index < len(current) else UNDEFINED
        else:
            return UNDEFINED
    return current


def js_string(value: Any) -> str:
    """JavaScript's `String(value)` for JSON-like values."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    if isinstance(value, Mapping):
        return "[object Object]"
    if isinstance(value, list | tuple):
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in value)
    return str(value)


def render_string(template: str, context: Mapping[str, Any]) -> Any:
    only = _ONLY_EXPR.match(template)
    if only:
        return get_by_path(context, only.group(1))

    def substitute(match: re.Match[str]) -> str:
        value = get_by_path(context, match.group(1).strip())
        return "" if value is None or value is UNDEFINED else js_string(value)

    return _EXPR.sub(substitute, template)


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string in a JSON-like value (App Connect's renderDeep)."""
    if isinstance(value, str):
        return render_string(value, context)
    if isinstance(value, list):
        return [render(item, context) for item in value]
    if isinstance(value, Mapping):
        return {key: render(item, context) for key, item in value.items()}
    return value


def to_json(value: Any) -> Any:
    """What JSON.stringify would send: undefined object members dropped, undefined in lists null."""
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list | tuple):
        return [None if item is UNDEFINED else to_json(item) for item in value]
    return value


def expressions(value: Any, where: str = "$") -> Iterator[tuple[str, str]]:
    """Every `{{ expr }}` in a JSON-like value, with the JSON path of the string holding it."""
    if isinstance(value, str):
        for match in _EXPR.finditer(value):
            yield where, match.group(1).strip()
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from expressions(item, f"{where}[{index}]")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from expressions(item, f"{where}{json_key(str(key))}")


def json_key(key: str) -> str:
    """`.key`, or `["key"]` when the key is not a plain identifier."""
    if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", key):
        return f".{key}"
    return "[" + json.dumps(key) + "]"
