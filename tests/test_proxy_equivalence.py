"""The bundled proxy file and the built-in Python connector leave the fixture CRM and the
callLogs table in the same state, scenario by scenario and through smoke.

Both runs use one harness config. It pins `user.id` and `user.timezone_offset` because App
Connect's proxy stores users as `<crm id>-<platform>` and maps no timezoneOffset (ref §6); with
those pinned, any difference left is the connector's.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from appconnect.core.config import HarnessConfig, parse_config
from appconnect.core.home import db_path, fixture_crm_path
from appconnect.core.runs.runner import run_scenario
from appconnect.core.runs.scenarios import bundled_scenarios, load_scenario
from appconnect.core.runs.smoke import Smoke
from appconnect.core.store.db import Store
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.fixtures.crm import CRMState

PROXY_FILE = str(
    resources.files("appconnect.fixtures").joinpath("connectors/fixture-crm.proxy.json")
)
CONNECTORS = {"fixture": "fixture", "proxy": PROXY_FILE}
PLATFORMS = {"fixture": "fixture", "proxy": "fixture-crm"}
TIMESTAMPS = ("createdAt", "updatedAt")


def config_for(connector: str) -> HarnessConfig:
    return parse_config(
        {
            "connector": {"name": connector},
            "user": {"id": "fx-user-1", "timezone_offset": "-08:00"},
        },
        "test",
    )


def strip(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in keys}


def end_state(state: CRMState, store: Store, platform: str) -> dict[str, Any]:
    rows = [asdict(row) for row in store.iter_call_logs()]
    assert {row["platform"] for row in rows} <= {platform}
    return {
        "activities": [strip(a, *TIMESTAMPS) for a in state.list_activities()],
        "rows": [strip(row, "platform", *TIMESTAMPS) for row in rows],
    }


@pytest.mark.parametrize("name", bundled_scenarios())
def test_every_bundled_scenario_ends_the_same_through_both(tmp_path: Path, name: str) -> None:
    states = {}
    for label, connector in CONNECTORS.items():
        home = tmp_path / label
        run = run_scenario(config_for(connector), load_scenario(name), home=home, sandbox=False)
        failures = [f"{s.index} {s.kind}: {s.message}" for s in run.steps if not s.ok]
        assert run.ok, f"{label}: {failures}"
        store = Store.open(db_path(home))
        try:
            states[label] = end_state(CRMState(fixture_crm_path(home)), store, PLATFORMS[label])
        finally:
            store.close()
    assert states["proxy"] == states["fixture"]
    if name != "auto-log-skip":
        assert states["proxy"]["activities"], "the scenario should have logged something"


def test_smoke_passes_and_ends_the_same_through_both(tmp_path: Path) -> None:
    reports, states = {}, {}
    for label, connector in CONNECTORS.items():
        with EmbeddedTarget(config_for(connector), tmp_path / label, sandbox=True) as harness:
            smoke = Smoke(harness, run_id="eq0001")
            smoke.run()
            reports[label] = [(c.id, c.status) for c in smoke.checks]
            states[label] = end_state(harness.crm_state, harness.store, PLATFORMS[label])
            assert harness.platform == PLATFORMS[label]
    assert {status for _, status in reports["proxy"]} == {"pass"}, reports["proxy"]
    assert reports["proxy"] == reports["fixture"]
    assert states["proxy"] == states["fixture"]
    assert len(states["proxy"]["activities"]) == 2  # the logged call and the server-side one


def test_without_pins_the_proxy_stores_app_connects_user_id(run: Any) -> None:
    import json

    result = run("smoke", "--connector", "fixture-proxy", "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["platform"] == "fixture-crm"
    connect = next(c for c in report["checks"] if c["id"] == "connect")
    assert connect["reason"] == "user fx-user-1-fixture-crm"  # <idPath value>-<platform>
