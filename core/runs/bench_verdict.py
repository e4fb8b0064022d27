"""The verdict of a kill run (bench_chaos.py), read from disk after the run: the workers'
journals of acknowledged steps against the store and the fixture CRM, then `repair` and
check-interfaces."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from appconnect.core.config import HarnessConfig
from appconnect.core.runs.scenarios import EditStep, FinalDataStep, RecordingStep, Scenario

#: The update a worker sends to its neighbour's sessions, concurrently with the neighbour's.
HELPER_KIND = "ai-note"
HELPER_NOTE = "Concurrent AI note from another process"


def entries(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            continue  # cannot happen with one write per line; ignore rather than guess


def _acknowledged(journals: list[Path]) -> dict[str, set[str]]:
    """sessionId -> the step kinds acknowledged for it (over every run of its lifecycle)."""
    acked: dict[str, set[str]] = defaultdict(set)
    for path in journals:
        for entry in entries(path):
            if entry.get("ok") and entry.get("s"):
                acked[entry["s"]].add(entry["step"])
    return acked


def _expected(scenario: Scenario) -> dict[str, list[str]]:
    """step kind -> what its acknowledged update must leave in the CRM body."""
    wanted: dict[str, list[str]] = {}
    for step in scenario.steps:
        if isinstance(step, EditStep):
            wanted[step.kind] = [f for f in (step.note, step.subject) if f]
        elif isinstance(step, RecordingStep) and step.link:
            wanted[step.kind] = [step.link]
        elif isinstance(step, FinalDataStep) and step.result:
            wanted[step.kind] = [step.result]
    wanted[HELPER_KIND] = [HELPER_NOTE]
    return wanted


def verify(
    config: HarnessConfig, scenario: Scenario, home: Path, journals: list[Path]
) -> dict[str, Any]:
    """The invariants on disk, then `repair` and check-interfaces."""
    from appconnect.core.checks.interfaces import CheckOptions
    from appconnect.core.targets.embedded import EmbeddedTarget

    acked = _acknowledged(journals)
    journalled = [entry for path in journals for entry in entries(path)]
    faults = sum(int(entry.get("faults", 0)) for entry in journalled)
    unacknowledged = sum(1 for entry in journalled if "step" in entry and not entry.get("ok"))
    with EmbeddedTarget(config, home) as harness:
        rows: dict[str, list[str]] = defaultdict(list)
        for row in harness.store.iter_call_logs():
            rows[row.sessionId].append(row.thirdPartyLogId)
        composed = harness.store.composed_bodies(harness.platform)
        crm = {a["id"]: a for a in harness.crm_state.list_activities()}
        counts = _invariants(acked, rows, composed, crm, _expected(scenario))
        before = harness.check(CheckOptions())
        repaired = harness.repair()
        after = harness.check(CheckOptions())
    counts.update(
        logsBy=dict(Counter(str(entry["how"]) for entry in journalled if "how" in entry)),
        faultsInjected=faults,
        unacknowledgedSteps=unacknowledged,
        problemsBeforeRepair=dict(Counter(p.code for p in before.reconciliation.problems)),
        repairActions=dict(Counter(a.kind for a in repaired.actions)),
        problemsAfterRepair=dict(Counter(p.code for p in after.reconciliation.problems)),
        cleanAfterRepair=after.reconciliation.ok and repaired.ok,
    )
    return counts


def _invariants(
    acked: dict[str, set[str]],
    rows: dict[str, list[str]],
    composed: dict[str, Any],
    crm: dict[str, dict[str, Any]],
    expected: dict[str, list[str]],
) -> dict[str, Any]:
    logs_by_session: dict[str, list[str]] = defaultdict(list)
    for record in crm.values():
        logs_by_session[str(record.get("sessionId") or "")].append(record["id"])
    duplicates = sum(len(ids) - 1 for ids in rows.values() if len(ids) > 1)
    duplicates += sum(len(ids) - 1 for s, ids in logs_by_session.items() if s and len(ids) > 1)
    lost_creates = lost_updates = acked_updates = 0
    for session, kinds in acked.items():
        log_id = rows[session][0] if rows.get(session) else None
        activity = crm.get(log_id) if log_id else None
        if "log" in kinds and activity is None:
            lost_creates += 1
        for kind in kinds & expected.keys():
            acked_updates += 1
            stored = composed.get(log_id) if log_id else None
            crm_text = f"{activity.get('subject')}\n{activity.get('body')}" if activity else ""
            store_text = stored.body if stored is not None else ""
            # An edit's subject is in the body too ("- Summary: ..."), so both must hold all.
            if not all(w in crm_text and w in store_text for w in expected[kind]):
                lost_updates += 1
    return {
        "acknowledgedCreates": sum(1 for kinds in acked.values() if "log" in kinds),
        "acknowledgedUpdates": acked_updates,
        "duplicates": duplicates,
        "lostCreates": lost_creates,
        "lostUpdates": lost_updates,
    }
