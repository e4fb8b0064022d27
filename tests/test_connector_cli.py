"""`appconnect connector list`, and selecting a connector with `--connector` or the config."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Run = Callable[..., Result]
BUNDLED = Path(__file__).resolve().parents[1] / "fixtures" / "connectors" / "fixture-crm.proxy.json"


def test_list_shows_the_built_in_and_bundled_connectors(run: Run) -> None:
    result = run("connector", "list", "--json")
    assert result.exit_code == 0
    listed = {c["name"]: c for c in json.loads(result.stdout)}
    assert listed["fixture"] == {
        "name": "fixture",
        "kind": "built-in",
        "target": "appconnect.connectors.fixture:FixtureConnector",
        "origin": "appconnect",
    }
    assert listed["fixture-proxy"]["kind"] == "bundled-proxy"
    assert listed["fixture-proxy"]["target"].endswith("connectors/fixture-crm.proxy.json")


def test_global_connector_option_selects_a_proxy_file(run: Run) -> None:
    result = run("--connector", str(BUNDLED), "log-call", "--json")
    assert result.exit_code == 0, result.stderr
    logs = json.loads(run("--connector", str(BUNDLED), "logs", "--json").stdout)
    assert [(row["platform"], row["userId"]) for row in logs] == [
        ("fixture-crm", "fx-user-1-fixture-crm")
    ]


def test_the_config_selects_it_too(run: Run) -> None:
    Path("appconnect.toml").write_text('[connector]\nname = "fixture-proxy"\n')
    result = run("check-interfaces", "--json")
    report = json.loads(result.stdout)
    assert report["platform"] == "fixture-crm", report


def test_env_var_overrides_the_config(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    Path("appconnect.toml").write_text('[connector]\nname = "fixture-proxy"\n')
    monkeypatch.setenv("APPCONNECT_CONNECTOR", "fixture")
    run("log-call")
    rows = json.loads(run("logs", "--json").stdout)
    assert rows[0]["platform"] == "fixture"


def test_a_broken_proxy_file_is_a_config_error(run: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"operations": {"createCallLog": {"method": "POST"}}}')
    result = run("--connector", str(broken), "log-call")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {broken}: $.operations.createCallLog.url: Field required (connector.name)\n"
    )


def test_a_missing_proxy_file_and_an_unknown_name_are_config_errors(run: Run) -> None:
    result = run("--connector", "nope.json", "log-call")
    assert result.exit_code == 2
    assert result.stderr == "Error: nope.json: proxy connector file not found (connector.name)\n"
    result = run("--connector", "no-such-plugin", "log-call")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: unknown connector 'no-such-plugin' (built in: fixture")
