"""Run scenarios: each step drives a target (our core in-process, or a server), in order.

There is no second pipeline here: a step builds the request body App Connect's extension (or
its server-side logger) would send and hands it to the target; assertions then read the CRM
through the target's CRM access and the callLogs table through the target.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from appconnect.connectors.errors import CRMError
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput, HarnessError
from appconnect.core.extension.call_fixtures import load_call_fixture, with_overrides
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.runs.assertions import UNCHECKED, check_step
from appconnect.core.runs.scenarios import (
    AssertStep,
    CrmEditStep,
    DispositionStep,
    FaultStep,
    LogStep,
    Scenario,
    ScenarioSettings,
    SsclLogStep,
    Step,
)
from appconnect.core.runs.step_bodies import rule_rejects, sscl_body, update_body
from appconnect.core.targets.base import Target
from appconnect.core.targets.crm_access import UserEdit
from appconnect.core.targets.factory import open_target

if TYPE_CHECKING:
    from appconnect.core.runs.body_diff import BodyDiff
    from appconnect.core.transports.http_trace import HttpExchange

Status = Literal["pass", "fail", "skip"]


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
    #: The HTTP exchanges the step made, when the target records them (`[trace] http`).
    http: list[HttpExchange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "fail"

    def body_change(self) -> BodyDiff | None:
        """What the step's flow changed in the CRM body (None: it wrote none, or unknown)."""
        from appconnect.core.runs.body_diff import flow_body_change

        return flow_body_change(self.calls, self.flow)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "failures": self.failures,
            "calls": [call.as_dict() for call in self.calls],
            **({"http": [exchange.as_dict() for exchange in self.http]} if self.http else {}),
        }


@dataclass
class ScenarioRun:
    scenario: str
    session_id: str | None
    steps: list[StepResult]
    #: CRM logs the run made that are still in the CRM (kept on purpose, or undeletable).
    left_in_crm: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "sessionId": self.session_id,
            "ok": self.ok,
            "steps": [step.as_dict() for step in self.steps],
            "leftInCrm": self.left_in_crm,
        }


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


class ScenarioRunner:
    """Runs steps against one target, remembering the call's session between steps."""

    def __init__(
        self,
        target: Target,
        *,
        call: str = "inbound-answered",
        settings: ScenarioSettings | None = None,
        session_id: str | None = None,
        session_suffix: str = "",
        strict: bool = False,
    ) -> None:
        self.target = target
        #: Strict runners raise harness errors (bad input) instead of failing the step.
        self.strict = strict
        self.call = call
        self.settings = settings or ScenarioSettings()
        self.session_id = session_id
        self.session_suffix = session_suffix
        self._previous: StepResult | None = None
        #: Set when an action step was skipped for a capability the target lacks: the call's
        #: state then differs from the scenario's, so the steps after it are skipped too.
        self._skipped_from: str | None = None
        #: The CRM logs the run's log steps made, for clean-up.
        self.created: list[str] = []
        #: HTTP exchanges up to here belong to no step; the login's (below, or at the first
        #: step) belong to the first.
        self._http_seen = len(target.http_exchanges)
        # The scenario's settings hold for this run only.
        target.use_user_settings(
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
        calls = self.target.calls
        start = len(calls)
        name = step.name or step.kind
        if self._skipped_from is not None:
            return StepResult(index, step.kind, name, "skip", self._skipped_from)
        try:
            if isinstance(step, AssertStep):
                result = assert_result(
                    index, name, check_step(self.target, step, self._previous, self._session)
                )
            else:
                result = self._act(index, step, name)
        except CRMError as exc:  # a CRM failure outside a flow's own mapping
            result = StepResult(index, step.kind, name, "fail", str(exc), failures=[str(exc)])
        except HarnessError as exc:
            if self.strict:
                raise
            result = StepResult(index, step.kind, name, "fail", str(exc), failures=[str(exc)])
        result.calls = list(calls[start:])
        exchanges = self.target.http_exchanges
        result.http, self._http_seen = list(exchanges[self._http_seen :]), len(exchanges)
        made = result.flow.log_id if result.flow and result.flow.successful else None
        if isinstance(step, LogStep | SsclLogStep) and made and made not in self.created:
            self.created.append(made)
        if not isinstance(step, AssertStep):
            self._previous = result
            if result.status == "skip":
                self._skipped_from = f"step {index} ({result.kind}) was skipped: {result.message}"
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
            flow = self.target.disposition(self._session(), step.dispositions)
            return flow_step(index, step.kind, name, flow)
        body = update_body(step, self._session())
        return flow_step(index, step.kind, name, self.target.update_log(body))

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
                reason = rule_rejects(step.rule, log_info)
                if reason is not None:
                    message = f"auto-log rule did not log: {reason}"
                    return StepResult(index, step.kind, name, "pass", message)
            outcome = self.target.log_body(body, overrides, create_contact_name=step.createContact)
            return flow_step(index, step.kind, name, outcome.result)

        body = sscl_body(body)
        if step.rcExtensionId:
            overrides = {**overrides, "rcExtensionId": step.rcExtensionId}
        if step.cachedNote is not None:
            self.target.cache_note(self.session_id, step.cachedNote)
        as_user = None
        if step.rcExtensionId and self.target.capabilities.user_mapping:
            extensions = [ext.model_dump() for ext in self.settings.rcExtensions]
            as_user = self.target.server_side_user(step.rcExtensionId, extensions)
        outcome = self.target.log_body(body, overrides, as_user=as_user)
        return flow_step(index, step.kind, name, outcome.result)

    def _arm_faults(self, index: int, step: FaultStep, name: str) -> StepResult:
        from appconnect.core.transports.faults import FaultSpecError

        plan = self.target.faults
        if plan is None or not self.target.capabilities.faults:
            reason = f"the {self.target.kind} target cannot inject faults"
            return StepResult(index, step.kind, name, "skip", reason)
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
        crm = self.target.crm
        if not crm.can_edit_as_user:
            reason = f"{crm.description} cannot edit a log as a CRM user would"
            return StepResult(index, step.kind, name, "skip", reason)
        rows = self.target.rows(self._session())
        if not rows:
            raise BadInput("no callLogs row to edit the CRM log of", self._session())
        row = rows[0]
        crm.edit_as_user(row, UserEdit(subject=step.subject, body=step.body, append=step.append))
        return StepResult(index, step.kind, name, "pass", f"CRM user edited {row.thirdPartyLogId}")


def run_scenario(
    config: HarnessConfig,
    scenario: Scenario,
    *,
    home: Path,
    sandbox: bool = True,
    session_suffix: str = "",
    before_step: Callable[[int, Step], bool] | None = None,
    transport: Any = None,
    target: Literal["embedded", "server"] = "embedded",
    config_path: Path | None = None,
) -> ScenarioRun:
    """Run a whole scenario on its own target (an embedded sandbox unless told otherwise).

    A sandbox on a CRM that outlives the run (not the in-memory fixture CRM; a server) gets
    a per-run session suffix, so runs repeat, and its CRM logs are deleted after it; those
    that could not be are reported. Without a sandbox (`--keep`) what it made stays, and is
    reported too."""
    settings_applied = scenario_config(config, scenario.settings)
    opened = open_target(
        settings_applied,
        kind=target,
        home=Path(home),
        config_path=config_path,
        sandbox=sandbox,
        transport=transport,
    )
    with opened:
        outlives = not opened.ephemeral
        if not session_suffix and sandbox and outlives:
            from appconnect.core.transports.cassette import stable_value

            suffix = stable_value("scenario.session_suffix", lambda: secrets.token_hex(3))
            session_suffix = f"-{suffix}"
        runner = ScenarioRunner(
            opened, call=scenario.call, settings=scenario.settings, session_suffix=session_suffix
        )
        unmet = unmet_requirements(opened, scenario.requires)
        if unmet is not None:
            steps = [
                StepResult(index, step.kind, step.name or step.kind, "skip", unmet)
                for index, step in enumerate(scenario.steps, start=1)
            ]
        else:
            steps = runner.run(scenario.steps, before_step=before_step)
        left: list[str] = []
        if outlives:
            left = opened.delete_crm_logs(runner.created) if sandbox else list(runner.created)
        return ScenarioRun(scenario.name, runner.session_id, steps, left)


def unmet_requirements(target: Target, requires: Sequence[str]) -> str | None:
    """Why the target cannot run a scenario with these requirements, or None."""
    if "fixture-crm" in requires and not target.crm.fixture_crm:
        return "written against the bundled fixture CRM's data, and this CRM is another"
    interfaces = [name for name in requires if name != "fixture-crm"]
    if interfaces:
        implemented = target.implemented()
        missing = [name for name in interfaces if not implemented.get(name)]
        if missing:
            return f"needs {', '.join(missing)}, which the connector does not implement"
    return None


def assert_result(index: int, name: str, findings: list[str]) -> StepResult:
    """An assert step's verdict: failed on any failed expectation; expectations the target
    cannot check are named in the message (and skip the step when nothing else was)."""
    failures = [f for f in findings if not f.startswith(UNCHECKED)]
    unchecked = [f for f in findings if f.startswith(UNCHECKED)]
    if failures:
        return StepResult(index, "assert", name, "fail", "; ".join(failures), failures=failures)
    if unchecked:
        return StepResult(index, "assert", name, "pass", "; ".join(unchecked))
    return StepResult(index, "assert", name, "pass", "all expectations met")


def flow_step(index: int, kind: str, name: str, flow: FlowResult) -> StepResult:
    """A step's result from the flow it ran: failed when the flow did, with its message."""
    message = flow.message
    failures = [] if flow.successful else [message or "the flow failed"]
    failures.extend(flow.plugin_errors)
    status: Status = "pass" if not failures else "fail"
    return StepResult(index, kind, name, status, message, failures=failures, flow=flow)
