"""`bench`: N call lifecycles through the real pipeline, timed per step and per interface.

Each lifecycle is a scenario run (by default: log -> edit -> recording -> final data) with its
own session id, through `ScenarioRunner` — the same code `simulate` and `smoke` use. Workers
are processes (the GIL would serialise threads), each with its own in-memory store:

- `inprocess`: each worker drives its own in-memory fixture CRM through httpx's WSGI transport;
- `loopback`: one server process serves a fresh fixture CRM on 127.0.0.1, workers talk HTTP;
- `configured`: the configured CRM, rate-capped (the CLI asks for confirmation first);
- `serve`: `appconnect serve` on a fresh real home, driven over HTTP (bench_serve.py).

`persistent=True` (`--home-persistent`) runs `inprocess` against a real, fresh home instead of
memory: the SQLite store and the SQLite fixture CRM on disk, committed as a user's commands
commit them, shared by the workers. The report's `growth` (p50 of each step's first and last
10%) shows whether cost grows with the number of records.

Afterwards every callLogs row is reconciled with the CRM: `duplicates` (a session with more
than one row or CRM log) and `lost` (a lifecycle with no row or CRM log, or a CRM log that
missed one of the updates the pipeline reported as done) must both be 0.
"""

from __future__ import annotations

import multiprocessing
import shutil
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput
from appconnect.core.runs.bench_loopback import LoopbackServer, loopback_config
from appconnect.core.runs.bench_report import BenchReport, Stats, Transport, WorkerResult
from appconnect.core.runs.runner import ScenarioRunner, scenario_config
from appconnect.core.runs.scenarios import (
    AssertStep,
    EditStep,
    FinalDataStep,
    LogStep,
    RecordingStep,
    Scenario,
    SsclLogStep,
)
from appconnect.core.transports.timing import TimingTransport

UPDATE_KINDS = frozenset(
    {"edit", "recording", "voicemail", "final-data", "ai-note", "transcript", "ringsense",
     "sscl-update"}
)  # fmt: skip

DEFAULT_LIFECYCLE = Scenario(
    name="lifecycle",
    description="log -> edit -> recording -> final data",
    call="inbound-answered",
    steps=[
        LogStep(kind="log"),
        EditStep(kind="edit", subject="Bench call", note="Edited during the bench"),
        RecordingStep(kind="recording", link="https://media.ringcentral.test/recording/bench"),
        FinalDataStep(kind="final-data", duration=185, result="Call connected"),
    ],
)


@dataclass(frozen=True)
class _Job:
    worker: int
    lifecycles: int
    config: HarnessConfig
    scenario: Scenario
    transport: Transport
    home: str
    rate_per_s: float | None
    fault_rate: float = 0.0
    persistent: bool = False


def run_bench(
    config: HarnessConfig,
    *,
    home: Path,
    scenario: Scenario = DEFAULT_LIFECYCLE,
    lifecycles: int = 1000,
    concurrency: int = 1,
    transport: Transport = "inprocess",
    rate_per_s: float | None = None,
    fault_rate: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    persistent: bool = False,
    kill_rate: float = 0.0,
    keep: bool = False,
) -> BenchReport:
    """Run the lifecycles and reconcile. With `fault_rate`, that share of CRM requests fail
    (a chaos run): calls are then tried up to 8 times without waiting, because the run
    checks that nothing is lost or duplicated, not how a CRM's Retry-After is paced."""
    if lifecycles < 1 or concurrency < 1:
        raise BadInput("--lifecycles and --concurrency must be at least 1", "bench")
    if not any(isinstance(s, LogStep | SsclLogStep) for s in scenario.steps):
        raise BadInput("a bench scenario needs a log or sscl-log step", scenario.name)
    concurrency = min(concurrency, lifecycles)
    if transport == "serve":  # always a real home: the server's
        if scenario is not DEFAULT_LIFECYCLE:
            raise BadInput("--transport serve runs the default lifecycle only", "bench")
        from appconnect.core.runs.bench_serve import run_serve_bench

        served: BenchReport = run_serve_bench(home, lifecycles, concurrency, progress)
        served.persistent = True
        return served
    if persistent and transport != "inprocess":
        raise BadInput("--home-persistent runs with --transport inprocess", "bench")
    if kill_rate:
        if transport != "inprocess" or scenario is not DEFAULT_LIFECYCLE:
            raise BadInput("--kill-rate runs the default lifecycle, inprocess", "bench")
        persistent = False  # the kill run makes its own fresh home
    if keep and not (persistent or kill_rate):
        raise BadInput("--keep keeps the home of --home-persistent or --kill-rate", "bench")
    if persistent:  # a fresh home inside the given one, so the user's own data is untouched
        home.mkdir(parents=True, exist_ok=True)
        home = Path(tempfile.mkdtemp(prefix="bench-persistent-", dir=home))
    if fault_rate:
        retries = config.retries.model_copy(
            update={"attempts": max(config.retries.attempts, 8), "base_delay": 0, "max_delay": 0}
        )
        config = config.model_copy(update={"retries": retries})
    server = None
    if transport == "loopback":
        server = LoopbackServer.start()
        config = loopback_config(config, server.url, server.api_key)
    elif transport == "inprocess":
        config = config.model_copy(
            update={"crm": config.crm.model_copy(update={"url": None, "api_key": None})}
        )
    if kill_rate:  # supervised workers on a real home, killed at random (bench_chaos.py)
        from appconnect.core.runs.bench_chaos import chaos_report

        return chaos_report(
            config, scenario, home=home, lifecycles=lifecycles, concurrency=concurrency,
            fault_rate=fault_rate, kill_rate=kill_rate, keep=keep, progress=progress,
        )  # fmt: skip
    if persistent:
        create_home(home, config)
    shares = [lifecycles // concurrency + (1 if i < lifecycles % concurrency else 0)
              for i in range(concurrency)]  # fmt: skip
    per_worker_rate = rate_per_s / concurrency if rate_per_s else None
    jobs = [
        _Job(i, n, config, scenario, transport, str(home), per_worker_rate, fault_rate, persistent)
        for i, n in enumerate(shares)
    ]
    started = time.perf_counter()
    try:
        results = _run_jobs(jobs, lifecycles, progress)
        elapsed = time.perf_counter() - started
        crm: list[tuple[str, str, int]] | None = None  # a configured CRM is not listed
        if server is not None:
            crm = server.activities()
        elif transport == "inprocess":
            crm = [activity for result in results for activity in result.crm]
        if persistent:
            crm = _home_activities(home)
    finally:
        if server:
            server.stop()
        if persistent and not keep:
            shutil.rmtree(home, ignore_errors=True)
    report = _report(transport, lifecycles, concurrency, elapsed, results, crm, scenario)
    report.persistent = persistent
    report.kept_home = str(home) if persistent and keep else None
    return report


def create_home(home: Path, config: HarnessConfig) -> None:
    """Create the home and log its user in once, before the workers start, as a user's home
    is when it has been used: the store's first-run schema migration and user insert are not
    safe against a second process doing the same at once (issue 15, item 4)."""
    from appconnect.core.targets.embedded import EmbeddedTarget

    with EmbeddedTarget(config, home) as harness:
        harness.pipeline()


def _home_activities(home: Path) -> list[tuple[str, str, int]]:
    from appconnect.core.home import fixture_crm_path
    from appconnect.core.targets.fixture_crm import CRMState

    state = CRMState(fixture_crm_path(home))
    try:
        return [(a["id"], a["sessionId"], a["revision"]) for a in state.list_activities()]
    finally:
        state.close()


def _growth(results: Sequence[WorkerResult]) -> dict[str, tuple[float, float]]:
    firsts: dict[str, list[float]] = defaultdict(list)
    lasts: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for name, values in result.step_seconds.items():
            tenth = max(1, len(values) // 10)
            firsts[name].extend(values[:tenth])
            lasts[name].extend(values[-tenth:])
    return {
        name: (
            round(1000 * statistics.median(firsts[name]), 3),
            round(1000 * statistics.median(lasts[name]), 3),
        )
        for name in firsts
    }


def _run_jobs(
    jobs: list[_Job], total: int, progress: Callable[[int, int], None] | None
) -> list[WorkerResult]:
    if len(jobs) == 1:
        return [_work(jobs[0], lambda done: progress(done, total) if progress else None)]
    context = multiprocessing.get_context()
    counter = context.Value("i", 0)
    with context.Pool(len(jobs), initializer=_init_counter, initargs=(counter,)) as pool:
        pending = pool.map_async(_work_in_pool, jobs)
        while not pending.ready():
            pending.wait(0.1)
            if progress:
                progress(counter.value, total)
        results: list[WorkerResult] = pending.get()
    if progress:
        progress(total, total)
    return results


_COUNTER: Any = None


def _init_counter(counter: Any) -> None:
    global _COUNTER
    _COUNTER = counter


def _work_in_pool(job: _Job) -> WorkerResult:
    def tick(done: int) -> None:
        with _COUNTER.get_lock():
            _COUNTER.value += 1

    return _work(job, tick)


def _work(job: _Job, tick: Callable[[int], None]) -> WorkerResult:
    """One worker: its own harness (in-memory store), N lifecycles, then its reconciliation."""
    from appconnect.core.home import fixture_crm_path
    from appconnect.core.targets.embedded import EmbeddedTarget
    from appconnect.core.targets.fixture_crm import CRMState, FixtureCRM
    from appconnect.core.transports.faults import FaultPlan

    result = WorkerResult()
    state = None
    if job.transport == "inprocess":
        state = CRMState(fixture_crm_path(Path(job.home)) if job.persistent else None)
    inner: httpx.BaseTransport = (
        httpx.WSGITransport(app=FixtureCRM(state)) if state is not None else httpx.HTTPTransport()
    )
    timing = TimingTransport(inner)
    config = scenario_config(job.config, job.scenario.settings)
    faults = FaultPlan(rate=job.fault_rate, seed=job.worker)  # seeded: a run can be repeated
    harness = EmbeddedTarget(
        config,
        Path(job.home),
        sandbox=not job.persistent,
        transport=timing,
        crm_state=state,
        faults=faults,
    )
    with harness:
        pipeline = harness.pipeline()
        interval = 1 / job.rate_per_s if job.rate_per_s else 0.0
        for index in range(job.lifecycles):
            lifecycle_started = time.perf_counter()
            runner = ScenarioRunner(
                harness,
                call=job.scenario.call,
                settings=job.scenario.settings,
                session_suffix=f"-b{job.worker}-{index}",
            )
            updates = 0
            for number, step in enumerate(job.scenario.steps, start=1):
                step_started = time.perf_counter()
                outcome = runner.run_step(number, step)
                result.step_seconds[step.name or step.kind].append(
                    time.perf_counter() - step_started
                )
                if outcome.status == "fail":
                    result.step_errors[step.name or step.kind] += 1
                    result.first_error = result.first_error or f"{step.kind}: {outcome.message}"
                elif step.kind in UPDATE_KINDS:
                    updates += 1
            for call in pipeline.calls:
                result.interface_seconds[call.interface].append(call.seconds)
                if not call.ok:
                    result.interface_errors[call.interface] += 1
            pipeline.calls.clear()
            if runner.session_id is not None:
                result.updates_done[runner.session_id] = updates
            result.lifecycles += 1
            tick(result.lifecycles)
            if interval:  # the rate cap for a real CRM
                time.sleep(max(0.0, interval - (time.perf_counter() - lifecycle_started)))
        for row in harness.store.iter_call_logs():
            result.rows.setdefault(row.sessionId, []).append(row.thirdPartyLogId)
    if state is not None and not job.persistent:  # a shared home is listed once, at the end
        result.crm = [(a["id"], a["sessionId"], a["revision"]) for a in state.list_activities()]
    result.transport_seconds, result.requests = timing.seconds, timing.requests
    result.faults_injected = faults.injected
    return result


def _report(
    transport: Transport,
    lifecycles: int,
    concurrency: int,
    elapsed: float,
    results: Sequence[WorkerResult],
    crm: Sequence[tuple[str, str, int]] | None,
    scenario: Scenario,
) -> BenchReport:
    step_seconds: dict[str, list[float]] = defaultdict(list)
    step_errors: Counter[str] = Counter()
    iface_seconds: dict[str, list[float]] = defaultdict(list)
    iface_errors: Counter[str] = Counter()
    rows: dict[str, list[str]] = {}
    updates: dict[str, int] = {}
    for result in results:
        for name, values in result.step_seconds.items():
            step_seconds[name].extend(values)
        step_errors.update(result.step_errors)
        for name, values in result.interface_seconds.items():
            iface_seconds[name].extend(values)
        iface_errors.update(result.interface_errors)
        rows.update(result.rows)
        updates.update(result.updates_done)
    duplicates, lost = _reconcile(rows, updates, crm, scenario)
    transport_seconds = sum(r.transport_seconds for r in results)
    requests = sum(r.requests for r in results)
    busy = elapsed * len(results)  # worker-seconds, the denominator of the share
    return BenchReport(
        transport=transport,
        lifecycles=lifecycles,
        concurrency=concurrency,
        seconds=elapsed,
        lifecycles_per_s=lifecycles / elapsed if elapsed else 0.0,
        steps={name: Stats.of(v, step_errors[name]) for name, v in step_seconds.items()},
        interfaces={name: Stats.of(v, iface_errors[name]) for name, v in iface_seconds.items()},
        errors=sum(step_errors.values()),
        duplicates=duplicates,
        lost=lost,
        transport_share=transport_seconds / busy if busy else 0.0,
        transport_ms_per_request=transport_seconds / requests * 1000 if requests else 0.0,
        first_error=next((r.first_error for r in results if r.first_error), None),
        faults_injected=sum(r.faults_injected for r in results),
        growth=_growth(results),
    )


def _reconcile(
    rows: Mapping[str, list[str]],
    updates: Mapping[str, int],
    crm: Sequence[tuple[str, str, int]] | None,
    scenario: Scenario,
) -> tuple[int, int]:
    """(duplicates, lost) over every lifecycle's session; with no CRM listing (a configured
    CRM), from the callLogs rows alone."""
    by_session: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for activity_id, session_id, revision in crm or ():
        by_session[session_id].append((activity_id, revision))
    duplicates = sum(len(ids) - 1 for ids in rows.values() if len(ids) > 1)
    duplicates += sum(len(logs) - 1 for logs in by_session.values() if len(logs) > 1)
    expects_log = not any(
        isinstance(s, LogStep) and s.mode == "auto" for s in scenario.steps
    ) and not any(isinstance(s, AssertStep) and s.row and not s.row.exists for s in scenario.steps)
    lost = 0
    for session_id, done in updates.items():
        logs = by_session.get(session_id, [])
        if not rows.get(session_id) or (crm is not None and not logs):
            lost += 1 if expects_log else 0
            continue
        if crm is None:
            continue
        linked = dict(logs).get(rows[session_id][0])
        if linked is None or linked < 1 + done:
            lost += 1  # the row points nowhere, or an update the pipeline reported is missing
    return duplicates, lost
