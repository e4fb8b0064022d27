"""The Insightly-style proxy JSON connector against the Insightly mock.

xfail(strict) marks what issue 13's target-layer items still break (see test_pipedrive.py).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from appconnect.connectors.contract import User, UserEditRequest
from appconnect.connectors.proxy import build_proxy_connector, load_proxy_config

from .conftest import (
    INSIGHTLY_PROXY,
    Run,
    Served,
    assert_breakage,
    failed,
    insightly_config,
    scenarios_green_or_skipped,
    smoke,
)
from .insightly_crm import API_KEY, InsightlyCRM

Edit = Callable[[dict[str, Any]], None]


def variant(name: str, change: Edit) -> Path:
    """A copy of the proxy file in the cwd with one realistic bug."""
    data = json.loads(INSIGHTLY_PROXY.read_text())
    change(data)
    path = Path(f"insightly-{name}.proxy.json")
    path.write_text(json.dumps(data, indent=2))
    return path


def _whole_body(data: dict[str, Any]) -> None:
    # The update sends only the note: every other composed line is lost.
    data["operations"]["updateCallLog"]["body"]["DETAILS"] = "- Note: {{note}}"


def _no_id(data: dict[str, Any]) -> None:
    # Insightly answers the event itself, not {id}: the path finds nothing.
    data["operations"]["createCallLog"]["responseMapping"]["idPath"] = "body.id"


def _date_overwrite(data: dict[str, Any]) -> None:
    # What App Connect's own Insightly connector does: the dates go into every update.
    body = data["operations"]["updateCallLog"]["body"]
    body["START_DATE_UTC"], body["END_DATE_UTC"] = "{{startTime}}", "{{endTime}}"


def test_the_file_lints_with_harness_extension_warnings_only(run: Run) -> None:
    result = run("connector", "lint", str(INSIGHTLY_PROXY), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["errors"] == 0
    assert {f["path"] for f in report["findings"]} == {
        "$.operations.listCallLogs", "$.operations.deleteCallLog",
        "$.operations.editCallLogAsUser",
    }  # fmt: skip


def test_smoke_is_green_twice_against_the_same_crm(run: Run, insightly: Served) -> None:
    insightly_config(insightly)
    first = smoke(run)
    assert failed(first) == {}, first
    second = smoke(run)
    assert failed(second) == {}, second
    assert first["leftInCrm"] == second["leftInCrm"] == []
    assert insightly.app.events() == []


@pytest.mark.xfail(strict=True, reason="issue 13 item 10: bundled scenarios assert "
                   "fixture-CRM specifics")  # fmt: skip
def test_every_bundled_scenario_is_green_or_skipped_with_a_reason(
    run: Run, insightly: Served
) -> None:
    insightly_config(insightly)
    scenarios_green_or_skipped(run)


def test_check_interfaces_is_green_after_a_logged_call(run: Run, insightly: Served) -> None:
    insightly_config(insightly)
    assert run("log-call").exit_code == 0
    result = run("check-interfaces", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["contract"]["violations"] == []
    assert report["reconciliation"]["problems"] == []


def test_an_update_that_replaces_the_whole_body_fails_edit(run: Run, insightly: Served) -> None:
    insightly_config(insightly, variant("whole-body", _whole_body))
    assert_breakage(smoke(run), "edit", "Date/Time")


def test_a_create_without_an_id_fails_log_call(run: Run, insightly: Served) -> None:
    insightly_config(insightly, variant("no-id", _no_id))
    assert_breakage(smoke(run), "log-call", "logId")


def test_an_update_that_overwrites_the_date_fails_edit(run: Run, insightly: Served) -> None:
    insightly_config(insightly, variant("date", _date_overwrite))
    assert_breakage(smoke(run), "edit", "date")


def test_the_engine_sends_now_for_dates_an_update_does_not_carry(
    run: Run, insightly: Served
) -> None:
    """Item 13: what App Connect sends, so the production bug shows in the CRM."""
    insightly_config(insightly, variant("date", _date_overwrite))
    assert run("log-call").exit_code == 0
    (event,) = insightly.app.events()
    assert event["START_DATE_UTC"] == "2024-01-15 18:30:00"  # the call's start
    assert run("edit-log", "4001000101", "--note", "Quote sent").exit_code == 0
    (edited,) = insightly.app.events()
    assert edited["START_DATE_UTC"] != "2024-01-15 18:30:00"  # now: the date moved
    assert edited["START_DATE_UTC"][:4] >= "2026"


def test_edit_call_log_as_user_appends_to_the_body_in_process() -> None:
    crm = InsightlyCRM()
    client = httpx.Client(base_url="https://api.na1.insightly.com",
                          transport=httpx.WSGITransport(app=crm))  # fmt: skip
    connector = build_proxy_connector(load_proxy_config(INSIGHTLY_PROXY), client)
    crm.state.events[7] = {"EVENT_ID": 7, "TITLE": "Call", "DETAILS": "- Note: hi\n"}
    user = User(id="1894233-insightly", platform="insightly", accessToken=API_KEY)
    edit = connector.edit_call_log_as_user
    assert edit is not None
    header = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    edit(UserEditRequest(user=user, auth_header=header, call_log_id="7",
                         append="Prefers email.\n"))  # fmt: skip
    assert crm.state.events[7]["DETAILS"] == "- Note: hi\nPrefers email.\n"
    assert crm.state.events[7]["TITLE"] == "Call"  # no subject given: the key is left out
    edit(UserEditRequest(user=user, auth_header=header, call_log_id="7", subject="Renamed"))
    assert crm.state.events[7]["TITLE"] == "Renamed"
    connector.close()
