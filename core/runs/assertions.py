"""A scenario's `assert` step: what the previous step did (its interface calls and their
arguments, its message), the callLogs row, and the CRM log as the target's CRM access reads it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from appconnect.connectors.errors import CRMError
from appconnect.core.flows.trace import redact
from appconnect.core.runs.scenarios import AssertStep
from appconnect.core.targets.base import Target
from appconnect.core.targets.crm_access import CrmRecord

if TYPE_CHECKING:
    from appconnect.core.runs.runner import StepResult


#: Prefix of an expectation this target cannot check (it is skipped, with the reason).
UNCHECKED = "not checkable here: "


def check_step(
    target: Target, step: AssertStep, previous: StepResult | None, session: Callable[[], str]
) -> list[str]:
    """The step's failed expectations (empty: all met), and those this target cannot check,
    prefixed `UNCHECKED`. `session` gives the call's session id, raising BadInput when no
    call was logged yet."""
    failures: list[str] = []
    if not target.capabilities.interface_trace and (step.calls is not None or step.callArguments):
        failures.append(f"{UNCHECKED}interface calls (the {target.kind} target shows its routes)")
    # Through a server only its routes are visible, not the connector's interface calls.
    if target.capabilities.interface_trace:
        if step.calls is not None:
            made = [c.interface for c in previous.calls] if previous else []
            if made != step.calls:
                failures.append(f"calls: expected {step.calls}, got {made}")
        for interface, expected in step.callArguments.items():
            failures.extend(_check_arguments(previous, interface, expected))
    if step.message is not None:
        got = previous.message if previous else None
        if got != step.message:
            failures.append(f"message: expected {step.message!r}, got {got!r}")
    if step.row is not None:
        failures.extend(_check_row(target, step, session()))
    if step.crm is not None:
        failures.extend(_check_crm(target, step, session()))
    return failures


def _check_row(target: Target, step: AssertStep, session: str) -> list[str]:
    assert step.row is not None
    expected = step.row
    rows = target.rows(session)
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


def _check_crm(target: Target, step: AssertStep, session: str) -> list[str]:
    assert step.crm is not None
    expected = step.crm
    failures: list[str] = []
    if expected.count is not None:
        listed = target.list_crm_logs(session)
        if listed is None:
            failures.append(f"{UNCHECKED}crm.count ({target.crm.description} cannot list logs)")
        elif len(listed) != expected.count:
            failures.append(f"crm.count: expected {expected.count} CRM logs, found {len(listed)}")
    rows = target.rows(session)
    record: CrmRecord | None = None
    if rows:
        try:
            record = target.read_crm_log(rows[0])
        except CRMError as exc:
            return [*failures, f"crm: cannot read the CRM log: {exc}"]
    if not expected.exists:
        if record is not None:
            failures.append("crm: expected no CRM log, but one exists")
        return failures
    if record is None:
        return [*failures, "crm: expected a CRM log, found none"]
    if expected.subject is not None and record.subject != expected.subject:
        failures.append(f"crm.subject: expected {expected.subject!r}, got {record.subject!r}")
    for text in expected.bodyContains:
        if text not in record.body:
            failures.append(f"crm.body: expected to contain {text!r}")
    for text in expected.bodyNotContains:
        if text in record.body:
            failures.append(f"crm.body: expected not to contain {text!r}")
    for path, value in expected.fields.items():
        got = get_path(record.raw, path)
        if got != value:
            failures.append(f"crm.{path}: expected {value!r}, got {got!r}")
    return failures


def _check_arguments(
    previous: StepResult | None, interface: str, expected: Mapping[str, Any]
) -> list[str]:
    call = next((c for c in (previous.calls if previous else []) if c.interface == interface), None)
    if call is None:
        return [f"callArguments: {interface} was not called"]
    arguments = redact(call.arguments)
    failures = []
    for path, value in expected.items():
        got = get_path(arguments, path)
        if got != value:
            failures.append(f"callArguments.{interface}.{path}: expected {value!r}, got {got!r}")
    return failures


def get_path(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data
