"""Run scenarios: each step drives the real pipeline (`Harness` + `flows`), in order.

There is no second pipeline here: a step builds the request body App Connect's client (or its
server-side logger) would send and hands it to the harness; assertions then read the CRM
through the connector and the callLogs table through the store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from appconnect.connectors.contract import CallLogInfo, CallLogRecord, CRMCallLog, User
from appconnect.connectors.errors import CRMError
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput, HarnessError
from appconnect.core.extension.call_fixtures import load_call_fixture, with_overrides
from appconnect.core.extension.client_side import LogCallOutcome
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.trace import InterfaceCall, redact
from appconnect.core.runs.scenarios import (
    AiNoteStep,
    AssertStep,
    AutoLogRule,
    CrmEditStep,
    DispositionStep,
    EditStep,
    FaultStep,
    FinalDataStep,
    LogStep,
    RecordingStep,
    RingSenseStep,
    Scenario,
    ScenarioSettings,
    SsclLogStep,
    SsclUpdateStep,
    Step,
    TranscriptStep,
    VoicemailStep,
)
from appconnect.core.targets.embedded import Harness

if TYPE_CHECKING:
    from appconnect.core.targets.server import ServerTarget
    from appconnect.core.transports.faults import FaultPlan
    from appconnect.fixtures.crm import CRMState

Status = Literal["pass", "fail", "skip"]
ANSWERED_RESULTS = frozenset({"Accepted", "Call connected", "Answered"})
DEFAULT_RECORDING_HOST = "https://media.ringcentral.test/recording"
DEFAULT_VOICEMAIL_HOST = "https://media.ringcentral.test/voicemail"


@dataclass
class StepResult:
    index: int
    kind: str
    name: str
    status: Status
    message: str
    calls: list[InterfaceCall] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    flow: FlowResult | None = None

    @property
    def ok(self) -> bool:
        return self.status != "fail"


@dataclass
class ScenarioRun:
    scenario: str
    session_id: str | None
    steps: list[StepResult]

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)


def scenario_config(config: HarnessConfig, settings: ScenarioSettings) -> HarnessConfig:
    """The config with the scenario's App Connect set-up applied, for this run only."""
    app = config.app_connect.model_copy(
        update={
            key: value
            for key, value in (
                ("use_cache", settings.useCache),
                ("enable_extension_number_logging", settings.enableExtensionNumberLogging),
                ("server_side_user_mapping", settings.serverSideUserMapping),
            )
            if value is not None
        }
    )
    connector = config.connector
    if settings.logFormat is not None:
        connector = connector.model_copy(update={"log_format": settings.logFormat})
    return config.model_copy(update={"app_connect": app, "connector": connector})


class ScenarioCore(Protocol):
    """What a scenario drives: our embedded core (`Harness`) or a running App Connect server
    (`ServerTarget`). Both play App Connect's client the same way."""

    @property
    def faults(self) -> FaultPlan | None: ...

    @property
    def calls(self) -> list[InterfaceCall]: ...

    @property
    def fixture_crm_reachable(self) -> bool: ...

    @property
    def sees_interface_calls(self) -> bool:
        """Does `calls` hold connector interface calls (embedded), or only HTTP routes?"""
        ...

    @property
    def crm_state(self) -> CRMState: ...

    def log_body(
        self,
        body: dict[str, Any],
        identity_overrides: Mapping[str, str],
        *,
        create_contact_name: str | None = None,
        as_user: User | None = None,
    ) -> LogCallOutcome: ...

    def update_log(self, body: Mapping[str, Any]) -> FlowResult: ...

    def disposition(self, session_id: str, dispositions: Mapping[str, Any]) -> FlowResult: ...

    def cache_note(self, session_id: str, note: str) -> None: ...

    def server_side_user(
        self, rc_extension_id: str, rc_extensions: Sequence[Mapping[str, Any]]
    ) -> User | None: ...

    def rows(self, session_id: str) -> list[CallLogRecord]: ...

    def read_crm_log(self, row: CallLogRecord) -> CallLogInfo | None: ...

    def list_crm_logs(self, session_id: str) -> list[CRMCallLog] | None: ...

    def use_user_settings(self, settings: Mapping[str, Any]) -> None: ...


class ScenarioRunner:
    """Runs steps against one harness, remembering the call's session between steps."""

    def __init__(
        self,
        harness: ScenarioCore,
        *,
        call: str = "inbound-answered",
        settings: ScenarioSettings | None = None,
        session_id: str | None = None,
        session_suffix: str = "",
        strict: bool = False,
    ) -> None:
        self.harness = harness
        #: Strict runners raise harness errors (bad input) instead of failing the step.
        self.strict = strict
        self.call = call
        self.settings = settings or ScenarioSettings()
        self.session_id = session_id
        self.session_suffix = session_suffix
        self._previous: StepResult | None = None
        # The scenario's settings hold for this run only.
        harness.use_user_settings(
            {
                key: value if isinstance(value, Mapping) and "value" in value else {"value": value}
                for key, value in self.settings.userSettings.items()
            }
        )

    def run(
        self, steps: Sequence[Step], *, before_step: Callable[[int, Step], bool] | None = None
    ) -> list[StepResult]:
        """Run every step; `before_step` returning False stops the run there."""
        results: list[StepResult] = []
        for index, step in enumerate(steps, start=1):
            if before_step is not None and not before_step(index, step):
                break
            results.append(self.run_step(index, step))
        return results

    def run_step(self, index: int, step: Step) -> StepResult:
        calls = self.harness.calls
        start = len(calls)
        name = step.name or step.kind
        try:
            if isinstance(step, AssertStep):
                failures = self._check(step)
                status: Status = "fail" if failures else "pass"
                message = "; ".join(failures) if failures else "all expectations met"
                result = StepResult(index, step.kind, name, status, message, failures=failures)
            else:
                result = self._act(index, step, name)
        except CRMError as exc:  # a CRM failure outside a flow's own mapping
            result = StepResult(index, step.kind, name, "fail", str(exc), failures=[str(exc)])
        except HarnessError as exc:
            if self.strict:
                raise
            result = StepResult(index, step.kind, name, "fail", str(exc), failures=[str(exc)])
        result.calls = list(calls[start:])
        if not isinstance(step, AssertStep):
            self._previous = result
        return result

    # --- actions ---------------------------------------------------------------------------

    def _act(self, index: int, step: Step, name: str) -> StepResult:
        if isinstance(step, LogStep | SsclLogStep):
            return self._log(index, step, name)
        if isinstance(step, CrmEditStep):
            return self._crm_edit(index, step, name)
        if isinstance(step, FaultStep):
            return self._arm_faults(index, step, name)
        if isinstance(step, DispositionStep):
            flow = self.harness.disposition(self._session(), step.dispositions)
            return _flow_result(index, step.kind, name, flow)
        body = self._update_body(step)
        return _flow_result(index, step.kind, name, self.harness.update_log(body))

    def _session(self) -> str:
        if self.session_id is None:
            raise BadInput("no call logged yet: a log or sscl-log step must come first", "steps")
        return self.session_id

    def _log(self, index: int, step: LogStep | SsclLogStep, name: str) -> StepResult:
        fixture = with_overrides(
            load_call_fixture(step.call or self.call), step.set, f"step {index}"
        )
        body = fixture.as_body()
        log_info = body["logInfo"]
        log_info["sessionId"] = f"{log_info['sessionId']}{self.session_suffix}"
        self.session_id = str(log_info["sessionId"])
        overrides = fixture.identity_overrides()

        if isinstance(step, LogStep):
            if step.mode == "auto":
                reason = _rule_rejects(step.rule, log_info)
                if reason is not None:
                    return StepResult(
                        index, step.kind, name, "pass", f"auto-log rule did not log: {reason}"
                    )
            outcome = self.harness.log_body(body, overrides, create_contact_name=step.createContact)
            return _flow_result(index, step.kind, name, outcome.result)

        # Server-side call logging: what App Connect's SSCL service sends.
        body["isFromSSCL"] = True
        body.pop("note", None)  # the service does not know the agent's note
        start = log_info.get("startTime")
        if isinstance(start, str):
            log_info["startTime"] = _epoch_ms(start)
        if step.rcExtensionId:
            overrides = {**overrides, "rcExtensionId": step.rcExtensionId}
        if step.cachedNote is not None:
            self.harness.cache_note(self.session_id, step.cachedNote)
        extensions = [ext.model_dump() for ext in self.settings.rcExtensions]
        as_user = (
            self.harness.server_side_user(step.rcExtensionId, extensions)
            if step.rcExtensionId
            else None
        )
        outcome = self.harness.log_body(body, overrides, as_user=as_user)
        return _flow_result(index, step.kind, name, outcome.result)

    def _update_body(self, step: Step) -> dict[str, Any]:
        body: dict[str, Any] = {"sessionId": self._session()}
        session = self.session_id
        if isinstance(step, EditStep):
            body.update(_given(subject=step.subject, note=step.note))
        elif isinstance(step, RecordingStep):
            body["recordingLink"] = step.link or f"{DEFAULT_RECORDING_HOST}/{session}"
        elif isinstance(step, VoicemailStep):
            body["voicemailLink"] = step.link or f"{DEFAULT_VOICEMAIL_HOST}/{session}"
        elif isinstance(step, FinalDataStep):
            body.update(duration=step.duration, result=step.result)
        elif isinstance(step, AiNoteStep):
            body["aiNote"] = step.aiNote
        elif isinstance(step, TranscriptStep):
            body["transcript"] = step.transcript
        elif isinstance(step, RingSenseStep):
            body.update(
                _given(
                    ringSenseTranscript=step.transcript,
                    ringSenseSummary=step.summary,
                    ringSenseAIScore=step.score,
                    ringSenseBulletedSummary=step.bulletedSummary,
                    ringSenseLink=step.link,
                )
            )
        elif isinstance(step, SsclUpdateStep):
            body.update(
                _given(
                    duration=step.duration,
                    result=step.result,
                    recordingLink=step.recordingLink,
                    note=step.note,
                )
            )
            body["isFromSSCL"] = True
        return body

    def _arm_faults(self, index: int, step: FaultStep, name: str) -> StepResult:
        from appconnect.core.transports.faults import FaultSpecError

        plan = self.harness.faults
        if plan is None:
            return StepResult(
                index, step.kind, name, "skip", "faults need the embedded core's CRM client"
            )
        try:
            for rule in step.rules:
                plan.add(rule)
        except FaultSpecError as exc:
            raise BadInput(str(exc), f"step {index}") from None
        if step.rate is not None:
            plan.rate = step.rate
        armed = ", ".join(step.rules + ([f"rate {step.rate:g}"] if step.rate is not None else []))
        return StepResult(index, step.kind, name, "pass", f"faults armed: {armed or 'none'}")

    def _crm_edit(self, index: int, step: CrmEditStep, name: str) -> StepResult:
        from appconnect.fixtures.crm import NotFound

        if not self.harness.fixture_crm_reachable:
            return StepResult(index, step.kind, name, "skip", "crm-edit needs the fixture CRM")
        rows = self.harness.rows(self._session())
        if not rows:
            raise BadInput("no callLogs row to edit the CRM log of", self._session())
        row = rows[0]
        state = self.harness.crm_state
        changes: dict[str, Any] = _given(subject=step.subject, body=step.body)
        try:
            if step.append is not None:
                current = state.get_activity(row.thirdPartyLogId)
                changes["body"] = str(changes.get("body", current["body"])) + step.append
            state.update_activity(row.thirdPartyLogId, changes, by="user")
        except NotFound as exc:
            raise BadInput(str(exc), "fixture CRM") from None
        return StepResult(index, step.kind, name, "pass", f"CRM user edited {row.thirdPartyLogId}")

    # --- assertions ------------------------------------------------------------------------

    def _check(self, step: AssertStep) -> list[str]:
        failures: list[str] = []
        previous = self._previous
        # Through a server only its routes are visible, not the connector's interface calls.
        if step.calls is not None and self.harness.sees_interface_calls:
            made = [c.interface for c in previous.calls] if previous else []
            if made != step.calls:
                failures.append(f"calls: expected {step.calls}, got {made}")
        if self.harness.sees_interface_calls:
            for interface, expected in step.callArguments.items():
                failures.extend(_check_arguments(previous, interface, expected))
        if step.message is not None:
            got = previous.message if previous else None
            if got != step.message:
                failures.append(f"message: expected {step.message!r}, got {got!r}")
        if step.row is not None:
            failures.extend(self._check_row(step))
        if step.crm is not None:
            failures.extend(self._check_crm(step))
        return failures

    def _check_row(self, step: AssertStep) -> list[str]:
        assert step.row is not None
        expected = step.row
        rows = self.harness.rows(self._session())
        failures = []
        if expected.exists != bool(rows):
            failures.append(f"row: expected exists={expected.exists}, found {len(rows)} rows")
        if expected.count is not None and len(rows) != expected.count:
            failures.append(f"row: expected {expected.count} rows, found {len(rows)}")
        if rows:
            values = asdict(rows[0])
            for key, value in expected.fields.items():
                if values.get(key) != value:
                    failures.append(f"row.{key}: expected {value!r}, got {values.get(key)!r}")
        return failures

    def _check_crm(self, step: AssertStep) -> list[str]:
        assert step.crm is not None
        expected = step.crm
        failures: list[str] = []
        if expected.count is not None:
            listed = self.harness.list_crm_logs(self._session())
            if listed is None:
                failures.append("crm.count: the CRM's call logs cannot be listed here")
            elif len(listed) != expected.count:
                failures.append(
                    f"crm.count: expected {expected.count} CRM logs, found {len(listed)}"
                )
        rows = self.harness.rows(self._session())
        record: CallLogInfo | None = None
        if rows:
            try:
                record = self.harness.read_crm_log(rows[0])
            except CRMError as exc:
                return [*failures, f"crm: cannot read the CRM log: {exc}"]
        if not expected.exists:
            if record is not None:
                failures.append("crm: expected no CRM log, but one exists")
            return failures
        if record is None:
            return [*failures, "crm: expected a CRM log, found none"]
        body = record.fullBody or record.note or ""
        if expected.subject is not None and record.subject != expected.subject:
            failures.append(f"crm.subject: expected {expected.subject!r}, got {record.subject!r}")
        for text in expected.bodyContains:
            if text not in body:
                failures.append(f"crm.body: expected to contain {text!r}")
        for text in expected.bodyNotContains:
            if text in body:
                failures.append(f"crm.body: expected not to contain {text!r}")
        for path, value in expected.fields.items():
            got = _get_path(record.fullLogResponse, path)
            if got != value:
                failures.append(f"crm.{path}: expected {value!r}, got {got!r}")
        return failures


def run_scenario(
    config: HarnessConfig,
    scenario: Scenario,
    *,
    home: Any,
    sandbox: bool = True,
    session_suffix: str = "",
    before_step: Callable[[int, Step], bool] | None = None,
    transport: Any = None,
    target: Literal["embedded", "server"] = "embedded",
    config_dir: Path | None = None,
) -> ScenarioRun:
    """Run a whole scenario: in its own harness (a sandbox unless told otherwise), or
    against the App Connect server in the config's `[server]`."""
    settings_applied = scenario_config(config, scenario.settings)
    core: Harness | ServerTarget
    if target == "server":
        from appconnect.core.targets.server import ServerTarget

        core = ServerTarget(
            settings_applied, config_dir=config_dir, home=Path(home), transport=transport
        )
    else:
        core = Harness(settings_applied, home, sandbox=sandbox, transport=transport)
    with core:
        runner = ScenarioRunner(
            core,
            call=scenario.call,
            settings=scenario.settings,
            session_suffix=session_suffix,
        )
        steps = runner.run(scenario.steps, before_step=before_step)
        return ScenarioRun(scenario.name, runner.session_id, steps)


# --- helpers ---------------------------------------------------------------------------------


def _flow_result(index: int, kind: str, name: str, flow: FlowResult) -> StepResult:
    message = flow.return_message.message if flow.return_message else ""
    failures = [] if flow.successful else [message or "the flow failed"]
    failures.extend(flow.plugin_errors)
    status: Status = "pass" if not failures else "fail"
    return StepResult(index, kind, name, status, message, failures=failures, flow=flow)


def _rule_rejects(rule: AutoLogRule, log_info: Mapping[str, Any]) -> str | None:
    direction = log_info.get("direction")
    if direction not in rule.directions:
        return f"{direction} calls are not auto-logged"
    if rule.onlyAnswered and log_info.get("result") not in ANSWERED_RESULTS:
        return f"only answered calls are auto-logged (result: {log_info.get('result')})"
    duration = log_info.get("duration")
    if isinstance(duration, int | float) and duration < rule.minDuration:
        return f"shorter than {rule.minDuration:g} seconds"
    return None


def _check_arguments(
    previous: StepResult | None, interface: str, expected: Mapping[str, Any]
) -> list[str]:
    call = next((c for c in (previous.calls if previous else []) if c.interface == interface), None)
    if call is None:
        return [f"callArguments: {interface} was not called"]
    arguments = redact(call.arguments)
    failures = []
    for path, value in expected.items():
        got = _get_path(arguments, path)
        if got != value:
            failures.append(f"callArguments.{interface}.{path}: expected {value!r}, got {got!r}")
    return failures


def _given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _get_path(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def _epoch_ms(text: str) -> int | str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return int(moment.timestamp() * 1000)
