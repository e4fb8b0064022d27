"""Fixtures of the foreign-connector suite: mock CRMs served on loopback, configs that point
the harness at them, and a `smoke` helper that runs the CLI and returns its JSON report."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from .insightly_crm import API_KEY, InsightlyCRM
from .mockhttp import serving
from .pipedrive_crm import CLIENT_ID, CLIENT_SECRET, PipedriveCRM

Run = Callable[..., Result]
HERE = Path(__file__).parent
INSIGHTLY_PROXY = HERE / "insightly.proxy.json"


class Served:
    """A mock CRM app and the URL it is served on."""

    def __init__(self, app: Any, url: str) -> None:
        self.app, self.url = app, url


@pytest.fixture
def pipedrive(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """The Pipedrive mock, with tokens issued out of band (as a developer copies them from
    Pipedrive's sandbox) in the environment, and the OAuth client App Connect would have."""
    app = PipedriveCRM()
    tokens = app.state.issue_tokens()
    monkeypatch.setenv("PD_ACCESS_TOKEN", tokens["access_token"])
    monkeypatch.setenv("PD_REFRESH_TOKEN", tokens["refresh_token"])
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", CLIENT_SECRET)
    with serving(app) as url:
        yield Served(app, url)


def pipedrive_config(
    served: Served, connector: str = "PipedriveConnector", *, expiry: str | None = None
) -> Path:
    """appconnect.toml in the cwd (the test's own): the connector by `module:Class`."""
    expiry = expiry or (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    path = Path("appconnect.toml")
    path.write_text(
        "[connector]\n"
        f'name = "foreign.pipedrive_connector:{connector}"\n'
        "[crm]\n"
        f'url = "{served.url}"\n'
        'oauth_access_token_env = "PD_ACCESS_TOKEN"\n'
        'oauth_refresh_token_env = "PD_REFRESH_TOKEN"\n'
        f'oauth_token_expiry = "{expiry}"\n'
    )
    return path


@pytest.fixture
def insightly(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("INSIGHTLY_API_KEY", API_KEY)
    app = InsightlyCRM()
    with serving(app) as url:
        yield Served(app, url)


def insightly_config(served: Served, proxy: Path = INSIGHTLY_PROXY) -> Path:
    path = Path("appconnect.toml")
    path.write_text(
        "[connector]\n"
        f'name = "{proxy}"\n'
        "[crm]\n"
        f'url = "{served.url}"\n'
        'api_key_env = "INSIGHTLY_API_KEY"\n'
    )
    return path


def smoke(run: Run, *target: str) -> dict[str, Any]:
    """`appconnect [target] smoke --json`: the report (always printed, pass or fail)."""
    result = run(*target, "smoke", "--json")
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    report["exitCode"] = result.exit_code
    return report


def rows(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """check id -> (status, reason)."""
    return {c["id"]: (c["status"], c["reason"]) for c in report["checks"]}


def failed(report: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["reason"] for c in report["checks"] if c["status"] == "fail"}


SCENARIOS = sorted(
    p.stem for p in (HERE.parents[1] / "fixtures" / "scenarios").iterdir()
    if p.suffix in (".json", ".toml")
)  # fmt: skip


def scenarios_green_or_skipped(run: Run, *target: str) -> None:
    """Every bundled scenario passes, or is skipped with a reason that names a capability."""
    outcomes = {}
    for name in SCENARIOS:
        result = run(*target, "simulate", name, "--json")
        try:
            report = json.loads(result.stdout)
        except ValueError:  # no report at all: record what was said instead
            outcomes[name] = (result.exit_code, [result.stderr.strip()], 0)
            continue
        bad = [s for s in report["steps"] if s["status"] == "fail"]
        silent = [s for s in report["steps"] if s["status"] == "skip" and not s.get("message")]
        outcomes[name] = (result.exit_code, [s.get("message") or s["failures"] for s in bad],
                          len(silent))  # fmt: skip
    assert {n: o for n, o in outcomes.items() if o != (0, [], 0)} == {}


def assert_breakage(report: dict[str, Any], row: str, *words: str) -> None:
    """`row` failed, its reason names the cause (every one of `words`, case-insensitive), no
    reason is empty or a success message, and the rows before it that need nothing broken
    passed."""
    reasons = failed(report)
    assert row in reasons, rows(report)
    for word in words:
        assert word.lower() in reasons[row].lower(), (row, reasons[row])
    for reason in reasons.values():
        assert reason.strip(), reasons
        assert not reason.rstrip().endswith(("Call logged", "Call logged.")), reasons
        assert "no longer exists" not in reason and "does not exist" not in reason, reasons
    assert report["exitCode"] == 1
    assert rows(report)["connect"][0] == "pass"
