"""Faults named after interfaces hit whatever connector runs, against a CRM that is not ours.

A proxy connector, written the way App Connect users write them, against a small stateful
mock of another CRM's API served on loopback. The mock keeps its own request log: it proves
which requests reached the CRM, so the injected faults and the retries can be counted from
the CRM's side, not from the harness's own report.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from typer.testing import CliRunner

from appconnect.cli import app

API_KEY = "acme-key-7f3a"


class AcmeCRM:
    """Calls are `engagements` with integer ids under /api/v3; people are matched by phone."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.engagements: dict[int, dict[str, Any]] = {}
        self.next_id = 9001

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        self.log.append(f"{method} {path}")
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size) or b"{}") if size else {}
        status, answer = self.route(method, path, body)
        data = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [data]

    def route(self, method: str, path: str, body: dict[str, Any]) -> tuple[str, Any]:
        if path == "/api/v3/owners/me":
            return "200 OK", {"owner": {"id": 77, "fullName": "Acme Agent"}}
        if path == "/api/v3/people/search":
            return "200 OK", {"results": [{"id": 501, "fullName": "Dana Doe"}]}
        if path == "/api/v3/engagements" and method == "POST":
            engagement = {"id": self.next_id, **body}
            self.engagements[self.next_id] = engagement
            self.next_id += 1
            return "201 Created", {"engagement": engagement}
        if path.startswith("/api/v3/engagements/"):
            engagement_id = int(path.rsplit("/", 1)[1])
            if engagement_id not in self.engagements:
                return "404 Not Found", {"error": {"code": "NOT_FOUND"}}
            if method == "PUT":
                self.engagements[engagement_id].update(body)
            return "200 OK", {"engagement": self.engagements[engagement_id]}
        return "404 Not Found", {"error": {"code": "NO_ROUTE", "path": path}}


PROXY = {
    "meta": {"name": "acme", "displayName": "Acme CRM", "logFormat": "text/plain"},
    "auth": {"type": "apiKey", "scheme": "Bearer", "credentialTemplate": "{{apiKey}}"},
    "requestDefaults": {"baseUrl": "", "defaultHeaders": {"Accept": "application/json"}},
    "operations": {
        "getUserInfo": {
            "url": "/owners/me",
            "responseMapping": {"idPath": "body.owner.id", "namePath": "body.owner.fullName"},
        },
        "findContact": {
            "url": "/people/search",
            "query": {"phone": "{{phoneNumber}}"},
            "responseMapping": {
                "listPath": "body.results",
                "item": {"idPath": "id", "namePath": "fullName"},
            },
        },
        "createCallLog": {
            "method": "POST",
            "url": "/engagements",
            "body": {
                "personId": "{{contactInfo.id}}",
                "title": "{{subject}}",
                "notes": "{{composedLogDetails}}",
            },
            "responseMapping": {"idPath": "body.engagement.id"},
        },
        "getCallLog": {
            "url": "/engagements/{{thirdPartyLogId}}",
            "responseMapping": {
                "subjectPath": "body.engagement.title",
                "fullBodyPath": "body.engagement.notes",
            },
        },
        "updateCallLog": {
            "method": "PUT",
            "url": "/engagements/{{thirdPartyLogId}}",
            "body": {"title": "{{subject}}", "notes": "{{composedLogDetails}}"},
        },
    },
}


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[tuple[AcmeCRM, Path]]:
    crm = AcmeCRM()
    server = make_server("127.0.0.1", 0, crm, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    proxy = tmp_path / "acme.proxy.json"
    proxy.write_text(json.dumps(PROXY))
    config = tmp_path / "appconnect.toml"
    config.write_text(
        f'[connector]\nname = "{proxy}"\n'
        f'[crm]\nurl = "http://127.0.0.1:{server.server_port}/api/v3"\napi_key = "{API_KEY}"\n'
        "[retries]\nattempts = 3\nbase_delay = 0\nmax_delay = 0\n"
    )
    config.chmod(0o600)
    try:
        yield crm, config
    finally:
        server.shutdown()
        server.server_close()


def test_interface_faults_hit_a_proxy_connector_against_another_crm(
    acme: tuple[AcmeCRM, Path], tmp_path: Path
) -> None:
    crm, config = acme
    runner = CliRunner()
    base = ["--config", str(config), "--home", str(tmp_path / "home")]
    logged = runner.invoke(
        app, [*base, "--fault", "createCallLog=429x1", "log-call", "--json"], catch_exceptions=False
    )
    assert logged.exit_code == 0, logged.output
    creates = [line for line in crm.log if line == "POST /api/v3/engagements"]
    # The 429 was answered before the request left the client; the retry reached the CRM once.
    assert creates == ["POST /api/v3/engagements"]
    assert len(crm.engagements) == 1
    attempts = [c for c in json.loads(logged.stdout)["interfaceCalls"]]
    assert attempts.count("createCallLog") == 2

    crm.log.clear()
    edited = runner.invoke(
        app,
        [*base, "--fault", "getCallLog=500x2", "edit-log", "4001000101", "--note", "Sent.",
         "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert edited.exit_code == 0, edited.output
    (engagement,) = crm.engagements.values()
    assert "- Note: Sent." in engagement["notes"]
    # Two getCallLog calls failed before reaching the CRM, the third did; then one update.
    assert crm.log == ["GET /api/v3/engagements/9001", "PUT /api/v3/engagements/9001"]
    made = [c for c in json.loads(edited.stdout)["interfaceCalls"]]
    assert made == ["getLogFormatType", "getCallLog", "getCallLog", "getCallLog", "updateCallLog"]


def test_a_fault_that_outlasts_the_retries_fails_with_app_connects_message(
    acme: tuple[AcmeCRM, Path], tmp_path: Path
) -> None:
    crm, config = acme
    runner = CliRunner()
    base = ["--config", str(config), "--home", str(tmp_path / "home")]
    result = runner.invoke(app, [*base, "--fault", "createCallLog=503", "log-call"])
    assert result.exit_code == 1
    assert "Error creating call log" in result.output
    assert crm.engagements == {}  # refused every time: nothing reached the CRM


def test_faults_are_refused_against_a_server(tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('[server]\nurl = "http://127.0.0.1:9"\nplatform = "acme"\napi_key = "k"\n')
    config.chmod(0o600)
    result = CliRunner().invoke(
        app, ["--config", str(config), "--target", "server", "--fault", "createCallLog=429",
              "log-call"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output == (
        "Error: faults cannot be injected through a server: it makes its own CRM calls "
        "(--fault)\n"
    )
