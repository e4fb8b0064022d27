"""Issue 15 items 1-3, each reproduced first: a create whose outcome is unknown is resolved,
never repeated; an update that reached the CRM but not the store is told apart from a user's
edit and repaired; a locked store stops an update before the CRM; concurrent updates of one
session, from separate processes, all land."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from appconnect.core.store import db
from appconnect.fixtures.crm import CRMState

Run = Callable[..., Result]
SESSION = "4001000101"


def activities(home: Path) -> list[dict[str, Any]]:
    state = CRMState(home / "fixture-crm.json")
    try:
        return state.list_activities()
    finally:
        state.close()


def codes(run: Run) -> tuple[int, list[str]]:
    result = run("check-interfaces", "--json")
    report = json.loads(result.stdout)
    return result.exit_code, [p["code"] for p in report["reconciliation"]["problems"]]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --- item 1: a create whose outcome is unknown --------------------------------------------


def test_an_unknown_create_outcome_stays_claimed_and_the_next_log_links_it(
    run: Run, home: Path
) -> None:
    lost = run("--fault", "createCallLog=reset", "--fault", "listCallLogs=503", "log-call",
               "--session-id", "f1")  # fmt: skip
    assert lost.exit_code == 1
    assert [a["sessionId"] for a in activities(home)] == ["f1"]  # the CRM did create it
    shown = run("logs")
    assert "outcome unknown" in shown.stdout
    (claim,) = json.loads(run("logs", "--json").stdout)
    assert (claim["sessionId"], claim["claim"]) == ("f1", "outcome unknown")
    assert codes(run) == (1, ["unlinked-crm-log", "outcome-unknown"])
    scoped = run("check-interfaces", "--session-id", "f1", "--json")
    problems = json.loads(scoped.stdout)["reconciliation"]["problems"]
    assert "outcome-unknown" in [p["code"] for p in problems]

    # The CRM still cannot be asked: nothing is created, the claim stays.
    blocked = run("--fault", "listCallLogs=503", "log-call", "--session-id", "f1")
    assert blocked.exit_code == 1
    assert "unknown outcome" in blocked.stderr
    assert len(activities(home)) == 1

    again = run("log-call", "--session-id", "f1", "--json")
    assert again.exit_code == 0, again.output
    assert "createCallLog" not in json.loads(again.stdout)["interfaceCalls"]
    (only,) = activities(home)
    assert json.loads(again.stdout)["logId"] == only["id"]
    assert codes(run) == (0, [])
    assert json.loads(run("logs", "--json").stdout)[0]["thirdPartyLogId"] == only["id"]


def test_an_unknown_outcome_with_no_crm_log_is_proved_then_created(run: Run, home: Path) -> None:
    # A timeout on the create's answer, with the look-up failing: the CRM has the log;
    # remove it by hand to stand for "the create never arrived".
    run("--fault", "createCallLog=timeout", "--fault", "listCallLogs=503", "log-call")
    state = CRMState(home / "fixture-crm.json")
    (activity,) = state.list_activities()
    state.delete_activity(activity["id"])
    state.close()
    again = run("log-call", "--json")
    assert again.exit_code == 0
    calls = json.loads(again.stdout)["interfaceCalls"]
    assert calls.index("listCallLogs") < calls.index("createCallLog")  # looked, then created
    assert len(activities(home)) == 1
    assert codes(run) == (0, [])


def test_repair_settles_an_unknown_outcome(run: Run, home: Path) -> None:
    run("--fault", "createCallLog=reset", "--fault", "listCallLogs=503", "log-call")
    done = run("repair", "--json")
    assert done.exit_code == 0
    assert [a["kind"] for a in json.loads(done.stdout)["actions"]] == ["adopted"]
    assert codes(run) == (0, [])
    assert json.loads(run("logs", "--json").stdout)[0]["sessionId"] == SESSION


def test_a_claim_whose_process_died_is_resolved_by_the_next_log(run: Run, home: Path) -> None:
    """kill -9 between the CRM create and the row: the claim names a dead process."""
    assert run("log-call", "--session-id", "warm-up").exit_code == 0
    store = db.Store.open(home / "appconnect.db")
    assert store.begin_create("k1", extension_number="101")[0] == "claimed"
    store.connection.execute("UPDATE sessionClaims SET pid = ?", (dead_pid(),))
    state = CRMState(home / "fixture-crm.json")
    state.create_activity({"contactId": "ct-1", "sessionId": "k1", "ownerId": "fx-user-1"})
    state.close()
    assert codes(run)[1] == ["unlinked-crm-log", "outcome-unknown"]
    again = run("log-call", "--session-id", "k1", "--json")
    assert again.exit_code == 0
    assert len([a for a in activities(home) if a["sessionId"] == "k1"]) == 1
    assert store.claims() == []
    store.close()


# --- item 2: an update that reached the CRM but not the store ------------------------------


def test_a_locked_store_stops_an_update_before_the_crm(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("log-call").exit_code == 0
    before = activities(home)
    monkeypatch.setattr(db, "BUSY_TIMEOUT_SECONDS", 0.2, raising=False)
    other = sqlite3.connect(home / "appconnect.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        result = run("edit-log", SESSION, "--note", "while locked")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the store is locked by another process (waited 0.2 s); try again "
        f"({home / 'appconnect.db'})\n"
    )
    assert activities(home) == before  # nothing reached the CRM


def test_an_update_whose_answer_is_lost_is_reported_and_repaired(run: Run, home: Path) -> None:
    assert run("log-call").exit_code == 0
    # Every try of the update reaches the CRM and loses its answer.
    lost = run("--fault", "updateCallLog=reset", "edit-log", SESSION, "--note", "landed")
    assert lost.exit_code == 1
    assert "- Note: landed" in activities(home)[0]["body"]
    assert codes(run) == (1, ["update-incomplete"])  # not "body-overwritten"
    repaired = run("repair", "--json")
    assert [a["kind"] for a in json.loads(repaired.stdout)["actions"]] == ["update-recorded"]
    assert codes(run) == (0, [])


def _killed_between_crm_and_store(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process that dies (as kill -9 would) right after the CRM write."""
    script = (
        "import os, sys\n"
        "from appconnect.core.store import intents\n"
        "intents.complete = lambda *a, **k: os._exit(137)\n"
        "from appconnect.cli import app\n"
        "app(sys.argv[1:])\n"
    )
    env = {**os.environ, "APPCONNECT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_kill_between_the_crm_update_and_the_store_is_repaired(run: Run, home: Path) -> None:
    assert run("log-call").exit_code == 0
    killed = _killed_between_crm_and_store(home, "edit-log", SESSION, "--note", "after kill")
    assert killed.returncode == 137
    assert "- Note: after kill" in activities(home)[0]["body"]
    assert codes(run) == (1, ["update-incomplete"])
    dry = json.loads(run("repair", "--dry-run", "--json").stdout)["actions"]
    assert [a["kind"] for a in dry] == ["update-recorded"]
    assert codes(run) == (1, ["update-incomplete"])
    assert run("repair").exit_code == 0
    assert codes(run) == (0, [])
    # A CRM user's edit after that is still a user's edit, not an overwrite.
    assert run("edit-log", SESSION, "--subject", "later").exit_code == 0
    assert codes(run) == (0, [])


def test_a_store_write_failing_after_the_crm_update_leaves_it_half_done(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from appconnect.core.errors import StoreBusy
    from appconnect.core.store import intents

    assert run("log-call").exit_code == 0

    def locked(*args: object) -> None:
        raise StoreBusy("the store is locked by another process (waited 0.2 s); try again", "x")

    real = intents.complete
    monkeypatch.setattr(intents, "complete", locked)
    failed = run("edit-log", SESSION, "--note", "in the CRM only")
    monkeypatch.setattr(intents, "complete", real)  # (undo() would drop the home too)
    assert failed.exit_code == 1 and failed.stderr.startswith("Error: the store is locked")
    assert "- Note: in the CRM only" in activities(home)[0]["body"]
    assert codes(run) == (1, ["update-incomplete"])
    assert run("repair").exit_code == 0
    assert codes(run) == (0, [])


# --- item 3: concurrent updates of one session --------------------------------------------

_SLOW_READ = (
    "import sys, time\n"
    "from appconnect.core.flows import update\n"
    "real = update.fetch_call_log\n"
    "def slow(*args):\n"
    "    found = real(*args)\n"
    "    time.sleep(0.8)  # widen the read-compose-write window the race needs\n"
    "    return found\n"
    "update.fetch_call_log = slow\n"
    "from appconnect.cli import app\n"
    "app(sys.argv[1:])\n"
)


def test_concurrent_updates_from_separate_processes_all_land(run: Run, home: Path) -> None:
    assert run("log-call").exit_code == 0
    env = {**os.environ, "APPCONNECT_HOME": str(home)}
    commands = [
        ["edit-log", SESSION, "--subject", "Concurrent subject"],
        ["edit-log", SESSION, "--note", "Concurrent note"],
        ["simulate-recording", SESSION, "--link", "https://media.example.test/rec-9"],
        ["edit-log", SESSION, "--note", "Concurrent note"],  # four processes, not just three
    ]
    children = [
        subprocess.Popen([sys.executable, "-c", _SLOW_READ, *c], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for c in commands
    ]  # fmt: skip
    outcomes = [(child.wait(60), child.stderr.read() if child.stderr else "") for child in children]
    for child in children:
        for stream in (child.stdout, child.stderr):
            if stream:
                stream.close()
    assert [code for code, _ in outcomes] == [0, 0, 0, 0], outcomes
    (activity,) = activities(home)
    assert activity["subject"] == "Concurrent subject"
    body = activity["body"]
    for acknowledged in (
        "- Summary: Concurrent subject",
        "- Note: Concurrent note",
        "https://media.example.test/rec-9",
    ):
        assert acknowledged in body, body
    assert codes(run) == (0, [])


def test_an_update_waits_boundedly_for_a_live_holder_and_takes_over_a_dead_one(
    run: Run, home: Path
) -> None:
    from appconnect.core.errors import StoreBusy
    from appconnect.core.store import intents

    assert run("log-call").exit_code == 0
    store = db.Store.open(home / "appconnect.db")
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        intents.acquire(store, "fixture", "act-1", SESSION, "updateCallLog")
        store.connection.execute("UPDATE updateIntents SET pid = ?", (holder.pid,))
        started = time.monotonic()
        with pytest.raises(StoreBusy, match=f"session {SESSION} is being updated by another"):
            intents.acquire(store, "fixture", "act-1", SESSION, "updateCallLog", wait=0.3)
        assert 0.3 <= time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    # Its process is gone: the next update takes the row over.
    lock = intents.acquire(store, "fixture", "act-1", SESSION, "updateCallLog", wait=0.3)
    intents.release(store, lock)
    assert store.connection.execute("SELECT COUNT(*) FROM updateIntents").fetchone()[0] == 0
    store.close()
