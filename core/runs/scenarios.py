"""Scenario files: a call's life as an ordered list of the arrivals App Connect sends.

A scenario names a call fixture and lists steps; each step is one real flow of ref §3 (or a
CRM user's edit, or an assertion). JSON or TOML; validated here; `scenario_json_schema()` is
what `appconnect scenario schema` prints.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appconnect.core.errors import FixtureError
from appconnect.core.extension.call_fixtures import CallFixture, load_call_fixture, with_overrides
from appconnect.core.user_files import is_file, parse_json, parse_toml, read_input_text, shown

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


class FaultStep(_Step):
    """Arm faults for the following steps: `createCallLog=503`, `getCallLog=500x2`, ..."""

    kind: Literal["fault"]
    rules: list[str] = Field(default_factory=list)
    rate: float | None = Field(default=None, ge=0, le=1)


class CrmExpectation(_Strict):
    exists: bool = True
    subject: str | None = None
    bodyContains: list[str] = Field(default_factory=list)
    bodyNotContains: list[str] = Field(default_factory=list)
    #: Composed sections and text each must hold, in whatever log format the connector
    #: uses: {"Note": "Dana asked", "Duration": "2 minutes, 5 seconds"}.
    sections: dict[str, str] = Field(default_factory=dict)
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
    #: Expectations about the bundled fixture CRM's own data (its ids, names, fields):
    #: checked against it only, skipped elsewhere with that reason.
    fixtureOnly: bool = False


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
    | FaultStep
    | AssertStep,
    Field(discriminator="kind"),
]


class Scenario(_Strict):
    name: str
    description: str = ""
    #: The call fixture the steps act on unless a step names another.
    call: str = "inbound-answered"
    settings: ScenarioSettings = ScenarioSettings()
    #: What the scenario needs to mean anything: App Connect interfaces the connector must
    #: implement (`upsertCallDisposition`), or `fixture-crm` for a scenario written against
    #: the bundled fixture CRM's data. Unmet, every step is skipped with the reason.
    requires: list[str] = Field(default_factory=list)
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
    if is_file(path):
        text = read_input_text(path, "scenario", FixtureError)
        where, suffix = shown(path), path.suffix
    else:
        text, where, suffix = _bundled_scenario(name_or_path)
    scenario = parse_scenario(text, suffix, where)
    _check_calls(scenario, where)
    return scenario


def _bundled_scenario(name: str) -> tuple[str, str, str]:
    # Only exact bundled names: `../calls/missed` must not reach outside the scenarios folder.
    if name in bundled_scenarios():
        folder = resources.files(BUNDLED_PACKAGE).joinpath(BUNDLED_DIR)
        for suffix in (".json", ".toml"):
            entry = folder.joinpath(f"{name}{suffix}")
            if entry.is_file():
                return entry.read_text(encoding="utf-8"), f"bundled:{name}", suffix
    raise FixtureError(
        "no such scenario file or bundled scenario; bundled: " + ", ".join(bundled_scenarios()),
        shown(name),
    )


def parse_scenario(text: str, suffix: str, where: str) -> Scenario:
    data = _parse_toml(text, where) if suffix == ".toml" else parse_json(text, where, FixtureError)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = shown(".".join(str(part) for part in error["loc"]) or "(top level)")
        raise FixtureError(f"invalid scenario: '{key}': {error['msg']}", where) from None


def _parse_toml(text: str, where: str) -> dict[str, Any]:
    return parse_toml(text, where, FixtureError)


def _check_calls(scenario: Scenario, where: str) -> None:
    """Every call fixture the scenario names must load, and every `set` must leave it valid,
    so a typo is bad input (exit 2) before any step runs, not a failed step (exit 1) later."""
    loaded = {scenario.call: _call_for(scenario.call, "call", where)}
    for index, step in enumerate(scenario.steps):
        if not isinstance(step, LogStep | SsclLogStep):
            continue
        ref = step.call or scenario.call
        if ref not in loaded:
            loaded[ref] = _call_for(ref, f"steps.{index}.call", where)
        try:
            with_overrides(loaded[ref], step.set, where)
        except FixtureError as exc:
            raise FixtureError(
                f"invalid scenario: 'steps.{index}.set': {exc.message}", where
            ) from None


def _call_for(ref: str, key: str, where: str) -> CallFixture:
    try:
        return load_call_fixture(ref)
    except FixtureError as exc:
        raise FixtureError(f"invalid scenario: '{key}': {exc}", where) from None
