"""`bench --kill-rate`: a chaos run whose workers are SIGKILLed and restarted, judged on disk
(issue 15, the chaos run). Small and fast here; the README has the 1,000-lifecycle figures."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from appconnect.core.config import HarnessConfig
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.runs.bench import DEFAULT_LIFECYCLE, create_home, run_bench
from appconnect.core.runs.bench_verdict import verify
from appconnect.core.targets.embedded import EmbeddedTarget

Run = Callable[..., Result]


def test_a_small_kill_run_keeps_every_acknowledged_write(home: Path) -> None:
    report = run_bench(
        HarnessConfig(),
        home=home,
        lifecycles=40,
        concurrency=2,
        fault_rate=0.3,
        kill_rate=0.5,
        keep=True,
    ).as_dict()
    chaos = report["chaos"]
    assert report["ok"] is True, chaos
    # (a kill can land on a worker that has just finished: nothing to restart then)
    assert chaos["kills"] >= 1 and 1 <= chaos["restarts"] <= chaos["kills"] + chaos["crashes"]
    assert chaos["crashes"] == 0
    assert chaos["acknowledgedCreates"] + chaos["unacknowledgedSteps"] >= 40
    assert chaos["acknowledgedUpdates"] >= 3 * chaos["acknowledgedCreates"] - chaos[
        "unacknowledgedSteps"
    ]
    assert (chaos["duplicates"], chaos["lostCreates"], chaos["lostUpdates"]) == (0, 0, 0)
    assert chaos["problemsAfterRepair"] == {} and chaos["cleanAfterRepair"] is True
    kept = Path(report["keptHome"])
    assert kept.parent == home and (kept / "appconnect.db").is_file()
    assert len(list((kept / "journals").iterdir())) == 2
    # Each worker also updated its neighbour's sessions while the neighbour did (item 3).
    journal = (kept / "journals" / "worker-0.jsonl").read_text()
    assert '"step": "ai-note", "ok": true' in journal


def test_the_kill_run_finds_lost_updates_when_updates_are_not_serialised(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Main's update flow (no per-session lock): the concurrent AI notes lose changes."""
    from appconnect.core.flows import update
    from appconnect.core.store import intents

    monkeypatch.setattr(intents, "_try_take", lambda store, lock, interface: True)
    real_fetch = update.fetch_call_log

    def slow_fetch(*args: Any) -> Any:
        # Widen the read-compose-write window (the forked workers inherit this), so the
        # neighbours' updates overlap in every run, not only on a lucky schedule.
        found = real_fetch(*args)
        time.sleep(0.05)
        return found

    monkeypatch.setattr(update, "fetch_call_log", slow_fetch)
    report = run_bench(
        HarnessConfig(), home=home, lifecycles=40, concurrency=2, kill_rate=0.2
    ).as_dict()
    assert report["ok"] is False
    assert report["chaos"]["lostUpdates"] > 0


def test_the_verdict_can_fail(home: Path) -> None:
    """The on-disk checks find a lost create, a lost update and a duplicate CRM log."""
    config = HarnessConfig()
    state = home / "state"
    create_home(state, config)
    with EmbeddedTarget(config, state) as harness:
        fixture = load_call_fixture("inbound-answered")
        assert harness.log_call(fixture, session_id="s-ok").result.successful
        crm = harness.crm_state
        crm.create_activity({"contactId": "ct-1", "sessionId": "s-ok", "ownerId": "fx-user-1"})
    journal = home / "journal.jsonl"
    lines = [
        {"i": 0, "s": "s-ok", "step": "log", "ok": True},
        {"i": 0, "s": "s-ok", "step": "edit", "ok": True},  # never reached the CRM
        {"i": 1, "s": "s-gone", "step": "log", "ok": True},  # no row, no CRM log
        {"i": 1, "s": "s-gone", "step": "recording", "ok": False},  # not acknowledged
    ]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))
    verdict = verify(config, DEFAULT_LIFECYCLE, state, [journal])
    assert (verdict["lostCreates"], verdict["lostUpdates"], verdict["duplicates"]) == (1, 1, 1)
    assert (verdict["acknowledgedCreates"], verdict["acknowledgedUpdates"]) == (2, 1)
    assert verdict["unacknowledgedSteps"] == 1
    assert verdict["problemsBeforeRepair"] == {"duplicate-crm-logs": 1}
    assert verdict["cleanAfterRepair"] is False  # two CRM logs for one session: by hand


def test_bad_kill_options_are_one_line(run: Run) -> None:
    for args, message in [
        (("--kill-rate", "0.5", "--transport", "loopback"), "Error: --kill-rate runs the"),
        (("--keep",), "Error: --keep keeps the home of --home-persistent or --kill-rate"),
    ]:
        result = run("bench", "-n", "2", *args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
