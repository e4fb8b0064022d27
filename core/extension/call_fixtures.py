"""Call fixtures: the body App Connect's client POSTs to `/callLog` (ref §3.2), as editable JSON.

A fixture is validated where App Connect reads it (logInfo's session, direction, parties) and
everything else is kept as given, so a fixture copied from a real App Connect request works.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appconnect.core.errors import BadInput, FixtureError
from appconnect.core.user_files import (
    MAX_ID_CHARS,
    Identifier,
    OptionalIdentifier,
    identifier_problem,
    is_file,
    parse_json,
    read_input_text,
    shown,
)

BUNDLED_PACKAGE = "appconnect.fixtures"
BUNDLED_DIR = "calls"
#: App Connect's callLogs.id and sessionId columns are VARCHAR(255).
MAX_SESSION_ID_CHARS = MAX_ID_CHARS


def id_problem(value: str) -> str | None:
    """What makes `value` unusable as a call id, or None (see `identifier_problem`)."""
    return identifier_problem(value)


def check_session_id(value: str, where: str = "--session-id") -> str:
    """`value` if it is a usable session id, else BadInput naming `where`."""
    problem = id_problem(value)
    if problem is not None:
        raise BadInput(f"the session id {problem}", where)
    return value


SessionId = Identifier
OptionalId = OptionalIdentifier
#: Epoch milliseconds from 1970 to the start of year 9999: any timezone shift still fits a datetime.
StartTimeMs = Annotated[int, Field(ge=0, le=253_370_764_800_000)]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Party(_Open):
    phoneNumber: str | None = None
    name: str | None = None
    extensionNumber: OptionalId | None = None


class Link(_Open):
    link: str | None = None


class LogInfo(_Open):
    id: SessionId
    sessionId: SessionId
    telephonySessionId: OptionalId | None = None
    direction: Literal["Inbound", "Outbound"]
    startTime: str | StartTimeMs
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
    extensionNumber: OptionalId | None = None
    hashedExtensionId: OptionalId | None = None
    rcExtensionId: OptionalId | None = None

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
    """The fixture's text and where it came from: a file path, else a bundled fixture's name.

    Only an exact bundled name is looked up in the package, so a name like `../calls/x`
    never reaches outside the bundled folder.
    """
    path = Path(name_or_path)
    if is_file(path):
        return read_input_text(path, "call fixture", FixtureError), shown(path)
    name = name_or_path.removesuffix(".json")
    if name in _bundled_names():
        return _bundled_text(name), f"bundled:{name}"
    raise FixtureError(
        f"no such call fixture file or bundled fixture; bundled: {', '.join(bundled_names())}",
        shown(name_or_path),
    )


def load_call_fixture(name_or_path: str) -> CallFixture:
    text, where = read_fixture_text(name_or_path)
    return parse_call_fixture(parse_json(text, where, FixtureError), where)


def parse_call_fixture(data: object, where: str) -> CallFixture:
    try:
        return CallFixture.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = shown(".".join(str(part) for part in error["loc"]) or "(top level)")
        message = error["msg"].removeprefix("Value error, ")
        raise FixtureError(f"invalid call fixture: '{key}': {message}", where) from None


def with_overrides(fixture: CallFixture, overrides: Mapping[str, Any], where: str) -> CallFixture:
    """The fixture with dotted-path overrides applied (`{"logInfo.duration": 0}`), validated
    again: what a scenario's `set` does, checkable before the scenario runs."""
    body = fixture.as_body()
    for path, value in overrides.items():
        *parents, last = path.split(".")
        target = body
        for part in parents:
            nested = target.get(part)
            if not isinstance(nested, dict):
                nested = target[part] = {}
            target = nested
        target[last] = copy.deepcopy(value)
    return parse_call_fixture(body, where)


def request_body(
    fixture: CallFixture,
    *,
    session_id: str | None = None,
    subject: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The `POST /callLog` body for a fixture with the CLI's overrides applied."""
    body = fixture.as_body()
    log_info = body["logInfo"]
    if session_id is not None:
        log_info["sessionId"] = check_session_id(session_id, "--session-id")
    if subject is not None:
        log_info["customSubject"] = subject
    if note is not None:
        body["note"] = note
    return body
