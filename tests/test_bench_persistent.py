"""`bench --home-persistent`: lifecycles against a real home on disk (issue 16); the report's
shape and reconciliation, never its speed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from appconnect.cli import app
from appconnect.core.config import HarnessConfig
from appconnect.core.runs.bench import run_bench


@pytest.mark.parametrize("concurrency", [1, 2])
def test_persistent_home_shape_and_clean_reconciliation(home: Path, concurrency: int) -> None:
    report = run_bench(
        HarnessConfig(), home=home, lifecycles=12, concurrency=concurrency, persistent=True
    ).as_dict()
    assert report["persistent"] is True
    assert (report["errors"], report["duplicates"], report["lost"]) == (0, 0, 0)
    assert list(report["growth"]) == ["log", "edit", "recording", "final-data"]
    for growth in report["growth"].values():
        assert set(growth) == {"first10_p50_ms", "last10_p50_ms"}
        assert growth["first10_p50_ms"] > 0 and growth["last10_p50_ms"] > 0
    # The bench's home was made inside this one and removed; the user's home is untouched.
    assert [p.name for p in home.iterdir()] == []


def test_cli_flag_and_its_one_line_refusal(home: Path) -> None:
    env = {"APPCONNECT_HOME": str(home)}
    result = CliRunner().invoke(app, ["bench", "-n", "3", "--home-persistent", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["persistent"] is True
    refused = CliRunner().invoke(
        app, ["bench", "-n", "3", "--home-persistent", "--transport", "loopback"], env=env
    )
    assert refused.exit_code == 2
    assert refused.stderr.startswith("Error: --home-persistent runs with --transport inprocess")


def test_transport_serve_drives_appconnect_serve_over_http(home: Path) -> None:
    report = run_bench(
        HarnessConfig(), home=home, lifecycles=8, concurrency=2, transport="serve"
    ).as_dict()
    assert (report["transport"], report["persistent"]) == ("serve", True)
    assert (report["errors"], report["duplicates"], report["lost"]) == (0, 0, 0)
    assert list(report["steps"]) == ["log", "edit", "recording", "final-data"]
    assert all(stats["count"] == 8 for stats in report["steps"].values())
    assert set(report["growth"]) == set(report["steps"])
    assert [p.name for p in home.iterdir()] == []  # the served home was removed
