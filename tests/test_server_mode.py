"""The server client against our core served as App Connect (`appconnect serve`), in-process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import Result

from appconnect.core.config import parse_config
from appconnect.core.errors import ConnectError
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.serve import jwt
from appconnect.core.serve.app import CoreServer
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.core.targets.server_client import ServerClient
from appconnect.fixtures.crm import CRMState

SECRET = "test-server-secret"
SESSION = "4001000101"


@pytest.fixture
def served(home: Path) -> Iterator[tuple[EmbeddedTarget, ServerClient]]:
    harness = EmbeddedTarget(parse_config({"app_connect": {"use_cache": True}}, "t"), home)
    server = CoreServer(harness, SECRET)
    api_key = harness.crm_state.api_key
    client = ServerClient(
        "http://appconnect.test",
        "fixture",
        api_key=api_key,
        transport=httpx.WSGITransport(app=server),
    )
    yield harness, client
    client.close()
    harness.close()


def body(name: str = "inbound-answered", **changes: object) -> dict[str, object]:
    data = load_call_fixture(name).as_body()
    data.update(changes)
    return data


def activities(home: Path) -> list[dict[str, object]]:
    return CRMState(home / "fixture-crm.json").list_activities()


def test_a_call_life_over_http(served: tuple[EmbeddedTarget, ServerClient], home: Path) -> None:
    harness, client = served
    assert client.is_alive()
    implemented = client.implemented_interfaces()
    assert implemented["createCallLog"] and implemented["cacheCallNote"]
    (contact,) = client.find_contact("+16505550101")
    assert contact["id"] == "ct-1"

    created = client.create_call_log(body(contactId="ct-1", contactName="Dana Doe"))
    assert created.successful and created.log_id == "act-1"
    again = client.create_call_log(body(contactId="ct-1"))
    assert not again.successful
    assert again.return_message is not None
    assert again.return_message.message == f"Existing log for session {SESSION}"

    (entry,) = client.get_call_logs([SESSION], require_details=True)
    assert entry["matched"] is True and entry["logId"] == "act-1"
    assert entry["logData"]["fullBody"].startswith("- Note: Dana asked")

    link = "https://media.example/rec/1"
    updated = client.update_call_log({"sessionId": SESSION, "recordingLink": link})
    assert updated.successful and updated.log_id == "act-1"
    disposed = client.upsert_disposition({"sessionId": SESSION, "dispositions": {"c": "Sales"}})
    assert disposed.successful
    (activity,) = activities(home)
    assert f"- Call recording link: {link}\n" in str(activity["body"])
    assert activity["extra"] == {"disposition": {"c": "Sales"}}
    rows = list(harness.store.iter_call_logs())
    assert [(r.sessionId, r.thirdPartyLogId) for r in rows] == [(SESSION, "act-1")]
    routes = [call.interface for call in client.calls]
    assert routes[:3] == ["GET /isAlive", "GET /implementedInterfaces", "POST /apiKeyLogin"]


def test_business_failures_are_failures(served: tuple[EmbeddedTarget, ServerClient]) -> None:
    _, client = served
    missing = client.update_call_log({"sessionId": "nope", "note": "x"})
    assert not missing.successful
    assert missing.return_message is not None
    assert missing.return_message.message == "Cannot find call log for session nope"
    no_contact = client.create_call_log(body())  # no contactId
    assert not no_contact.successful
    assert no_contact.return_message is not None
    assert no_contact.return_message.message == "Contact not found for number +16505550101"
    assert client.calls[-1].ok is False


def test_server_side_logging_uses_the_note_cache(
    served: tuple[EmbeddedTarget, ServerClient], home: Path
) -> None:
    _, client = served
    client.cache_note(SESSION, "typed during the call")
    created = client.create_call_log(body(contactId="ct-1", note=""), sscl=True)
    assert created.successful
    assert str(activities(home)[0]["body"]).startswith("- Note: typed during the call\n")


def test_jwt_minted_with_the_secret_and_refreshed_by_the_server(
    served: tuple[EmbeddedTarget, ServerClient],
) -> None:
    harness, _ = served
    harness.pipeline()  # the user exists
    app = CoreServer(harness, SECRET)
    old = jwt.mint("fx-user-1", "fixture", SECRET, now=time.time() - 10 * 24 * 3600)
    client = ServerClient(
        "http://appconnect.test",
        "fixture",
        secret=SECRET,
        user_id="fx-user-1",
        transport=httpx.WSGITransport(app=app),
    )
    client.token = old  # four days left: the server sends a fresh one
    assert client.get_call_logs(["x"]) == [{"sessionId": "x", "matched": False}]
    assert client.token != old
    assert jwt.decode(client.token or "", SECRET)["id"] == "fx-user-1"
    client.token = "not-a-jwt"
    with pytest.raises(Exception, match="HTTP 400"):
        client.get_call_logs(["x"])


def test_a_server_that_is_down_is_one_clear_error() -> None:
    client = ServerClient("http://127.0.0.1:9", "fixture", api_key="k")
    with pytest.raises(ConnectError) as err:
        client.implemented_interfaces()
    assert str(err.value) == (
        "cannot reach the App Connect server: ConnectError (http://127.0.0.1:9)"
    )


def test_jwt_round_trip_and_tampering() -> None:
    token = jwt.mint("u1", "p", "s")
    assert jwt.decode(token, "s")["platform"] == "p"
    with pytest.raises(jwt.InvalidToken):
        jwt.decode(token, "other")
    with pytest.raises(jwt.InvalidToken):
        jwt.decode(jwt.mint("u1", "p", "s", now=0), "s")  # expired


# --- the CLI with --target server, against our core served on loopback ----------------------


@pytest.fixture
def loopback_server(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """Our core served on 127.0.0.1 from its own home: (url, its database, the CRM key)."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server_home = tmp_path / "server-home"
    harness = EmbeddedTarget(parse_config({}, "t"), server_home)
    harness.pipeline()  # a running server has its database and its CRM user already
    httpd = make_server("127.0.0.1", 0, CoreServer(harness, SECRET), handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}"
        yield url, server_home / "appconnect.db", harness.crm_state.api_key
    finally:
        httpd.shutdown()
        httpd.server_close()
        harness.close()


def test_cli_commands_against_a_server(
    run: Callable[..., Result], tmp_path: Path, loopback_server: tuple[str, Path, str]
) -> None:
    import json

    url, database, key = loopback_server
    config = tmp_path / "appconnect.toml"
    config.write_text(
        f'[server]\nurl = "{url}"\nplatform = "fixture"\napi_key = "{key}"\n'
        f'database = "{database}"\n'
    )
    config.chmod(0o600)
    base = ("--config", str(config), "--target", "server")
    logged = run(*base, "log-call", "--json")
    assert logged.exit_code == 0, logged.output
    answer = json.loads(logged.stdout)
    assert answer["logId"] == "act-1"
    assert answer["interfaceCalls"][-3:] == ["GET /callLog", "GET /contact", "POST /callLog"]
    again = run(*base, "log-call")
    assert again.exit_code == 0 and "Existing log for session 4001000101" in again.stderr
    assert run(*base, "edit-log", SESSION, "--subject", "Over HTTP").exit_code == 0
    assert run(*base, "simulate-recording", SESSION).exit_code == 0
    rows = json.loads(run(*base, "logs", "--json").stdout)
    assert [(r["sessionId"], r["thirdPartyLogId"]) for r in rows] == [(SESSION, "act-1")]
    report = json.loads(run(*base, "check-interfaces", "--json").stdout)
    assert report["implementedInterfaces"]["createCallLog"] is True
    assert report["reconciliation"] == {"ok": True, "checked": 1, "problems": []}
    missing = run(*base, "edit-log", "nope", "--note", "x")
    assert missing.exit_code == 1
    assert "Failed: Cannot find call log for session nope" in missing.stderr


def test_cli_server_down_is_one_line_exit_2(run: Callable[..., Result], tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('[server]\nurl = "http://127.0.0.1:9"\napi_key_env = "NOPE_KEY"\n')
    import os

    os.environ["NOPE_KEY"] = "k"
    try:
        result = run("--config", str(config), "--target", "server", "log-call")
    finally:
        del os.environ["NOPE_KEY"]
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: cannot reach the App Connect server: ConnectError (http://127.0.0.1:9)\n"
    )


def test_database_from_a_server_env_file(tmp_path: Path) -> None:
    from appconnect.core.targets.server import database_from_env

    env = tmp_path / ".env"
    env.write_text("PORT=6066\nDATABASE_URL=sqlite://./db.sqlite\n")
    assert database_from_env(env) == tmp_path / "./db.sqlite"


SERVER_SCENARIOS = [
    "answered-inbound",
    "auto-log-skip",
    "crm-user-edits",
    "extension-number-call",
    "missed-call",
    "outbound-disposition",
    "voicemail",
]


@pytest.mark.parametrize("name", SERVER_SCENARIOS)
def test_bundled_scenarios_through_a_server(
    run: Callable[..., Result],
    tmp_path: Path,
    loopback_server: tuple[str, Path, str],
    name: str,
) -> None:
    """The same scenarios, driven over HTTP. (server-side-logging needs the server's own
    USE_CACHE and user mapping, which a scenario cannot switch on remotely.)"""
    import json

    url, database, key = loopback_server
    config = tmp_path / "appconnect.toml"
    config.write_text(
        f'[server]\nurl = "{url}"\nplatform = "fixture"\napi_key = "{key}"\n'
        f'database = "{database}"\n'
    )
    config.chmod(0o600)
    # The server's home holds the fixture CRM it uses; a server target never reads it.
    server_home = database.parent
    result = run(
        "--config", str(config), "--home", str(server_home), "--target", "server",
        "simulate", name, "--json",
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert result.exit_code == 0, json.dumps(report, indent=1)
    assert report["ok"] is True
    if name == "crm-user-edits":  # no CRM user's edit through a server: skipped, with why
        skipped = [s for s in report["steps"] if s["status"] == "skip"]
        assert skipped[0]["kind"] == "crm-edit"
        assert skipped[0]["message"] == "the server cannot edit a log as a CRM user would"
    routes = {call["interface"] for step in report["steps"] for call in step["calls"]}
    assert routes <= {
        "POST /apiKeyLogin", "GET /callLog", "GET /contact", "POST /contact", "POST /callLog",
        "PATCH /callLog", "PUT /callDisposition", "POST /callLog/cacheNote",
    }  # fmt: skip


# --- smoke against a server, good and broken -------------------------------------------------


def _serve(app: Any) -> tuple[Any, str]:
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_port}"


def _smoke_against(
    run: Callable[..., Result], tmp_path: Path, server_config: dict[str, Any], wrap: Any = None
) -> dict[str, Any]:
    import json

    server_home = tmp_path / "server-home"
    harness = EmbeddedTarget(parse_config(server_config, "t"), server_home)
    harness.pipeline()
    app: Any = CoreServer(harness, SECRET)
    httpd, url = _serve(wrap(app) if wrap else app)
    try:
        config = tmp_path / "appconnect.toml"
        config.write_text(
            f'[server]\nurl = "{url}"\nplatform = "fixture"\n'
            f'api_key = "{harness.crm_state.api_key}"\n'
            f'database = "{server_home / "appconnect.db"}"\n'
        )
        config.chmod(0o600)
        result = run(
            "--config", str(config), "--home", str(server_home), "--target", "server",
            "smoke", "--json",
        )  # fmt: skip
        report: dict[str, Any] = json.loads(result.stdout)
        report["exit_code"] = result.exit_code
        return report
    finally:
        httpd.shutdown()
        httpd.server_close()
        harness.close()


def _checks(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["id"]: (c["status"], c["reason"]) for c in report["checks"]}


def test_smoke_passes_against_a_good_server(run: Callable[..., Result], tmp_path: Path) -> None:
    report = _smoke_against(run, tmp_path, {})
    assert report["exit_code"] == 0, report
    assert report["counts"] == {"pass": 7, "fail": 0, "skip": 1}
    # A server target reads CRM logs only through the server: no CRM user's edit from here.
    skipped = {c["id"]: c["reason"] for c in report["checks"] if c["status"] == "skip"}
    assert skipped == {"user-edit": "the server cannot edit a log as a CRM user would"}
    # App Connect's API has no delete route: what smoke made is reported, not hidden.
    assert report["leftInCrm"] == ["act-1", "act-2"]


def test_smoke_fails_on_a_server_whose_connector_drops_fields(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    report = _smoke_against(
        run, tmp_path, {"connector": {"name": "broken_connectors:OverwritesBody"}}
    )
    assert report["exit_code"] == 1
    checks = _checks(report)
    assert checks["edit"] == (
        "fail",
        "the update dropped '- Date/Time: 2024-01-15 10:30:00 AM' from CRM log act-1 "
        "(sections: date/time, duration, result)",
    )
    assert checks["log-call"][0] == "pass"


def test_smoke_fails_on_a_server_that_answers_500(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    def failing_patch(app: Any) -> Any:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
            if environ["REQUEST_METHOD"] == "PATCH":
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
                return [b"Internal Server Error"]
            return app(environ, start_response)

        return wrapped

    report = _smoke_against(run, tmp_path, {}, wrap=failing_patch)
    assert report["exit_code"] == 1
    checks = _checks(report)
    assert checks["log-call"][0] == "pass"
    assert checks["edit"][0] == "fail"
    assert checks["edit"][1].startswith("PATCH /callLog answered HTTP 500: Internal Server Error")
    assert checks["server-side"][0] == "fail"


def test_smoke_fails_on_a_server_with_wrong_shapes(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    def no_log_id(app: Any) -> Any:
        def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
            if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/callLog":
                app(environ, lambda *args: None)  # the create happens, the answer is wrong
                start_response("200 OK", [("Content-Type", "application/json")])
                return [b'{"successful": true}']
            return app(environ, start_response)

        return wrapped

    report = _smoke_against(run, tmp_path, {}, wrap=no_log_id)
    assert report["exit_code"] == 1
    assert _checks(report)["log-call"] == (
        "fail",
        "createCallLog answered success without a logId; no callLogs row",
    )
