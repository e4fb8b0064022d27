"""The fixture CRM: state, HTTP API (in-process via WSGITransport) and the loopback server."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from appconnect.fixtures.crm import (
    CRMDataError,
    CRMState,
    FixtureCRM,
    Invalid,
    NotFound,
    basic_auth_header,
    make_server,
)

FIXED_NOW = "2025-01-02T03:04:05.000Z"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


@pytest.fixture
def state() -> CRMState:
    return CRMState(None, clock=lambda: FIXED_NOW)


@pytest.fixture
def client(state: CRMState) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=httpx.WSGITransport(app=FixtureCRM(state)),
        base_url="http://fixture-crm",
        headers=_auth(state.api_key),
    ) as c:
        yield c


def _new_activity(client: httpx.Client, **fields: object) -> dict[str, object]:
    body = {"contactId": "ct-1", "sessionId": "s-1", "subject": "Call with Dana", **fields}
    response = client.post("/v1/activities", json=body)
    assert response.status_code == 201, response.text
    activity: dict[str, object] = response.json()["activity"]
    return activity


# -- auth ----------------------------------------------------------------------------------------


def test_healthz_needs_no_auth(state: CRMState) -> None:
    with httpx.Client(transport=httpx.WSGITransport(app=FixtureCRM(state))) as c:
        response = c.get("http://fixture-crm/healthz")
    assert (response.status_code, response.json()) == (200, {"ok": True})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _auth("fxk_wrong"),
        {"Authorization": "Token whatever"},
        {"Authorization": "Basic !!!not-base64"},
    ],
    ids=["missing", "wrong-key", "wrong-scheme", "garbage"],
)
def test_v1_routes_require_the_api_key(state: CRMState, headers: dict[str, str]) -> None:
    with httpx.Client(transport=httpx.WSGITransport(app=FixtureCRM(state))) as c:
        for path in ("/v1/me", "/v1/no-such-route"):
            response = c.get("http://fixture-crm" + path, headers=headers)
            assert response.status_code == 401
            assert response.json() == {"error": "unauthorized", "message": "Invalid API key"}
            assert state.api_key not in response.text


def test_key_without_trailing_colon_is_rejected(state: CRMState) -> None:
    # getBasicAuth encodes "<key>:"; the bare key is a different credential.
    bare = "Basic " + base64.b64encode(state.api_key.encode()).decode()
    with httpx.Client(transport=httpx.WSGITransport(app=FixtureCRM(state))) as c:
        assert c.get("http://fixture-crm/v1/me", headers={"Authorization": bare}).status_code == 401


def test_basic_auth_header_matches_get_basic_auth_form() -> None:
    assert basic_auth_header("fxk_abc") == "Basic " + base64.b64encode(b"fxk_abc:").decode()


def test_api_key_shape() -> None:
    key = CRMState(None).api_key
    assert key.startswith("fxk_") and len(key) == 4 + 32
    assert CRMState(None).api_key != key


# -- users and contacts --------------------------------------------------------------------------


def test_me_and_users(client: httpx.Client) -> None:
    assert client.get("/v1/me").json() == {
        "user": {
            "id": "fx-user-1",
            "name": "Avery Agent",
            "email": "avery.agent@fixture-crm.test",
            "timezoneName": "America/Los_Angeles",
            "timezoneOffset": "-08:00",
        }
    }
    users = client.get("/v1/users").json()["users"]
    assert [u["id"] for u in users] == ["fx-user-1", "fx-user-2", "fx-user-3"]


@pytest.mark.parametrize(
    "phone", ["+16505550101", "6505550101", "16505550101", "+1 (650) 555-0101", "650.555.0101"]
)
def test_contact_search_by_phone_forms(client: httpx.Client, phone: str) -> None:
    response = client.get("/v1/contacts", params={"phone": phone})
    assert response.status_code == 200
    assert response.json() == {
        "contacts": [
            {"id": "ct-1", "name": "Dana Doe", "phone": "+16505550101", "extension": None,
             "type": "Contact"}
        ]
    }


def test_contact_search_international_extension_and_misses(client: httpx.Client) -> None:
    def ids(**params: str) -> list[str]:
        return [c["id"] for c in client.get("/v1/contacts", params=params).json()["contacts"]]

    assert ids(phone="+44 20 7183 8750") == ["ct-4"]
    assert ids(phone="442071838750") == ["ct-4"]
    assert ids(extension="102") == ["ct-3"]
    assert ids(phone="+16505550103", extension="102") == ["ct-3"]
    assert ids(phone="+16505550101", extension="102") == []
    assert ids(phone="+16505559999") == []
    assert ids(phone="no digits") == []
    assert ids(extension="999") == []
    assert ids() == ["ct-1", "ct-2", "ct-3", "ct-4"]


def test_get_and_create_contact(client: httpx.Client) -> None:
    assert client.get("/v1/contacts/ct-2").json()["contact"]["type"] == "Lead"
    response = client.post("/v1/contacts", json={"name": "Nia New", "phone": "+1 650 555 0199"})
    assert response.status_code == 201
    assert response.json() == {
        "contact": {"id": "ct-5", "name": "Nia New", "phone": "+1 650 555 0199",
                    "extension": None, "type": "Contact"}
    }
    found = client.get("/v1/contacts", params={"phone": "6505550199"}).json()["contacts"]
    assert [c["id"] for c in found] == ["ct-5"]


# -- activities ----------------------------------------------------------------------------------


def test_create_activity_fills_defaults_and_keeps_extra(client: httpx.Client) -> None:
    activity = _new_activity(client, duration=42, customNote={"k": [1, 2]})
    assert activity == {
        "id": "act-1",
        "contactId": "ct-1",
        "ownerId": "fx-user-1",
        "sessionId": "s-1",
        "subject": "Call with Dana",
        "body": "",
        "direction": None,
        "startTime": None,
        "duration": 42,
        "result": None,
        "recordingLink": None,
        "extra": {"customNote": {"k": [1, 2]}},
        "createdAt": FIXED_NOW,
        "updatedAt": FIXED_NOW,
        "revision": 1,
        "createdBy": "api",
        "lastEditedBy": "api",
    }
    assert client.get("/v1/activities/act-1").json() == {"activity": activity}


def test_patch_is_targeted(client: httpx.Client) -> None:
    before = _new_activity(client, body="note", direction="Inbound", customNote="kept")
    response = client.patch("/v1/activities/act-1", json={"subject": "Edited", "disposition": 3})
    assert response.status_code == 200
    after = response.json()["activity"]
    assert after["subject"] == "Edited"
    assert after["revision"] == 2
    assert after["extra"] == {"customNote": "kept", "disposition": 3}
    unchanged = {k: v for k, v in before.items() if k not in ("subject", "revision", "extra")}
    assert {k: after[k] for k in unchanged} == unchanged
    assert client.get("/v1/activities/act-1").json()["activity"] == after


def test_list_activities_filters_and_numeric_order(client: httpx.Client) -> None:
    for n in range(11):
        _new_activity(client, sessionId=f"s-{n % 2}", contactId="ct-2" if n == 10 else "ct-1")
    all_ids = [a["id"] for a in client.get("/v1/activities").json()["activities"]]
    assert all_ids == [f"act-{n}" for n in range(1, 12)]  # act-10 after act-9, not after act-1

    def ids(**params: str) -> list[str]:
        return [a["id"] for a in client.get("/v1/activities", params=params).json()["activities"]]

    assert ids(sessionId="s-1") == ["act-2", "act-4", "act-6", "act-8", "act-10"]
    assert ids(contactId="ct-2") == ["act-11"]
    assert ids(sessionId="s-1", contactId="ct-2") == []


def test_delete_then_404_and_ids_not_reused(client: httpx.Client) -> None:
    _new_activity(client)
    _new_activity(client)
    response = client.delete("/v1/activities/act-2")
    assert (response.status_code, response.content) == (204, b"")
    gone = client.get("/v1/activities/act-2")
    assert gone.status_code == 404
    assert gone.json() == {
        "error": "not_found", "message": "activity act-2 not found (deleted by api)"
    }
    assert _new_activity(client)["id"] == "act-3"


def test_user_edits_are_attributed(state: CRMState) -> None:
    created = state.create_activity({"contactId": "ct-1", "subject": "a"})
    edited = state.update_activity(created["id"], {"body": "fixed in the CRM UI"}, by="user")
    assert (edited["createdBy"], edited["lastEditedBy"], edited["revision"]) == ("api", "user", 2)
    state.delete_activity(created["id"])  # defaults to by="user"
    with pytest.raises(NotFound, match=r"^activity act-1 not found \(deleted by user\)$"):
        state.get_activity("act-1")


def test_state_returns_copies(state: CRMState) -> None:
    state.me()["name"] = "Mallory"
    state.find_contacts()[0]["phone"] = "0"
    created = state.create_activity({"contactId": "ct-1", "tag": {"a": 1}})
    created["extra"]["tag"]["a"] = 2
    assert state.me()["name"] == "Avery Agent"
    assert state.get_contact("ct-1")["phone"] == "+16505550101"
    assert state.get_activity("act-1")["extra"] == {"tag": {"a": 1}}


def test_state_errors_have_clear_messages(state: CRMState) -> None:
    with pytest.raises(NotFound, match=r"^activity act-9 not found$"):
        state.update_activity("act-9", {"subject": "x"})
    with pytest.raises(NotFound, match=r"^contact ct-99 not found$"):
        state.get_contact("ct-99")
    with pytest.raises(Invalid, match=r"^contact ct-99 not found$"):
        state.create_activity({"contactId": "ct-99"})
    with pytest.raises(Invalid, match=r"^contactId is required$"):
        state.create_activity({"subject": "x"})
    with pytest.raises(Invalid, match=r"^subject must be a string$"):
        state.create_activity({"contactId": "ct-1", "subject": 5})
    with pytest.raises(Invalid, match=r"^field 'revision' is read-only$"):
        state.create_activity({"contactId": "ct-1", "revision": 7})
    # A failed write leaves no trace: no record, no consumed id.
    assert state.list_activities() == []
    assert state.create_activity({"contactId": "ct-1"})["id"] == "act-1"


# -- error shapes --------------------------------------------------------------------------------


def test_error_shapes(client: httpx.Client) -> None:
    cases = [
        (client.get("/v1/activities/act-9"), 404,
         {"error": "not_found", "message": "activity act-9 not found"}),
        (client.get("/v1/contacts/ct-99"), 404,
         {"error": "not_found", "message": "contact ct-99 not found"}),
        (client.get("/v1/nope"), 404, {"error": "not_found", "message": "no route for /v1/nope"}),
        (client.post("/v1/activities", content=b"{not json"), 400,
         {"error": "bad_request", "message": "request body is not valid JSON"}),
        (client.post("/v1/activities", json=[1, 2]), 400,
         {"error": "bad_request", "message": "request body must be a JSON object"}),
        (client.post("/v1/activities", json={"contactId": "ct-99"}), 422,
         {"error": "invalid", "message": "contact ct-99 not found"}),
        (client.post("/v1/contacts", json={"phone": "+16505550100"}), 422,
         {"error": "invalid", "message": "name is required"}),
        (client.post("/v1/contacts", json={"name": "X", "phone": "1", "type": "Deal"}), 422,
         {"error": "invalid", "message": "type must be one of Contact, Lead, not 'Deal'"}),
    ]
    for response, status, body in cases:
        assert (response.status_code, response.json()) == (status, body)
        assert response.headers["content-type"] == "application/json"


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/v1/contacts/ct-1")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.json()["error"] == "method_not_allowed"
    assert client.put("/v1/activities/act-1", json={}).headers["allow"] == "GET, PATCH, DELETE"


# -- persistence ---------------------------------------------------------------------------------


def test_database_is_created_private_and_shared(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "crm.db"
    writer = CRMState(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    reader = CRMState(path)
    assert reader.api_key == writer.api_key  # the key lives in the database, not the process

    writer.create_activity({"contactId": "ct-3", "subject": "persisted"})
    assert reader.get_activity("act-1")["subject"] == "persisted"
    reader.update_activity("act-1", {"body": "from the other side"}, by="user")
    assert writer.get_activity("act-1")["lastEditedBy"] == "user"
    # SQLite's WAL side files hold the same data: they must be as private as the database.
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["crm.db", "crm.db-shm", "crm.db-wal"]  # no temp files, no lock sidecar
    assert {stat.S_IMODE(p.stat().st_mode) for p in path.parent.glob("crm.db*")} == {0o600}
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {row[0] for row in conn.execute("SELECT sql FROM sqlite_master WHERE type='index'")}
    assert any("phone_key" in (sql or "") for sql in indexes)
    assert any("extension" in (sql or "") for sql in indexes)
    assert any("session_id" in (sql or "") for sql in indexes)


def test_json_name_means_the_database_beside_it(tmp_path: Path) -> None:
    CRMState(tmp_path / "crm.json").create_activity({"contactId": "ct-1"})
    assert not (tmp_path / "crm.json").exists()
    assert CRMState(tmp_path / "crm.db").get_activity("act-1")["contactId"] == "ct-1"


def test_ids_not_reused_after_delete_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    first = CRMState(path)
    first.create_activity({"contactId": "ct-1"})
    first.delete_activity("act-1")
    first.create_contact("Pat Prospect", "+16505550177", type="Lead")
    second = CRMState(path)
    assert second.create_activity({"contactId": "ct-5"})["id"] == "act-2"
    assert second.create_contact("Quinn", "+16505550178")["id"] == "ct-6"
    with pytest.raises(NotFound, match="deleted by user"):
        second.get_activity("act-1")


def test_refused_write_changes_nothing(tmp_path: Path) -> None:
    state = CRMState(tmp_path / "crm.db")
    with pytest.raises(Invalid):
        state.create_activity({"contactId": "ct-99"})
    assert state.create_activity({"contactId": "ct-1"})["id"] == "act-1"  # counter untouched
    with pytest.raises(Invalid):
        state.update_section("oauth", lambda s: (s.update(x=1), state_error())[1])
    assert state.section("oauth") == {}


def state_error() -> None:
    raise Invalid("refused")


def _legacy_file(path: Path) -> dict[str, object]:
    """A home written by the JSON-file fixture CRM: two activities, one deleted, OAuth data."""
    me = {"id": "fx-user-1", "name": "Avery Agent", "email": "a@x.test",
          "timezoneName": "UTC", "timezoneOffset": "+00:00"}
    contact = {"id": "ct-1", "name": "Dana", "phone": "+16505550101", "extension": "7",
               "type": "Contact"}
    activity = {"id": "act-3", "contactId": "ct-1", "ownerId": "fx-user-1", "sessionId": "s-9",
                "subject": "Old", "body": "kept", "direction": "Inbound", "startTime": None,
                "duration": 5, "result": None, "recordingLink": None, "extra": {"k": 1},
                "createdAt": FIXED_NOW, "updatedAt": FIXED_NOW, "revision": 2,
                "createdBy": "api", "lastEditedBy": "user"}
    data = {"schema": 1, "apiKey": "fxk_legacy-key", "meId": "fx-user-1", "users": [me],
            "contacts": {"ct-1": contact}, "activities": {"act-3": activity},
            "deleted": {"act-2": {"deletedBy": "user", "deletedAt": FIXED_NOW}},
            "nextContact": 2, "nextActivity": 4, "oauth": {"client": {"id": "c"}}}
    path.write_text(json.dumps(data))
    os.chmod(path, 0o600)
    (path.parent / (path.name + ".lock")).touch()
    (path.parent / f".{path.name}.k1ll3d.tmp").write_text('{"apiKey": "fxk_half-written')
    return data


def test_old_json_home_is_migrated_once_keeping_its_data(tmp_path: Path) -> None:
    legacy = tmp_path / "fixture-crm.json"
    data = _legacy_file(legacy)
    state = CRMState(tmp_path / "fixture-crm.db")
    assert state.api_key == "fxk_legacy-key"
    assert state.list_activities() == list(data["activities"].values())  # type: ignore[union-attr]
    assert state.find_contacts(phone="650-555-0101", extension="7")[0]["name"] == "Dana"
    assert state.section("oauth") == {"client": {"id": "c"}}
    with pytest.raises(NotFound, match="deleted by user"):
        state.get_activity("act-2")
    assert state.create_activity({"contactId": "ct-1"})["id"] == "act-4"  # counters kept
    assert state.create_contact("Lee", "+16505550999")["id"] == "ct-2"
    # Retired, private, and never read again: a later edit of it changes nothing.
    retired = tmp_path / "fixture-crm.json.migrated"
    assert not legacy.exists() and stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert not (tmp_path / "fixture-crm.json.lock").exists()
    assert list(tmp_path.glob(".fixture-crm.json.*.tmp")) == []  # killed writes' leftovers
    retired.rename(legacy)
    assert CRMState(tmp_path / "fixture-crm.db").create_activity({"contactId": "ct-1"})["id"] \
        == "act-5"
    assert legacy.exists()  # an initialised database ignores a JSON file


def test_cli_migrates_an_existing_home(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from appconnect.cli import app

    _legacy_file(tmp_path / "fixture-crm.json")
    result = CliRunner().invoke(
        app, ["fixture-crm", "activities", "--json"], env={"APPCONNECT_HOME": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    assert [a["id"] for a in json.loads(result.stdout)] == ["act-3"]
    assert (tmp_path / "fixture-crm.db").exists()


@pytest.mark.parametrize("content", [b"{not json", b"", b"[]", b'{"schema": 1}'])
def test_corrupt_old_file_raises_and_changes_nothing(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "crm.json"
    path.write_bytes(content)
    with pytest.raises(CRMDataError) as info:
        CRMState(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    assert path.read_bytes() == content
    assert not (tmp_path / "crm.db").exists()  # no database created


def test_corrupt_database_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    path.write_bytes(b"not a database, but long enough to be read as one" * 100)
    with pytest.raises(CRMDataError, match="corrupt") as info:
        CRMState(path)
    assert "\n" not in str(info.value)


_WRITER = """
import sys
from pathlib import Path
from appconnect.fixtures.crm import CRMState
state = CRMState(Path(sys.argv[1]))
for n in range(int(sys.argv[2])):
    state.create_activity({"contactId": "ct-1", "sessionId": sys.argv[3]})
"""


def test_concurrent_writers_in_separate_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    CRMState(path)  # seed first, so every writer shares one API key
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), "15", f"w{n}"])
        for n in range(4)
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0, 0, 0]
    activities = CRMState(path).list_activities()
    assert [a["id"] for a in activities] == [f"act-{n}" for n in range(1, 61)]
    assert sorted({a["sessionId"] for a in activities}) == ["w0", "w1", "w2", "w3"]


# -- loopback server -----------------------------------------------------------------------------


def test_loopback_server(tmp_path: Path) -> None:
    state = CRMState(tmp_path / "crm.json")
    server, port = make_server(state, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        assert port > 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=_auth(state.api_key),
                          timeout=5) as c:
            assert c.get("/healthz").json() == {"ok": True}
            assert c.get("/v1/me").json()["user"]["id"] == "fx-user-1"
            created = c.post("/v1/activities", json={"contactId": "ct-4", "subject": "UK call"})
            assert created.status_code == 201
            assert c.get("/v1/me", headers={"Authorization": "Basic eDo="}).status_code == 401
        # The server wrote through to the file: a fresh process-like reader sees the activity.
        assert CRMState(tmp_path / "crm.json").get_activity("act-1")["contactId"] == "ct-4"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_server_refuses_non_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        make_server(CRMState(None), host=host)


def test_seed_file_not_world_readable_even_with_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        CRMState(tmp_path / "crm.db").create_activity({"contactId": "ct-1"})
    finally:
        os.umask(old)
    for path in tmp_path.glob("crm.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.mark.parametrize("kind", ["corrupt-json", "json-directory", "db-directory"])
def test_a_broken_crm_file_is_one_error_line_exit_2(tmp_path: Path, kind: str) -> None:
    from typer.testing import CliRunner

    from appconnect.cli import app

    if kind == "corrupt-json":
        (tmp_path / "fixture-crm.json").write_text("{bad")
    else:
        (tmp_path / ("fixture-crm.json" if kind == "json-directory" else "fixture-crm.db")).mkdir()
    result = CliRunner().invoke(app, ["fixture-crm", "activities"],
                                env={"APPCONNECT_HOME": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert "unexpected" not in result.stderr and "fixture-crm." in result.stderr
