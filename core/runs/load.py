"""`appconnect load`: Locust drives an App Connect server, then the verdict.

Locust runs in its own processes (`python -m locust -f core/runs/load_locustfile.py`), never
in this one: it monkey-patches the standard library with gevent on import. This module writes
the plan, starts Locust headless (one process, or the master of a distributed run whose
workers are `appconnect load --worker` anywhere), waits for it to stop by itself (run time or
request cap), then reads Locust's CSV statistics and the acknowledged sessions, and judges the
server (load_verdict.py).

The server is `appconnect serve` on a fresh home (`serve=True`, the bundled fixture CRM,
listable) or the App Connect server of the config's [server] section (`--target server`'s),
which must say where its callLogs live: the verdict reads them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput, HarnessError
from appconnect.core.runs.load_plan import (
    DEFAULT_LOAD_SCENARIO,
    LoadPlan,
    PlannedStep,
    guard_host,
    plan_steps,
)
from appconnect.core.runs.load_verdict import RouteStats, Verdict, judge, read_failures, read_stats
from appconnect.core.runs.scenarios import Scenario
from appconnect.core.targets.server import ServerTarget

#: Locust's exit when it could not run (a crash, workers that never came).
LOCUST_WAIT_GRACE = 120.0


class LoadFailed(HarnessError):
    """Locust could not run the load (the verdict could not be reached)."""

    exit_code = 1


@dataclass(frozen=True)
class LoadOptions:
    users: int = 10
    spawn_rate: float = 10.0
    run_time: float = 30.0
    max_requests: int | None = None
    call_seconds: float = 2.0
    master: bool = False
    expect_workers: int = 1
    master_bind_host: str = "127.0.0.1"
    master_port: int = 5557
    csv: str | None = None
    html: str | None = None
    allow_remote: tuple[str, ...] = ()
    serve: bool = False
    serve_workers: int = 2
    connector: str | None = None
    scenario: Scenario = field(default_factory=lambda: DEFAULT_LOAD_SCENARIO)
    #: Seconds a master waits for its workers to connect.
    workers_wait: float = 60.0


@dataclass
class LoadReport:
    mode: str
    url: str
    users: int
    workers: int
    seconds: float
    routes: list[RouteStats]
    total: RouteStats | None
    failures: list[tuple[str, str, int]]
    verdict: Verdict
    #: Locust processes whose simulated agents were acknowledged (a worker's or the single).
    processes: int = 0
    reports: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict.clean and not (self.total and self.total.failures)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "mode": self.mode, "url": self.url, "users": self.users,
            "workers": self.workers, "processes": self.processes,
            "seconds": round(self.seconds, 2),
            "total": self.total.as_dict() if self.total else None,
            "routes": [route.as_dict() for route in self.routes],
            "failures": [{"route": r, "error": e, "occurrences": n} for r, e, n in self.failures],
            "verdict": self.verdict.as_dict(), "reports": self.reports,
        }  # fmt: skip


def locustfile() -> str:
    """The locustfile's path, found without importing it (importing it would import Locust)."""
    spec = importlib.util.find_spec("appconnect.core.runs.load_locustfile")
    if spec is None or spec.origin is None or importlib.util.find_spec("locust") is None:
        raise BadInput(
            "Locust is not installed: pip install 'appconnect-harness[load]'", "appconnect load"
        )
    return spec.origin


def run_load(
    config: HarnessConfig, home: Path, options: LoadOptions, *, config_dir: Path | None = None
) -> LoadReport:
    """Run the load and judge the server; bad input is refused before anything starts."""
    steps = plan_steps(options.scenario)
    path = locustfile()
    home.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="load-", dir=home))
    try:
        with _server(config, work, options, config_dir) as (target, crm_count):
            guard_host(target.config.server.url, options.allow_remote, "server.url")
            target.database()  # the verdict reads the server's callLogs: say so now
            plan = _plan(target, options, steps, work)
            plan_file = work / "plan.json"
            descriptor = os.open(plan_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(plan.to_json())  # holds the API key or the JWT: user-only
            csv_prefix = options.csv or str(work / "locust")
            started = time.monotonic()
            _run_locust(path, target.config.server.url, plan_file, csv_prefix, options, work)
            seconds = time.monotonic() - started
            acks = _acks(Path(plan.results))
            verdict = judge(target, plan.prefix, acks, steps, crm_count)
        routes, total = read_stats(csv_prefix)
        failures = read_failures(csv_prefix)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    reports = {"csv": f"{options.csv}_stats.csv"} if options.csv else {}
    if options.html:
        reports["html"] = options.html
    return LoadReport(
        mode="distributed" if options.master else "single", url=target.config.server.url,
        users=options.users, workers=options.expect_workers if options.master else 0,
        seconds=seconds, routes=routes, total=total, failures=failures, verdict=verdict,
        processes=len({session.split("-")[1] for session in acks}), reports=reports,
    )  # fmt: skip


def _plan(target: ServerTarget, options: LoadOptions, steps: list[PlannedStep],
          work: Path) -> LoadPlan:  # fmt: skip
    server = target.config.server
    # One login before the agents start, as a user connects once before taking calls: App
    # Connect's first login of a user is not safe against concurrent ones (two inserts of
    # the users row; the loser answers HTTP 400). With an API key each agent then logs in
    # again; otherwise it uses this JWT, minted with the server's secret for server.user_id.
    token = target.client.jwt()
    api_key = server.resolved_api_key()
    return LoadPlan(
        run_id=secrets.token_hex(4), platform=target.platform, call_seconds=options.call_seconds,
        steps=steps, api_key=api_key, token=None if api_key else token,
        max_requests=options.max_requests,
        expect_workers=options.expect_workers if options.master else 1,
        run_time=options.run_time, results=str(work / "acks.json"),
    )  # fmt: skip


def _run_locust(path: str, url: str, plan_file: Path, csv_prefix: str, options: LoadOptions,
                work: Path) -> None:  # fmt: skip
    command = [
        sys.executable, "-m", "locust", "-f", path, "--headless", "--host", url,
        "--users", str(options.users), "--spawn-rate", f"{options.spawn_rate:g}",
        # A backstop only: the locustfile's controller stops the run at run_time or the cap.
        "--run-time", f"{int(options.run_time + 60)}s", "--stop-timeout", "0",
        "--csv", csv_prefix, "--exit-code-on-error", "0", "--loglevel", "WARNING",
        "--only-summary", "--appconnect-plan", str(plan_file),
    ]  # fmt: skip
    if options.html:
        command += ["--html", options.html]
    if options.master:
        command += [
            "--master", "--master-bind-host", options.master_bind_host,
            "--master-bind-port", str(options.master_port),
            "--expect-workers", str(options.expect_workers),
            "--expect-workers-max-wait", f"{options.workers_wait:g}",
        ]  # fmt: skip
    limit = options.run_time + LOCUST_WAIT_GRACE + (options.workers_wait if options.master else 0)
    log = work / "locust.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, env=_locust_env())  # fmt: skip
        try:
            code = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            message = f"Locust did not stop within {limit:.0f}s"
            raise LoadFailed(message, "appconnect load") from None
    if code != 0 or not Path(f"{csv_prefix}_stats.csv").exists():
        raise LoadFailed(f"Locust failed (exit {code}): {_last_error(log)}", "appconnect load")


def run_worker(master_host: str, master_port: int, allow_remote: tuple[str, ...]) -> int:
    """A Locust worker for a master started with `appconnect load --master`; its exit code."""
    guard_host(master_host, allow_remote, "--master-host")
    command = [
        sys.executable, "-m", "locust", "-f", locustfile(), "--worker",
        "--master-host", master_host, "--master-port", str(master_port), "--loglevel", "WARNING",
    ]  # fmt: skip
    return subprocess.call(command, stdin=subprocess.DEVNULL, env=_locust_env())


def _locust_env() -> dict[str, str]:
    # Locust reads LOCUST_* variables as options: a developer's shell must not change the run.
    return {key: value for key, value in os.environ.items() if not key.startswith("LOCUST_")}


def _last_error(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["no output"])[-1][:300]


def _acks(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        raise LoadFailed("Locust reported no acknowledged sessions", "appconnect load")
    data = json.loads(path.read_text(encoding="utf-8"))
    acks = data.get("acks") if isinstance(data, dict) else None
    return acks if isinstance(acks, dict) else {}


CrmCount = Callable[[str], int | None]


@contextmanager
def _server(
    config: HarnessConfig, work: Path, options: LoadOptions, config_dir: Path | None
) -> Iterator[tuple[ServerTarget, CrmCount | None]]:
    """The server target to load, and a counter of a session's records in its CRM when the
    CRM can be listed: the fixture CRM of `--serve`, or the config's [crm] through the
    config's connector (its listCallLogs), when the config names the server's CRM."""
    if not options.serve:
        target = ServerTarget(config, config_dir=config_dir)
        try:
            if config.crm.url is None:
                yield target, None
            else:
                with _connector_listing(config, work) as count:
                    yield target, count
        finally:
            target.close()
        return
    from appconnect.core.home import db_path, fixture_crm_path
    from appconnect.core.runs.bench_serve import _served
    from appconnect.core.targets.fixture_crm import CRMState

    home = work / "home"
    home.mkdir()
    extra = {"APPCONNECT_CONNECTOR": options.connector} if options.connector else {}
    with _served(home, options.serve_workers, secrets.token_urlsafe(24), extra) as url:
        state = CRMState(fixture_crm_path(home))
        api_key = state.api_key
        state.close()
        server = config.server.model_copy(update={
            "url": url, "api_key": api_key, "api_key_env": None, "secret_env": None,
            "database": str(db_path(home)), "env_file": None, "platform": "fixture",
        })  # fmt: skip
        target = ServerTarget(config.model_copy(update={"server": server}))
        counts: Counter[str] = Counter()

        def count(session: str) -> int:
            if not counts:  # the whole listing, once, after the run
                crm = CRMState(fixture_crm_path(home))
                try:
                    counts.update(str(a["sessionId"]) for a in crm.list_activities())
                finally:
                    crm.close()
            return counts[session]

        try:
            yield target, count
        finally:
            target.close()


@contextmanager
def _connector_listing(config: HarnessConfig, work: Path) -> Iterator[CrmCount]:
    """A session's records as the config's connector lists them in the config's CRM (None
    when the connector cannot list), logged in on a throw-away home."""
    from appconnect.core.targets.crm_access import ConnectorCrmAccess
    from appconnect.core.targets.embedded import EmbeddedTarget

    home = work / "crm-home"
    home.mkdir()
    with EmbeddedTarget(config, home, sandbox=True) as crm_side:
        # Through the connector, always: a fixture CRM at crm.url is not this home's.
        crm = ConnectorCrmAccess(lambda: crm_side.connector, lambda: crm_side.pipeline().user)

        def count(session: str) -> int | None:
            found = crm.list(session)
            return None if found is None else len(found)

        yield count
