"""Read a proxy connector file: JSON, then the models; problems carry their JSON path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from appconnect.connectors.proxy.models import ProxyConfig
from appconnect.connectors.proxy.templating import json_key

__all__ = [
    "ProxyConfigError",
    "json_path",
    "load_proxy_config",
    "parse_proxy_config",
    "read_json",
    "schema_problems",
]


class ProxyConfigError(ValueError):
    """A proxy connector file that cannot be read or does not match the format."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(f"{message} ({where})")
        self.message = message
        self.where = where


def read_text(path: Path, what: str = "proxy connector file", missing: str = "") -> str:
    """The file's UTF-8 text; ProxyConfigError when missing, unreadable or not a regular file
    (a FIFO would block the read forever)."""
    try:
        if path.exists() and not path.is_file():
            raise ProxyConfigError(f"the {what} is not a regular file", str(path))
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProxyConfigError(missing or f"{what} not found", str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProxyConfigError(f"cannot read the {what}: {exc}", str(path)) from None


def decode_json(text: str) -> Any:
    """json.loads, with nesting too deep for the parser's stack as a JSONDecodeError too."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def read_json(path: Path) -> Any:
    """The parsed file; ProxyConfigError when missing, unreadable or not JSON."""
    text = read_text(path)
    try:
        return decode_json(text)
    except json.JSONDecodeError as exc:
        raise ProxyConfigError(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", str(path)
        ) from None


def json_path(loc: tuple[int | str, ...]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else json_key(str(part))
    return path


def schema_problems(data: Any) -> list[tuple[str, str]]:
    """Every schema error as (JSON path, problem); empty when the data loads."""
    try:
        ProxyConfig.model_validate(data)
    except ValidationError as exc:
        return [(json_path(_loc(error["loc"])), error["msg"]) for error in exc.errors()]
    return []


def _loc(loc: tuple[Any, ...]) -> tuple[int | str, ...]:
    # pydantic adds the union/literal member tried to the location; keep the data's keys only
    return tuple(part for part in loc if isinstance(part, int | str) and "[" not in str(part))


def parse_proxy_config(data: Any, where: str) -> ProxyConfig:
    try:
        return ProxyConfig.model_validate(data)
    except ValidationError:
        path, problem = schema_problems(data)[0]
        raise ProxyConfigError(f"{path}: {problem}", where) from None


def load_proxy_config(path: Path) -> ProxyConfig:
    return parse_proxy_config(read_json(path), str(path))
