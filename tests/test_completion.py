"""Shell completion: Typer's --show-completion / --install-completion, and the names the
commands take completed through Click's completion protocol (what bash's script sends)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from appconnect.cli import app

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted(p.stem for p in (ROOT / "fixtures" / "scenarios").iterdir()
                   if p.suffix in (".json", ".toml"))  # fmt: skip
CALLS = sorted(p.stem for p in (ROOT / "fixtures" / "calls").glob("*.json"))


def complete(line: str) -> list[str]:
    """What bash completion offers for the last word of `line` (`appconnect ...`)."""
    words = line.split(" ")
    env = {
        "_APPCONNECT_COMPLETE": "complete_bash",
        "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1),
    }
    result = CliRunner().invoke(app, [], env=env, prog_name="appconnect", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def test_bundled_scenario_names_complete() -> None:
    assert len(SCENARIOS) >= 5
    assert complete("appconnect simulate ") == SCENARIOS
    assert complete("appconnect simulate answ") == ["answered-inbound"]
    assert complete("appconnect scenario show mi") == ["missed-call"]
    assert complete("appconnect bench out") == ["outbound-disposition"]


def test_call_fixture_names_complete() -> None:
    assert CALLS == ["inbound-answered", "missed", "outbound-recorded"]
    assert complete("appconnect log-call ") == CALLS
    assert complete("appconnect log-call ou") == ["outbound-recorded"]
    assert complete("appconnect call-fixtures m") == ["missed"]


def test_connector_names_complete_with_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    # An installed distribution registering a connector (its metadata on sys.path).
    site = Path("site")
    dist = site / "acme_connector-1.2.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-connector\nVersion: 1.2\n")
    (dist / "entry_points.txt").write_text(
        "[appconnect.connectors]\nacme-crm = acme_connector.connector:AcmeCrmConnector\n"
    )
    monkeypatch.syspath_prepend(str(site.resolve()))
    assert complete("appconnect --connector ") == ["fixture", "fixture-proxy", "acme-crm", "site/"]
    assert complete("appconnect --connector fixture-") == ["fixture-proxy"]
    assert complete("appconnect smoke --connector ac") == ["acme-crm"]


def test_connector_new_kinds_complete() -> None:
    assert complete("appconnect connector new acme --kind ") == ["python", "proxy", "node"]
    assert complete("appconnect connector new acme --kind p") == ["python", "proxy"]


def test_paths_complete_beside_names() -> None:
    Path("scenarios").mkdir()
    Path("scenarios/first-call.json").write_text("{}")
    Path("scenarios/notes.txt").write_text("")
    Path("my-crm.proxy.json").write_text("{}")
    assert complete("appconnect simulate scen") == ["scenarios/"]
    assert complete("appconnect simulate scenarios/") == ["scenarios/first-call.json"]
    assert complete("appconnect --connector my") == ["my-crm.proxy.json"]


def test_the_completion_script_and_the_install_option_are_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Typer detects the running shell; without detection the shell is named (as in CI logs).
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="appconnect")
    assert result.exit_code == 0
    assert "_APPCONNECT_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _appconnect_completion appconnect" in result.stdout
    help_text = CliRunner().invoke(app, ["--help"], prog_name="appconnect").stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text
