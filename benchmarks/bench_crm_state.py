"""How the fixture CRM's operations cost as its database grows (SQLite, on disk).

    .venv/bin/python benchmarks/bench_crm_state.py --sizes 1000 10000 100000

One database grows to each size in turn (creates through `CRMState`, as the connector makes
them); at each size 300 of each operation are timed: create_activity, update_activity,
get_activity, list_activities(session_id=), find_contacts(phone=). Medians in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLES = 300


def median_ms(action: Callable[[int], object]) -> float:
    runs = []
    for n in range(SAMPLES):
        started = time.perf_counter()
        action(n)
        runs.append(time.perf_counter() - started)
    return round(1000 * statistics.median(runs), 3)


def main() -> None:
    from appconnect.fixtures.crm import CRMState

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'records':>8} {'create':>8} {'update':>8} {'get':>8} {'by session':>11} "
          f"{'by phone':>9}")
    with tempfile.TemporaryDirectory(prefix="bench-crm-") as tmp:
        state = CRMState(Path(tmp) / "fixture-crm.db")
        count = 0
        for size in args.sizes:
            while count < size:
                count += 1
                state.create_activity({"contactId": "ct-1", "sessionId": f"s-{count}",
                                       "body": "- Note: grown\n"})
            figures = [
                median_ms(lambda n, sz=size: state.create_activity(
                    {"contactId": "ct-2", "sessionId": f"x-{sz}-{n}"})),
                median_ms(lambda n: state.update_activity(f"act-{n + 1}", {"subject": "S"})),
                median_ms(lambda n: state.get_activity(f"act-{n + 1}")),
                median_ms(lambda n: state.list_activities(session_id=f"s-{n + 1}")),
                median_ms(lambda n: state.find_contacts(phone="+1 650 555 0101")),
            ]
            count += SAMPLES
            print(f"{size:>8} " + " ".join(f"{f:>8}" for f in figures[:3])
                  + f" {figures[3]:>11} {figures[4]:>9}")


if __name__ == "__main__":
    main()
