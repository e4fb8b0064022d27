"""Call fixtures: the body App Connect's client POSTs to `/callLog` (ref §3.2), as editable JSON.

A fixture is validated where App Connect reads it (logInfo's session, direction, parties) and
everything else is kept as given, so a fixture copied from a real App Connect request works.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appconnect.core.errors import FixtureError

BUNDLED_PACKAGE = "appconnect.fixtures"
BUNDLED_DIR = "calls"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Party(_Open):
    phoneNumber: str | None = None
    name: str | None = None
    extensionNumber: str | None = None


class Link(_Open):
    link: str | None = None


class LogInfo(_Open):
    id: str
    sessionId: str
    telephonySessionId: str | None = None
    direction: Literal["Inbound", "Outbound"]
    startTime: str | int
    duration: int | float | str | None = None
    result: str | None = None
    from_: Party = Field(alias="from")
    to: Party
    recording: Link | None = None
    voicemail: Link | None = None
    legs: list[dict[str, Any]] = Field(default_factory=list)
    customSubject: str | None = None
    accountId: str | None = None


class CallFixture(_Open):
    logInfo: LogInfo
    contactId: str | None = None
    contactName: str | None = None
    contactType: str | None = None
    note: str | None = None
    aiNote: str | None = None
    transcript: str | None = None
    voicemailLink: str | None = None
    additionalSubmission: dict[str, Any] | None = None
    extensionNumber: str | None = None
    hashedExtensionId: str | None = None
    rcExtensionId: str | None = None

    def as_body(self) -> dict[str, Any]:
        """The request body in App Connect's wire shape (`from`, unknown keys kept)."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    @property
    def contact_number(self) -> str:
        """The other party's number: `from` for inbound calls, else `to` (ref §3.2 step 7)."""
        party = self.logInfo.from_ if self.logInfo.direction == "Inbound" else self.logInfo.to
        return party.phoneNumber or ""

    def identity_overrides(self) -> dict[str, str]:
        """Identity keys may sit at the top level or inside logInfo; the top level wins."""
        keys = ("extensionNumber", "hashedExtensionId", "rcExtensionId", "accountId")
        inner = self.logInfo.model_dump()
        found = {key: str(inner[key]) for key in keys if inner.get(key)}
        top = self.model_dump()
        found.update({key: str(top[key]) for key in keys if top.get(key)})
        return found


def bundled_names() -> list[str]:
    return list(_bundled_names())


@functools.cache
def _bundled_names() -> tuple[str, ...]:
    # Package data does not change while the process runs; benchmarks log thousands of calls.
    folder = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_DIR)
    names = (entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    return tuple(sorted(name.removesuffix(".json") for name in names))


@functools.cache
def _bundled_text(name: str) -> str:
    entry = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_DIR, f"{name}.json")
    return entry.read_text(encoding="utf-8")


def read_fixture_text(name_or_path: str) -> tuple[str, str]:
    """The fixture's text and where it came from: a file path, else a bundled fixture's name."""
    path = Path(name_or_path)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise FixtureError(f"cannot read call fixture: {exc}", str(path)) from None
    name = name_or_path.removesuffix(".json")
    if name in _bundled_names():
        return _bundled_text(name), f"bundled:{name}"
    raise FixtureError(
        f"no such call fixture file or bundled fixture; bundled: {', '.join(bundled_names())}",
        name_or_path,
    )


def load_call_fixture(name_or_path: str) -> CallFixture:
    text, where = read_fixture_text(name_or_path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FixtureError(f"invalid JSON: {exc.msg} at line {exc.lineno}", where) from None
    return parse_call_fixture(data, where)


def parse_call_fixture(data: object, where: str) -> CallFixture:
    try:
        return CallFixture.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise FixtureError(f"invalid call fixture: '{key}': {error['msg']}", where) from None
