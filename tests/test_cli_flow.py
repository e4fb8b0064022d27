"""The walking skeleton end to end: log, repeat, edit, recording, check, orphan — via the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

from appconnect.fixtures.crm import CRMState

SESSION = "4001000101"  # the bundled inbound-answered fixture
Run = Callable[..., Result]


def crm(home: Path) -> CRMState:
    return CRMState(home / "fixture-crm.json")


def logs_json(run: Run) -> list[dict[str, Any]]:
    result = run("logs", "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_log_call_creates_one_activity_and_one_linked_row(run: Run, home: Path) -> None:
    result = run("log-call", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["successful"] is True
    assert answer["returnMessage"] == {
        "message": "Call logged",
        "messageType": "success",
        "ttl": 2000,
    }
    assert answer["interfaceCalls"] == ["findContact", "getLogFormatType", "createCallLog"]

    activities = crm(home).list_activities()
    assert len(activities) == 1
    activity = activities[0]
    rows = logs_json(run)
    assert len(rows) == 1
    row = rows[0]
    assert row["thirdPartyLogId"] == activity["id"] == answer["logId"]
    assert row["sessionId"] == SESSION
    assert row["id"] == "s-a7c1f0e2d3b4c5a6b7c8d9e0f1a20001"  # telephonySessionId
    assert row["contactId"] == activity["contactId"] == "ct-1"
    assert row["userId"] == "fx-user-1"
    assert row["platform"] == "fixture"
    assert row["extensionNumber"] == "101"
    assert set(row) == {
        "id", "sessionId", "extensionNumber", "hashedExtensionId", "platform",
        "thirdPartyLogId", "userId", "contactId", "createdAt", "updatedAt",
    }  # fmt: skip
    assert activity["subject"] == "Inbound Call from Dana Doe"
    assert activity["body"].startswith(
        "- Note: Dana asked about renewing the annual plan; send the quote by Friday.\n"
    )
    assert "- Duration: 1 minute, 5 seconds\n" in activity["body"]
    assert "- Result: Call connected\n" in activity["body"]
    # 18:30Z shown in the fixture user's zone (-08:00).
    assert "- Date/Time: 2024-01-15 10:30:00 AM\n" in activity["body"]


def test_logging_the_same_session_again_warns_and_creates_nothing(run: Run, home: Path) -> None:
    assert run("log-call").exit_code == 0
    again = run("log-call")
    assert again.exit_code == 0, again.output
    assert f"Warning: Existing log for session {SESSION}" in again.stderr
    assert "interfaces called: none" in again.stderr
    assert len(crm(home).list_activities()) == 1
    assert len(logs_json(run)) == 1


def test_edit_log_calls_get_then_update_and_changes_the_crm_subject(run: Run, home: Path) -> None:
    run("log-call")
    result = run("edit-log", SESSION, "--subject", "Renewal call", "--note", "Quote sent", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["interfaceCalls"] == ["getLogFormatType", "getCallLog", "updateCallLog"]
    assert answer["returnMessage"]["message"] == "Call log updated."
    activity = crm(home).list_activities()[0]
    assert activity["subject"] == "Renewal call"
    assert activity["body"].startswith("- Note: Quote sent\n")
    # No Summary at create (no customSubject): App Connect appends the new section.
    assert activity["body"].endswith("- Summary: Renewal call\n")
    assert "- Duration: 1 minute, 5 seconds\n" in activity["body"]  # the rest is kept
    assert len(logs_json(run)) == 1  # the row is never modified or duplicated


def test_simulate_recording_adds_the_link_and_keeps_the_note(run: Run, home: Path) -> None:
    run("log-call")
    before = crm(home).list_activities()[0]["body"]
    link = "https://media.example.test/rec/77"
    result = run("simulate-recording", SESSION, "--link", link)
    assert result.exit_code == 0, result.output
    after = crm(home).list_activities()[0]
    assert after["body"].startswith(before)
    assert f"- Call recording link: {link}\n" in after["body"]
    assert after["recordingLink"] == link
    assert "Dana asked about renewing the annual plan" in after["body"]


def test_a_user_edit_in_the_crm_survives_a_later_recording(run: Run, home: Path) -> None:
    run("log-call")
    body = crm(home).list_activities()[0]["body"] + "Customer prefers email.\n"
    assert run("fixture-crm", "edit-activity", "act-1", "--body", body).exit_code == 0
    assert run("simulate-recording", SESSION).exit_code == 0
    final = crm(home).get_activity("act-1")
    assert "Customer prefers email.\n" in final["body"]
    assert (
        "- Call recording link: https://media.ringcentral.test/recording/4001000101\n"
        in final["body"]
    )


def test_check_interfaces_reports_implemented_interfaces_and_clean_reconciliation(
    run: Run,
) -> None:
    run("log-call")
    run("log-call", "outbound-recorded")
    result = run("check-interfaces", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    implemented = report["implementedInterfaces"]
    assert list(implemented)[:3] == ["getAuthType", "getBasicAuth", "getUserInfo"]
    assert "getOauthInfo" not in implemented  # API-key connector
    for name in ("createCallLog", "updateCallLog", "getCallLog", "findContact", "getLogFormatType"):
        assert implemented[name] is True, name
    assert implemented["upsertCallDisposition"] is True
    assert implemented["getUserList"] is True
    assert implemented["createMessageLog"] is False
    assert implemented["cacheCallNote"] is False
    assert report["reconciliation"] == {"ok": True, "checked": 2, "problems": []}


def test_deleting_the_crm_activity_makes_check_interfaces_fail(run: Run) -> None:
    run("log-call")
    assert run("fixture-crm", "delete-activity", "act-1").exit_code == 0
    result = run("check-interfaces")
    assert result.exit_code == 1
    assert "orphaned-row" in result.stdout
    assert SESSION in result.stdout
    assert "Failed: 1 callLogs rows checked, 1 problems" in result.stderr
    as_json = json.loads(run("check-interfaces", "--json").stdout)
    assert as_json["reconciliation"]["ok"] is False
    assert as_json["reconciliation"]["problems"] == [
        {
            "code": "orphaned-row",
            "sessionId": SESSION,
            "thirdPartyLogId": "act-1",
            "message": "CRM log act-1 no longer exists",
        }
    ]


def test_missed_call_with_unknown_number_is_not_logged(
    run: Run, home: Path, tmp_path: Path
) -> None:
    fixture = json.loads(Path(_bundled("missed")).read_text())
    fixture["logInfo"]["from"]["phoneNumber"] = "+15550009999"
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(fixture))
    result = run("log-call", str(path))
    assert result.exit_code == 1
    assert "Failed: Contact not found for number +15550009999" in result.stderr
    assert crm(home).list_activities() == []
    assert logs_json(run) == []


def test_create_contact_when_nothing_matches(run: Run, home: Path, tmp_path: Path) -> None:
    fixture = json.loads(Path(_bundled("missed")).read_text())
    fixture["logInfo"]["from"]["phoneNumber"] = "+15550009999"
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps(fixture))
    result = run("log-call", str(path), "--create-contact", "New Caller", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["interfaceCalls"][:2] == ["findContact", "createContact"]
    assert crm(home).list_activities()[0]["contactId"] == "ct-5"


def test_session_id_subject_and_note_overrides(run: Run, home: Path) -> None:
    result = run("log-call", "--session-id", "S-9", "--subject", "Custom", "--note", "Hello")
    assert result.exit_code == 0, result.output
    activity = crm(home).list_activities()[0]
    assert activity["sessionId"] == "S-9"
    assert activity["subject"] == "Custom"
    assert activity["body"].startswith("- Note: Hello\n- Summary: Custom\n")


def test_human_output_names_the_row_and_interfaces(run: Run) -> None:
    result = run("log-call")
    assert result.exit_code == 0
    assert "OK: Call logged" in result.stderr
    assert "interfaces called: findContact -> getLogFormatType -> createCallLog" in result.stderr
    assert "act-1" in result.stdout
    listing = run("logs")
    assert SESSION in listing.stdout


def _bundled(name: str) -> str:
    from importlib import resources

    return str(resources.files("appconnect.fixtures").joinpath("calls", f"{name}.json"))


def test_call_fixtures_lists_and_prints_an_editable_copy(run: Run, tmp_path: Path) -> None:
    listing = run("call-fixtures")
    assert listing.exit_code == 0
    for name in ("inbound-answered", "outbound-recorded", "missed"):
        assert name in listing.stdout
    printed = run("call-fixtures", "outbound-recorded")
    assert printed.exit_code == 0
    data = json.loads(printed.stdout)
    data["logInfo"]["sessionId"] = "edited-1"
    data["note"] = "My own note"
    copy = tmp_path / "mine.json"
    copy.write_text(json.dumps(data))
    assert run("log-call", str(copy)).exit_code == 0
    rows = logs_json(run)
    assert [r["sessionId"] for r in rows] == ["edited-1"]


def test_log_call_fails_like_app_connect_where_its_composer_throws(
    run: Run, home: Path, tmp_path: Path
) -> None:
    """A call leg without `to`: App Connect's composer throws, so its create fails (issue 14)."""
    calls = Path(__file__).resolve().parents[1] / "fixtures" / "calls"
    call = json.loads((calls / "inbound-answered.json").read_text())
    call["logInfo"]["legs"] = [{"direction": "Inbound", "from": {"phoneNumber": "+16505550101"}}]
    path = tmp_path / "broken-leg.json"
    path.write_text(json.dumps(call))
    result = run("log-call", str(path))
    assert result.exit_code == 1, result.output
    assert "Error creating call log" in result.stderr
    assert crm(home).list_activities() == []
