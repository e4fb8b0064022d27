"""`--trace http`: every CRM exchange in order, for any connector, with every secret redacted.

The connectors here are the fixture CRM's, an Insightly-style proxy file and a Pipedrive-style
OAuth connector, the last two against mocks of those CRMs served on loopback: the trace sits
under the harness's httpx client, so it must see what each of them sends.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from foreign.conftest import INSIGHTLY_PROXY, Served, pipedrive, pipedrive_config  # noqa: F401
from foreign.insightly_crm import API_KEY, InsightlyCRM
from foreign.mockhttp import serving
from foreign.pipedrive_crm import CLIENT_SECRET
from test_server_mode import loopback_server  # noqa: F401  (a fixture)
from typer.testing import Result

from appconnect.core.redaction import REDACTED, Redactor
from appconnect.core.transports.http_trace import HttpTrace, HttpTraceTransport
from appconnect.fixtures.crm import CRMState

Run = Callable[..., Result]
#: A JWT as App Connect's server issues them (header.payload.signature).
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6InVzZXItMSIsInBsYXRmb3JtIjoiZml4dHVyZSJ9"
    ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode().rstrip("=")


def assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret[:6]}… shown"
        assert b64(secret) not in text and b64(f"{secret}:") not in text


def http_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [exchange for step in report["steps"] for exchange in step.get("http", [])]


# --- through the CLI ----------------------------------------------------------------------


def test_log_call_shows_each_request_and_answer_in_order(run: Run, home: Path) -> None:
    result = run("--trace", "http", "log-call", "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # the trace goes to stderr: --json output stays parsable
    lines = [line for line in result.stderr.splitlines() if line.startswith("HTTP ")]
    assert [line.split(" -> ")[0] for line in lines] == [
        "HTTP GET http://fixture-crm.embedded/v1/me",
        "HTTP GET http://fixture-crm.embedded/v1/contacts?phone=%2B16505550101",
        "HTTP POST http://fixture-crm.embedded/v1/activities",
    ]
    assert lines[-1].split(" -> ")[1].startswith("201 ")
    assert lines[-1].endswith("ms (createCallLog)")
    assert '"authorization": "Basic ***"' in result.stderr
    assert '"sessionId": "4001000101"' in result.stderr  # bodies are shown
    assert_hidden(result.output, CRMState(home / "fixture-crm.json").api_key)


def test_simulate_groups_exchanges_by_step_with_their_interface(run: Run) -> None:
    result = run("--trace", "http", "simulate", "answered-inbound", "--json")
    report = json.loads(result.stdout)
    first, recording = report["steps"][0]["http"], report["steps"][3]["http"]
    assert [x["interface"] for x in first] == ["getUserInfo", "findContact", "createCallLog"]
    assert [(x["method"], x["interface"], x["status"]) for x in recording] == [
        ("GET", "getCallLog", 200),
        ("PATCH", "updateCallLog", 200),
    ]
    assert [x["index"] for x in http_of(report)] == list(range(1, len(http_of(report)) + 1))
    assert all(x["ms"] >= 0 for x in http_of(report))
    assert "recording/841" in recording[1]["request"]["body"]


def test_the_environment_turns_it_on_and_a_bad_kind_is_one_line(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = run("--trace", "curl", "log-call")
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1
    assert "'curl' is not one of 'http'" in bad.stderr
    monkeypatch.setenv("APPCONNECT_TRACE", "http")
    assert "HTTP POST http://fixture-crm.embedded/v1/activities" in run("log-call").stderr


def test_without_the_option_nothing_is_recorded(run: Run) -> None:
    result = run("simulate", "answered-inbound", "--json")
    assert "http" not in json.loads(result.stdout)["steps"][0]
    assert "HTTP " not in result.stderr


def test_a_fault_shows_as_the_client_saw_it(run: Run) -> None:
    result = run(
        "--trace", "http", "--fault", "createCallLog=429x1", "--fault", "updateCallLog=timeoutx1",
        "simulate", "answered-inbound", "--json",
    )  # fmt: skip
    exchanges = http_of(json.loads(result.stdout))
    creates = [x for x in exchanges if x["interface"] == "createCallLog"]
    assert creates[0]["status"] == 429 and creates[-1]["status"] == 201  # retried
    lost = next(x for x in exchanges if x["interface"] == "updateCallLog")
    assert lost["status"] is None and "ReadTimeout" in lost["error"]


@pytest.fixture
def insightly(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("INSIGHTLY_API_KEY", API_KEY)
    with serving(InsightlyCRM()) as url:
        Path("appconnect.toml").write_text(
            f'[connector]\nname = "{INSIGHTLY_PROXY}"\n'
            f'[crm]\nurl = "{url}"\napi_key_env = "INSIGHTLY_API_KEY"\n'
            '[redaction]\nfields = ["PHONE"]\n'
        )
        yield url


def test_a_proxy_connector_against_another_crm_on_loopback(run: Run, insightly: str) -> None:
    result = run("--trace", "http", "simulate", "answered-inbound", "--json")
    report = json.loads(result.stdout)
    assert report["ok"], result.output
    exchanges = http_of(report)
    assert all(x["url"].startswith(insightly) for x in exchanges)
    assert [x["interface"] for x in report["steps"][0]["http"]] == [
        "getUserInfo",
        "findContact",
        "createCallLog",
    ]
    assert any(x["url"].startswith(f"{insightly}/v3.1/Events") for x in exchanges)
    # Insightly's Basic auth carries the key; the configured name `PHONE` is hidden too.
    assert {x["request"]["headers"]["authorization"] for x in exchanges} == {"Basic ***"}
    created = json.loads(report["steps"][0]["http"][-1]["response"]["body"])
    assert created["EVENT_ID"]
    found = next(x for x in exchanges if x["interface"] == "findContact")
    assert [c["PHONE"] for c in json.loads(found["response"]["body"])] == [REDACTED]
    assert_hidden(result.output, API_KEY)


def test_oauth_tokens_and_the_client_secret_are_never_shown(
    run: Run,
    pipedrive: Served,  # noqa: F811  (the foreign suite's fixture, imported above)
) -> None:
    """An expired access token: the run starts with a refresh, which is traced too."""
    expired = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    pipedrive_config(pipedrive, expiry=expired)
    result = run("--trace", "http", "simulate", "answered-inbound", "--json")
    report = json.loads(result.stdout)
    assert report["ok"], result.output
    exchanges = http_of(report)
    refresh = next(x for x in exchanges if "token" in x["url"])
    assert refresh["method"] == "POST"
    assert "refresh_token=***" in refresh["request"]["body"]
    answer = json.loads(refresh["response"]["body"])
    assert answer["access_token"] == answer["refresh_token"] == REDACTED
    assert {x["request"]["headers"].get("authorization") for x in exchanges} <= {
        "Bearer ***",
        "Basic ***",
    }
    state = pipedrive.app.state
    issued = [*state.access_tokens, *state.refresh_tokens]
    assert len(issued) >= 2  # the refresh happened: new tokens exist, and none is shown
    assert_hidden(result.output, CLIENT_SECRET, *issued)


def test_the_fixture_crms_oauth_sign_in_hides_code_tokens_and_client_secret(
    run: Run, home: Path
) -> None:
    Path("appconnect.toml").write_text('[connector]\nauth = "oauth"\n')
    result = run("--trace", "http", "simulate", "answered-inbound", "--keep", "--json")
    report = json.loads(result.stdout)
    assert report["ok"], result.output
    exchanges = http_of(report)
    authorize, token = exchanges[0], exchanges[1]
    assert "/oauth/authorize?client_id=fx-client&" in authorize["url"]
    assert "code=***" in authorize["response"]["headers"]["location"]
    assert "code=***" in token["request"]["body"]
    assert json.loads(token["response"]["body"]) == {
        "access_token": REDACTED,
        "refresh_token": REDACTED,
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    state = CRMState(home / "fixture-crm.json")
    oauth = state.section("oauth")
    issued = [*oauth.get("access", {}), *oauth.get("refresh", {})]
    assert issued  # tokens were issued, and none of them is shown
    assert_hidden(result.output, oauth["client"]["clientSecret"], *issued)
    assert {x["request"]["headers"].get("authorization") for x in exchanges[2:]} == {
        "Bearer ***"
    }


def test_trace_http_on_the_server_target_records_the_harness_requests(run: Run) -> None:
    """The server target's own requests go through the same trace (here: refused at login,
    nothing listening), and the error line stays one line."""
    Path("appconnect.toml").write_text(
        '[server]\nurl = "http://127.0.0.1:9"\napi_key = "srv-key-1234"\n'
    )
    Path("appconnect.toml").chmod(0o600)
    result = run("--trace", "http", "--target", "server", "edit-log", "4001000101", "--note", "n")
    assert result.exit_code != 0
    assert "HTTP POST http://127.0.0.1:9/apiKeyLogin" in result.stderr
    assert "ConnectError" in result.stderr
    assert_hidden(result.output, "srv-key-1234")


def test_on_the_server_target_the_trace_holds_the_requests_to_the_server(
    run: Run,
    loopback_server: tuple[str, Path, str],  # noqa: F811  (the fixture imported above)
) -> None:
    url, database, key = loopback_server
    config = Path("appconnect.toml")
    config.write_text(
        f'[server]\nurl = "{url}"\nplatform = "fixture"\napi_key = "{key}"\n'
        f'database = "{database}"\n'
    )
    config.chmod(0o600)
    result = run("--trace", "http", "--target", "server", "simulate", "answered-inbound", "--json")
    report = json.loads(result.stdout)
    assert report["ok"], result.output
    exchanges = http_of(report)
    login = exchanges[0]
    assert (login["method"], login["url"]) == ("POST", f"{url}/apiKeyLogin")
    assert json.loads(login["request"]["body"])["apiKey"] == REDACTED
    jwt = json.loads(login["response"]["body"])["jwtToken"]
    assert jwt == REDACTED
    routes = [(x["method"], x["url"].split("?")[0].removeprefix(url)) for x in exchanges]
    assert ("PATCH", "/callLog") in routes
    assert_hidden(result.output, key)
    assert "eyJ" not in result.output


# --- the redactor, on every kind of secret ---------------------------------------------------


def traced(handler: Callable[[httpx.Request], httpx.Response], redactor: Redactor) -> HttpTrace:
    trace = HttpTrace(redactor)
    transport = HttpTraceTransport(httpx.MockTransport(handler), trace)
    with httpx.Client(transport=transport) as client:
        client.post(
            "https://user:pa55word@crm.test/v1/x?api_key=qk-123&ssn=123-45-6789&page=2",
            json={
                "contact": {"ssn": "123-45-6789", "name": "Dana"},
                "client_secret": "cs-999",
                "note": f"jwt {JWT} and held-secret-42 inside",
            },
            headers={"X-Api-Key": "hk-1", "Cookie": "sid=c-77"},
        )
        client.post(
            "https://crm.test/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "rt-5", "SSN": "987"},
            headers={"Authorization": f"Bearer {JWT}"},
        )
    return trace


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/oauth/token":
        return httpx.Response(
            200, json={"access_token": "at-1", "refresh_token": "rt-6", "id_token": JWT}
        )
    return httpx.Response(200, headers={"Set-Cookie": "sid=c-88"}, json={"ok": True, "ssn": "1"})


def test_every_secret_is_redacted_by_name_shape_and_value() -> None:
    trace = traced(answer, Redactor(["ssn"], lambda: ["held-secret-42", None]))
    first, token = (exchange.as_dict() for exchange in trace.exchanges)
    text = json.dumps([first, token])
    for secret in (
        "pa55word", "user:", "qk-123", "123-45-6789", "cs-999", JWT, "held-secret-42",
        "hk-1", "c-77", "c-88", "rt-5", "rt-6", "at-1", "987",
    ):  # fmt: skip
        assert secret not in text, secret
    assert first["url"] == "https://***@crm.test/v1/x?api_key=***&ssn=***&page=2"
    headers = first["request"]["headers"]
    assert headers["authorization"] == "Basic ***"  # httpx sends the URL's userinfo so
    assert token["request"]["headers"]["authorization"] == "Bearer ***"
    assert headers["x-api-key"] == headers["cookie"] == REDACTED
    assert first["response"]["headers"]["set-cookie"] == REDACTED
    body = json.loads(first["request"]["body"])
    assert body["contact"] == {"ssn": REDACTED, "name": "Dana"}
    assert body["note"] == "jwt *** and *** inside"
    assert token["request"]["body"] == "grant_type=refresh_token&refresh_token=***&SSN=***"
    assert json.loads(token["response"]["body"])["id_token"] == REDACTED


def test_harmless_names_and_values_are_kept() -> None:
    redactor = Redactor()
    assert redactor.data({"sessionId": "s-1", "countryCode": "US", "code": "c"}) == {
        "sessionId": "s-1",
        "countryCode": "US",
        "code": REDACTED,
    }
    assert redactor.url("https://crm.test/v1/contacts?phone=%2B1650") == (
        "https://crm.test/v1/contacts?phone=%2B1650"
    )
    assert redactor.body(b"\x89PNG\x00\xff", "image/png") == "<6 bytes of image/png>"


def test_a_lost_answer_is_recorded_then_raised() -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    trace = HttpTrace()
    with (
        httpx.Client(transport=HttpTraceTransport(httpx.MockTransport(reset), trace)) as client,
        pytest.raises(httpx.ReadError),
    ):
        client.get("https://crm.test/v1/me")
    (exchange,) = trace.exchanges
    assert exchange.status is None and exchange.error == "ReadError: connection reset by peer"


def test_commands_that_do_not_use_them_import_none_of_these_features(home: Path) -> None:
    """Start-up stays as it was: the trace, diffs and the report load only when used."""
    import subprocess
    import sys

    watched = [
        "appconnect.core.transports.http_trace",
        "appconnect.core.runs.body_diff",
        "appconnect.core.runs.report_html",
    ]
    code = (
        "import sys\nfrom appconnect.cli import main\n"
        "sys.argv = ['appconnect', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {watched!r} if m in sys.modules], file=sys.stderr)\n"
    )
    for args in (["--help"], ["log-call", "--json"], ["logs", "--json"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
        )
        assert done.stderr.strip().splitlines()[-1] == "[]", (args, done.stderr[-500:])


def test_a_long_lived_trace_stops_growing_and_counts_what_it_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from appconnect.core.transports import http_trace

    monkeypatch.setattr(http_trace, "MAX_EXCHANGES", 2)
    trace = HttpTrace()
    mock = httpx.MockTransport(lambda request: httpx.Response(204))
    with httpx.Client(transport=HttpTraceTransport(mock, trace)) as client:
        for _ in range(3):
            assert client.get("https://crm.test/v1/ping").status_code == 204
    assert [x.index for x in trace.exchanges] == [1, 2] and trace.dropped == 1
