"""The computed inputs App Connect's proxy adds to an operation's context (ref §6).

`startTime`/`endTime` follow moment's `utc().toISOString()`; `subject` follows the default
subject; `parsedPhoneNumber` has the fields of awesome-phonenumber's result the harness can fill
without a numbering plan (`valid`, `possible`, `number.input`, `number.e164`). The harness
extensions (`durationSeconds`, `extensionNumber`) are undefined in App Connect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from appconnect.connectors.proxy.templating import UNDEFINED, js_string

__all__ = [
    "default_subject",
    "duration_seconds",
    "end_time",
    "iso_utc",
    "parsed_phone_number",
    "plain",
]

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


def plain(value: Any) -> Any:
    """A JSON-like copy: dataclasses and mappings become dicts, tuples lists; None stays null."""
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.astimezone()
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.astimezone()  # moment: no offset = local
    return None


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_utc(value: Any) -> str | None:
    """`moment(value).utc().toISOString()`: None (null) for an invalid date."""
    moment = _moment(value)
    return None if moment is None else _iso(moment)


def _seconds(duration: Any) -> float:
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        return float(duration)
    if isinstance(duration, str):
        try:
            return float(duration)
        except ValueError:
            return 0.0
    return 0.0


def end_time(start: Any, duration: Any) -> str | None:
    """Start plus duration seconds (a non-numeric duration such as `pending` adds nothing)."""
    moment = _moment(start)
    if moment is None:
        return None
    try:
        return _iso(moment + timedelta(seconds=_seconds(duration)))
    except OverflowError:
        return None


def duration_seconds(duration: Any) -> Any:
    """Harness extension: the duration when it is a number, else undefined (server-side
    logging sends `pending` until the call ends)."""
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        return duration
    return UNDEFINED


def default_subject(call_log: Mapping[str, Any], contact_name: str) -> Any:
    """`customSubject ?? "<direction> Call to|from <name>"` (JavaScript's `??`)."""
    custom = call_log.get("customSubject")
    if custom is not None:
        return custom
    direction = call_log.get("direction", UNDEFINED)
    preposition = "to" if direction == "Outbound" else "from"
    return f"{js_string(direction)} Call {preposition} {contact_name}"


def parsed_phone_number(phone_number: str) -> dict[str, Any]:
    text = phone_number.replace(" ", "+", 1)  # App Connect's replace(' ', '+')
    number: dict[str, Any] = {"input": text}
    valid = bool(_E164.match(text))
    if valid:
        number["e164"] = text
    return {"valid": valid, "possible": valid, "number": number}
