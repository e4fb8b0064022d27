"""Scenario files: a call's life as an ordered list of the arrivals App Connect sends.

A scenario names a call fixture and lists steps; each step is one real flow of ref §3 (or a
CRM user's edit, or an assertion). JSON or TOML; validated here; `scenario_json_schema()` is
what `appconnect scenario schema` prints.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appconnect.core.errors import FixtureError

BUNDLED_PACKAGE = "appconnect.fixtures"
BUNDLED_DIR = "scenarios"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RcExtension(_Strict):
    """A RingCentral extension, for server-side logging's user mapping."""

    id: str
    name: str = ""
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None


class ScenarioSettings(_Strict):
    """What the scenario needs of App Connect's set-up; overrides the config for the run."""

    useCache: bool | None = None
    enableExtensionNumberLogging: bool | None = None
    serverSideUserMapping: bool | None = None
    logFormat: str | None = None
    #: Extra `userSettings` for the run (App Connect's `{key: {value}}`, or `key: value`).
    userSettings: dict[str, Any] = Field(default_factory=dict)
    rcExtensions: list[RcExtension] = Field(default_factory=list)


class AutoLogRule(_Strict):
    """An auto-log rule as the extension applies it; a call it rejects is never sent."""

    directions: list[Literal["Inbound", "Outbound"]] = ["Inbound", "Outbound"]
    onlyAnswered: bool = False
    minDuration: float = 0


class _Step(_Strict):
    name: str | None = None


class LogStep(_Step):
    kind: Literal["log"]
    #: A call fixture (bundled name or path); default: the scenario's `call`.
    call: str | None = None
    #: Field overrides on the fixture, by dotted path: {"logInfo.duration": 0, "note": "hi"}.
    set: dict[str, Any] = Field(default_factory=dict)
    mode: Literal["manual", "auto"] = "manual"
    rule: AutoLogRule = AutoLogRule()
    createContact: str | None = None


class EditStep(_Step):
    kind: Literal["edit"]
    subject: str | None = None
    note: str | None = None


class CrmEditStep(_Step):
    """A CRM user edits the activity directly, outside App Connect (fixture CRM only)."""

    kind: Literal["crm-edit"]
    subject: str | None = None
    body: str | None = None
    append: str | None = None


class RecordingStep(_Step):
    kind: Literal["recording"]
    link: str | None = None


class VoicemailStep(_Step):
    kind: Literal["voicemail"]
    link: str | None = None


class FinalDataStep(_Step):
    kind: Literal["final-data"]
    duration: float | int | str
    result: str


class AiNoteStep(_Step):
    kind: Literal["ai-note"]
    aiNote: str


class TranscriptStep(_Step):
    kind: Literal["transcript"]
    transcript: str


class RingSenseStep(_Step):
    kind: Literal["ringsense"]
    transcript: str | None = None
    summary: str | None = None
    score: str | int | float | None = None
    bulletedSummary: str | None = None
    link: str | None = None


class DispositionStep(_Step):
    kind: Literal["disposition"]
    dispositions: dict[str, Any]


class SsclLogStep(_Step):
    """Server-side logging creates the log: `User-Agent: SSCL`, raw rcExtensionId."""

    kind: Literal["sscl-log"]
    call: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    rcExtensionId: str | None = None
    #: Saved first through `POST /callLog/cacheNote`, as the extension does.
    cachedNote: str | None = None


class SsclUpdateStep(_Step):
    kind: Literal["sscl-update"]
    duration: float | int | str | None = None
    result: str | None = None
    recordingLink: str | None = None
    note: str | None = None


class CrmExpectation(_Strict):
    exists: bool = True
    subject: str | None = None
    bodyContains: list[str] = Field(default_factory=list)
    bodyNotContains: list[str] = Field(default_factory=list)
    #: Dotted paths into the CRM record (getCallLog's fullLogResponse) and their values.
    fields: dict[str, Any] = Field(default_factory=dict)
    #: How many CRM call logs the session has (needs the connector's listCallLogs).
    count: int | None = None


class RowExpectation(_Strict):
    exists: bool = True
    count: int | None = None
    fields: dict[str, Any] = Field(default_factory=dict)


class AssertStep(_Step):
    kind: Literal["assert"]
    crm: CrmExpectation | None = None
    row: RowExpectation | None = None
    #: The interface calls the previous step made, exactly and in order.
    calls: list[str] | None = None
    #: Arguments of the previous step's calls: {"findContact": {"is_extension": true}}.
    callArguments: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: The previous step's App Connect message.
    message: str | None = None


Step = Annotated[
    LogStep
    | EditStep
    | CrmEditStep
    | RecordingStep
    | VoicemailStep
    | FinalDataStep
    | AiNoteStep
    | TranscriptStep
    | RingSenseStep
    | DispositionStep
    | SsclLogStep
    | SsclUpdateStep
    | AssertStep,
    Field(discriminator="kind"),
]


class Scenario(_Strict):
    name: str
    description: str = ""
    #: The call fixture the steps act on unless a step names another.
    call: str = "inbound-answered"
    settings: ScenarioSettings = ScenarioSettings()
    steps: list[Step] = Field(min_length=1)


def scenario_json_schema() -> dict[str, Any]:
    return Scenario.model_json_schema()


def bundled_scenarios() -> list[str]:
    folder = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_DIR)
    return sorted(
        entry.name.rsplit(".", 1)[0]
        for entry in folder.iterdir()
        if entry.name.endswith((".json", ".toml"))
    )


def load_scenario(name_or_path: str) -> Scenario:
    """A scenario file (.json or .toml), or the name of a bundled scenario."""
    path = Path(name_or_path)
    if path.is_file():
        try:
            text, where, suffix = path.read_text(encoding="utf-8"), str(path), path.suffix
        except (OSError, UnicodeDecodeError) as exc:
            raise FixtureError(f"cannot read scenario: {exc}", str(path)) from None
    else:
        folder = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_DIR)
        for suffix in (".json", ".toml"):
            entry = folder.joinpath(f"{name_or_path}{suffix}")
            if entry.is_file():
                text, where = entry.read_text(encoding="utf-8"), f"bundled:{name_or_path}"
                break
        else:
            raise FixtureError(
                "no such scenario file or bundled scenario; bundled: "
                + ", ".join(bundled_scenarios()),
                name_or_path,
            )
    return parse_scenario(text, suffix, where)


def parse_scenario(text: str, suffix: str, where: str) -> Scenario:
    try:
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FixtureError(f"invalid TOML: {exc}", where) from None
    except json.JSONDecodeError as exc:
        raise FixtureError(f"invalid JSON: {exc.msg} at line {exc.lineno}", where) from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        raise FixtureError(f"invalid scenario: '{key}': {error['msg']}", where) from None
