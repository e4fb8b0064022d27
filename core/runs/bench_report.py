"""What bench reports: per-step and per-interface latency percentiles, what each worker saw,
and the verdict (no errors, no duplicates, no lost updates) with its JSON shape."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Transport = Literal["inprocess", "loopback", "configured", "serve"]


@dataclass
class Stats:
    count: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0

    @classmethod
    def of(cls, seconds: Sequence[float], errors: int = 0) -> Stats:
        ordered = sorted(seconds)
        if not ordered:
            return cls(errors=errors)

        def rank(p: float) -> float:  # nearest-rank percentile, in ms
            return round(ordered[max(0, math.ceil(p * len(ordered)) - 1)] * 1000, 3)

        return cls(
            len(ordered), errors, rank(0.50), rank(0.95), rank(0.99), round(ordered[-1] * 1000, 3)
        )


@dataclass
class WorkerResult:
    """What one worker sends back: raw timings, so percentiles are over all workers."""

    lifecycles: int = 0
    step_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    step_errors: Counter[str] = field(default_factory=Counter)
    interface_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    interface_errors: Counter[str] = field(default_factory=Counter)
    transport_seconds: float = 0.0
    requests: int = 0
    #: sessionId -> number of updates the pipeline reported successful.
    updates_done: dict[str, int] = field(default_factory=dict)
    #: sessionId -> thirdPartyLogIds of its callLogs rows.
    rows: dict[str, list[str]] = field(default_factory=dict)
    #: CRM activities as `(id, sessionId, revision)`, for the in-process CRM.
    crm: list[tuple[str, str, int]] = field(default_factory=list)
    first_error: str | None = None
    faults_injected: int = 0


@dataclass
class BenchReport:
    transport: Transport
    lifecycles: int
    concurrency: int
    seconds: float
    lifecycles_per_s: float
    steps: dict[str, Stats]
    interfaces: dict[str, Stats]
    errors: int
    duplicates: int
    lost: int
    #: Share of the wall time spent inside the HTTP transport (request to response,
    #: including the CRM's own handling), and the mean time per request.
    transport_share: float
    transport_ms_per_request: float
    first_error: str | None = None
    faults_injected: int = 0
    persistent: bool = False
    #: step -> (p50 ms of its first 10%, p50 ms of its last 10%), per worker, pooled.
    growth: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: A kill run's supervisor counts and on-disk verdict (bench_chaos.chaos_report).
    chaos: dict[str, Any] | None = None
    #: The run's home, when `--keep` kept it for inspection.
    kept_home: str | None = None

    @property
    def ok(self) -> bool:
        """The verdict: no step failed, no session got two CRM logs, no update was lost; for
        a kill run, nothing acknowledged lost or duplicated and a clean check after repair
        (a step that failed under faults was never acknowledged: not a failure there)."""
        if self.chaos is not None:
            return not (self.duplicates or self.lost) and bool(self.chaos["cleanAfterRepair"])
        return not (self.errors or self.duplicates or self.lost)

    def as_dict(self) -> dict[str, Any]:
        def stats(group: Mapping[str, Stats]) -> dict[str, Any]:
            return {name: vars(value) for name, value in group.items()}

        return {
            "ok": self.ok,
            "transport": self.transport,
            "lifecycles": self.lifecycles,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 3),
            "lifecycles_per_s": round(self.lifecycles_per_s, 1),
            "steps": stats(self.steps),
            "interfaces": stats(self.interfaces),
            "errors": self.errors,
            "duplicates": self.duplicates,
            "lost": self.lost,
            "transport_share": round(self.transport_share, 3),
            "transport_ms_per_request": round(self.transport_ms_per_request, 3),
            "first_error": self.first_error,
            "faults_injected": self.faults_injected,
            "persistent": self.persistent,
            "growth": {
                name: {"first10_p50_ms": first, "last10_p50_ms": last}
                for name, (first, last) in self.growth.items()
            },
            **({"chaos": self.chaos} if self.chaos is not None else {}),
            **({"keptHome": self.kept_home} if self.kept_home else {}),
        }
