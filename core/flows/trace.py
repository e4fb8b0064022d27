"""The interface-call trace: every connector call with its arguments and result, secrets redacted.

Redaction happens when a call is rendered, by key name, anywhere in the nested data: a secret
never reaches output, reports or logs, whatever the connector puts where.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

REDACTED = "***"
# Key names (snake or camel case) whose values are credentials.
_SECRET_KEY = re.compile(
    r"(access_?token|refresh_?token|auth_?header|api_?key|secret|password|client_?secret|"
    r"authorization|jwt)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class InterfaceCall:
    """One connector interface call, as made."""

    interface: str
    ok: bool
    error: str | None = None
    arguments: Any = None
    result: Any = None
    #: Wall time of the call, for benchmarks' per-interface latency.
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with every secret replaced by `***`."""
        data: dict[str, Any] = {"interface": self.interface, "ok": self.ok}
        if self.error is not None:
            data["error"] = self.error
        data["arguments"] = redact(self.arguments)
        data["result"] = redact(self.result)
        return data


def redact(value: Any) -> Any:
    """A JSON-ready copy of `value` with the values of secret-named keys replaced."""
    if isinstance(value, BaseModel):
        value = value.model_dump(exclude_none=True)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if _SECRET_KEY.search(str(key)) and item else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
