"""The pytest plugin's fixtures, used the way a connector author would use them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from appconnect.core.config import parse_config
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.pytest_plugin import FixtureCRMHandle, FixtureCRMServer

PROXY = str(
    Path(__file__).resolve().parents[1] / "fixtures" / "connectors" / "fixture-crm.proxy.json"
)


def test_home_is_isolated(appconnect_home: Path, tmp_path: Path) -> None:
    import os

    assert appconnect_home == tmp_path / "home"
    assert Path.cwd() == tmp_path / "work"
    assert os.environ["APPCONNECT_HOME"] == str(appconnect_home)
    assert "APPCONNECT_CONNECTOR" not in os.environ


def test_run_scenario_then_read_rows_and_the_crm(
    run_scenario: Callable[..., Any],
    call_logs: Callable[..., list[Any]],
    fixture_crm: FixtureCRMHandle,
) -> None:
    run = run_scenario("outbound-disposition")
    assert run.ok
    assert [c.interface for c in run.steps[2].calls] == ["upsertCallDisposition"]
    (row,) = call_logs(run.session_id)
    (activity,) = fixture_crm.activities()
    assert row.thirdPartyLogId == activity["id"]
    assert activity["extra"]["disposition"] == {"category": "Sales", "outcome": "Qualified"}
    with fixture_crm.client() as client:  # the same CRM over its API, in-process
        assert client.get(f"/v1/activities/{activity['id']}").json()["activity"] == activity


def test_run_scenario_takes_a_dict_and_a_connector(
    run_scenario: Callable[..., Any], call_logs: Callable[..., list[Any]]
) -> None:
    scenario = {"name": "one-log", "steps": [{"kind": "log"}]}
    assert run_scenario(scenario, connector=PROXY).ok
    assert [row.platform for row in call_logs()] == ["fixture-crm"]


def test_harness_trace(harness: EmbeddedTarget) -> None:
    from appconnect.core.extension.call_fixtures import load_call_fixture

    harness.log_call(load_call_fixture("inbound-answered"))
    assert [c.interface for c in harness.pipeline().calls] == [
        "findContact", "getLogFormatType", "createCallLog",
    ]  # fmt: skip


def test_proxy_connector_against_the_fixture_crm_on_loopback(
    fixture_crm_server: FixtureCRMServer, appconnect_home: Path
) -> None:
    assert fixture_crm_server.url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{fixture_crm_server.url}/healthz").json() == {"ok": True}
    config = parse_config(
        {"connector": {"name": PROXY},
         "crm": {"url": fixture_crm_server.url, "api_key": fixture_crm_server.api_key}},
        "test",
    )  # fmt: skip
    from appconnect.core.extension.call_fixtures import load_call_fixture

    with EmbeddedTarget(config, appconnect_home) as harness:
        outcome = harness.log_call(load_call_fixture("outbound-recorded"))
    assert outcome.result.successful, outcome.result.return_message
    (activity,) = fixture_crm_server.state.list_activities()
    assert activity["subject"] == "Follow-up call with Lee"
    assert activity["createdBy"] == "api"


def test_the_plugin_works_in_a_third_party_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_mine(run_scenario, call_logs, fixture_crm):
            assert run_scenario("answered-inbound").ok
            assert len(call_logs()) == 1
            assert len(fixture_crm.activities()) == 1
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
