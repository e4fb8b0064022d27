"""`check-interfaces` through the CLI: each problem made on purpose gives exactly its code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.store.db import Store
from appconnect.fixtures.crm import CRMState

SESSION = "4001000101"  # the bundled inbound-answered fixture
OTHER = "4001000102"  # the bundled outbound-recorded fixture
SAMPLE_MANIFEST = Path(__file__).resolve().parents[1] / "fixtures" / "manifests" / "fixture.json"
Run = Callable[..., Result]


def crm(home: Path) -> CRMState:
    return CRMState(home / "fixture-crm.json")


def check(run: Run, *args: str, code: int | None = None) -> dict[str, Any]:
    result = run("check-interfaces", "--json", *args)
    if code is not None:
        assert result.exit_code == code, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def codes(report: dict[str, Any]) -> list[str]:
    return [p["code"] for p in report["reconciliation"]["problems"]]


@pytest.fixture
def logged(run: Run) -> None:
    assert run("log-call").exit_code == 0
    assert run("log-call", "outbound-recorded").exit_code == 0


def test_clean_run_is_ok_everywhere(run: Run, logged: None) -> None:
    report = check(run, code=0)
    assert report["ok"] is True
    assert report["reconciliation"] == {"ok": True, "checked": 2, "problems": []}
    assert report["notes"] == []
    contract = report["contract"]
    assert contract["ok"] is True and contract["violations"] == []
    assert contract["probed"] == [
        "getAuthType", "getBasicAuth", "getLogFormatType", "getUserInfo", "findContact",
        "getCallLog", "getUserList",
    ]  # fmt: skip
    assert contract["skipped"] == {
        "createCallLog": "writes are probed only with --probe-writes",
        "updateCallLog": "writes are probed only with --probe-writes",
    }
    assert (contract["logFormat"], contract["logFormatKind"]) == ("text/plain", "composed")
    assert report["manifest"] is None
    assert report["scope"]["crmListing"] == "checked"


def test_clean_human_output(run: Run, logged: None) -> None:
    result = run("check-interfaces")
    assert result.exit_code == 0, result.output
    assert "reconciliation problems" not in result.stdout
    assert result.stderr == (
        "contract: 7 interfaces probed, 0 violations; log format text/plain (composed)\n"
        "OK: 2 callLogs rows checked, 0 problems\n"
    )


def test_probe_writes_creates_updates_and_deletes_one_probe_log(
    run: Run, home: Path, logged: None
) -> None:
    before = crm(home).list_activities()
    report = check(run, "--probe-writes", code=0)
    contract = report["contract"]
    assert contract["probed"][-2:] == ["createCallLog", "updateCallLog"]
    assert contract["skipped"] == {}
    assert contract["probeLogs"] == [{"logId": "act-3", "cleanedUp": True}]
    assert crm(home).list_activities() == before  # the probe log is gone again
    assert check(run, code=0)["reconciliation"]["ok"] is True  # and no row was written


def test_orphaned_row_when_the_crm_log_is_deleted(run: Run, home: Path, logged: None) -> None:
    crm(home).delete_activity("act-1")
    report = check(run, code=1)
    assert report["reconciliation"]["problems"] == [
        {
            "code": "orphaned-row",
            "sessionId": SESSION,
            "thirdPartyLogId": "act-1",
            "message": "CRM log act-1 no longer exists",
        }
    ]
    assert report["contract"]["ok"] is True  # a missing record is not a contract violation


def test_duplicate_rows_for_one_session_and_identity(run: Run, home: Path, logged: None) -> None:
    store = Store.open(home / "appconnect.db")
    try:
        first = store.find_call_log(SESSION, extension_number="101")
        assert first is not None
        store.insert_call_log(CallLogRecord(**{**_fields(first), "id": "another-telephony-id"}))
    finally:
        store.close()
    report = check(run, code=1)
    assert codes(report) == ["duplicate-rows"]
    problem = report["reconciliation"]["problems"][0]
    assert (problem["sessionId"], problem["thirdPartyLogId"]) == (SESSION, "act-1")


def test_duplicate_crm_log_for_a_logged_session(run: Run, home: Path, logged: None) -> None:
    crm(home).create_activity({"contactId": "ct-1", "sessionId": SESSION, "body": "again"})
    report = check(run, code=1)
    assert report["reconciliation"]["problems"] == [
        {
            "code": "duplicate-crm-logs",
            "sessionId": SESSION,
            "thirdPartyLogId": "act-3",
            "message": f"session {SESSION} has CRM log act-3 besides the one its row points to",
        }
    ]


def test_unlinked_crm_log_but_not_a_users_own_activity(run: Run, home: Path, logged: None) -> None:
    state = crm(home)
    state.create_activity({"contactId": "ct-2", "sessionId": "S-lost"})  # a row never written
    state.create_activity({"contactId": "ct-2", "subject": "Met at the fair"}, by="user")
    state.create_activity({"contactId": "ct-2", "sessionId": "S-other", "ownerId": "fx-user-2"})
    state.create_activity({"contactId": "ct-2", "sessionId": "appconnect-probe-left"})
    report = check(run, code=1)
    assert codes(report) == ["unlinked-crm-log"]
    assert report["reconciliation"]["problems"][0]["thirdPartyLogId"] == "act-3"


def test_swapped_contact(run: Run, home: Path, logged: None) -> None:
    crm(home).update_activity("act-1", {"contactId": "ct-2"}, by="user")
    report = check(run, code=1)
    assert report["reconciliation"]["problems"] == [
        {
            "code": "contact-mismatch",
            "sessionId": SESSION,
            "thirdPartyLogId": "act-1",
            "message": "row has contact ct-1, CRM log act-1 has ct-2",
        }
    ]


def test_reassigned_owner(run: Run, home: Path, logged: None) -> None:
    crm(home).update_activity("act-2", {"ownerId": "fx-user-3"}, by="user")
    report = check(run, code=1)
    assert codes(report) == ["user-mismatch"]
    assert report["reconciliation"]["problems"][0]["message"] == (
        "row has user fx-user-1, CRM log act-2 has fx-user-3"
    )


def test_a_users_body_edit_is_a_note_not_a_failure(run: Run, home: Path, logged: None) -> None:
    assert (
        run("fixture-crm", "edit-activity", "act-1", "--body", "Rewritten by Dana").exit_code == 0
    )
    report = check(run, code=0)
    assert report["ok"] is True
    assert report["reconciliation"]["problems"] == []
    assert [(n["code"], n["thirdPartyLogId"]) for n in report["notes"]] == [
        ("body-edited-by-user", "act-1")
    ]
    human = run("check-interfaces")
    assert human.exit_code == 0
    assert "notes (not failures)" in human.stdout
    assert human.stderr.endswith("OK: 2 callLogs rows checked, 0 problems, 1 notes\n")


def test_text_a_user_adds_around_our_sections_is_fine(run: Run, home: Path, logged: None) -> None:
    body = crm(home).get_activity("act-1")["body"]
    crm(home).update_activity("act-1", {"body": f"Call back Monday.\n{body}PS: VIP\n"}, by="user")
    report = check(run, code=0)
    assert report["notes"] == [] and report["reconciliation"]["problems"] == []


def test_body_overwritten_by_the_api(run: Run, home: Path, logged: None) -> None:
    body = crm(home).get_activity("act-1")["body"]
    mangled = body.replace("- Result: Call connected\n", "- Result: ???\n")
    crm(home).update_activity("act-1", {"body": mangled}, by="api")
    report = check(run, code=1)
    assert report["reconciliation"]["problems"] == [
        {
            "code": "body-overwritten",
            "sessionId": SESSION,
            "thirdPartyLogId": "act-1",
            "message": "1 composed section(s) missing or changed in CRM log act-1, first: "
            "'- Result: Call connected' (not by a CRM user)",
        }
    ]


def test_an_update_through_the_harness_recomposes_and_stays_clean(
    run: Run, home: Path, logged: None
) -> None:
    assert run("fixture-crm", "edit-activity", "act-1", "--body", "Mine now\n").exit_code == 0
    assert run("edit-log", SESSION, "--note", "Quote sent").exit_code == 0
    report = check(run, code=0)
    assert report["notes"] == [] and report["reconciliation"]["problems"] == []


# --- scope options ---------------------------------------------------------------------------


def test_session_id_checks_only_that_session(run: Run, home: Path, logged: None) -> None:
    crm(home).delete_activity("act-1")
    report = check(run, "--session-id", OTHER, code=0)
    assert report["reconciliation"] == {"ok": True, "checked": 1, "problems": []}
    assert codes(check(run, "--session-id", SESSION, code=1)) == ["orphaned-row"]


def test_unknown_session_id_exits_2(run: Run, logged: None) -> None:
    result = run("check-interfaces", "--session-id", "nope")
    assert result.exit_code == 2
    assert result.stderr == "Error: no call log for session nope (callLogs)\n"


def test_since_in_the_future_checks_nothing(run: Run, home: Path, logged: None) -> None:
    crm(home).delete_activity("act-1")
    report = check(run, "--since", "2999-01-01", code=0)
    assert report["reconciliation"]["checked"] == 0
    assert report["scope"]["since"] == "2999-01-01 00:00:00.000 +00:00"
    assert (
        check(run, "--since", "2000-01-01T00:00:00+02:00", code=1)["reconciliation"]["checked"] == 2
    )


def test_platform_option(run: Run, logged: None) -> None:
    assert check(run, "--platform", "fixture", code=0)["platform"] == "fixture"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "yesterday"), "not an ISO date or date-time: 'yesterday' (--since)"),
        (("--platform", "acme"), "unknown platform 'acme'; the config has 'fixture' (--platform)"),
        (("--concurrency", "0"), "concurrency must be 1 to 32, not 0 (--concurrency)"),
        (("--concurrency", "33"), "concurrency must be 1 to 32, not 33 (--concurrency)"),
        (
            ("--rate-limit", "0"),
            "the rate limit must be above 0 requests per second, not 0.0 (--rate-limit)",
        ),
        (("--session-id", " "), "the session id is empty (--session-id)"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    run: Run, logged: None, args: tuple[str, ...], message: str
) -> None:
    result = run("check-interfaces", *args)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"
    assert result.stdout == ""


def test_concurrency_and_rate_limit_give_the_same_answer(
    run: Run, home: Path, logged: None
) -> None:
    crm(home).delete_activity("act-2")
    serial = check(run, "--concurrency", "1", code=1)
    parallel = check(run, "--concurrency", "8", "--rate-limit", "500", code=1)
    assert serial["reconciliation"] == parallel["reconciliation"]
    assert codes(serial) == ["orphaned-row"]


# --- manifest --------------------------------------------------------------------------------


def test_the_sample_manifest_passes(run: Run, logged: None) -> None:
    report = check(run, "--manifest", str(SAMPLE_MANIFEST), code=0)
    assert report["manifest"] == {"path": str(SAMPLE_MANIFEST), "ok": True, "violations": []}


def test_manifest_problems_fail_the_check(run: Run, logged: None, tmp_path: Path) -> None:
    data = json.loads(SAMPLE_MANIFEST.read_text())
    entry = data["platforms"]["fixture"]
    entry["auth"]["type"] = "oauth"
    entry["logFormat"] = "text/html"
    entry["enableExtensionNumberLoggingSetting"] = "yes"
    entry["serverSideLogging"]["enableUserMapping"] = 1
    entry["settings"][0]["items"][1]["id"] = "addCallLogNote"
    entry["page"]["callLog"]["additionalFields"][1]["const"] = "outcome"
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data))
    report = check(run, "--manifest", str(path), code=1)
    assert report["reconciliation"]["ok"] is True
    base = "platforms.fixture"
    assert report["manifest"]["violations"] == [
        {"field": f"{base}.auth.type", "expected": "'apiKey' (the connector's getAuthType)",
         "got": '"oauth"'},
        {"field": f"{base}.logFormat",
         "expected": "absent: App Connect has no logFormat key (getLogFormatType decides)",
         "got": '"text/html"'},
        {"field": f"{base}.serverSideLogging.enableUserMapping", "expected": "a boolean",
         "got": "1"},
        {"field": f"{base}.enableExtensionNumberLoggingSetting", "expected": "a boolean",
         "got": '"yes"'},
        {"field": f"{base}.page.callLog.additionalFields[1].const",
         "expected": "unique among additionalFields", "got": "'outcome'"},
        {"field": f"{base}.settings[0].items[1].id", "expected": "unique among settings",
         "got": "'addCallLogNote'"},
    ]  # fmt: skip
    human = run("check-interfaces", "--manifest", str(path))
    assert human.exit_code == 1
    assert "Warning: manifest: 6 problems" in human.stderr


def test_manifest_for_another_platform(run: Run, logged: None, tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"platforms": {"acme": {"name": "acme"}}}))
    report = check(run, "--manifest", str(path), code=1)
    assert report["manifest"]["violations"] == [
        {
            "field": "platforms.fixture",
            "expected": "an entry for the configured platform",
            "got": "platforms acme",
        }
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "manifest file not found"),
        ('{"platforms": ', "invalid JSON: Expecting value at line 1"),
        ("[1, 2]", "the manifest is not a JSON object"),
    ],
)
def test_bad_manifest_file_exits_2(
    run: Run, logged: None, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)
    result = run("check-interfaces", "--manifest", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message} ({path})\n"


def _fields(row: CallLogRecord) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


def test_reading_from_one_listing_finds_the_same_problems(
    run: Run, home: Path, logged: None
) -> None:
    """Large tables are read from one listCallLogs; the findings must not change."""
    for _ in range(3):
        assert run("log-call", "missed", "--session-id", f"more-{_}").exit_code == 0
    state = crm(home)
    state.update_activity("act-1", {"contactId": "ct-2"}, by="user")  # contact-mismatch
    state.update_activity("act-2", {"body": "replaced"}, by="api")  # body-overwritten
    state.update_activity("act-3", {"body": "user text"}, by="user")  # a note, not a problem
    state.delete_activity("act-4")  # orphaned-row
    per_row = check(run, "--reads", "per-row", code=1)
    listing = check(run, "--reads", "listing", code=1)
    assert sorted(codes(per_row)) == ["body-overwritten", "contact-mismatch", "orphaned-row"]
    assert listing["reconciliation"] == per_row["reconciliation"]
    assert listing["notes"] == per_row["notes"]
    assert [n["code"] for n in listing["notes"]] == ["body-edited-by-user"]
