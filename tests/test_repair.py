"""`repair`: the window between a CRM create and its callLogs row, detected and closed."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.core.checks.interfaces import CheckOptions
from appconnect.core.checks.repair import repair
from appconnect.core.config import parse_config
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.fixtures.crm import CRMState

SESSION = "4001000101"


def harness(home: Path) -> EmbeddedTarget:
    return EmbeddedTarget(parse_config({}, "t"), home)


def crm(home: Path) -> CRMState:
    return CRMState(home / "fixture-crm.json")


def test_a_row_lost_after_the_crm_create_is_found_and_adopted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with harness(home) as h:

        def disk_full(*args: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(h.store, "insert_call_log", disk_full)
        result = h.log_call(load_call_fixture("inbound-answered")).result
        monkeypatch.undo()
        assert result.return_message is not None
        assert result.return_message.message == "Database operation failed"
        assert list(h.call_logs()) == [] and len(crm(home).list_activities()) == 1
        codes = [p.code for p in h.check(CheckOptions()).reconciliation.problems]
        # The claim stays, outcome unknown: a later log of the session links, never recreates.
        assert codes == ["unlinked-crm-log", "outcome-unknown"]

        dry = repair(h.pipeline(), dry_run=True).actions
        assert [(a.kind, a.thirdPartyLogId) for a in dry] == [("adopted", "act-1")]
        assert list(h.call_logs()) == []

        actions = repair(h.pipeline()).actions
        assert [(a.kind, a.sessionId, a.thirdPartyLogId) for a in actions] == [
            ("adopted", SESSION, "act-1")
        ]
        (row,) = h.call_logs()
        assert (row.thirdPartyLogId, row.contactId, row.userId) == ("act-1", "ct-1", "fx-user-1")
        assert h.check(CheckOptions()).reconciliation.ok
        assert repair(h.pipeline()).actions == []  # nothing left


def test_a_killed_process_leaves_a_claim_that_repair_resolves(home: Path) -> None:
    with harness(home) as h:
        h.pipeline()
        state, _ = h.store.begin_create(SESSION, extension_number="101")
        assert state == "claimed"
        # The CRM got the create; the process died before writing its row.
        crm(home).create_activity({"contactId": "ct-2", "sessionId": SESSION, "subject": "s"})
        # The claimer (this very process) is alive and may still write its row: hands off.
        assert [a.kind for a in repair(h.pipeline()).actions] == ["claim-kept"]
        assert list(h.call_logs()) == []
        # A claim older than ten minutes is abandoned: the CRM log is adopted.
        later = repair(h.pipeline(), now=time.time() + 601).actions
        assert [a.kind for a in later] == ["adopted"]
        (row,) = h.call_logs()
        assert (row.extensionNumber, row.contactId) == ("101", "ct-2")
        assert h.store.claims() == []


def test_an_abandoned_claim_without_a_crm_log_is_cleared(home: Path) -> None:
    with harness(home) as h:
        h.pipeline()
        h.store.begin_create("lonely")
        actions = repair(h.pipeline(), now=time.time() + 601).actions
        assert [(a.kind, a.sessionId) for a in actions] == [("claim-cleared", "lonely")]
        assert h.store.claims() == []
        assert h.log_call(
            load_call_fixture("inbound-answered"), session_id="lonely"
        ).result.successful


def test_two_crm_logs_for_one_session_are_reported_not_guessed(home: Path) -> None:
    with harness(home) as h:
        h.pipeline()
        for _ in range(2):
            crm(home).create_activity({"contactId": "ct-1", "sessionId": "twice"})
        actions = repair(h.pipeline()).actions
        assert [(a.kind, a.sessionId) for a in actions] == [("reported", "twice")]
        assert actions[0].message == "2 CRM logs for one session (act-1, act-2): resolve by hand"
        assert list(h.call_logs()) == []


def test_repair_command(home: Path, run: Callable[..., Result]) -> None:
    with harness(home) as h:
        h.pipeline()
    crm(home).create_activity({"contactId": "ct-1", "sessionId": "orphan-1"})
    dry = run("repair", "--dry-run", "--json")
    assert json.loads(dry.stdout)["actions"][0]["kind"] == "adopted"
    done = run("repair")
    assert done.exit_code == 0
    assert "OK: 1 repaired, 0 to resolve by hand" in done.stderr
    assert "OK: nothing to repair" in run("repair").stderr
