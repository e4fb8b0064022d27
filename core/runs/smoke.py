"""`smoke`: App Connect's developer testing checklist as one run of checks (seed "Testing").

Connect the user, confirm the call-logging interfaces, match or create a contact, log a call
and verify the CRM record and the callLogs row, edit it (getCallLog then updateCallLog), land
a recording, keep a CRM user's edit through a later update, and log server-side. Every check
goes through the target (the scenario runner's steps); CRM records are read back through the
target's CRM access: the CRM's own state where the harness reaches it (so a connector cannot
vouch for itself), else the connector's getCallLog or the server's details lookup.

Every id a run makes (sessions, telephony sessions) carries the run's id, so runs can repeat
against a long-lived CRM or server. An embedded run keeps its store in memory (and, on the
embedded fixture CRM, its CRM too); elsewhere it deletes what it created unless `keep`, and
reports precisely what it left.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from appconnect.connectors.errors import CRMError
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import ConfigError, HarnessError
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.runs.body_units import dropped_units, moved_dates
from appconnect.core.runs.runner import ScenarioRunner, StepResult
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
from appconnect.core.runs.smoke_report import Check, SmokeReport
from appconnect.core.targets.base import Target
from appconnect.core.targets.crm_access import CrmRecord
from appconnect.core.targets.factory import open_target

REQUIRED_INTERFACES = ("createCallLog", "updateCallLog")
RECOMMENDED_INTERFACES = ("getCallLog", "getLogFormatType")
SMOKE_CALL = "inbound-answered"
SMOKE_SSCL_CALL = "outbound-recorded"
SMOKE_CONTACT = "Smoke Test Contact"


class _Failed(Exception):
    """A check's verdict: failed, with the reason."""


class _Skipped(Exception):
    """A check that cannot run here, with the reason."""


CheckMethod = Callable[[Check], None]


class Smoke:
    """Runs the checklist; each check is a method, run in order, recorded as a `Check`."""

    def __init__(self, target: Target, run_id: str) -> None:
        self.target = target
        self.run_id = run_id
        self.checks: list[Check] = []
        self._runner: ScenarioRunner | None = None
        self.log_id: str | None = None
        self.created: list[str] = []
        #: The CRM bodies the running check read, in order.
        self._reads: list[str] = []
        self._connected = False

    # --- the checklist -------------------------------------------------------------------

    def run(self) -> None:
        # (id, title, the checks it needs to have passed, method), in order. The server-side
        # check makes a second CRM log before the edits: a connector that updates "the
        # latest" log instead of existingCallLog.thirdPartyLogId then hits the wrong one.
        checklist: list[tuple[str, str, tuple[str, ...], CheckMethod]] = [
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

    def _run_check(self, check: Check, needs: tuple[str, ...], method: CheckMethod) -> None:
        self.checks.append(check)
        started = time.perf_counter()
        calls_start, http_start = len(self._calls()), len(self.target.http_exchanges)
        self._reads = []
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
            check.status, check.reason = "fail", str(exc) or type(exc).__name__
        except Exception as exc:  # the connector under test raised: a failed row, not a crash
            check.status, check.reason = "fail", _raised(exc)
        finally:
            check.seconds = time.perf_counter() - started
            check.calls = list(self._calls()[calls_start:])
            check.http = list(self.target.http_exchanges[http_start:])
            if self._reads:
                first = self._reads[0] if len(self._reads) > 1 else ""
                check.bodies = (first, self._reads[-1])

    def _calls(self) -> list[InterfaceCall]:
        """The target's trace so far; none before the user is connected (reading the trace
        of an embedded target connects the user, which only the connect check may do)."""
        return self.target.calls if self._connected else []

    def connect(self, check: Check) -> None:
        check.reason = f"user {self.target.connect()}"  # the login happens here
        self._connected = True

    def interfaces(self, check: Check) -> None:
        implemented = self.target.implemented()
        missing = [name for name in REQUIRED_INTERFACES if not implemented.get(name)]
        if missing:
            raise _Failed(f"missing required: {', '.join(missing)}")
        advised = [name for name in RECOMMENDED_INTERFACES if not implemented.get(name)]
        check.reason = f"recommended but missing: {', '.join(advised)}" if advised else ""

    def contact(self, check: Check) -> None:
        if "findContact" not in self._implemented():
            raise _Skipped("the connector has no findContact")
        body: dict[str, Any] = {"logInfo": self._call_log_info()}
        created = self.target.match_contact(body, SMOKE_CONTACT)
        if not body.get("contactId"):
            raise _Failed("findContact matched nothing and createContact created nothing")
        check.reason = f"{'created' if created else 'matched'} contact {body['contactId']}"

    def log_call(self, check: Check) -> None:
        note = f"smoke {self.run_id}: logged"
        step = self._step(LogStep(kind="log", set={"note": note}, createContact=SMOKE_CONTACT))
        log_id = self._created_log(step, "createCallLog")
        self.log_id = log_id
        rows = self.target.rows(self.runner.session_id or "")
        if len(rows) != 1 or rows[0].thirdPartyLogId != log_id:
            found = ", ".join(r.thirdPartyLogId for r in rows) or "none"
            raise _Failed(f"expected one callLogs row pointing at {log_id}, found {found}")
        if note not in self._crm_record(log_id).body:
            raise _Failed(f"CRM log {log_id} does not hold the note")
        check.reason = f"CRM log {log_id}, row {rows[0].id}"

    def server_side_logging(self, check: Check) -> None:
        suffix = f"-sscl-{self.run_id}"
        runner = ScenarioRunner(self.target, call=SMOKE_SSCL_CALL, session_suffix=suffix)
        # Server-side logging finds the contact as the extension would; smoke makes sure
        # there is one to find, as the log-call check does, rather than assume a seed.
        self.target.match_contact({"logInfo": self._call_log_info(SMOKE_SSCL_CALL)}, SMOKE_CONTACT)
        created = runner.run_step(1, SsclLogStep(kind="sscl-log"))
        log_id = self._created_log(created, "server-side createCallLog")
        session = runner.session_id or ""
        if self.target.capabilities.interface_trace:
            arguments = next(c.arguments for c in created.calls if c.interface == "createCallLog")
            if not getattr(arguments, "is_from_sscl", False):
                raise _Failed("createCallLog did not receive isFromSSCL")
        before = self._crm_record(log_id, session)
        self._require_success(runner.run_step(2, SsclUpdateStep(kind="sscl-update", duration=42)))
        after = self._crm_record(log_id, session)
        if "42 seconds" not in after.body and not self._custom_format():
            raise _Failed(f"CRM log {log_id} does not show the server-side update")
        self._preserved(log_id, before, after, changing=("Duration",))
        check.reason = f"CRM log {log_id}"

    def edit(self, check: Check) -> None:
        subject, note = f"Smoke edit {self.run_id}", f"smoke {self.run_id}: edited"
        log_id = self._log_id()
        before = self._crm_record(log_id)
        step = self._step(EditStep(kind="edit", subject=subject, note=note))
        self._require_success(step)
        made = [call.interface for call in step.calls]
        reads_first = (
            self.target.capabilities.interface_trace
            and "getCallLog" in self._implemented()
            and not self._custom_format()
        )
        if reads_first and made[-2:] != ["getCallLog", "updateCallLog"]:
            raise _Failed(f"expected getCallLog then updateCallLog, got {made}")
        record = self._crm_record(log_id)
        self._preserved(log_id, before, record, changing=("Note", "Summary"), subject=False)
        if record.subject not in (None, subject):
            raise _Failed(f"CRM log {log_id} subject is {record.subject!r}")
        if note not in record.body:
            raise _Failed(f"CRM log {log_id} does not show the edited note")
        check.reason = " -> ".join(made)

    def recording(self, check: Check) -> None:
        link = f"https://media.ringcentral.test/recording/smoke-{self.run_id}"
        log_id = self._log_id()
        before = self._crm_record(log_id)
        self._require_success(self._step(RecordingStep(kind="recording", link=link)))
        after = self._crm_record(log_id)
        if link not in after.body:
            raise _Failed(f"CRM log {log_id} does not hold the recording link")
        if f"smoke {self.run_id}: edited" not in after.body:
            raise _Failed(f"the recording update lost the note of CRM log {log_id}")
        self._preserved(log_id, before, after, changing=("Call recording link",))
        check.reason = "link added, note kept"

    def user_edit_preserved(self, check: Check) -> None:
        crm = self.target.crm
        if not crm.can_edit_as_user:
            raise _Skipped(f"{crm.description} cannot edit a log as a CRM user would")
        line = f"Edited in the CRM by a user ({self.run_id})."
        self._require_success(self._step(CrmEditStep(kind="crm-edit", append=f"\n{line}\n")))
        log_id = self._log_id()
        before = self._crm_record(log_id)
        step = self._step(FinalDataStep(kind="final-data", duration=95, result="Call connected"))
        self._require_success(step)
        after = self._crm_record(log_id)
        if line not in after.body:
            raise _Failed(f"the update overwrote the CRM user's edit of {log_id}")
        if "1 minute, 35 seconds" not in after.body and not self._custom_format():
            raise _Failed(f"CRM log {log_id} does not show the final duration")
        self._preserved(log_id, before, after, changing=("Duration", "Result"))
        check.reason = "user's line kept, duration updated"

    # --- helpers -------------------------------------------------------------------------

    @property
    def runner(self) -> ScenarioRunner:
        if self._runner is None:
            suffix = f"-smoke-{self.run_id}"
            self._runner = ScenarioRunner(self.target, call=SMOKE_CALL, session_suffix=suffix)
        return self._runner

    def _log_id(self) -> str:
        assert self.log_id is not None  # checks that use it need log-call to have passed
        return self.log_id

    def _step(self, step: Step) -> StepResult:
        result = self.runner.run_step(len(self.checks), step)
        if result.flow is not None and result.flow.record is not None:
            self.checks[-1].row = asdict(result.flow.record)
        return result

    def _created_log(self, step: StepResult, what: str) -> str:
        """The CRM log a log step made (remembered for clean-up), or the precise failure."""
        flow = step.flow
        if flow is not None and flow.log_id:
            self.created.append(flow.log_id)
        reason = step.message or "; ".join(step.failures) or "no reason given"
        if flow is not None and flow.successful and flow.log_id:
            return flow.log_id
        if flow is not None and flow.successful:
            raise _Failed(f"{what} answered success without a logId; no callLogs row")
        if not self.target.capabilities.interface_trace:
            # A server answers `successful: false` with the CRM's message: name what is known.
            raise _Failed(f"{what} failed: {reason} (no logId came back)")
        created = [c for c in step.calls if c.interface == "createCallLog"]
        if created and created[-1].ok and not getattr(created[-1].result, "logId", None):
            # No id came back: App Connect then writes no row, whatever message it gave.
            raise _Failed(f"{what} returned no logId ({reason}); no callLogs row")
        raise _Failed(f"{what} failed: {reason}")

    def _require_success(self, step: StepResult) -> None:
        if step.status == "fail":
            raise _Failed(step.message or "; ".join(step.failures) or f"{step.kind} failed")

    def _implemented(self) -> set[str]:
        return {k for k, v in self.target.implemented().items() if v}

    def _custom_format(self) -> bool:
        return not self.target.composes()

    def _preserved(
        self,
        log_id: str,
        before: CrmRecord,
        after: CrmRecord,
        *,
        changing: tuple[str, ...],
        subject: bool = True,
    ) -> None:
        """What an update was not meant to change is still there: the subject (unless the
        update sets it), the contact, and every composed section and user line of the body
        but the sections it rewrites, judged per section in any log format. This catches
        connectors that drop fields on partial updates or overwrite the call's date."""
        if subject and before.subject != after.subject:
            raise _Failed(
                f"the update changed the subject of CRM log {log_id}: "
                f"{before.subject!r} -> {after.subject!r}"
            )
        if before.contact_id != after.contact_id:
            raise _Failed(
                f"the update changed the contact of CRM log {log_id}: "
                f"{before.contact_id} -> {after.contact_id}"
            )
        dropped = dropped_units(before.body, after.body, changing)
        if dropped:
            sections = ", ".join(dict.fromkeys(name for name, _ in dropped))
            first = dropped[0][1][:60]
            raise _Failed(
                f"the update dropped {first!r} from CRM log {log_id} (sections: {sections})"
            )
        moved = moved_dates(before.raw, after.raw, self._call_date())
        if moved:
            raise _Failed(f"the update moved the call's date in CRM log {log_id}: {moved}")

    def _call_date(self) -> str:
        """The day the smoke call started (`YYYY-MM-DD`), as CRM records show it."""
        return str(self._call_log_info().get("startTime") or "")[:10]

    def _call_log_info(self, call: str = SMOKE_CALL) -> dict[str, Any]:
        from appconnect.core.extension.call_fixtures import load_call_fixture

        return load_call_fixture(call).as_body()["logInfo"]  # type: ignore[no-any-return]

    def _crm_record(self, log_id: str, session: str | None = None) -> CrmRecord:
        """The CRM record through the target's CRM access; `session` is the run session that
        made the log (the main one by default)."""
        session = session if session is not None else self.runner.session_id or ""
        rows = [r for r in self.target.rows(session) if r.thirdPartyLogId == log_id]
        if not rows:
            raise _Failed(f"no callLogs row of session {session} points at CRM log {log_id}")
        record = self.target.read_crm_log(rows[0])
        if record is None:
            raise _Failed(f"CRM log {log_id} cannot be read back ({self.target.crm.description})")
        self._reads.append(record.body)
        return record

    def cleanup(self) -> list[str]:
        """Delete what smoke created; return what could not be deleted (still in the CRM)."""
        return self.target.delete_crm_logs(self.created)


def _raised(exc: Exception) -> str:
    message = str(exc).strip()
    return f"the connector raised {type(exc).__name__}" + (f": {message}" if message else "")


def run_smoke(
    config: HarnessConfig,
    *,
    home: Path,
    keep: bool = False,
    run_id: str | None = None,
    transport: Any = None,
    on_check: Callable[[Check], None] | None = None,
    target: Literal["embedded", "server"] = "embedded",
    config_path: Path | None = None,
) -> SmokeReport:
    from appconnect.core.transports.cassette import stable_value

    # Kept in a cassette (--record) so a replayed smoke sends the same session ids.
    run_id = run_id or stable_value("smoke.run_id", lambda: secrets.token_hex(3))
    opened = open_target(
        config, kind=target, home=home, config_path=config_path, sandbox=True, transport=transport
    )
    with opened:
        smoke = Smoke(opened, run_id)
        try:
            smoke.run()
        finally:
            left = smoke.created if keep else smoke.cleanup()
        if on_check is not None:
            for check in smoke.checks:
                on_check(check)
        return SmokeReport(opened.platform, run_id, smoke.checks, left_in_crm=left)
