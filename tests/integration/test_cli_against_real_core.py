"""Our CLI with `--target server` against the real @app-connect/core: smoke, scenarios and
check-interfaces, exactly as a connector developer runs them against their Node server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.core.home import fixture_crm_path
from tests.integration.core_pair import loopback_crm
from tests.node_core import NodeCoreServer

pytestmark = pytest.mark.node
Run = Callable[..., Result]

SCENARIOS = [
    "answered-inbound",
    "auto-log-skip",
    "crm-user-edits",
    "extension-number-call",
    "missed-call",
    "outbound-disposition",
    "voicemail",
]


@pytest.fixture
def real_server(node_modules: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """The fixture CRM served from a harness home, the real core in front of it, and our
    config pointing at them: (the home, the config file)."""
    home = tmp_path / "home"
    home.mkdir()
    with loopback_crm(fixture_crm_path(home)) as crm:
        work = tmp_path / "node"
        work.mkdir()
        with NodeCoreServer(node_modules, crm.url, work) as server:
            config = tmp_path / "appconnect.toml"
            config.write_text(
                f'[server]\nurl = "{server.url}"\nplatform = "fixture"\n'
                f'api_key = "{crm.state.api_key}"\ndatabase = "{server.db_path}"\n'
            )
            config.chmod(0o600)
            yield home, config


def _run(run: Run, home: Path, config: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = run("--config", str(config), "--home", str(home), "--target", "server", *args)
    return result.exit_code, json.loads(result.stdout)


def test_smoke_passes_against_the_real_core(run: Run, real_server: tuple[Path, Path]) -> None:
    home, config = real_server
    code, report = _run(run, home, config, "smoke", "--json")
    assert code == 0, json.dumps(report, indent=1)
    assert report["counts"] == {"pass": 7, "fail": 0, "skip": 1}
    # A server target reads CRM logs only through the server: no CRM user's edit from here.
    skipped = {c["id"]: c["reason"] for c in report["checks"] if c["status"] == "skip"}
    assert skipped == {"user-edit": "the server cannot edit a log as a CRM user would"}


@pytest.mark.parametrize("name", SCENARIOS)
def test_bundled_scenarios_pass_against_the_real_core(
    run: Run, real_server: tuple[Path, Path], name: str
) -> None:
    home, config = real_server
    code, report = _run(run, home, config, "simulate", name, "--json")
    assert code == 0, json.dumps(report, indent=1)


def test_check_interfaces_against_the_real_core(run: Run, real_server: tuple[Path, Path]) -> None:
    home, config = real_server
    assert run("--config", str(config), "--home", str(home), "--target", "server",
               "log-call").exit_code == 0  # fmt: skip
    code, report = _run(run, home, config, "check-interfaces", "--json")
    assert code == 0, report
    assert report["reconciliation"] == {"ok": True, "checked": 1, "problems": []}
    implemented = report["implementedInterfaces"]
    assert isinstance(implemented, dict) and implemented["createCallLog"] is True
    # The CRM log disappears: the server's row is orphaned.
    from appconnect.fixtures.crm import CRMState

    CRMState(fixture_crm_path(home)).delete_activity("act-1")
    code, report = _run(run, home, config, "check-interfaces", "--json")
    assert code == 1
    problems = report["reconciliation"]["problems"]  # type: ignore[index]
    # The real core answers the detailed lookup without a match when getCallLog fails.
    assert problems == [
        {
            "code": "orphaned-row",
            "sessionId": "4001000101",
            "thirdPartyLogId": "act-1",
            "message": "CRM log act-1 could not be fetched",
        }
    ]
