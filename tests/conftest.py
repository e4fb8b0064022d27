"""Every test gets its own harness home and working directory, no colours, 80 columns.

The isolation is the pytest plugin's `appconnect_home` (appconnect/pytest_plugin.py, loaded
through its `pytest11` entry point because this package is installed): our own tests use the
plugin connector authors use, which is what keeps it working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from appconnect.cli import app
from tests.pg_server import PostgresServer, PostgresUnavailable, services_required

# pytest's own plugin, for the test that runs a third-party suite against our plugin.
pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def isolation(appconnect_home: Path) -> Path:
    return appconnect_home


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


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (tests/pg_server.py); a skip with the reason
    when it cannot start, a failure when CI requires it."""
    server: PostgresServer | None = None
    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as exc:
        if server is not None:
            server.stop()  # a half-started server's processes and temp dir
        if services_required():
            pytest.fail(f"PostgreSQL is required here but did not start: {exc}")
        pytest.skip(f"PostgreSQL cannot be started here: {exc}")
    try:
        yield server
    finally:
        server.stop()
