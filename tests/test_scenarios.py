"""Scenarios through the CLI: every bundled one green, files, trace, step-by-step, failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from appconnect.cli import app
from appconnect.core.runs.scenarios import bundled_scenarios
from appconnect.fixtures.crm import CRMState

Run = Callable[..., Result]
BUNDLED = [
    "answered-inbound",
    "auto-log-skip",
    "crm-user-edits",
    "extension-number-call",
    "missed-call",
    "outbound-disposition",
    "server-side-logging",
    "voicemail",
]


def simulate_json(run: Run, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("simulate", *args, "--json")
    return result.exit_code, json.loads(result.stdout)


def test_the_bundled_scenarios_are_the_documented_ones() -> None:
    assert bundled_scenarios() == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_scenario_runs_green(run: Run, home: Path, name: str) -> None:
    code, report = simulate_json(run, name)
    assert code == 0, json.dumps(report, indent=1)
    assert report["ok"] is True
    assert all(step["status"] == "pass" for step in report["steps"])
    assert not (home / "appconnect.db").exists()  # a sandbox by default


def test_auto_log_rule_that_does_not_log_creates_nothing(run: Run) -> None:
    _, report = simulate_json(run, "auto-log-skip")
    first = report["steps"][0]
    assert first["message"] == (
        "auto-log rule did not log: only answered calls are auto-logged (result: Missed)"
    )
    assert first["calls"] == []


def test_server_side_logging_passes_sscl_and_the_mapped_owner(run: Run) -> None:
    _, report = simulate_json(run, "server-side-logging")
    create = next(c for c in report["steps"][0]["calls"] if c["interface"] == "createCallLog")
    assert create["arguments"]["is_from_sscl"] is True
    assert create["arguments"]["user"]["id"] == "fx-user-2"
    assert create["arguments"]["auth_header"] == "***"
    assert create["arguments"]["user"]["accessToken"] == "***"


def test_trace_shows_get_then_update_and_never_the_api_key(run: Run, home: Path) -> None:
    result = run("simulate", "answered-inbound", "--trace", "--keep")
    assert result.exit_code == 0, result.output
    out = result.stdout
    recording = out.index("[4] getCallLog (ok)")  # step 4: the recording lands
    assert out.index("[4] updateCallLog (ok)") > recording
    key = CRMState(home / "fixture-crm.json").api_key
    assert key not in result.output
    assert '"auth_header": "***"' in out


def test_keep_runs_in_the_home_and_can_repeat(run: Run) -> None:
    assert run("simulate", "missed-call", "--keep").exit_code == 0
    assert run("simulate", "missed-call", "--keep").exit_code == 0
    rows = json.loads(run("logs", "--json").stdout)
    assert len(rows) == 2
    assert all(row["sessionId"].startswith("4001000103-") for row in rows)
    assert rows[0]["sessionId"] != rows[1]["sessionId"]


def test_a_failed_expectation_fails_the_run_with_the_reason(run: Run, tmp_path: Path) -> None:
    scenario = {
        "name": "wrong",
        "steps": [
            {"kind": "log"},
            {"kind": "assert", "crm": {"subject": "Not this"}, "calls": ["createCallLog"]},
        ],
    }
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(scenario))
    code, report = simulate_json(run, str(path))
    assert code == 1
    assert report["steps"][1]["failures"] == [
        "calls: expected ['createCallLog'], "
        "got ['findContact', 'getLogFormatType', 'createCallLog']",
        "crm.subject: expected 'Not this', got 'Inbound Call from Dana Doe'",
    ]


def test_toml_scenario_with_overrides(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\ncall = "outbound-recorded"\n'
        '[[steps]]\nkind = "log"\nset = {"logInfo.customSubject" = "Custom", note = "N"}\n'
        '[[steps]]\nkind = "transcript"\ntranscript = "Hello there"\n'
        '[[steps]]\nkind = "assert"\n'
        'crm = {subject = "Custom", bodyContains = ["- Note: N", "- Transcript:\\nHello there"]}\n'
    )
    code, report = simulate_json(run, str(path))
    assert code == 0, report


def test_show_round_trips_and_schema_describes_steps(run: Run, tmp_path: Path) -> None:
    shown = run("scenario", "show", "voicemail")
    assert shown.exit_code == 0
    copy = tmp_path / "copy.json"
    copy.write_text(shown.stdout)
    assert simulate_json(run, str(copy))[0] == 0
    schema = json.loads(run("scenario", "schema").stdout)
    assert schema["title"] == "Scenario"
    kinds = {
        d["properties"]["kind"]["const"]
        for d in schema["$defs"].values()
        if "kind" in d.get("properties", {})
    }  # noqa: E501
    assert {"log", "edit", "crm-edit", "recording", "sscl-log", "assert", "ringsense"} <= kinds
    listing = run("scenario", "list")
    for name in BUNDLED:
        assert name in listing.stdout


def test_bad_scenarios_are_one_line_errors(run: Run, tmp_path: Path) -> None:
    missing = run("simulate", "nope")
    assert missing.exit_code == 2
    assert missing.stderr.startswith("Error: no such scenario file or bundled scenario; bundled: ")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "steps": [{"kind": "teleport"}]}))
    result = run("simulate", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid scenario: 'steps.0': ")
    assert result.stderr.endswith(f"({bad})\n")
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"name": "x", "steps": []}))
    assert run("simulate", str(empty)).exit_code == 2


def test_step_by_step_stops_on_q() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["simulate", "answered-inbound", "--step-by-step", "--json"], input="\nq\n"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [step["kind"] for step in report["steps"]] == ["log"]
    assert "step 2: assert - Enter to run, q to stop:" in result.stderr


def test_simulate_recording_is_the_recording_step(run: Run, home: Path) -> None:
    run("log-call")
    result = run("simulate-recording", "4001000101", "--json")
    answer = json.loads(result.stdout)
    assert answer["interfaceCalls"] == ["getLogFormatType", "getCallLog", "updateCallLog"]
    body = CRMState(home / "fixture-crm.json").get_activity("act-1")["body"]
    assert "- Call recording link: https://media.ringcentral.test/recording/4001000101\n" in body
