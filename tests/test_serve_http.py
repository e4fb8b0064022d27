"""`appconnect serve` and `fixture-crm serve` as real processes on gunicorn: workers, slow
clients, limits, hostile bodies, graceful stop (issue 16; issue 15 items 6 and 7)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.serve import jwt
from appconnect.core.store.db import Store
from appconnect.fixtures.crm import CRMState

SECRET = "serve-http-test-secret"


@dataclass
class Served:
    url: str
    home: Path
    process: subprocess.Popen[str]

    def client(self) -> httpx.Client:
        token = jwt.mint("fx-user-1", "fixture", SECRET)
        return httpx.Client(base_url=self.url, params={"jwtToken": token}, timeout=10)


def start(home: Path, *args: str) -> Served:
    env = {**os.environ, "APPCONNECT_HOME": str(home), "APP_SERVER_SECRET_KEY": SECRET}
    env.pop("APPCONNECT_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "appconnect", *args, "--port", "0"],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=home.parent,
    )
    assert process.stderr is not None
    line = process.stderr.readline()  # the ready line, printed once the socket is bound
    found = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
    assert found, line + (process.stderr.read() if process.poll() is not None else "")
    return Served(found.group(1), home, process)


def stop(served: Served) -> tuple[int, str]:
    served.process.send_signal(signal.SIGTERM)
    code = served.process.wait(timeout=10)
    assert served.process.stderr is not None
    return code, served.process.stderr.read()


@pytest.fixture
def login(home: Path) -> None:
    """The home's user logged in, as `serve` finds it after the extension connected."""
    from typer.testing import CliRunner

    from appconnect.cli import app

    result = CliRunner().invoke(app, ["log-call", "missed"], env={"APPCONNECT_HOME": str(home)})
    assert result.exit_code == 0, result.output


@pytest.fixture
def served(home: Path, login: None) -> Iterator[Served]:
    server = start(home, "serve", "--workers", "2", "--read-timeout", "1")
    yield server
    if server.process.poll() is None:
        stop(server)


def call_body(session: str) -> dict[str, object]:
    body = load_call_fixture("inbound-answered").as_body()
    log_info = {**body["logInfo"], "sessionId": session, "telephonySessionId": f"t-{session}"}
    body["logInfo"] = log_info
    body["contactId"] = "ct-1"
    return body


def test_workers_agree_on_one_record_and_one_row_per_session(served: Served) -> None:
    with served.client() as client, ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(lambda _: client.post("/callLog", json=call_body("race-1")).json(),
                                range(12)))
        others = list(pool.map(lambda n: client.post("/callLog", json=call_body(f"s-{n}")).json(),
                               range(8)))
    assert [r.get("successful") for r in others] == [True] * 8
    assert sum(1 for r in replies if r.get("logId")) == 1, replies
    crm = CRMState(served.home / "fixture-crm.db")
    assert len(crm.list_activities(session_id="race-1")) == 1
    store = Store.open(served.home / "appconnect.db")
    try:
        assert len(list(store.iter_call_logs("race-1"))) == 1
    finally:
        store.close()


def test_a_stalled_client_neither_blocks_others_nor_keeps_its_connection(served: Served) -> None:
    token = jwt.mint("fx-user-1", "fixture", SECRET)
    stalled = raw_request(served, f"POST /callLog?jwtToken={token} HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Length: 500\r\n\r\n{")
    try:
        with httpx.Client(base_url=served.url, timeout=5) as other:
            for _ in range(20):  # more than one worker's threads: none is held by the stall
                assert other.get("/isAlive").text == "OK"
        stalled.settimeout(15)
        reply = stalled.recv(65536)  # the server gives up on the body after --read-timeout
        assert reply == b"" or b" 408 " in reply.split(b"\r\n")[0]
    finally:
        stalled.close()


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "error"),
    [
        ("POST", "/callLog", b'{"note": "no logInfo"}', 400, "logInfo is required"),
        ("POST", "/callLog", b'{"logInfo": {"sessionId": "n", "duration": NaN}}', 400, "not JSON"),
        ("POST", "/callLog", b'{"logInfo": "x"}', 400, "logInfo is required"),
        ("PATCH", "/callLog", b'{"note": "no session"}', 400, "sessionId is required"),
        ("PUT", "/callDisposition", b'{"dispositions": {}}', 400, "sessionId is required"),
        ("POST", "/callLog", b"[1, 2]", 400, "JSON object"),
    ],
)
def test_hostile_bodies_get_app_connects_shapes_not_500(
    served: Served, method: str, path: str, content: bytes, status: int, error: str
) -> None:
    with served.client() as client:
        reply = client.request(method, path, content=content,
                               headers={"content-type": "application/json"})
        assert reply.status_code == status
        assert error in reply.json()["error"]
        assert client.get("/isAlive").text == "OK"
    code, stderr = stop(served)
    assert code == 0 and "Traceback" not in stderr


def raw_request(served: Served, head: str) -> socket.socket:
    host, port = served.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(head.encode())
    return sock


def test_oversized_body_is_refused_before_it_is_read(served: Served) -> None:
    token = jwt.mint("fx-user-1", "fixture", SECRET)
    sock = raw_request(served, f"POST /callLog?jwtToken={token} HTTP/1.1\r\nHost: x\r\n"
                               f"Content-Length: {6 << 20}\r\n\r\n{{")
    try:
        sock.settimeout(10)
        assert sock.recv(65536).split(b"\r\n")[0] == b"HTTP/1.1 413 Request Entity Too Large"
    finally:
        sock.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_it_cleanly_and_keep_alive_is_on(served: Served, signum: int) -> None:
    with httpx.Client(base_url=served.url, timeout=5) as client:
        first = client.get("/isAlive")
        assert first.headers.get("connection", "keep-alive").lower() != "close"
        assert client.get("/isAlive").text == "OK"
    served.process.send_signal(signum)
    assert served.process.wait(timeout=10) == 0
    assert served.process.stderr is not None
    assert "Traceback" not in served.process.stderr.read()


def test_port_in_use_is_one_line(home: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "APPCONNECT_HOME": str(home)}
        result = subprocess.run(
            [sys.executable, "-m", "appconnect", "serve", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=30,
        )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: cannot listen on 127.0.0.1:") and \
        result.stderr.count("\n") == 1


def test_fixture_crm_serve_with_workers_shares_one_database(home: Path) -> None:
    server = start(home, "fixture-crm", "serve", "--workers", "2")
    try:
        key = CRMState(home / "fixture-crm.db").api_key
        auth = httpx.BasicAuth(key, "")
        with httpx.Client(base_url=server.url, auth=auth, timeout=10) as client, \
                ThreadPoolExecutor(8) as pool:
            made = list(pool.map(
                lambda n: client.post("/v1/activities", json={"contactId": "ct-1",
                                                              "sessionId": f"w{n}"}).status_code,
                range(16),
            ))
        assert made == [201] * 16
        ids = [a["id"] for a in CRMState(home / "fixture-crm.db").list_activities()]
        assert sorted(ids, key=lambda i: int(i[4:])) == [f"act-{n}" for n in range(1, 17)]
    finally:
        code, stderr = stop(server)
    assert code == 0 and key not in stderr


def test_serve_output_never_shows_the_token(served: Served) -> None:
    token = jwt.mint("fx-user-1", "fixture", SECRET)
    with served.client() as client:
        client.get("/callLog", params={"sessionIds": "x"})
    _, stderr = stop(served)
    assert token not in stderr and SECRET not in stderr
    assert json.dumps(SECRET) not in stderr
