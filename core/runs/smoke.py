"""`smoke`: App Connect's developer testing checklist as one run of checks (seed "Testing").

Connect the user, confirm the call-logging interfaces, match or create a contact, log a call
and verify the CRM record and the callLogs row, edit it (getCallLog then updateCallLog), land
a recording, keep a CRM user's edit through a later update, and log server-side. Every check
goes through the one pipeline (the scenario runner's steps); the CRM is read back directly
from the fixture CRM when that is the CRM, so a connector cannot vouch for itself, and
through the connector's getCallLog otherwise.

The run uses an in-memory store (and, for the embedded fixture CRM, an in-memory CRM), so the
home is never touched; against a real CRM it deletes what it created unless `keep`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from appconnect.connectors.errors import CRMError
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import ConfigError, HarnessError
from appconnect.core.runs.runner import ScenarioCore, ScenarioRunner, StepResult
from appconnect.core.runs.scenarios import (
    CrmEditStep,
    EditStep,
    FinalDataStep,
    LogStep,
    RecordingStep,
    SsclLogStep,
    SsclUpdateStep,
    Step,
)
from appconnect.core.targets.embedded import Harness

if TYPE_CHECKING:
    from appconnect.core.targets.server import ServerTarget

Status = Literal["pass", "fail", "skip"]
REQUIRED_INTERFACES = ("createCallLog", "updateCallLog")
RECOMMENDED_INTERFACES = ("getCallLog", "getLogFormatType")
SMOKE_CALL = "inbound-answered"
SMOKE_SSCL_CALL = "outbound-recorded"


@dataclass
class Check:
    id: str
    title: str
    status: Status = "pass"
    reason: str = ""
    seconds: float = 0.0


@dataclass
class SmokeReport:
    platform: str
    run_id: str
    checks: list[Check]
    left_in_crm: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for c in self.checks if c.status == s) for s in ("pass", "fail", "skip")}


class _Failed(Exception):
    """A check's verdict: failed, with the reason."""


class _Skipped(Exception):
    """A check that cannot run here, with the reason."""


class SmokeCore(ScenarioCore, Protocol):
    """A scenario core that can also log in, list its interfaces, match a contact and clean
    up: Harness and ServerTarget."""

    @property
    def platform(self) -> str: ...

    def connect(self) -> str: ...

    def implemented(self) -> dict[str, bool]: ...

    def match_contact(self, body: dict[str, Any], create_name: str | None) -> bool: ...

    def composes(self) -> bool: ...

    def delete_crm_logs(self, log_ids: Sequence[str]) -> list[str]: ...


class Smoke:
    """Runs the checklist; each check is a method, run in order, recorded as a `Check`."""

    def __init__(self, harness: SmokeCore, run_id: str) -> None:
        self.harness = harness
        self.run_id = run_id
        self.checks: list[Check] = []
        self._runner: ScenarioRunner | None = None
        self.log_id: str | None = None
        self.sscl_log_id: str | None = None
        self.created: list[str] = []

    # --- the checklist -------------------------------------------------------------------

    def run(self) -> None:
        # (id, title, the checks it needs to have passed, method), in order. The server-side
        # check makes a second CRM log before the edits: a connector that updates "the
        # latest" log instead of existingCallLog.thirdPartyLogId then hits the wrong one.
        checklist: list[tuple[str, str, tuple[str, ...], Callable[[Check], None]]] = [
            ("connect", "connect the CRM user (getUserInfo)", (), self.connect),
            ("interfaces", "implementedInterfaces has call logging", ("connect",), self.interfaces),
            ("contact", "match or create a test contact", ("connect",), self.contact),
            ("log-call", "log a call: CRM record and callLogs row", ("connect",), self.log_call),
            ("server-side", "server-side logging creates and updates", ("connect",),
             self.server_side_logging),
            ("edit", "edit: getCallLog then updateCallLog", ("log-call",), self.edit),
            ("recording", "a recording lands later", ("edit",), self.recording),
            ("user-edit", "a CRM user's edit survives a later update", ("log-call",),
             self.user_edit_preserved),
        ]  # fmt: skip
        for check_id, title, needs, method in checklist:
            self._run_check(Check(check_id, title), needs, method)

    def _run_check(
        self, check: Check, needs: tuple[str, ...], method: Callable[[Check], None]
    ) -> None:
        self.checks.append(check)
        started = time.perf_counter()
        unmet = [c.id for c in self.checks if c.id in needs and c.status != "pass"]
        try:
            if unmet:
                raise _Skipped(f"needs {', '.join(unmet)}")
            method(check)
        except _Failed as exc:
            check.status, check.reason = "fail", str(exc)
        except _Skipped as exc:
            check.status, check.reason = "skip", str(exc)
        except ConfigError:
            raise  # bad config is not a failed check: exit 2
        except (HarnessError, CRMError) as exc:
            check.status, check.reason = "fail", str(exc)
        finally:
            check.seconds = time.perf_counter() - started

    def connect(self, check: Check) -> None:
        check.reason = f"user {self.harness.connect()}"  # the login happens here

    def interfaces(self, check: Check) -> None:
        implemented = self.harness.implemented()
        missing = [name for name in REQUIRED_INTERFACES if not implemented.get(name)]
        if missing:
            raise _Failed(f"missing required: {', '.join(missing)}")
        advised = [name for name in RECOMMENDED_INTERFACES if not implemented.get(name)]
        check.reason = f"recommended but missing: {', '.join(advised)}" if advised else ""

    def contact(self, check: Check) -> None:
        if "findContact" not in self._implemented():
            raise _Skipped("the connector has no findContact")
        body: dict[str, Any] = {"logInfo": self._call_log_info()}
        created = self.harness.match_contact(body, "Smoke Test Contact")
        if not body.get("contactId"):
            raise _Failed("findContact matched nothing and createContact created nothing")
        check.reason = f"{'created' if created else 'matched'} contact {body['contactId']}"

    def log_call(self, check: Check) -> None:
        step = self._step(LogStep(kind="log", set={"note": f"smoke {self.run_id}: logged"}))
        flow = step.flow
        if flow is None or not flow.successful or not flow.log_id:
            message = step.message or "no message"
            raise _Failed(f"createCallLog returned no logId ({message}); no callLogs row")
        self.log_id = flow.log_id
        self.created.append(flow.log_id)
        rows = self.harness.rows(self.runner.session_id or "")
        if len(rows) != 1 or rows[0].thirdPartyLogId != flow.log_id:
            raise _Failed(f"expected one callLogs row pointing at {flow.log_id}, got {rows}")
        if f"smoke {self.run_id}: logged" not in self._crm_body(flow.log_id):
            raise _Failed(f"CRM log {flow.log_id} does not hold the note")
        check.reason = f"CRM log {flow.log_id}, row {rows[0].id}"

    def server_side_logging(self, check: Check) -> None:
        runner = ScenarioRunner(
            self.harness, call=SMOKE_SSCL_CALL, session_suffix=f"-sscl-{self.run_id}"
        )
        created = runner.run_step(1, SsclLogStep(kind="sscl-log"))
        flow = created.flow
        if flow is None or not flow.successful or not flow.log_id:
            raise _Failed(f"server-side create failed: {created.message}")
        self.created.append(flow.log_id)
        if self.harness.sees_interface_calls:
            arguments = next(c.arguments for c in created.calls if c.interface == "createCallLog")
            if not getattr(arguments, "is_from_sscl", False):
                raise _Failed("createCallLog did not receive isFromSSCL")
        self._require_success(runner.run_step(2, SsclUpdateStep(kind="sscl-update", duration=42)))
        if "42 seconds" not in self._crm_body(flow.log_id) and not self._custom_format():
            raise _Failed(f"CRM log {flow.log_id} does not show the server-side update")
        check.reason = f"CRM log {flow.log_id}"

    def edit(self, check: Check) -> None:
        subject, note = f"Smoke edit {self.run_id}", f"smoke {self.run_id}: edited"
        log_id = self._log_id()
        before = self._crm_record(log_id)
        step = self._step(EditStep(kind="edit", subject=subject, note=note))
        self._require_success(step)
        made = [call.interface for call in step.calls]
        reads_first = (
            self.harness.sees_interface_calls
            and "getCallLog" in self._implemented()
            and not self._custom_format()
        )
        if reads_first and made[-2:] != ["getCallLog", "updateCallLog"]:
            raise _Failed(f"expected getCallLog then updateCallLog, got {made}")
        record = self._crm_record(log_id)
        self._preserved(log_id, before, record, changing=("- Note:", "- Summary:"), subject=False)
        if record.get("subject") not in (None, subject):
            raise _Failed(f"CRM log {log_id} subject is {record.get('subject')!r}")
        if note not in self._crm_body(log_id):
            raise _Failed(f"CRM log {log_id} does not show the edited note")
        check.reason = " -> ".join(made)

    def recording(self, check: Check) -> None:
        link = f"https://media.ringcentral.test/recording/smoke-{self.run_id}"
        log_id = self._log_id()
        before = self._crm_record(log_id)
        self._require_success(self._step(RecordingStep(kind="recording", link=link)))
        after = self._crm_record(log_id)
        body = str(after.get("body") or "")
        if link not in body:
            raise _Failed(f"CRM log {log_id} does not hold the recording link")
        if f"smoke {self.run_id}: edited" not in body:
            raise _Failed(f"the recording update lost the note of CRM log {log_id}")
        self._preserved(log_id, before, after, changing=("- Call recording link:",))
        check.reason = "link added, note kept"

    def user_edit_preserved(self, check: Check) -> None:
        if not self.harness.fixture_crm_reachable:
            raise _Skipped("needs the fixture CRM to edit as a CRM user")
        line = f"Edited in the CRM by a user ({self.run_id}).\n"
        self._require_success(self._step(CrmEditStep(kind="crm-edit", append=line)))
        log_id = self._log_id()
        before = self._crm_record(log_id)
        step = self._step(FinalDataStep(kind="final-data", duration=95, result="Call connected"))
        self._require_success(step)
        after = self._crm_record(log_id)
        body = str(after.get("body") or "")
        if line not in body:
            raise _Failed(f"the update overwrote the CRM user's edit of {log_id}")
        if "1 minute, 35 seconds" not in body and not self._custom_format():
            raise _Failed(f"CRM log {log_id} does not show the final duration")
        self._preserved(log_id, before, after, changing=("- Duration:", "- Result:"))
        check.reason = "user's line kept, duration updated"

    # --- helpers -------------------------------------------------------------------------

    @property
    def runner(self) -> ScenarioRunner:
        if self._runner is None:
            suffix = f"-smoke-{self.run_id}"
            self._runner = ScenarioRunner(self.harness, call=SMOKE_CALL, session_suffix=suffix)
        return self._runner

    def _log_id(self) -> str:
        assert self.log_id is not None  # checks that use it need log-call to have passed
        return self.log_id

    def _step(self, step: Step) -> StepResult:
        return self.runner.run_step(len(self.checks), step)

    def _require_success(self, step: StepResult) -> None:
        if step.status == "fail":
            raise _Failed(step.message or "; ".join(step.failures))

    def _implemented(self) -> set[str]:
        return {k for k, v in self.harness.implemented().items() if v}

    def _custom_format(self) -> bool:
        return not self.harness.composes()

    def _preserved(
        self,
        log_id: str,
        before: dict[str, Any],
        after: dict[str, Any],
        *,
        changing: tuple[str, ...],
        subject: bool = True,
    ) -> None:
        """What an update was not meant to change is still there: the subject (unless the
        update sets it), the contact, and every line of the body but the ones it rewrites.
        This is what catches connectors that drop fields on partial updates."""
        if subject and before.get("subject") != after.get("subject"):
            raise _Failed(
                f"the update changed the subject of CRM log {log_id}: "
                f"{before.get('subject')!r} -> {after.get('subject')!r}"
            )
        if before.get("contactId") != after.get("contactId"):
            raise _Failed(f"the update changed the contact of CRM log {log_id}")
        body = str(after.get("body") or "")
        for line in str(before.get("body") or "").splitlines():
            if line.strip() and not line.startswith(changing) and line not in body:
                raise _Failed(f"the update dropped {line[:60]!r} from CRM log {log_id}")

    def _call_log_info(self) -> dict[str, Any]:
        from appconnect.core.extension.call_fixtures import load_call_fixture

        return load_call_fixture(SMOKE_CALL).as_body()["logInfo"]  # type: ignore[no-any-return]

    def _crm_record(self, log_id: str) -> dict[str, Any]:
        """The CRM record as the CRM holds it: read from the fixture CRM itself when it is
        the CRM (so a connector cannot vouch for itself), else read back through the core."""
        harness = self.harness
        if harness.fixture_crm_reachable:
            from appconnect.fixtures.crm import NotFound

            try:
                return harness.crm_state.get_activity(log_id)
            except NotFound:
                raise _Failed(f"CRM log {log_id} does not exist") from None
        session = self.runner.session_id or ""
        rows = [r for r in harness.rows(session) if r.thirdPartyLogId == log_id]
        info = harness.read_crm_log(rows[0]) if rows else None
        if info is None:
            raise _Failed(f"CRM log {log_id} cannot be read back")
        record = info.fullLogResponse if isinstance(info.fullLogResponse, dict) else {}
        return {
            "subject": info.subject,
            "body": info.fullBody or info.note or "",
            "contactId": record.get("contactId"),
        }

    def _crm_body(self, log_id: str) -> str:
        return str(self._crm_record(log_id).get("body") or "")

    def cleanup(self) -> list[str]:
        """Delete what smoke created in a real CRM; return what could not be deleted."""
        return self.harness.delete_crm_logs(self.created)


def run_smoke(
    config: HarnessConfig,
    *,
    home: Path,
    keep: bool = False,
    run_id: str | None = None,
    transport: Any = None,
    on_check: Callable[[Check], None] | None = None,
    target: Literal["embedded", "server"] = "embedded",
    config_dir: Path | None = None,
) -> SmokeReport:
    run_id = run_id or secrets.token_hex(3)
    core: Harness | ServerTarget
    if target == "server":
        from appconnect.core.targets.server import ServerTarget

        core = ServerTarget(config, config_dir=config_dir, home=home, transport=transport)
    else:
        core = Harness(config, home, sandbox=True, transport=transport)
    with core:
        smoke = Smoke(core, run_id)
        try:
            smoke.run()
        finally:
            left = smoke.created if keep else smoke.cleanup()
        if on_check is not None:
            for check in smoke.checks:
                on_check(check)
        return SmokeReport(core.platform, run_id, smoke.checks, left_in_crm=left)
