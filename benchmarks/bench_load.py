"""`appconnect load`, single process and distributed (1 master + 2 local workers), against
`appconnect serve` and App Connect's own Node server, with the CPU% of every process.

    .venv/bin/python benchmarks/bench_load.py --users 20 --run-time 30
    .venv/bin/python benchmarks/bench_load.py --only node --call-seconds 0

Each run is `appconnect load --json`; the figures are Locust's (its CSV statistics) and the
verdict. While a run's load phase lasts, /proc is sampled twice a second for every process
this script started (Locust's, the server's, the fixture CRM's), so the bottleneck is named
with a figure: the process group whose CPU% is highest, against the 100% per core it can use.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/node_core.py, run as a script

from benchmarks.bench_serve import api_key, appconnect_server  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
APPCONNECT = [sys.executable, "-m", "appconnect"]


def _descendants(root: int) -> dict[int, tuple[str, int]]:
    """pid -> (command line, CPU ticks) of every process under `root`."""
    children: dict[int, list[int]] = defaultdict(list)
    found: dict[int, tuple[str, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        children[int(fields[1])].append(int(entry.name))
        found[int(entry.name)] = (cmd, int(fields[11]) + int(fields[12]))
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            if child in found:
                tree[child] = found[child]
                todo.append(child)
    return tree


def _group(cmd: str) -> str | None:
    if "locust" in cmd:
        return "locust worker" if "--worker" in cmd else (
            "locust master" if "--master" in cmd else "locust (single)")
    if " serve" in cmd and "fixture-crm" not in cmd:
        return "appconnect serve"
    if "server.js" in cmd:
        return "node server"
    if "fixture-crm" in cmd:
        return "fixture CRM"
    return None


class CpuSampler:
    """CPU% per process group, over the samples taken while Locust was generating load."""

    def __init__(self, run_time: float) -> None:
        self.run_time = run_time
        self.samples: list[tuple[float, dict[int, tuple[str, int]]]] = []
        self.machine: dict[float, tuple[int, int]] = {}  # time -> (busy, all) ticks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            now = time.monotonic()
            self.samples.append((now, _descendants(os.getpid())))
            ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
            self.machine[now] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))  # not idle/iowait

    def percent(self) -> dict[str, float]:
        # The load phase, anchored at its end: the last sample before the Locust process that
        # stops the run (the single one, or the master) is gone, less its 1.5 s settle time.
        stopping = ("locust (single)", "locust master")
        seen = [t for t, tree in self.samples
                if any(_group(c) in stopping for c, _ in tree.values())]  # fmt: skip
        if not seen:
            return {}
        end = seen[-1] - 2
        start = end - max(1.0, self.run_time - 6)
        window = [(t, tree) for t, tree in self.samples if start <= t <= end]
        if len(window) < 2:
            return {}
        (t0, first), (t1, last) = window[0], window[-1]
        used: dict[str, int] = defaultdict(int)
        for pid, (cmd, ticks) in last.items():
            group = _group(cmd)
            if group and pid in first:
                used[group] += ticks - first[pid][1]
        found = {group: round(100 * ticks / HZ / (t1 - t0), 1) for group, ticks in used.items()}
        (busy0, all0), (busy1, all1) = self.machine[t0], self.machine[t1]
        # The whole machine (every core, everyone's processes): 100 means all cores busy.
        found["machine (all cores)"] = round(100 * (busy1 - busy0) / max(1, all1 - all0), 1)
        return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_load(env: dict[str, str], root: list[str], args: list[str], run_time: float,
             workers: int) -> tuple[dict[str, Any], dict[str, float]]:  # fmt: skip
    load = [*APPCONNECT, *root, "load", "--json"]
    with CpuSampler(run_time) as sampler:
        if not workers:
            done = subprocess.run([*load, *args], env=env, capture_output=True, text=True)
            out, err, code = done.stdout, done.stderr, done.returncode
        else:
            port = str(_free_port())
            master = subprocess.Popen(
                [*load, *args, "--master", "--master-port", port, "--expect-workers", str(workers)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
            worker = [*APPCONNECT, "load", "--worker", "--master-port", port]
            started = [subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL) for _ in range(workers)]
            out, err = master.communicate()
            code = master.returncode
            for worker in started:
                worker.wait(timeout=60)
    if not out.strip():
        raise SystemExit(f"appconnect load failed ({code}): {err.strip()[-500:]}")
    report: dict[str, Any] = json.loads(out)
    return report, sampler.percent()


@contextmanager
def node_config(work: Path) -> Iterator[Path]:
    """A config whose [server] is the Node connector server on a served fixture CRM."""
    from tests.node_core import NodeCoreServer, ensure_installed

    installed = ensure_installed()
    crm_home = work / "node-crm-home"
    crm_home.mkdir()
    with appconnect_server(crm_home, "fixture-crm", "serve") as crm_url:
        node_dir = work / "node"
        node_dir.mkdir()
        with NodeCoreServer(installed.node_modules, crm_url, node_dir) as server:
            config = work / "node.toml"
            config.touch(mode=0o600)
            config.write_text(f'[server]\nurl = "{server.url}"\nplatform = "fixture"\n'
                              f'api_key = "{api_key(crm_home)}"\n'
                              f'database = "{server.db_path}"\n'
                              # The server's CRM, so the verdict lists its records too.
                              f'[crm]\nurl = "{crm_url}"\napi_key = "{api_key(crm_home)}"\n')
            yield config


def show(name: str, report: dict[str, Any], cpu: dict[str, float]) -> None:
    total, verdict = report["total"], report["verdict"]
    print(f"\n{name}: {total['requests']} requests, {total['requests_per_s']} req/s, "
          f"{total['failures']} failures; p50/p95/p99 {total['p50_ms']}/{total['p95_ms']}/"
          f"{total['p99_ms']} ms; verdict clean={verdict['clean']} "
          f"({verdict['acknowledged_sessions']} sessions, duplicates {verdict['duplicates']}, "
          f"lost {verdict['lost']})")  # fmt: skip
    for route in report["routes"]:
        print(f"  {route['name']:<38} {route['requests']:>6} {route['p50_ms']:>7} "
              f"{route['p95_ms']:>7} {route['p99_ms']:>7} ms {route['requests_per_s']:>7}/s")
    print("  CPU% during the load: " + ", ".join(f"{g} {p}" for g, p in sorted(cpu.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--run-time", type=float, default=30)
    parser.add_argument("--call-seconds", type=float, default=0.0,
                        help="0: each agent's requests back to back (the server's capacity)")
    parser.add_argument("--serve-workers", type=int, default=2)
    parser.add_argument("--only", choices=["serve", "node"])
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, users={args.users}, "
          f"run time={args.run_time:g}s, call seconds={args.call_seconds:g}")
    common = ["-u", str(args.users), "-r", str(args.users), "-t", f"{args.run_time:g}",
              "--call-seconds", f"{args.call_seconds:g}"]  # fmt: skip
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "APPCONNECT_HOME": str(work / "home")}
        env.pop("APPCONNECT_CONFIG", None)
        if args.only in (None, "serve"):
            serve = [*common, "--serve", "--serve-workers", str(args.serve_workers)]
            for mode, workers in (("single", 0), ("distributed", 2)):
                report, cpu = run_load(env, [], serve, args.run_time, workers)
                figures[f"serve {mode}"] = {"report": report, "cpu": cpu}
                show(f"appconnect serve, {mode}", report, cpu)
        if args.only in (None, "node"):
            with node_config(work) as config:
                root = ["--config", str(config)]
                for mode, workers in (("single", 0), ("distributed", 2)):
                    report, cpu = run_load(env, root, common, args.run_time, workers)
                    figures[f"node {mode}"] = {"report": report, "cpu": cpu}
                    show(f"Node server, {mode}", report, cpu)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
