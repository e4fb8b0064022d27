"""`bench --kill-rate`: the chaos run with kill -9. Worker processes run the default lifecycle
against one real home (the SQLite store and the SQLite fixture CRM on disk), with random CRM
faults; the supervisor SIGKILLs workers at random moments and starts them again, and each
restarted worker re-runs the lifecycle it was killed in.

A worker journals every acknowledged step (one line, appended with one write(2), so a kill
never leaves half a line that counts). At the end the invariants are checked on disk, not in
memory: every acknowledged create has its row and its CRM log, every acknowledged update is in
the CRM log and in the store's composed body, no session has two rows or two CRM logs; then
`repair` runs and check-interfaces must be clean.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appconnect.core.config import HarnessConfig
from appconnect.core.errors import BadInput
from appconnect.core.runs.bench_report import BenchReport
from appconnect.core.runs.bench_verdict import HELPER_KIND, HELPER_NOTE, entries, verify
from appconnect.core.runs.scenarios import Scenario

#: A kill rate is kills per lifecycle; above 1 a run may never finish.
MAX_KILL_RATE = 1.0
_TICK = 0.02


@dataclass(frozen=True)
class ChaosJob:
    worker: int
    indices: tuple[int, ...]
    config: HarnessConfig
    scenario: Scenario
    home: str
    journal: str
    fault_rate: float
    seed: int
    #: Another worker's journal: its logged sessions get this worker's concurrent AI note.
    neighbour: str | None = None


@dataclass
class ChaosOutcome:
    """What the supervisor saw, and the on-disk verdict."""

    kills: int = 0
    restarts: int = 0
    crashes: int = 0
    state_dir: str | None = None
    verdict: dict[str, Any] = field(default_factory=dict)


def run_chaos(
    config: HarnessConfig,
    scenario: Scenario,
    *,
    state_dir: Path,
    lifecycles: int,
    concurrency: int,
    fault_rate: float,
    kill_rate: float,
    progress: Callable[[int, int], None] | None = None,
    seed: int = 0,
) -> ChaosOutcome:
    """Run, kill, restart, then check the invariants in `state_dir` (a fresh, prepared home)."""
    journals = state_dir / "journals"
    journals.mkdir()
    jobs = [
        ChaosJob(
            worker=i,
            indices=tuple(range(i, lifecycles, concurrency)),
            config=config,
            scenario=scenario,
            home=str(state_dir),
            journal=str(journals / f"worker-{i}.jsonl"),
            fault_rate=fault_rate,
            seed=i,
            neighbour=str(journals / f"worker-{(i + 1) % concurrency}.jsonl")
            if concurrency > 1
            else None,
        )
        for i in range(concurrency)
    ]
    outcome = ChaosOutcome()
    _supervise(jobs, lifecycles, kill_rate, outcome, progress, random.Random(seed))
    outcome.verdict = verify(config, scenario, state_dir, [Path(j.journal) for j in jobs])
    return outcome


def _supervise(
    jobs: list[ChaosJob],
    total: int,
    kill_rate: float,
    outcome: ChaosOutcome,
    progress: Callable[[int, int], None] | None,
    rng: random.Random,
) -> None:
    """Start every worker; kill live ones at random (about `kill_rate` per lifecycle, spread
    over time at the run's pace) and start killed ones again, until all have finished."""
    context = multiprocessing.get_context("fork")  # the parent holds no store open here
    running = {job.worker: _start(context, job) for job in jobs}
    by_worker = {job.worker: job for job in jobs}
    killed: set[int] = set()
    tails = [_Tail(Path(job.journal)) for job in jobs]
    started = last = time.monotonic()
    while running:
        time.sleep(_TICK)
        now = time.monotonic()
        elapsed, last = now - last, now
        done = sum(tail.done() for tail in tails)
        if progress:
            progress(done, total)
        for worker, process in list(running.items()):
            if process.is_alive():
                continue
            process.join()  # reaped: its pid can no longer look alive to a claim check
            if process.exitcode == 0:
                del running[worker]
                continue
            if worker in killed:
                killed.discard(worker)
            else:
                outcome.crashes += 1
                if outcome.crashes > 3 * len(jobs):
                    raise RuntimeError(f"bench worker {worker} keeps failing: {process.exitcode}")
            job = by_worker[worker]
            by_worker[worker] = job = _reseeded(job, outcome.restarts)
            running[worker] = _start(context, job)
            outcome.restarts += 1
        pace = done / (now - started)  # lifecycles per second so far
        live = [w for w, p in running.items() if p.is_alive() and w not in killed]
        if live and rng.random() < kill_rate * pace * elapsed:
            victim = rng.choice(live)
            pid = running[victim].pid
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                killed.add(victim)
                outcome.kills += 1


def _start(context: Any, job: ChaosJob) -> Any:
    process = context.Process(target=chaos_worker, args=(job,), daemon=True)
    process.start()
    return process


def _reseeded(job: ChaosJob, restarts: int) -> ChaosJob:
    """A restarted worker draws other faults than the run it replaces."""
    return ChaosJob(**{**job.__dict__, "seed": job.seed + 1000 * (restarts + 1)})


# --- the worker ---------------------------------------------------------------------------


def chaos_worker(job: ChaosJob) -> None:
    """Run the job's lifecycles not yet journalled as done, journalling each acknowledged step."""
    import httpx

    from appconnect.core.home import fixture_crm_path
    from appconnect.core.targets.embedded import EmbeddedTarget
    from appconnect.core.targets.fixture_crm import CRMState, FixtureCRM
    from appconnect.core.transports.faults import FaultPlan

    state = CRMState(fixture_crm_path(Path(job.home)))
    faults = FaultPlan(rate=job.fault_rate, seed=job.seed)
    harness = EmbeddedTarget(
        job.config,
        Path(job.home),
        transport=httpx.WSGITransport(app=FixtureCRM(state)),
        crm_state=state,
        faults=faults,
    )
    with harness:
        harness.pipeline()
        _Worker(job, harness, faults).run()
    state.close()


class _Worker:
    """One worker's lifecycles, plus a concurrent update of its neighbour's sessions: an AI
    note sent while the neighbour's process updates the same session (issue 15 item 3)."""

    def __init__(self, job: ChaosJob, harness: Any, faults: Any) -> None:
        self.job, self.harness, self.faults = job, harness, faults
        mine = list(entries(Path(job.journal)))
        self.done = {entry["i"] for entry in mine if entry.get("done")}
        self.helped = {e["s"] for e in mine if e.get("step") == HELPER_KIND and e.get("ok")}
        self.neighbour = _Tail(Path(job.neighbour)) if job.neighbour else None
        self.journal = os.open(job.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.injected = 0

    def run(self) -> None:
        from appconnect.core.runs.runner import ScenarioRunner

        scenario = self.job.scenario
        for index in self.job.indices:
            if index in self.done:
                continue
            runner = ScenarioRunner(self.harness, call=scenario.call, session_suffix=f"-k{index}")
            for number, step in enumerate(scenario.steps, start=1):
                self.help_neighbour()
                result = runner.run_step(number, step)
                flow = result.flow
                ok = result.status == "pass" or (
                    step.kind == "log" and flow is not None and flow.logged
                )
                self.write(index, runner.session_id, step.kind, ok, result.message)
                if step.kind == "log" and flow is not None and flow.logged:
                    self.note_how(index, flow.successful, result.calls)
            self.harness.pipeline().calls.clear()
            finished = {"i": index, "done": True, "faults": self.faults.injected - self.injected}
            self.injected = self.faults.injected
            os.write(self.journal, (json.dumps(finished) + "\n").encode())
        os.close(self.journal)

    def help_neighbour(self) -> None:
        from appconnect.connectors.errors import CRMError
        from appconnect.core.errors import HarnessError
        from appconnect.core.runs.scenarios import AiNoteStep
        from appconnect.core.runs.step_bodies import update_body

        if self.neighbour is None:
            return
        for entry in self.neighbour.newentries():
            session = str(entry.get("s") or "")
            if entry.get("step") != "log" or not entry.get("ok") or session in self.helped:
                continue
            self.helped.add(session)
            step = AiNoteStep(kind=HELPER_KIND, aiNote=HELPER_NOTE)
            try:
                flow = self.harness.update_log(update_body(step, session))
                ok, why = flow.successful, flow.message
            except (CRMError, HarnessError) as exc:
                ok, why = False, str(exc)
            self.write(-1, session, HELPER_KIND, ok, why)

    def note_how(self, index: int, created_now: bool, calls: list[Any]) -> None:
        """How a log step got its log: "created", "linked" (an earlier create's log, found
        after an unknown outcome or a dead claimer) or "existing" (a re-run found its row)."""
        made = any(call.interface == "createCallLog" and call.ok for call in calls)
        how = "existing" if not created_now else ("created" if made else "linked")
        os.write(self.journal, (json.dumps({"i": index, "how": how}) + "\n").encode())

    def write(self, index: int, session: str | None, kind: str, ok: bool, why: str) -> None:
        entry: dict[str, Any] = {"i": index, "s": session, "step": kind, "ok": ok}
        if not ok:
            entry["why"] = why[:200]
        os.write(self.journal, (json.dumps(entry) + "\n").encode())


class _Tail:
    """A journal read incrementally (the supervisor and the neighbour poll it often)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.count = path, 0, 0

    def newentries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as journal:
            journal.seek(self.offset)
            chunk = journal.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written waits for its end
        self.offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def done(self) -> int:
        self.count += sum(1 for entry in self.newentries() if entry.get("done"))
        return self.count


def chaos_report(
    config: HarnessConfig,
    scenario: Scenario,
    *,
    home: Path,
    lifecycles: int,
    concurrency: int,
    fault_rate: float,
    kill_rate: float,
    keep: bool,
    progress: Callable[[int, int], None] | None,
) -> BenchReport:
    """The kill run in a fresh home inside `home` (kept with `keep`), as a bench report."""
    from appconnect.core.runs.bench import create_home

    if not 0 < kill_rate <= MAX_KILL_RATE:
        raise BadInput(
            f"the kill rate must be above 0 and at most {MAX_KILL_RATE:g}", "--kill-rate"
        )
    home.mkdir(parents=True, exist_ok=True)
    state_dir = Path(tempfile.mkdtemp(prefix="bench-chaos-", dir=home))
    started = time.perf_counter()
    try:
        create_home(state_dir, config)
        outcome = run_chaos(
            config, scenario, state_dir=state_dir, lifecycles=lifecycles,
            concurrency=concurrency, fault_rate=fault_rate, kill_rate=kill_rate,
            progress=progress,
        )  # fmt: skip
    finally:
        if not keep:
            shutil.rmtree(state_dir, ignore_errors=True)
    elapsed = time.perf_counter() - started
    verdict = outcome.verdict
    chaos = {
        "killRate": kill_rate,
        "kills": outcome.kills,
        "restarts": outcome.restarts,
        "crashes": outcome.crashes,
        **verdict,
        "stateDir": str(state_dir) if keep else None,
    }
    return BenchReport(
        transport="inprocess",
        lifecycles=lifecycles,
        concurrency=concurrency,
        seconds=elapsed,
        lifecycles_per_s=lifecycles / elapsed if elapsed else 0.0,
        steps={},
        interfaces={},
        errors=0,
        duplicates=verdict["duplicates"],
        lost=verdict["lostCreates"] + verdict["lostUpdates"],
        transport_share=0.0,
        transport_ms_per_request=0.0,
        persistent=True,
        faults_injected=int(verdict["faultsInjected"]),
        chaos=chaos,
        kept_home=str(state_dir) if keep else None,
    )
