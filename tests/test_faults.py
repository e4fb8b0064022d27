"""Faults on demand, bounded retries, and creates that never duplicate."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import httpx
import pytest

from appconnect.connectors.errors import CRMError, parse_retry_after
from appconnect.connectors.fixture import FixtureConnector
from appconnect.core.config import parse_config
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.retry import RetryPolicy
from appconnect.core.runs.runner import run_scenario
from appconnect.core.runs.scenarios import parse_scenario
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.core.transports.faults import FaultPlan, FaultSpecError, parse_rule
from appconnect.fixtures.crm import CRMState

SESSION = "4001000101"


def harness(home: Path, *rules: str, attempts: int = 3, **config: Any) -> EmbeddedTarget:
    settings = parse_config({"retries": {"attempts": attempts, "base_delay": 0}, **config}, "t")
    return EmbeddedTarget(settings, home, faults=FaultPlan.from_specs(list(rules)))


def log(h: EmbeddedTarget) -> FlowResult:
    return h.log_call(load_call_fixture("inbound-answered")).result


def calls(h: EmbeddedTarget) -> list[str]:
    return [c.interface for c in h.pipeline().calls]


def activities(home: Path) -> list[dict[str, Any]]:
    return CRMState(home / "fixture-crm.json").list_activities()


def test_rule_syntax() -> None:
    rule = parse_rule("getCallLog=500x2")
    assert (rule.interface, rule.kind, rule.times) == ("getCallLog", "500", 2)
    route = parse_rule("PATCH /v1/activities/*=timeout")
    assert (route.interface, route.method, route.path) == (None, "PATCH", "/v1/activities/*")
    for bad, message in [
        ("createCallLog", "fault 'createCallLog' must be TARGET=KIND or TARGET=KINDxN"),
        ("createCallLog=418", "unknown fault kind '418'"),
        ("nope=500", "unknown fault target 'nope'"),
    ]:
        with pytest.raises(FaultSpecError) as err:
            parse_rule(bad)
        assert str(err.value).startswith(message)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("429", "Rate limit exceeded"),
        ("401", "Authorization error"),
        ("403", "Authorization error"),
        ("404", "Authorization error"),
        ("500", "Error creating call log"),
        ("502", "Error creating call log"),
        ("503", "Error creating call log"),
    ],
)
def test_refusals_map_to_app_connect_messages_and_create_nothing(
    home: Path, kind: str, message: str
) -> None:
    with harness(home, f"createCallLog={kind}", attempts=1) as h:
        result = log(h)
        rows = list(h.call_logs())
    assert not result.successful
    assert result.return_message is not None
    assert result.return_message.message == message
    assert (rows, activities(home)) == ([], [])


def test_success_after_n_failures_is_retried_into_one_log(home: Path) -> None:
    with harness(home, "createCallLog=503x2") as h:
        result = log(h)
        made = calls(h)
    assert result.successful
    # A 503 may come after the CRM acted, so each retry looks for the log first.
    assert made == [
        "findContact", "getLogFormatType",
        "createCallLog", "listCallLogs", "createCallLog", "listCallLogs", "createCallLog",
    ]  # fmt: skip
    assert len(activities(home)) == 1


@pytest.mark.parametrize("kind", ["timeout", "reset", "malformed"])
def test_a_create_whose_answer_is_lost_is_found_not_repeated(home: Path, kind: str) -> None:
    with harness(home, f"createCallLog={kind}x1") as h:
        result = log(h)
        made = calls(h)
        rows = list(h.call_logs())
    assert result.successful
    assert made[-2:] == ["createCallLog", "listCallLogs"]  # no second createCallLog
    (activity,) = activities(home)
    assert [r.thirdPartyLogId for r in rows] == [activity["id"]]


def test_a_connector_that_cannot_list_is_not_retried_blindly(home: Path) -> None:
    class NoList(FixtureConnector):
        list_call_logs = None

    with harness(home, "createCallLog=timeoutx1") as h:
        h._connector = NoList(h.connector._client)  # type: ignore[attr-defined]
        result = log(h)
        made = calls(h)
    assert not result.successful
    assert made.count("createCallLog") == 1
    assert len(activities(home)) == 1  # the CRM did create it: an orphan for `repair`


def test_rejections_are_not_retried(home: Path) -> None:
    with harness(home, "createCallLog=401") as h:
        log(h)
        assert calls(h).count("createCallLog") == 1


def test_reads_and_updates_are_retried(home: Path) -> None:
    with harness(home) as h:
        log(h)
        h.pipeline().calls.clear()
        h.faults.add("getCallLog=500x2")
        h.faults.add("updateCallLog=timeoutx1")
        result = h.update_log({"sessionId": SESSION, "recordingLink": "https://rec/1"})
        made = calls(h)
    assert result.successful
    assert made == [
        "getLogFormatType", "getCallLog", "getCallLog", "getCallLog",
        "updateCallLog", "updateCallLog",
    ]  # fmt: skip
    assert "- Call recording link: https://rec/1" in activities(home)[0]["body"]


def test_retry_after_is_honoured_and_capped() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=3, base_delay=0.5, max_delay=4, sleep=slept.append)
    assert policy.delay(CRMError("x", status=429, retry_after=2), 1) == 2
    assert policy.delay(CRMError("x", status=429, retry_after=60), 1) == 4
    assert [policy.delay(CRMError("x", status=503), n) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 4]
    assert parse_retry_after("7") == 7
    assert parse_retry_after("soon") is None


def test_429_waits_for_retry_after(home: Path) -> None:
    slept: list[float] = []
    with harness(home, "createCallLog=429x1") as h:
        h.pipeline().retry = RetryPolicy(attempts=3, base_delay=0, max_delay=5, sleep=slept.append)
        assert log(h).successful
    assert slept == [1.0]  # the fault plan's Retry-After: 1


def test_fault_step_in_a_scenario(home: Path) -> None:
    scenario = parse_scenario(
        '{"name": "f", "steps": [{"kind": "log"},'
        ' {"kind": "fault", "rules": ["getCallLog=503x1", "updateCallLog=resetx1"]},'
        ' {"kind": "recording", "link": "https://rec/9"},'
        ' {"kind": "assert", "calls": ["getLogFormatType", "getCallLog", "getCallLog",'
        ' "updateCallLog", "updateCallLog"], "crm": {"bodyContains": ["https://rec/9"]}}]}',
        ".json",
        "test",
    )
    config = parse_config({"retries": {"base_delay": 0}}, "t")
    run = run_scenario(config, scenario, home=home)
    assert run.ok, [(s.kind, s.failures) for s in run.steps]
    assert run.steps[1].message == "faults armed: getCallLog=503x1, updateCallLog=resetx1"


def test_random_faults_are_seeded() -> None:
    def kinds(seed: int) -> list[str | None]:
        plan = FaultPlan(rate=0.5, seed=seed)
        request = httpx.Request("GET", "http://crm/v1/me")
        return [plan.pick(request) for _ in range(20)]

    assert kinds(3) == kinds(3)
    assert any(kinds(3)) and None in kinds(3)


# --- eight processes log one session at once ------------------------------------------------


def _log_in_process(home: str, barrier: Any, results: Any) -> None:
    with EmbeddedTarget(parse_config({}, "t"), Path(home)) as h:
        h.pipeline()  # connect first, so all eight reach the create together
        barrier.wait()
        result = log(h)
    results.put(result.return_message.message if result.return_message else "?")


def test_eight_processes_one_session_one_activity_one_row(home: Path) -> None:
    with harness(home) as h:
        h.pipeline()  # the CRM user and the store exist before the race
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(8), context.Queue()
    workers = [
        context.Process(target=_log_in_process, args=(str(home), barrier, results))
        for _ in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    messages = sorted(results.get(timeout=5) for _ in workers)
    assert messages.count("Call logged") == 1
    assert all(
        m == f"Existing log for session {SESSION}"
        or m == f"Session {SESSION} is being logged by another process"
        for m in messages
        if m != "Call logged"
    ), messages
    assert len(activities(home)) == 1
    with harness(home) as h:
        assert len(list(h.call_logs())) == 1
        assert h.store.claims() == []


def test_faults_from_the_cli_and_the_config(run: Any, home: Path, tmp_path: Path) -> None:
    result = run("--fault", "createCallLog=503", "log-call")
    assert result.exit_code == 1
    assert "Failed: Error creating call log" in result.stderr
    assert activities(home) == []
    config = tmp_path / "appconnect.toml"
    config.write_text('[faults]\nrules = ["getCallLog=500x1"]\n[retries]\nbase_delay = 0\n')
    assert run("--config", str(config), "log-call").exit_code == 0
    edited = run("--config", str(config), "edit-log", SESSION, "--note", "x", "--json")
    assert edited.exit_code == 0, edited.output
    assert '"getCallLog",\n    "getCallLog"' in edited.stdout  # failed once, retried
    bad = run("--fault", "createCallLog=418", "log-call")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: unknown fault kind '418'")
    assert run("--fault-rate", "1.5", "log-call").exit_code == 2
