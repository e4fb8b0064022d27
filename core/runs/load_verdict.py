"""After a load run: the consistency verdict and Locust's statistics, in one report.

The verdict holds the server to App Connect's promise for every session this run made:

- the server's own reconciliation (check-interfaces against a server,
  core/checks/server_reconcile.py) over the run's callLogs rows;
- exactly one callLogs row per session (more is a duplicate), and one CRM record when the
  CRM can be listed (a served fixture CRM; App Connect's API has no listing route);
- every session the server acknowledged (`successful: true`) has its row, its row points at
  the log id the server answered, and its CRM record (read back through the server) holds
  every update the server acknowledged: otherwise an update was lost.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.checks.interfaces import CheckOptions
from appconnect.core.checks.server_reconcile import check_server
from appconnect.core.errors import HarnessError
from appconnect.core.runs.load_plan import PlannedStep, fill
from appconnect.core.targets.server import ServerTarget

MAX_SHOWN = 20


@dataclass
class Verdict:
    acknowledged: int = 0
    rows: int = 0
    checked: int = 0
    duplicates: int = 0
    lost: int = 0
    lost_updates: int = 0
    crm_listed: bool = False
    findings: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.lost or self.findings)

    def add(self, text: str) -> None:
        self.findings.append(text)

    def as_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean, "acknowledged_sessions": self.acknowledged, "rows": self.rows,
            "reconciled_rows": self.checked, "duplicates": self.duplicates, "lost": self.lost,
            "lost_updates": self.lost_updates, "crm_listed": self.crm_listed,
            "findings": self.findings[:MAX_SHOWN], "more_findings":
            max(0, len(self.findings) - MAX_SHOWN),
        }  # fmt: skip


def judge(
    target: ServerTarget,
    prefix: str,
    acks: Mapping[str, Mapping[str, Any]],
    steps: Sequence[PlannedStep],
    crm_count: Callable[[str], int | None] | None = None,
) -> Verdict:
    """The verdict over the sessions whose ids start with the run's prefix; `crm_count`
    counts a session's records in the CRM itself (None: it cannot list them)."""
    verdict = Verdict(acknowledged=len(acks))
    if not acks:
        verdict.add("no session was acknowledged: nothing the server promised can be checked")
    rows: dict[str, list[CallLogRecord]] = defaultdict(list)
    for row in target.call_logs():
        if row.sessionId.startswith(f"{prefix}-"):
            rows[row.sessionId].append(row)
    verdict.rows = sum(len(found) for found in rows.values())
    for session, found in rows.items():
        if len(found) > 1:
            verdict.duplicates += len(found) - 1
            verdict.add(f"duplicate: session {session} has {len(found)} callLogs rows")
    run_rows = [row for found in rows.values() for row in found]
    report = check_server(target.client, target.platform, run_rows, CheckOptions())
    verdict.checked = report.reconciliation.checked
    for problem in report.reconciliation.problems:
        verdict.add(f"{problem.code}: session {problem.sessionId}: {problem.message}")
    if crm_count is not None:
        _crm_listing(verdict, crm_count, sorted(set(rows) | set(acks)), acks)
    for session, ack in sorted(acks.items()):
        linked = rows.get(session)
        if not linked:
            verdict.lost += 1
            verdict.add(f"lost: session {session} was acknowledged but has no callLogs row")
            continue
        _check_session(target, verdict, session, linked[0], ack, steps)
    return verdict


def _crm_listing(
    verdict: Verdict, count: Callable[[str], int | None], sessions: Iterable[str],
    acks: Mapping[str, Any],
) -> None:  # fmt: skip
    for session in sessions:
        found = count(session)
        if found is None:
            return  # the CRM cannot list a session's records after all
        verdict.crm_listed = True
        if found > 1:
            verdict.duplicates += found - 1
            verdict.add(f"duplicate: session {session} has {found} CRM records")
        elif not found and session in acks:
            verdict.lost += 1
            verdict.add(f"lost: session {session} was acknowledged but has no CRM record")


def _check_session(
    target: ServerTarget, verdict: Verdict, session: str, row: CallLogRecord,
    ack: Mapping[str, Any], steps: Sequence[PlannedStep],
) -> None:  # fmt: skip
    log_id = str(ack.get("logId") or "")
    if log_id and row.thirdPartyLogId != log_id:
        verdict.add(f"mismatch: session {session}: the server answered log {log_id}, its row "
                    f"links {row.thirdPartyLogId}")  # fmt: skip
    try:
        record = target.crm.read(row)
    except HarnessError as exc:
        verdict.add(f"unreadable: session {session}: {exc}")
        return
    if record is None:
        verdict.lost += 1
        verdict.add(f"lost: session {session}'s CRM log {row.thirdPartyLogId} is gone")
        return
    missing = []
    for index in ack.get("done") or []:
        step = steps[int(index)]
        subject = fill(step.expect_subject, session) if step.expect_subject else None
        if subject is not None and record.subject != subject:
            missing.append(f"{step.name}: subject {record.subject!r}, not {subject!r}")
        missing += [f"{step.name}: no {fill(text, session)!r}" for text in step.expect_in_body
                    if fill(text, session) not in record.body]  # fmt: skip
    if missing:
        verdict.lost_updates += 1
        verdict.lost += 1
        verdict.add(f"lost update: session {session}: " + "; ".join(missing))


# --------------------------------------------------------------------- Locust's statistics


@dataclass(frozen=True)
class RouteStats:
    name: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests_per_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "requests": self.requests, "failures": self.failures,
            "p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "p99_ms": self.p99_ms,
            "requests_per_s": self.requests_per_s,
        }  # fmt: skip


def read_stats(prefix: str) -> tuple[list[RouteStats], RouteStats | None]:
    """Per-route rows and the aggregate of Locust's `<prefix>_stats.csv`."""
    routes, total = [], None
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as file:
        for line in csv.DictReader(file):
            stats = RouteStats(
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                p50_ms=_number(line["50%"]),
                p95_ms=_number(line["95%"]),
                p99_ms=_number(line["99%"]),
                requests_per_s=round(_number(line["Requests/s"]), 2),
            )
            if line["Name"] == "Aggregated":
                total = stats
            else:
                routes.append(stats)
    return routes, total


def read_failures(prefix: str) -> list[tuple[str, str, int]]:
    """(route, error, occurrences) from `<prefix>_failures.csv`, most frequent first."""
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        found = [(line["Name"], _unwrapped(line["Error"]), int(line["Occurrences"]))
                 for line in csv.DictReader(file)]  # fmt: skip
    return sorted(found, key=lambda item: -item[2])


def _unwrapped(error: str) -> str:
    """The message of Locust's `CatchResponseError('…')` (a failure the locustfile named)."""
    found = re.fullmatch(r"CatchResponseError\((['\"])(.*)\1\)", error, re.DOTALL)
    return found.group(2) if found else error


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "N/A" where a route had no requests
        return 0.0
