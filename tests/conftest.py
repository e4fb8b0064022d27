"""Every test gets its own harness home and working directory, no colours, 80 columns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from appconnect.cli import app


@pytest.fixture(autouse=True)
def isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("APPCONNECT_HOME", str(home))
    monkeypatch.delenv("APPCONNECT_CONFIG", raising=False)
    monkeypatch.delenv("APPCONNECT_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture
def home(isolation: Path) -> Path:
    return isolation


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the CLI in-process; exceptions propagate so a crash is never mistaken for output."""
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke
