"""What `appconnect load` asks Locust to do: a scenario's steps as the requests App Connect's
extension sends for one call, with the session id left as a placeholder each simulated call
fills in, and what each acknowledged update must leave in the CRM record.

The bodies are the ones `simulate` sends (call fixtures, core/runs/step_bodies.py and
core/extension/requests.py); this module only turns them into data Locust's processes read,
so the Locust side (load_locustfile.py) imports nothing heavy and composes nothing.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from appconnect.core.errors import BadInput
from appconnect.core.extension.call_fixtures import load_call_fixture, with_overrides
from appconnect.core.extension.parties import contact_lookup
from appconnect.core.extension.requests import edit_body
from appconnect.core.runs.scenarios import (
    AiNoteStep,
    AssertStep,
    DispositionStep,
    EditStep,
    FinalDataStep,
    LogStep,
    RecordingStep,
    Scenario,
    SsclLogStep,
    SsclUpdateStep,
    Step,
    TranscriptStep,
    VoicemailStep,
)
from appconnect.core.runs.step_bodies import sscl_body, update_body

#: Replaced by each simulated call's own session id wherever it occurs in a string.
SESSION = "@@SESSION@@"
UPDATE_STEPS = (EditStep, RecordingStep, VoicemailStep, FinalDataStep, AiNoteStep,
                TranscriptStep, SsclUpdateStep)  # fmt: skip

DEFAULT_LOAD_SCENARIO = Scenario(
    name="load-lifecycle",
    description="log -> edit -> recording -> final data -> disposition, spread over the call",
    call="inbound-answered",
    steps=[
        LogStep(kind="log"),
        EditStep(kind="edit", subject=f"Load call {SESSION}", note=f"Edited under load {SESSION}"),
        RecordingStep(kind="recording"),
        FinalDataStep(kind="final-data", duration=187, result="Call connected"),
        DispositionStep(kind="disposition", dispositions={"category": "Support"}),
    ],
)


@dataclass(frozen=True)
class PlannedStep:
    """One request of a call (the log step brings its look-ups: GET /callLog, GET /contact)."""

    name: str
    method: str
    path: str
    body: dict[str, Any]
    sscl: bool = False
    #: Texts the CRM record must hold once this update is acknowledged (subject: exact).
    expect_subject: str | None = None
    expect_in_body: tuple[str, ...] = ()
    #: For the log step: the contact look-up and the identity sent with GET /callLog.
    lookup: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "method": self.method, "path": self.path, "body": self.body,
            "sscl": self.sscl, "lookup": self.lookup,
        }  # fmt: skip


def plan_steps(scenario: Scenario, *, extension_number_logging: bool = False) -> list[PlannedStep]:
    """The requests of one call of the scenario; assert steps are left to the verdict."""
    steps = [step for step in scenario.steps if not isinstance(step, AssertStep)]
    if not steps or not isinstance(steps[0], LogStep | SsclLogStep):
        raise BadInput("a load scenario starts with a log or sscl-log step", scenario.name)
    planned = [_log_step(scenario, steps[0], extension_number_logging)]
    for number, step in enumerate(steps[1:], start=2):
        planned.append(_update_step(step, number, scenario.name))
    return planned


def _log_step(scenario: Scenario, step: LogStep | SsclLogStep, ext_logging: bool) -> PlannedStep:
    if isinstance(step, LogStep) and step.mode == "auto":
        raise BadInput("auto-log steps are not load steps: use a manual log", scenario.name)
    fixture = with_overrides(load_call_fixture(step.call or scenario.call), step.set, "step 1")
    body = fixture.as_body()
    for key, value in fixture.identity_overrides().items():
        body.setdefault(key, value)  # App Connect reads identity from the top level
    body["logInfo"]["sessionId"] = SESSION
    number, is_extension = contact_lookup(body["logInfo"], extension_number_logging=ext_logging)
    lookup: dict[str, Any] = {
        "phoneNumber": number, "isExtension": is_extension,
        "extensionNumber": str(body.get("extensionNumber") or ""),
        "hashedExtensionId": str(body.get("hashedExtensionId") or ""),
    }  # fmt: skip
    sscl = isinstance(step, SsclLogStep)
    if isinstance(step, SsclLogStep):
        body = sscl_body(body)
        body.pop("isFromSSCL", None)
        if step.rcExtensionId:
            body["rcExtensionId"] = step.rcExtensionId
        if step.cachedNote is not None:
            lookup["cachedNote"] = step.cachedNote
    else:
        lookup["createContact"] = step.createContact
    return PlannedStep(step.name or step.kind, "POST", "/callLog", body, sscl, lookup=lookup)


def _update_step(step: Step, number: int, where: str) -> PlannedStep:
    name = step.name or step.kind
    body: dict[str, Any]
    if isinstance(step, DispositionStep):
        body = {"sessionId": SESSION, "dispositions": dict(step.dispositions)}
        return PlannedStep(name, "PUT", "/callDisposition", body)
    if not isinstance(step, UPDATE_STEPS):
        raise BadInput(f"a '{step.kind}' step cannot run under load (step {number})", where)
    if isinstance(step, EditStep):
        body = edit_body(SESSION, subject=step.subject, note=step.note)
    else:
        body = update_body(step, SESSION)
    sscl = bool(body.pop("isFromSSCL", False))
    return PlannedStep(
        name, "PATCH", "/callLog", body, sscl,
        expect_subject=body.get("subject") if isinstance(step, EditStep) else None,
        expect_in_body=_markers(step, body),
    )  # fmt: skip


def _markers(step: Step, body: dict[str, Any]) -> tuple[str, ...]:
    """What an acknowledged update must have put into the CRM log's body."""
    from appconnect.core.compose.composer import format_duration

    found: list[str] = []
    for key in ("note", "recordingLink", "voicemailLink", "aiNote", "transcript"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    if isinstance(step, FinalDataStep | SsclUpdateStep) and isinstance(body.get("duration"), int):
        found.append(format_duration(body["duration"]))
    return tuple(found)


def fill(value: str, session: str) -> str:
    return value.replace(SESSION, session)


# ------------------------------------------------------------------------------ guard rails


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def guard_host(url_or_host: str, allowed: Sequence[str], option: str) -> None:
    """Loopback only, unless `--allow-remote` names this very host."""
    host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
    if not host:
        raise BadInput(f"no host in '{url_or_host}'", option)
    if is_loopback(host) or host.lower() in {name.lower() for name in allowed}:
        return
    raise BadInput(
        f"{host} is not a loopback host: name it with --allow-remote {host} to load it", option
    )


@dataclass(frozen=True)
class LoadPlan:
    """Everything Locust's processes need, written to a user-only file for the master (or the
    single process) and passed on by Locust to its workers."""

    run_id: str
    platform: str
    call_seconds: float
    steps: list[PlannedStep]
    api_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    max_requests: int | None = None
    expect_workers: int = 1
    run_time: float = 60.0
    results: str = ""

    @property
    def prefix(self) -> str:
        return f"ld{self.run_id}"

    def to_json(self) -> str:
        return json.dumps({
            "run_id": self.run_id, "prefix": self.prefix, "platform": self.platform,
            "call_seconds": self.call_seconds, "api_key": self.api_key, "token": self.token,
            "max_requests": self.max_requests, "expect_workers": self.expect_workers,
            "run_time": self.run_time, "results": self.results,
            "steps": [step.as_dict() for step in self.steps],
        })  # fmt: skip
