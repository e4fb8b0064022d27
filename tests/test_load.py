"""`appconnect load`: Locust (in its own processes) against `appconnect serve` and the real
@app-connect/core, then the verdict. Runs are a few seconds each: short calls, short runs."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from appconnect.core.errors import BadInput
from appconnect.core.runs.load_plan import DEFAULT_LOAD_SCENARIO, SESSION, guard_host, plan_steps

TESTS = Path(__file__).resolve().parent
FAST = ("-u", "3", "-r", "10", "-t", "2", "--call-seconds", "0.3", "--json")

Run = Callable[..., Result]


def _report(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_single_process_run_against_serve(run: Run, tmp_path: Path) -> None:
    csv, html = tmp_path / "out" / "stats", tmp_path / "out" / "report.html"
    csv.parent.mkdir()
    result = run("load", "--serve", *FAST, "--csv", str(csv), "--html", str(html))
    assert result.exit_code == 0, result.output
    report = _report(result)
    verdict = report["verdict"]
    assert verdict["clean"] and verdict["crm_listed"]
    assert verdict["acknowledged_sessions"] > 0
    # A call cut by the stop may have its row without its answer: rows >= acknowledged.
    assert verdict["reconciled_rows"] == verdict["rows"] >= verdict["acknowledged_sessions"]
    assert (verdict["duplicates"], verdict["lost"]) == (0, 0)
    routes = {route["name"]: route for route in report["routes"]}
    for name in ("GET /callLog", "GET /contact", "POST /callLog (log)", "PATCH /callLog (edit)",
                 "PATCH /callLog (recording)", "PUT /callDisposition (disposition)"):
        assert routes[name]["requests"] > 0, name
        assert routes[name]["failures"] == 0, name
    assert report["total"]["p99_ms"] >= report["total"]["p50_ms"] > 0
    assert report["total"]["requests_per_s"] > 0
    assert (report["mode"], report["processes"]) == ("single", 1)
    assert Path(f"{csv}_stats.csv").exists() and html.read_text().startswith("<!")


def test_the_request_cap_stops_the_run(run: Run) -> None:
    result = run("load", "--serve", *FAST, "--max-requests", "40", "-t", "30")
    assert result.exit_code == 0, result.output
    report = _report(result)
    assert report["seconds"] < 25
    assert 40 <= report["total"]["requests"] <= 40 + 3  # the users' requests in flight


def test_distributed_run_one_master_two_workers(tmp_path: Path) -> None:
    port = str(_free_port())
    command = [sys.executable, "-m", "appconnect", "--home", str(tmp_path / "home"), "load"]
    master = subprocess.Popen(
        [*command, "--serve", "--master", "--expect-workers", "2", "--master-port", port,
         *FAST, "-u", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    workers = [subprocess.Popen([*command, "--worker", "--master-port", port],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(2)]  # fmt: skip
    try:
        out, err = master.communicate(timeout=120)
        for worker in workers:
            worker.wait(timeout=30)  # the master tells its workers to quit
    finally:
        for process in (master, *workers):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert master.returncode == 0, err
    assert [worker.returncode for worker in workers] == [0, 0]
    report = json.loads(out)
    assert (report["mode"], report["workers"], report["processes"]) == ("distributed", 2, 2)
    assert report["verdict"]["clean"], report["verdict"]
    assert report["total"]["requests"] > 0 and report["total"]["failures"] == 0


@pytest.mark.parametrize(
    ("connector", "finding"),
    [("DuplicatesOnCreate", "duplicates"), ("OverwritesBody", "lost_updates")],
)
def test_the_verdict_fails_on_a_broken_server(
    run: Run, monkeypatch: pytest.MonkeyPatch, connector: str, finding: str
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # `appconnect serve` imports the connector
    result = run("--connector", f"broken_connectors:{connector}", "load", "--serve", *FAST)
    assert result.exit_code == 1, result.output
    verdict = _report(result)["verdict"]
    assert not verdict["clean"]
    # Every acknowledged call is hit (but the last ones may be cut before their updates).
    assert verdict["acknowledged_sessions"] >= verdict[finding] > 0


def test_business_failures_are_locust_failures_and_nothing_acknowledged_fails(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    result = run("--connector", "broken_connectors:NoLogId", "load", "--serve", *FAST)
    assert result.exit_code == 1, result.output
    report = _report(result)
    routes = {route["name"]: route for route in report["routes"]}
    posted = routes["POST /callLog (log)"]
    assert posted["failures"] == posted["requests"] > 0  # HTTP 200, `successful: false`
    assert report["failures"][0] == {"route": "POST /callLog (log)", "occurrences":
                                     posted["failures"], "error": "successful: false: "
                                     "Error creating call log"}  # fmt: skip
    assert report["verdict"]["findings"] == [
        "no session was acknowledged: nothing the server promised can be checked"
    ]


def test_a_remote_server_is_refused_without_allow_remote(run: Run, home: Path) -> None:
    config = home.parent / "remote.toml"
    config.write_text('[server]\nurl = "http://crm-connector.example.com:6066"\n'
                      'api_key = "k"\ndatabase = "db.sqlite"\n')  # fmt: skip
    result = run("--config", str(config), "load", "-t", "1")
    assert result.exit_code == 2
    assert "crm-connector.example.com is not a loopback host" in result.output
    assert "--allow-remote crm-connector.example.com" in result.output
    worker = run("load", "--worker", "--master-host", "10.20.30.40")
    assert worker.exit_code == 2 and "10.20.30.40 is not a loopback host" in worker.output
    guard_host("http://crm-connector.example.com:6066", ["crm-connector.example.com"], "url")
    with pytest.raises(BadInput):
        guard_host("http://crm-connector.example.com", ["other.example.com"], "url")
    for loopback in ("http://127.0.0.1:1", "http://localhost:2", "http://[::1]:3"):
        guard_host(loopback, [], "url")


def test_a_server_without_its_database_is_refused_before_loading(run: Run, home: Path) -> None:
    config = home.parent / "nodb.toml"
    config.write_text('[server]\nurl = "http://127.0.0.1:9"\napi_key = "k"\n')
    result = run("--config", str(config), "load", "-t", "1")
    assert result.exit_code == 2
    assert "set server.database or server.env_file" in result.output


def test_the_plan_uses_the_extension_bodies() -> None:
    steps = plan_steps(DEFAULT_LOAD_SCENARIO)
    assert [(s.method, s.path) for s in steps] == [
        ("POST", "/callLog"), ("PATCH", "/callLog"), ("PATCH", "/callLog"),
        ("PATCH", "/callLog"), ("PUT", "/callDisposition"),
    ]  # fmt: skip
    log, edit, recording, final, _ = steps
    assert log.body["logInfo"]["sessionId"] == SESSION and log.lookup["phoneNumber"]
    assert edit.body == {"sessionId": SESSION, "subject": f"Load call {SESSION}",
                         "note": f"Edited under load {SESSION}"}  # fmt: skip
    assert recording.expect_in_body == (recording.body["recordingLink"],)
    assert final.expect_in_body == ("3 minutes, 7 seconds",)


def test_help_does_not_import_locust() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from appconnect.cli import app\n"
        "for args in (['--help'], ['load', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ the real @app-connect/core


@pytest.fixture
def node_server(tmp_path: Path) -> Iterator[tuple[Any, str, str]]:
    sys.path.insert(0, str(TESTS))
    sys.path.insert(0, str(TESTS / "integration"))
    from core_pair import loopback_crm
    from node_core import NodeCoreServer, NodeUnavailable, ensure_installed

    try:
        installed = ensure_installed()
    except NodeUnavailable as exc:
        pytest.skip(f"real @app-connect/core unavailable: {exc}")
    work = tmp_path / "node"
    work.mkdir()
    with loopback_crm(None) as crm, NodeCoreServer(installed.node_modules, crm.url, work) as node:
        yield node, crm.url, crm.state.api_key


def test_load_against_the_node_connector_server(
    run: Run, home: Path, node_server: tuple[Any, str, str]
) -> None:
    node, crm_url, api_key = node_server
    config = home.parent / "node.toml"
    config.touch(mode=0o600)
    server = (f'[server]\nurl = "{node.url}"\nplatform = "fixture"\napi_key = "{api_key}"\n'
              f'database = "{node.db_path}"\n')  # fmt: skip
    config.write_text(server)
    result = run("--config", str(config), "load", *FAST)
    assert result.exit_code == 0, result.output
    report = _report(result)
    # App Connect's API cannot list a CRM's records: read back through the server only ...
    assert report["verdict"]["clean"] and not report["verdict"]["crm_listed"]
    # ... unless the config names the server's CRM, listed through the connector.
    config.write_text(f'{server}[crm]\nurl = "{crm_url}"\napi_key = "{api_key}"\n')
    result = run("--config", str(config), "load", *FAST, "-u", "2")
    assert result.exit_code == 0, result.output
    report = _report(result)
    assert report["verdict"]["clean"] and report["verdict"]["crm_listed"]
    sessions = [row["sessionId"] for row in node.call_logs()]
    assert len(sessions) == len(set(sessions)) >= report["verdict"]["acknowledged_sessions"] > 0
