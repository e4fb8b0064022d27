"""pytest plugin for connector authors (entry point `pytest11`: loaded wherever appconnect is
installed). Fixtures, none autouse:

- `appconnect_home`: a fresh APPCONNECT_HOME under tmp_path, with the working directory and
  environment isolated (no APPCONNECT_CONFIG/DEBUG/CONNECTOR, NO_COLOR=1, COLUMNS=80).
- `appconnect_config`: the HarnessConfig the other fixtures use: `./appconnect.toml` of the
  isolated working directory when a test writes one, else the defaults; `--appconnect-connector`
  picks the connector. Override this fixture to configure your own.
- `fixture_crm`: the home's fixture CRM in-process (`.state`, `.transport`, `.base_url`,
  `.api_key`, `.client()`), the same one the harness uses when no `crm.url` is set.
- `fixture_crm_server`: that fixture CRM served on 127.0.0.1 (port 0) for the test (`.url`).
- `harness`: an open EmbeddedTarget on the home; `harness.pipeline().calls` is the
  interface-call trace.
- `run_scenario`: run a scenario (bundled name, path, dict or Scenario) in the home; returns
  the ScenarioRun (its steps carry their interface calls).
- `call_logs`: `call_logs(session_id=None)` reads the home's callLogs rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from appconnect.connectors.contract import CallLogRecord
    from appconnect.core.config import HarnessConfig
    from appconnect.core.runs.runner import ScenarioRun
    from appconnect.core.runs.scenarios import Scenario
    from appconnect.core.targets.embedded import EmbeddedTarget
    from appconnect.fixtures.crm import CRMState

__all__ = ["FixtureCRMHandle", "FixtureCRMServer"]

_CLEARED_ENV = ("APPCONNECT_CONFIG", "APPCONNECT_DEBUG", "APPCONNECT_CONNECTOR")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("appconnect", "App Connect harness fixtures")
    group.addoption(
        "--appconnect-connector",
        default=None,
        metavar="NAME",
        help="Connector the appconnect fixtures run: fixture, a proxy *.json file, an installed "
        "plugin name or module:Class (default: the config's connector.name).",
    )


@dataclass(frozen=True)
class FixtureCRMHandle:
    """The fixture CRM of a test's home, in-process."""

    state: CRMState
    transport: httpx.BaseTransport
    base_url: str

    @property
    def api_key(self) -> str:
        return self.state.api_key

    def client(self) -> httpx.Client:
        """An httpx client on the CRM's API, authenticated as App Connect's getBasicAuth does."""
        import httpx

        from appconnect.fixtures.crm import basic_auth_header

        return httpx.Client(
            base_url=self.base_url,
            transport=self.transport,
            headers={"Authorization": basic_auth_header(self.api_key)},
        )

    def activities(self) -> list[dict[str, Any]]:
        return self.state.list_activities()


@dataclass(frozen=True)
class FixtureCRMServer:
    """The fixture CRM served on loopback for one test."""

    state: CRMState
    url: str

    @property
    def api_key(self) -> str:
        return self.state.api_key


@pytest.fixture
def appconnect_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("APPCONNECT_HOME", str(home))
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "80")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


@pytest.fixture
def appconnect_config(appconnect_home: Path, request: pytest.FixtureRequest) -> HarnessConfig:
    from appconnect.core.config import load_config

    config, _ = load_config(None)
    name = request.config.getoption("--appconnect-connector", default=None)
    if name:
        connector = config.connector.model_copy(update={"name": name})
        config = config.model_copy(update={"connector": connector})
    return config


@pytest.fixture
def fixture_crm(appconnect_home: Path) -> FixtureCRMHandle:
    import httpx

    from appconnect.core.home import fixture_crm_path
    from appconnect.core.targets.embedded import EMBEDDED_CRM_URL
    from appconnect.fixtures.crm import CRMState, FixtureCRM

    state = CRMState(fixture_crm_path(appconnect_home))
    return FixtureCRMHandle(state, httpx.WSGITransport(app=FixtureCRM(state)), EMBEDDED_CRM_URL)


@pytest.fixture
def fixture_crm_server(fixture_crm: FixtureCRMHandle) -> Iterator[FixtureCRMServer]:
    from appconnect.fixtures.crm import make_server

    server, port = make_server(fixture_crm.state, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, name="fixture-crm", daemon=True)
    thread.start()
    try:
        yield FixtureCRMServer(fixture_crm.state, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def harness(appconnect_home: Path, appconnect_config: HarnessConfig) -> Iterator[EmbeddedTarget]:
    from appconnect.core.targets.embedded import EmbeddedTarget

    with EmbeddedTarget(appconnect_config, appconnect_home) as opened:
        yield opened


@pytest.fixture
def run_scenario(
    appconnect_home: Path, appconnect_config: HarnessConfig
) -> Callable[..., ScenarioRun]:
    from appconnect.core.runs import runner as simulate
    from appconnect.core.runs.scenarios import Scenario, load_scenario

    def run(
        scenario: str | Path | Mapping[str, Any] | Scenario,
        *,
        config: HarnessConfig | None = None,
        connector: str | None = None,
        sandbox: bool = False,
    ) -> ScenarioRun:
        """Run in the test's home (not a sandbox, so `call_logs` and `fixture_crm` see it)."""
        if isinstance(scenario, Scenario):
            loaded = scenario
        elif isinstance(scenario, Mapping):
            loaded = Scenario.model_validate(scenario)
        else:
            loaded = load_scenario(str(scenario))
        chosen = config or appconnect_config
        if connector is not None:
            update = {"connector": chosen.connector.model_copy(update={"name": connector})}
            chosen = chosen.model_copy(update=update)
        return simulate.run_scenario(chosen, loaded, home=appconnect_home, sandbox=sandbox)

    return run


@pytest.fixture
def call_logs(appconnect_home: Path) -> Callable[..., list[CallLogRecord]]:
    from appconnect.core.home import db_path
    from appconnect.core.store.db import Store

    def read(session_id: str | None = None) -> list[CallLogRecord]:
        path = db_path(appconnect_home)
        if not path.exists():
            return []
        store = Store.open(path)
        try:
            return list(store.iter_call_logs(session_id))
        finally:
            store.close()

    return read
