"""Time `check-interfaces` on N callLogs rows against the in-process fixture CRM.

    .venv/bin/python benchmarks/bench_check_interfaces.py            # N = 1000 and 10000
    .venv/bin/python benchmarks/bench_check_interfaces.py --rows 500 --concurrency 1 8

Each size gets a fresh home: N fixture-CRM activities created through `CRMState` (one SQLite
transaction each, O(log N)), and N rows inserted through `Store.insert_call_log` with the body
core composed for each. Then the full
check (login, reconciliation, CRM listing, contract probes) is timed in-process, and once more
as the real CLI in a subprocess (interpreter start-up included). The target is < 10 s at 10,000.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.checks.interfaces import CheckOptions, run_checks
from appconnect.core.config import HarnessConfig
from appconnect.core.home import db_path, fixture_crm_path
from appconnect.core.store.db import ComposedBody, Store
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.fixtures.crm import CRMState
from appconnect.fixtures.crm.state import SEED_ME

BODY = (
    "- Note: benchmark call {i}\n- Summary: Renewal\n- Date/Time: 2024-01-15 10:30:00 AM\n"
    "- Duration: 1 minute, 5 seconds\n- Result: Call connected\n"
)


def build_home(home: Path, rows: int) -> float:
    """A home with `rows` linked rows and activities; returns the seconds it took."""
    started = time.perf_counter()
    crm = CRMState(fixture_crm_path(home))  # creates and seeds the database (and its API key)
    for i in range(1, rows + 1):
        crm.create_activity({"contactId": "ct-1", "sessionId": f"bench-{i}",
                             "subject": "Renewal", "body": BODY.format(i=i)})
    crm.close()

    store = Store.open(db_path(home))
    try:
        for i in range(1, rows + 1):
            log_id, session = f"act-{i}", f"bench-{i}"
            record = CallLogRecord(
                id=f"tel-{i}",
                sessionId=session,
                extensionNumber="101",
                hashedExtensionId="",
                platform="fixture",
                thirdPartyLogId=log_id,
                userId=SEED_ME["id"],
                contactId="ct-1",
            )
            composed = ComposedBody("fixture", log_id, session, "text/plain", BODY.format(i=i))
            store.insert_call_log(record, composed)
    finally:
        store.close()
    return time.perf_counter() - started


def time_in_process(home: Path, rows: int, concurrency: int) -> float:
    started = time.perf_counter()
    with EmbeddedTarget(HarnessConfig(), home) as harness:
        report = run_checks(harness, CheckOptions(concurrency=concurrency))
    elapsed = time.perf_counter() - started
    assert report.ok, report.as_dict()["reconciliation"]["problems"][:3]
    assert report.reconciliation.checked == rows
    return elapsed


def time_cli(home: Path, concurrency: int) -> float:
    env = {**os.environ, "APPCONNECT_HOME": str(home)}
    env.pop("APPCONNECT_CONFIG", None)
    command = [sys.executable, "-m", "appconnect", "check-interfaces", "--json"]
    command += ["--concurrency", str(concurrency)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=home, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr.decode()[-500:]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for rows in args.rows:
        with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
            home = Path(tmp) / "home"
            setup = build_home(home, rows)
            print(f"rows={rows}: setup {setup:.2f} s")
            for concurrency in args.concurrency:
                in_process = time_in_process(home, rows, concurrency)
                print(
                    f"rows={rows} concurrency={concurrency}: in-process {in_process:.2f} s "
                    f"({rows / in_process:,.0f} rows/s)",
                    end="",
                    flush=True,
                )
                print(f", CLI {time_cli(home, concurrency):.2f} s")


if __name__ == "__main__":
    main()
