"""The benchmark client (benchmarks/drive_server.py): the shape of its report, from a real
run against our core served in-process (the figures themselves are never asserted)."""

from __future__ import annotations

from pathlib import Path

import httpx

from appconnect.core.config import parse_config
from appconnect.core.serve.app import CoreServer
from appconnect.core.targets.embedded import EmbeddedTarget
from benchmarks.drive_server import ROUTES, Target, drive, format_report


def test_report_shape_and_counts(home: Path) -> None:
    harness = EmbeddedTarget(parse_config({}, "t"), home)
    try:
        app = CoreServer(harness, "drive-secret")
        target = Target("http://core", "fixture", harness.crm_state.api_key, "ct-1",
                        transport=httpx.WSGITransport(app=app))
        result = drive(target, sessions=20, clients=2, patches=3)
        assert len(harness.crm_state.list_activities()) == 20  # every POST created a record
    finally:
        harness.close()
    assert result["failures"] == 0
    assert (result["sessions"], result["clients"], result["patches"]) == (20, 2, 3)
    assert result["lifecycles_per_s"] > 0
    assert list(result["routes"]) == list(ROUTES)
    counts = {route: r["count"] for route, r in result["routes"].items()}
    assert counts == {"POST /callLog": 20, "PATCH /callLog": 60, "GET /callLog": 20}
    for r in result["routes"].values():
        assert set(r) == {"count", "p50_ms", "p95_ms", "p99_ms", "requests_per_s",
                          "first10_p50_ms", "last10_p50_ms"}
        assert 0 < r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"]
    text = format_report(result, "ours")
    assert text.splitlines()[0].startswith("ours clients=2 sessions=20")
    assert len(text.splitlines()) == 2 + len(ROUTES)


def test_a_refused_login_is_one_error_line(home: Path) -> None:
    harness = EmbeddedTarget(parse_config({}, "t"), home)
    try:
        target = Target("http://core", "fixture", "wrong-key", "ct-1",
                        transport=httpx.WSGITransport(app=CoreServer(harness, "s")))
        try:
            drive(target, sessions=1, clients=1)
        except SystemExit as exc:
            assert str(exc).startswith("Error: POST /apiKeyLogin answered 400")
            assert "wrong-key" not in str(exc)
        else:
            raise AssertionError("a refused login must stop the run")
    finally:
        harness.close()
