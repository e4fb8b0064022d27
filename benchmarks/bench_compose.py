"""Compositions per second, per format, on the golden cases (fresh and re-compose mixed).

Run: .venv/bin/python benchmarks/bench_compose.py [--seconds S]
Prints one line per format and one for all; a figure, not a pass/fail.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from appconnect.core.compose.composer import compose_call_log

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "compose"


def cases() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name in ("generated_fresh", "generated_recompose", "upstream_ported"):
        found.extend(case["params"] for case in json.loads((DATA / f"{name}.json").read_text()))
    return found


def measure(params: list[dict[str, Any]], seconds: float) -> tuple[int, float]:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for item in params:
            compose_call_log(item)
        done += len(params)
    return done, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="time per format")
    args = parser.parse_args()
    os.environ.setdefault("TZ", "UTC")
    time.tzset()
    by_format: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for params in cases():
        by_format[str(params.get("logFormat", "text/plain"))].append(params)
    total_done, total_time = 0, 0.0
    for fmt, params in sorted(by_format.items()):
        recompose = sum(1 for p in params if p.get("existingBody"))
        done, elapsed = measure(params, args.seconds)
        total_done, total_time = total_done + done, total_time + elapsed
        print(
            f"{fmt:14} {len(params):4} cases ({recompose} re-compose): "
            f"{done / elapsed:9,.0f} compositions/s  ({elapsed / done * 1e6:.1f} µs each)"
        )
    print(f"{'all':14} {total_done / total_time:9,.0f} compositions/s")


if __name__ == "__main__":
    main()
