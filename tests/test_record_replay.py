"""`--record` / `--replay`: a command's CRM traffic saved with secrets scrubbed, then run
again offline; against loopback mocks of Insightly (API key) and Pipedrive (OAuth tokens)."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import Result

from tests.foreign.conftest import INSIGHTLY_PROXY, Served, pipedrive, pipedrive_config
from tests.foreign.insightly_crm import API_KEY, USER, InsightlyCRM
from tests.foreign.mockhttp import serving
from tests.foreign.pipedrive_crm import CLIENT_SECRET

__all__ = ["pipedrive"]  # the foreign suite's fixture: the Pipedrive mock, tokens in the env

Run = Callable[..., Result]
SESSION = "4001000101"
CLOCK = {"createdAt", "updatedAt"}


def _config(url: str, fields: str = '["EMAIL_ADDRESS", "PHONE"]') -> None:
    Path("appconnect.toml").write_text(
        f'[connector]\nname = "{INSIGHTLY_PROXY}"\n'
        f'[crm]\nurl = "{url}"\napi_key_env = "INSIGHTLY_API_KEY"\n'
        f"[redaction]\nfields = {fields}\n"
    )


@pytest.fixture
def record(run: Run, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`record(cassette, *command)`: the command run with --record against the Insightly
    mock (served for it alone, then stopped), from the home `h`."""
    monkeypatch.setenv("INSIGHTLY_API_KEY", API_KEY)

    def recorded(cassette: str, *command: str) -> Result:
        with serving(InsightlyCRM()) as url:
            _config(url)
            result = run("--home", "h", "--record", cassette, *command)
        assert result.exit_code == 0, result.output
        return result

    return recorded


def _commands(run: Run, home: str, flag: str) -> list[dict[str, Any]]:
    """log-call then edit-log, each with its own cassette; their JSON output."""
    outputs = []
    for cassette, args in (
        ("log-call.yaml", ["log-call", "inbound-answered", "--json", "--show-body"]),
        ("edit-log.yaml", ["edit-log", SESSION, "--subject", "Renewal", "--note", "Quote sent.",
                           "--json", "--show-body"]),
    ):  # fmt: skip
        result = run("--home", home, flag, cassette, *args)
        assert result.exit_code == 0, result.output
        outputs.append(_without_clock(json.loads(result.stdout)))
    return outputs


def _without_clock(value: Any) -> Any:
    """The harness's own row times (its clock, not the CRM's) left out."""
    if isinstance(value, dict):
        return {k: _without_clock(v) for k, v in value.items() if k not in CLOCK}
    if isinstance(value, list):
        return [_without_clock(v) for v in value]
    return value


def test_a_recorded_run_replays_offline_with_the_same_results(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSIGHTLY_API_KEY", API_KEY)
    crm = InsightlyCRM()
    with serving(crm) as url:
        _config(url)
        recorded = _commands(run, "home-rec", "--record")
        created = len(crm.state.events)
    assert created == 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)
    # The mock is stopped: nothing answers on its port any more. A CI machine has no key.
    monkeypatch.setenv("INSIGHTLY_API_KEY", "placeholder-key-in-ci")
    replayed = _commands(run, "home-replay", "--replay")
    assert replayed == recorded
    assert "Quote sent." in json.dumps(recorded[1])


def test_the_cassette_holds_no_key_token_or_configured_field(record: Callable[..., Result]) -> None:
    result = record("c.yaml", "log-call", "inbound-answered")
    assert "recorded " in result.stderr and "CRM request(s) to c.yaml" in result.stderr
    text = Path("c.yaml").read_text()
    basic = base64.b64encode(f"{API_KEY}:".encode()).decode()
    for secret in (API_KEY, basic, USER["EMAIL_ADDRESS"]):
        assert secret not in text, secret
    # A configured field's value goes wherever the field is named: PHONE in the contacts
    # (the search sends the number as `field_value`, which names no field, so it stays).
    assert '"PHONE":"***"' in text.replace("\\", "")
    interactions = yaml.safe_load(text)["interactions"]
    assert len(interactions) >= 3
    first = interactions[0]["request"]
    assert first["headers"]["authorization"] == ["***"]
    bodies = [i["response"]["body"]["string"] for i in interactions]
    assert any('"EMAIL_ADDRESS":"***"' in body for body in bodies)
    # What is not secret is kept, so the cassette still says what happened.
    assert any(i["request"]["method"] == "POST" for i in interactions)
    assert "Mart" in text


def test_a_request_the_cassette_does_not_hold_is_one_line_naming_it(
    run: Run, record: Callable[..., Result]
) -> None:
    Path("c.yaml").write_text("interactions: [1, 2\n")  # a broken old one is replaced quietly
    recorded = record("c.yaml", "log-call", "inbound-answered")
    assert recorded.stderr.splitlines()[-1].startswith("recorded ")
    assert "Traceback" not in recorded.stderr
    # Another call: its contact lookup was never recorded.
    result = run("--home", "h2", "--replay", "c.yaml", "log-call", "missed")
    assert result.exit_code == 2
    assert re.match(
        r"Error: the cassette holds no answer for (GET|POST) "
        r"http://127\.0\.0\.1:\d+/v3\.1/\S+ \(1 unmatched; ",
        result.stderr,
    )
    assert result.stderr.endswith("re-record it with --record) (c.yaml)\n")
    assert result.stderr.count("\n") == 1
    assert API_KEY not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--replay", "missing.yaml"],
            "Error: cassette not found (record it first with --record) (missing.yaml)\n",
        ),
        (["--replay", "bad.yaml"], "Error: not a cassette: "),
        (["--record", "a.yaml", "--replay", "b.yaml"], "Error: give --record or --replay, not"),
        (
            ["--target", "server", "--record", "a.yaml"],
            "Error: --record records a connector's CRM traffic: use --target embedded (a.yaml)\n",
        ),
    ],
)
def test_bad_cassette_options_are_one_line_errors(
    run: Run, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSIGHTLY_API_KEY", API_KEY)
    _config("http://127.0.0.1:9")
    Path("bad.yaml").write_text("interactions: [1, 2\n")
    result = run(*args, "log-call", "inbound-answered")
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert not Path("a.yaml").exists()


def test_serve_and_bench_refuse_and_a_command_without_crm_requests_writes_nothing(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSIGHTLY_API_KEY", API_KEY)
    _config("http://127.0.0.1:9")
    result = run("--record", "a.yaml", "bench", "--lifecycles", "1")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: bench makes its requests in other processes: no cassette (bench)\n"
    )
    result = run("--record", "a.yaml", "logs")
    assert result.exit_code == 0
    assert "Warning: no CRM requests: nothing recorded (a.yaml not written)" in result.stderr
    assert not Path("a.yaml").exists()
    Path("b.yaml").write_text("an older cassette\n")  # a run that records nothing keeps it
    assert run("--record", "b.yaml", "logs").exit_code == 0
    assert Path("b.yaml").read_text() == "an older cassette\n"
    assert sorted(p.name for p in Path(".").iterdir()) == ["appconnect.toml", "b.yaml"]


def test_the_embedded_fixture_crm_needs_no_cassette(run: Run) -> None:
    result = run("--record", "a.yaml", "log-call")
    assert result.exit_code == 2
    assert "needs a CRM over HTTP (crm.url)" in result.stderr


def test_oauth_tokens_old_and_refreshed_are_scrubbed_and_the_run_replays(
    run: Run, pipedrive: Served
) -> None:
    given = {os.environ["PD_ACCESS_TOKEN"], os.environ["PD_REFRESH_TOKEN"]}
    # Inside App Connect's two-minute window: the first request refreshes the token.
    soon = (datetime.now(UTC) + timedelta(seconds=60)).isoformat(timespec="seconds")
    pipedrive_config(pipedrive, expiry=soon)
    recorded = run("--home", "h", "--record", "pd.json", "log-call", "--json")
    assert recorded.exit_code == 0, recorded.output
    text = Path("pd.json").read_text()
    issued = {*pipedrive.app.state.access_tokens, *pipedrive.app.state.refresh_tokens}
    assert len(issued | given) >= 3  # the given pair, and the refreshed access token
    for secret in (*issued, *given, CLIENT_SECRET):
        assert secret not in text, "a token or the client secret reached the cassette"
    assert "/oauth/token" in text  # the refresh itself was recorded (the JSON format: .json)
    json.loads(text)
    served = len(pipedrive.app.router.requests)
    replayed = run("--home", "h2", "--replay", "pd.json", "log-call", "--json")
    assert replayed.exit_code == 0, replayed.output
    assert len(pipedrive.app.router.requests) == served  # the mock saw none of the replay
    assert _without_clock(json.loads(replayed.stdout)) == _without_clock(
        json.loads(recorded.stdout)
    )


def test_smoke_replays_with_the_run_id_it_recorded(run: Run, record: Callable[..., Result]) -> None:
    recorded = record("smoke.yaml", "smoke", "--json")
    replayed = run("--home", "h2", "--replay", "smoke.yaml", "smoke", "--json")
    assert replayed.exit_code == 0, replayed.output
    before, after = json.loads(recorded.stdout), json.loads(replayed.stdout)
    assert after["runId"] == before["runId"]
    assert [(c["id"], c["status"]) for c in after["checks"]] == [
        (c["id"], c["status"]) for c in before["checks"]
    ]
    assert before["counts"]["pass"] >= 6


def test_fault_rules_still_apply_over_a_replay(run: Run, record: Callable[..., Result]) -> None:
    recorded = record("c.yaml", "log-call", "--json")
    # The fault sits above vcrpy's patch: the first lookup fails before the cassette is
    # asked, the retry gets the recorded answer.
    replayed = run("--home", "h2", "--replay", "c.yaml", "--fault", "findContact=503x1",
                   "log-call", "--json")  # fmt: skip
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)["logId"] == json.loads(recorded.stdout)["logId"]
    broken = run("--home", "h3", "--replay", "c.yaml", "--fault", "findContact=503",
                 "log-call", "--json")  # fmt: skip
    assert broken.exit_code == 1


def test_the_scrubber_rules() -> None:
    from appconnect.core.transports.scrub import Scrubber

    scrub = Scrubber.build(["k3y-value-123", "abc", None], fields=["e-mail"])
    assert scrub.secrets == ("k3y-value-123",)  # too short a value would scrub every word
    assert scrub.url("https://h/v1/x?api_token=t0k&q=k3y-value-123&E_Mail=a@b&page=2") == (
        "https://h/v1/x?api_token=***&q=***&E_Mail=***&page=2"
    )
    assert scrub.header("X-Api-Key", "v") == scrub.header("Cookie", "v") == "***"
    assert scrub.header("Accept", "text/k3y-value-123") == "text/***"
    body = {"a": [{"refresh_token": "r", "clientSecret": "s", "email": "x@y", "keep": 1}],
            "sessionId": "42", "note": "key k3y-value-123 inside", "password": ""}  # fmt: skip
    assert json.loads(scrub.body(json.dumps(body).encode(), "application/json; charset=utf-8")) == {
        "a": [{"refresh_token": "***", "clientSecret": "***", "email": "***", "keep": 1}],
        "sessionId": "42",  # a CRM body's data stays: replay needs it
        "note": "key *** inside",
        "password": "",
    }
    form = scrub.body(
        "grant_type=refresh_token&refresh_token=r1&code=c", "application/x-www-form-urlencoded"
    )
    assert form == "grant_type=refresh_token&refresh_token=***&code=c"
    assert scrub.body(b"\xff\xfe", "application/octet-stream") == b"\xff\xfe"
