"""`bench --transport serve`: the lifecycles over HTTP against `appconnect serve` on a real home.

The server is this package's own CLI in a child process (`appconnect serve --workers C`, a
fresh home inside the given one, removed afterwards); C client threads, one keep-alive
connection each, send what App Connect's client sends for each lifecycle: POST /callLog, then
PATCH /callLog for the edit, the recording link and the final call data. Afterwards the home's
store and fixture CRM are reconciled exactly as the in-process bench's are.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from appconnect.core.errors import BadInput

_READY = re.compile(r"serving (http://127\.0\.0\.1:\d+)")
STEPS = ("log", "edit", "recording", "final-data")


@contextmanager
def _served(
    home: Path, workers: int, secret: str, extra_env: Mapping[str, str] | None = None
) -> Iterator[str]:
    env = {**os.environ, "APPCONNECT_HOME": str(home), "APP_SERVER_SECRET_KEY": secret}
    env.pop("APPCONNECT_CONFIG", None)  # the embedded fixture CRM, whatever the user's config
    env.update(extra_env or {})  # `load --serve`: the connector to serve
    process = subprocess.Popen(
        [sys.executable, "-m", "appconnect", "serve", "--port", "0", "--workers", str(workers)],
        env=env, cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    found = _READY.search(process.stderr.readline())
    try:
        if not found:
            raise BadInput("appconnect serve did not start", "bench --transport serve")
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _lifecycle_requests(session: str) -> list[tuple[str, str, dict[str, Any]]]:
    from appconnect.core.extension.call_fixtures import load_call_fixture

    body = load_call_fixture("inbound-answered").as_body()
    body["logInfo"] = {**body["logInfo"], "sessionId": session, "telephonySessionId": session}
    body["contactId"] = "ct-1"
    update = {"sessionId": session}
    return [
        ("log", "POST", body),
        ("edit", "PATCH", {**update, "subject": "Bench call", "note": "Edited during the bench"}),
        ("recording", "PATCH",
         {**update, "recordingLink": "https://media.ringcentral.test/recording/bench"}),
        ("final-data", "PATCH", {**update, "duration": 185, "result": "Call connected"}),
    ]  # fmt: skip


class _Totals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.updates: dict[str, int] = {}
        self.first_error: str | None = None
        self.done = 0


def _client_work(url: str, token: str, sessions: list[str], totals: _Totals,
                 tick: Callable[[], None]) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"},
                      timeout=60, trust_env=False) as client:
        for session in sessions:
            updates = 0
            for step, method, body in _lifecycle_requests(session):
                started = time.perf_counter()
                reply = client.request(method, "/callLog", json=body)
                elapsed = time.perf_counter() - started
                ok = reply.status_code == 200 and reply.json().get("successful") is True
                with totals.lock:
                    totals.seconds[step].append(elapsed)
                    if not ok:
                        totals.errors[step] += 1
                        totals.first_error = totals.first_error or f"{step}: {reply.text[:200]}"
                updates += 1 if ok and step != "log" else 0
            with totals.lock:
                totals.updates[session] = updates
                totals.done += 1
            tick()


def run_serve_bench(home: Path, lifecycles: int, concurrency: int,
                    progress: Callable[[int, int], None] | None = None) -> Any:
    """Run the lifecycles against a served home; a `BenchReport` (transport "serve")."""
    from appconnect.core.runs.bench import DEFAULT_LIFECYCLE, _report
    from appconnect.core.runs.bench_report import WorkerResult

    home.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-serve-", dir=home))
    totals = _Totals()
    try:
        with _served(work, concurrency, secrets.token_urlsafe(24)) as url:
            token = _login(url, work)
            run_id = secrets.token_hex(4)
            shares = [[f"bs{run_id}-{n}" for n in range(c, lifecycles, concurrency)]
                      for c in range(concurrency)]  # fmt: skip

            def tick() -> None:
                if progress:
                    progress(totals.done, lifecycles)

            threads = [threading.Thread(target=_client_work, args=(url, token, s, totals, tick))
                       for s in shares]  # fmt: skip
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        result = WorkerResult(lifecycles=lifecycles, step_errors=totals.errors,
                              updates_done=totals.updates, first_error=totals.first_error)
        result.step_seconds.update(totals.seconds)
        result.rows, crm = _home_state(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _report("serve", lifecycles, concurrency, elapsed, [result], crm, DEFAULT_LIFECYCLE)


def _login(url: str, home: Path) -> str:
    from appconnect.core.home import fixture_crm_path
    from appconnect.core.targets.fixture_crm import CRMState

    key = CRMState(fixture_crm_path(home)).api_key
    reply = httpx.post(f"{url}/apiKeyLogin", json={"platform": "fixture", "apiKey": key},
                       timeout=60, trust_env=False)
    if reply.status_code != 200:
        raise BadInput(f"POST /apiKeyLogin answered {reply.status_code}", "bench")
    return str(reply.json()["jwtToken"])


def _home_state(home: Path) -> tuple[dict[str, list[str]], list[tuple[str, str, int]]]:
    from appconnect.core.home import db_path, fixture_crm_path
    from appconnect.core.store.db import Store
    from appconnect.core.targets.fixture_crm import CRMState

    rows: dict[str, list[str]] = {}
    store = Store.open(db_path(home))
    try:
        for row in store.iter_call_logs():
            rows.setdefault(row.sessionId, []).append(row.thirdPartyLogId)
    finally:
        store.close()
    crm = CRMState(fixture_crm_path(home))
    activities = [(a["id"], a["sessionId"], a["revision"]) for a in crm.list_activities()]
    crm.close()
    return rows, activities
