"""Whole-process cost of `appconnect log-call` as a home grows, beside Node loading the core.

    APPCONNECT_NODE_CACHE=... .venv/bin/python benchmarks/bench_startup.py --records 0 1000 100000

For each size N: a fresh home holding N fixture-CRM activities and N linked callLogs rows
(built through CRMState and Store, as the commands write them), then `appconnect log-call
--session-id <new>` run `--repeat` times as a subprocess (each logs a new call: interpreter
start-up, imports, opening both databases, the lookup, the create). Beside it, `node -e
"require('@app-connect/core')"` with the integration suite's install. Medians, in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BODY = "- Note: startup bench {i}\n- Summary: Renewal\n- Duration: 1 minute, 5 seconds\n"


def build_home(home: Path, records: int) -> float:
    from appconnect.connectors.contract import CallLogRecord
    from appconnect.core.home import db_path, fixture_crm_path
    from appconnect.core.store.db import ComposedBody, Store
    from appconnect.fixtures.crm import CRMState

    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "appconnect", "log-call", "--session-id", "warm"],
                   env=_env(home), check=True, capture_output=True)
    crm = CRMState(fixture_crm_path(home))
    store = Store.open(db_path(home))
    try:
        for i in range(1, records + 1):
            activity = crm.create_activity({"contactId": "ct-1", "sessionId": f"n-{i}",
                                            "subject": "Renewal", "body": BODY.format(i=i)})
            record = CallLogRecord(id=f"tel-{i}", sessionId=f"n-{i}", extensionNumber="101",
                                   hashedExtensionId="", platform="fixture",
                                   thirdPartyLogId=activity["id"], userId="fx-user-1",
                                   contactId="ct-1")
            store.insert_call_log(record, ComposedBody("fixture", activity["id"], f"n-{i}",
                                                       "text/plain", BODY.format(i=i)))
    finally:
        store.close()
        crm.close()
    return time.perf_counter() - started


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "APPCONNECT_HOME": str(home)}
    env.pop("APPCONNECT_CONFIG", None)
    return env


def time_command(command: list[str], env: dict[str, str], repeat: int,
                 vary: str | None = None) -> float:
    runs = []
    for n in range(repeat):
        argv = [*command, f"{vary}-{n}"] if vary else command
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return round(1000 * statistics.median(runs), 1)


def node_command() -> tuple[list[str], dict[str, str]] | None:
    """`node -e "require('@app-connect/core')"` with the integration suite's install."""
    try:
        from tests.node_core import NodeUnavailable, ensure_installed
        installed = ensure_installed()
    except (ImportError, NodeUnavailable) as exc:
        print(f"node: skipped ({exc})")
        return None
    work = tempfile.mkdtemp(prefix="bench-node-require-")
    # The core builds its Sequelize instance at require time: it needs a DATABASE_URL.
    env = {**os.environ, "NODE_PATH": str(installed.node_modules), "NODE_NO_WARNINGS": "1",
           "DATABASE_URL": f"sqlite:{work}/db.sqlite"}
    return ["node", "-e", "require('@app-connect/core')"], env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[0, 1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    node = node_command()
    log_call = [sys.executable, "-m", "appconnect", "log-call", "--session-id"]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        homes = {}
        for records in args.records:
            homes[records] = Path(tmp) / f"home-{records}"
            built = build_home(homes[records], records)
            print(f"home of {records} records built in {built:.0f} s")
        # Round-robin, node included, so a change in the machine's load hits all alike.
        runs: dict[int, list[float]] = {records: [] for records in args.records}
        node_runs: list[float] = []
        for n in range(args.repeat):
            if node is not None:
                node_runs.append(time_command(node[0], node[1], 1))
            for records, home in homes.items():
                runs[records].append(time_command(log_call, _env(home), 1, vary=f"r{n}"))
    node_ms = round(statistics.median(node_runs), 1) if node_runs else None
    if node_ms:
        print(f"node -e \"require('@app-connect/core')\": {node_ms} ms (median of {args.repeat})")
    baseline = None
    for records, values in runs.items():
        ms = round(statistics.median(values), 1)
        baseline = baseline or ms
        ratio = f", {ms / node_ms:.2f}x node" if node_ms else ""
        print(f"log-call on a home of {records:>7} records: {ms} ms "
              f"({ms / baseline:.2f}x the first size{ratio})")


if __name__ == "__main__":
    main()
