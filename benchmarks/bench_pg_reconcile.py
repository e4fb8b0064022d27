"""Reconcile N PostgreSQL `callLogs` rows with a listing-capable CRM: time and max RSS.

    .venv/bin/python benchmarks/bench_pg_reconcile.py                      # N = 250k, 500k, 1M
    .venv/bin/python benchmarks/bench_pg_reconcile.py --rows 10000 50000

For each N: a fresh database on a PostgreSQL server the benchmark starts (tests/pg_server.py),
with App Connect's Sequelize tables, N rows loaded with COPY and the `users` row holding the
CRM credential; the fixture CRM's SQLite seeded with the N activities those rows point to plus
N/1000 activities no row points to, and N/1000 rows given another contact than their activity.
The CRM is `appconnect fixture-crm serve` in its own process (the listing travels over HTTP,
1,000 logs a page, through the built-in fixture connector), so the figures are the
reconciling process's alone.

The reconciliation runs in a child process: `check_server_listing` (what `check-interfaces
--target server --reads listing` runs) on the rows streamed by a server-side cursor. The App
Connect server it would ask about unlisted rows is a stub answering `/implementedInterfaces`
(every row is listed here). The child reports its seconds and its max RSS (getrusage); the
benchmark checks it found exactly the seeded problems.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/pg_server.py, run as a script

CONTACT = "ct-1"
NOW = "2026-11-30 12:00:00+00"


def seed_postgres(url: str, rows: int, user_id: str, api_key: str) -> float:
    import psycopg

    from tests.pg_server import SEQUELIZE_DDL

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute(SEQUELIZE_DDL)  # type: ignore[arg-type]
        conn.execute(
            'INSERT INTO "users" ("id", "platform", "accessToken", "createdAt", "updatedAt") '
            "VALUES (%s, 'fixture', %s, %s, %s)",
            (user_id, api_key, NOW, NOW),
        )
        with conn.cursor().copy('COPY "callLogs" FROM STDIN') as copy:
            chunk = io.StringIO()
            for i in range(1, rows + 1):
                contact = "ct-2" if i % 1000 == 500 else CONTACT  # a drifted row per 1,000
                chunk.write(
                    f"tel-{i}\tbench-{i}\t101\t\tfixture\tact-{i}\t{user_id}\t{contact}\t"
                    f"{NOW}\t{NOW}\n"
                )
                if i % 50_000 == 0:
                    copy.write(chunk.getvalue())
                    chunk = io.StringIO()
            copy.write(chunk.getvalue())
        conn.execute('ANALYZE "callLogs"')
    return time.perf_counter() - started


def seed_crm(home: Path, rows: int) -> tuple[str, str, float]:
    """The fixture CRM of `home` with rows + rows/1000 activities: (its API key, meId, s)."""
    from appconnect.core.home import fixture_crm_path
    from appconnect.fixtures.crm import CRMState

    started = time.perf_counter()
    path = fixture_crm_path(home)
    state = CRMState(path)  # creates and seeds the database
    api_key, me = state.api_key, state.me()["id"]
    state.close()
    total = rows + rows // 1000
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    with conn:
        conn.executemany(
            "INSERT INTO activities (num, id, session_id, contact_id, data) VALUES (?, ?, ?, ?, ?)",
            (_activity(i, me) for i in range(1, total + 1)),
        )
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('nextActivity', ?)", (str(total + 1),)
        )
    conn.close()
    return api_key, me, time.perf_counter() - started


def _activity(i: int, me: str) -> tuple[int, str, str, str, str]:
    record = {
        "id": f"act-{i}", "contactId": CONTACT, "ownerId": me, "sessionId": f"bench-{i}",
        "subject": "Renewal", "body": f"- Note: benchmark call {i}\n- Result: Call connected\n",
        "direction": "Inbound", "startTime": None, "duration": 65, "result": "Call connected",
        "recordingLink": None, "extra": {}, "createdAt": NOW, "updatedAt": NOW, "revision": 1,
        "createdBy": "api", "lastEditedBy": "api",
    }  # fmt: skip
    return i, record["id"], record["sessionId"], CONTACT, json.dumps(record)


def serve_crm(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "appconnect", "--home", str(home), "fixture-crm", "serve",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(300):
        try:
            httpx.get(url + "/v1/users", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the fixture CRM did not start")


def child(database_url: str, crm_url: str, concurrency: int) -> dict[str, Any]:
    """The reconciliation alone, in this process: seconds, max RSS and the findings."""
    import httpx

    from appconnect.core.checks.interfaces import CheckOptions
    from appconnect.core.checks.server_reconcile import check_server_listing
    from appconnect.core.config import HarnessConfig
    from appconnect.core.targets.server_client import ServerClient
    from appconnect.core.targets.server_crm import CrmLister
    from appconnect.core.targets.server_db import ServerDatabase

    def stub_server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/implementedInterfaces":
            return httpx.Response(200, json={"getCallLog": True})
        return httpx.Response(200, json={"successful": True, "logs": []})

    before = resource.getrusage(resource.RUSAGE_SELF)
    rss_before, cpu_before = before.ru_maxrss, before.ru_utime + before.ru_stime
    started = time.perf_counter()
    database = ServerDatabase(database_url)
    user = database.user(None, "fixture")
    config = HarnessConfig.model_validate({"crm": {"url": crm_url}})
    stub = httpx.MockTransport(stub_server)
    client = ServerClient("http://server.invalid", "fixture", transport=stub)
    options = CheckOptions(reads="listing", concurrency=concurrency)
    with CrmLister(config, user) as lister:
        report = check_server_listing(
            client, "fixture", database.call_logs(), options, lister=lister, user_id=user.id
        )
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    codes: dict[str, int] = {}
    for problem in report.reconciliation.problems:
        codes[problem.code] = codes.get(problem.code, 0) + 1
    return {
        "checked": report.reconciliation.checked,
        "listed": report.scope["listed"],
        "seconds": round(seconds, 2),
        "rowsPerSecond": round(report.reconciliation.checked / seconds),
        # CPU time is what a busy shared machine disturbs least (wall time includes waits)
        "cpuSeconds": round(usage.ru_utime + usage.ru_stime - cpu_before, 2),
        "maxRssMB": round(usage.ru_maxrss / 1024, 1),
        "rssAfterImportsMB": round(rss_before / 1024, 1),
        "problems": codes,
    }


def measure(server: Any, rows: int, concurrency: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    crm = None
    try:
        api_key, me, crm_seconds = seed_crm(home, rows)
        url = server.new_database()
        pg_seconds = seed_postgres(url, rows, me, api_key)
        crm, crm_url = serve_crm(home)
        # The database URL (with its password) goes by environment, never on a command line.
        done = subprocess.run(
            [sys.executable, __file__, "--child", crm_url, "--concurrency", str(concurrency)],
            capture_output=True, text=True, env={**os.environ, "BENCH_DATABASE_URL": url},
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"the reconciliation failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout)
        result["seedSeconds"] = {"postgres": round(pg_seconds, 1), "crm": round(crm_seconds, 1)}
        expected = {"contact-mismatch": rows // 1000, "unlinked-crm-log": rows // 1000}
        result["findingsAsSeeded"] = result["problems"] == {k: v for k, v in expected.items() if v}
        return result
    finally:
        if crm is not None:
            crm.terminate()
            crm.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--child", metavar="CRM_URL")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(os.environ["BENCH_DATABASE_URL"], args.child, args.concurrency)))
        return
    from tests.pg_server import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        print(f"PostgreSQL {server.bindir.parent.name}, Python {sys.version.split()[0]}, "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")  # fmt: skip
        print("| rows | seconds | rows/s | CPU s | µs CPU/row | max RSS MB | RSS at start MB | "
              "findings |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        for rows in args.rows:
            r = measure(server, rows, args.concurrency)
            per_row = r["cpuSeconds"] / rows * 1e6
            print(f"| {rows:,} | {r['seconds']} | {r['rowsPerSecond']:,} | {r['cpuSeconds']} | "
                  f"{per_row:.0f} | {r['maxRssMB']} | "
                  f"{r['rssAfterImportsMB']} | {r['findingsAsSeeded']} {r['problems']} |",
                  flush=True)  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
