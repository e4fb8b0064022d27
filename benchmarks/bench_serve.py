"""`appconnect serve` against App Connect's own Node server, side by side, in one run.

    APPCONNECT_NODE_CACHE=... .venv/bin/python benchmarks/bench_serve.py --sessions 500
    .venv/bin/python benchmarks/bench_serve.py --sessions 10000 --clients 1 --only ours

Both servers get fresh homes and are driven by the same client (drive_server.py), one after
the other, never at once (two cores are shared by everything):
- node: the published @app-connect/core with the connector in fixtures/node-connector/ (as the
  integration suite installs it, tests/node_core.py), SQLite, talking HTTP to a fixture CRM
  served by `appconnect fixture-crm serve` in its own process;
- ours: `appconnect serve --workers W` on a home with the embedded fixture CRM.
Then the lifecycle comparison: one POST and three PATCHes per lifecycle over HTTP to the Node
server, beside `appconnect bench` (the same four steps, in-process, and on a persistent home).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/node_core.py and drive_server.py, run as a script

from benchmarks.drive_server import Target, drive, format_report  # noqa: E402


@contextmanager
def appconnect_server(home: Path, *args: str) -> Iterator[str]:
    """`appconnect <args> --port 0` on `home`; yields its URL, stops it with SIGTERM."""
    env = {**os.environ, "APPCONNECT_HOME": str(home)}
    env.pop("APPCONNECT_CONFIG", None)
    process = subprocess.Popen([sys.executable, "-m", "appconnect", *args, "--port", "0"],
                               env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               text=True, cwd=home)
    assert process.stderr is not None
    line = process.stderr.readline()
    found = re.search(r"serving (http://127\.0\.0\.1:\d+)", line)
    if not found:
        process.kill()
        raise SystemExit(f"Error: {' '.join(args)} did not start: {line.strip()}")
    try:
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def api_key(home: Path) -> str:
    from appconnect.core.home import fixture_crm_path
    from appconnect.fixtures.crm import CRMState

    return CRMState(fixture_crm_path(home)).api_key


def run_bench(home: Path, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "APPCONNECT_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "appconnect", "bench", "--json", *extra],
                          env=env, capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def measure_node(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from tests.node_core import NodeCoreServer, ensure_installed

    installed = ensure_installed()
    crm_home = work / "node-crm-home"
    crm_home.mkdir()
    results: dict[str, Any] = {}
    with appconnect_server(crm_home, "fixture-crm", "serve") as crm_url:
        node_dir = work / "node"
        node_dir.mkdir()
        with NodeCoreServer(installed.node_modules, crm_url, node_dir) as server:
            target = Target(server.url, "fixture", api_key(crm_home), "ct-1")
            results["routes"] = [drive(target, sessions=args.sessions, clients=c)
                                 for c in args.clients]
            results["lifecycle"] = drive(target, sessions=args.lifecycles, clients=1, patches=3)
    return results


def measure_ours(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    home = work / "ours-home"
    home.mkdir()
    results: dict[str, Any] = {}
    with appconnect_server(home, "serve", "--workers", str(args.workers)) as url:
        target = Target(url, "fixture", api_key(home), "ct-1")
        results["routes"] = [drive(target, sessions=args.sessions, clients=c)
                             for c in args.clients]
        if args.flat:  # growth: N creates (and their look-ups) on one ever-growing home
            results["flat"] = drive(target, sessions=args.flat, clients=1, patches=0)
    if args.only_serve:
        return results
    bench_home = work / "bench-home"
    n = str(args.lifecycles)
    results["bench_inprocess"] = run_bench(bench_home, "-n", n)
    results["bench_persistent"] = run_bench(bench_home, "-n", n, "--home-persistent")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--workers", type=int, default=2, help="appconnect serve --workers")
    parser.add_argument("--lifecycles", type=int, default=300)
    parser.add_argument("--only", choices=["node", "ours"])
    parser.add_argument("--flat", type=int, default=0,
                        help="ours: also N sessions of POST + GET only, for growth with N")
    parser.add_argument("--only-serve", action="store_true", help="ours: skip appconnect bench")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, sessions={args.sessions}")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        work = Path(tmp)
        for name, measure in (("node", measure_node), ("ours", measure_ours)):
            if args.only in (None, name):
                figures[name] = measure(work, args)
                for result in figures[name]["routes"]:
                    print(format_report(result, name))
    if "node" in figures:
        print(format_report(figures["node"]["lifecycle"], "node lifecycles (1 POST + 3 PATCH)"))
    if "ours" in figures and "flat" in figures["ours"]:
        print(format_report(figures["ours"]["flat"], f"ours flat ({args.flat} creates)"))
    if "ours" in figures and not args.only_serve:
        for kind in ("bench_inprocess", "bench_persistent"):
            print(f"ours {kind}: {figures['ours'][kind]['lifecycles_per_s']} lifecycles/s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
