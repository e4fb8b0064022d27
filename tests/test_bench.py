"""`bench`: the report's shape and reconciliation, never its speed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.core.config import HarnessConfig
from appconnect.core.runs.bench import DEFAULT_LIFECYCLE, run_bench
from appconnect.core.runs.bench_report import Stats
from appconnect.core.runs.scenarios import load_scenario

Run = Callable[..., Result]
STEP_KEYS = {"count", "errors", "p50_ms", "p95_ms", "p99_ms", "max_ms"}


@pytest.mark.parametrize(
    ("transport", "concurrency"), [("inprocess", 1), ("inprocess", 2), ("loopback", 2)]
)
def test_report_shape_and_clean_reconciliation(
    home: Path, transport: str, concurrency: int
) -> None:
    report = run_bench(
        HarnessConfig(),
        home=home,
        lifecycles=6,
        concurrency=concurrency,
        transport=transport,  # type: ignore[arg-type]
    ).as_dict()
    assert report["lifecycles"] == 6
    assert report["concurrency"] == concurrency
    assert report["lifecycles_per_s"] > 0
    assert (report["errors"], report["duplicates"], report["lost"]) == (0, 0, 0)
    assert list(report["steps"]) == ["log", "edit", "recording", "final-data"]
    for stats in report["steps"].values():
        assert set(stats) == STEP_KEYS
        assert stats["count"] == 6
        assert stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"] <= stats["max_ms"]
    assert report["interfaces"]["createCallLog"]["count"] == 6
    assert report["interfaces"]["updateCallLog"]["count"] == 18
    assert 0 < report["transport_share"] < 1
    assert not (home / "appconnect.db").exists()  # workers use in-memory stores


def test_a_scenario_as_the_lifecycle(home: Path) -> None:
    scenario = load_scenario("outbound-disposition")
    report = run_bench(HarnessConfig(), home=home, scenario=scenario, lifecycles=3)
    data = report.as_dict()
    assert data["errors"] == 0, data["first_error"]
    assert "disposition" in data["steps"]
    assert data["interfaces"]["upsertCallDisposition"]["count"] == 3


def test_failures_and_lost_updates_are_counted(home: Path) -> None:
    config = HarnessConfig.model_validate({"connector": {"name": "broken_connectors:NoLogId"}})
    report = run_bench(config, home=home, lifecycles=2)
    assert report.errors == 8  # the log fails, so each update fails too
    assert report.lost == 2
    assert report.first_error == "log: Error creating call log"


def test_stats_use_nearest_rank_percentiles() -> None:
    stats = Stats.of([i / 1000 for i in range(1, 101)])
    assert (stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.max_ms) == (50.0, 95.0, 99.0, 100.0)
    assert Stats.of([]).count == 0


def test_default_lifecycle_is_log_edit_recording_final() -> None:
    assert [s.kind for s in DEFAULT_LIFECYCLE.steps] == ["log", "edit", "recording", "final-data"]


def test_bench_command_json_report(run: Run) -> None:
    import json

    result = run("bench", "--lifecycles", "4", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in ("lifecycles_per_s", "steps", "interfaces", "errors", "duplicates", "lost"):
        assert key in report
    assert set(report["steps"]["log"]) == STEP_KEYS


def test_bench_chaos_run_reports_faults_and_stays_consistent(run: Run) -> None:
    result = run("bench", "--lifecycles", "30", "--faults", "0.2")
    assert result.exit_code == 0, result.output
    assert "faults injected; errors 0, duplicates 0, lost 0" in result.stderr


def test_bench_against_an_unconfigured_crm_is_refused(run: Run) -> None:
    result = run("bench", "--transport", "configured")
    assert result.exit_code == 2
    assert result.stderr == "Error: no CRM is configured: set crm.url (--transport configured)\n"
