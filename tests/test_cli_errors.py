"""Bad input: one `Error:` line, exit 2, and neither the store nor the CRM changes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect import __version__
from tests.state_snapshot import home_snapshot

Run = Callable[..., Result]


def snapshot(home: Path) -> dict[str, str]:
    """Content fingerprints of every state file, to prove a failed command wrote nothing."""
    return home_snapshot(home)


@pytest.fixture
def logged(run: Run, home: Path) -> dict[str, str]:
    assert run("log-call").exit_code == 0
    return snapshot(home)


def test_missing_fixture(run: Run, home: Path, logged: dict[str, str]) -> None:
    result = run("log-call", "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: no such call fixture file or bundled fixture; bundled: inbound-answered, "
        "missed, outbound-recorded (nope)\n"
    )
    assert snapshot(home) == logged


def test_invalid_json_fixture(run: Run, home: Path, logged: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"logInfo": ')
    result = run("log-call", str(bad))
    assert result.exit_code == 2
    assert result.stderr == f"Error: invalid JSON: Expecting value at line 1 ({bad})\n"
    assert snapshot(home) == logged


def test_fixture_missing_a_required_field(
    run: Run, home: Path, logged: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"logInfo": {"id": "1", "sessionId": "2", "direction": "Sideways"}}))
    result = run("log-call", str(bad))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid call fixture: 'logInfo.direction': ")
    assert result.stderr.endswith(f"({bad})\n")
    assert snapshot(home) == logged


def test_unknown_session(run: Run, home: Path, logged: dict[str, str]) -> None:
    for command in (("edit-log", "999", "--note", "x"), ("simulate-recording", "999")):
        result = run(*command)
        assert result.exit_code == 2
        assert result.stderr == "Error: no call log for session 999 (callLogs)\n"
    assert snapshot(home) == logged


def test_edit_with_nothing_to_edit(run: Run, home: Path, logged: dict[str, str]) -> None:
    result = run("edit-log", "4001000101")
    assert result.exit_code == 2
    assert result.stderr == "Error: nothing to edit: give --subject and/or --note (4001000101)\n"
    assert snapshot(home) == logged


def test_unknown_config_key(run: Run, home: Path, logged: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('[crm]\nurll = "http://127.0.0.1:1"\n')
    result = run("--config", str(config), "log-call")
    assert result.exit_code == 2
    assert result.stderr == f"Error: unknown key 'crm.urll' ({config})\n"
    assert snapshot(home) == logged


def test_wrong_config_type(run: Run, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('[crm]\ntimeout = "soon"\n')
    result = run("--config", str(config), "logs")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: 'crm.timeout': Input should be a valid number, unable to parse string as a "
        f"number ({config})\n"
    )


def test_invalid_toml_and_missing_config(run: Run, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text("[crm\n")
    result = run("--config", str(config), "logs")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: invalid TOML: ")
    missing = run("--config", str(tmp_path / "absent.toml"), "logs")
    assert missing.exit_code == 2
    assert missing.stderr == f"Error: config file not found ({tmp_path / 'absent.toml'})\n"


def test_config_found_in_env_and_cwd(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("appconnect.toml").write_text("bogus = 1\n")
    assert run("logs").stderr == f"Error: unknown key 'bogus' ({Path.cwd() / 'appconnect.toml'})\n"
    other = tmp_path / "other.toml"
    other.write_text("wrong = 1\n")
    monkeypatch.setenv("APPCONNECT_CONFIG", str(other))
    assert run("logs").stderr == f"Error: unknown key 'wrong' ({other})\n"


def test_unknown_activity_in_fixture_crm(run: Run, home: Path, logged: dict[str, str]) -> None:
    result = run("fixture-crm", "delete-activity", "act-42")
    assert result.exit_code == 2
    assert result.stderr == "Error: activity act-42 not found (fixture CRM)\n"
    assert snapshot(home) == logged


def test_crm_down_is_one_line(run: Run, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    config.write_text('[crm]\nurl = "http://127.0.0.1:9"\napi_key = "k"\n')
    config.chmod(0o600)  # it holds a key: otherwise a warning comes first
    result = run("--config", str(config), "log-call")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: cannot connect the CRM user: GET /v1/me: ConnectError (http://127.0.0.1:9)\n"
    )


def test_debug_shows_the_traceback(run: Run) -> None:
    from appconnect.core.errors import FixtureError

    with pytest.raises(FixtureError):
        run("--debug", "log-call", "nope")


def test_version_and_python_m() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "appconnect", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stdout == f"appconnect {__version__}\n"


def test_every_command_has_help(run: Run) -> None:
    from appconnect.cli import app

    names = [c.name for c in app.registered_commands] + ["fixture-crm"]
    assert {"log-call", "edit-log", "simulate-recording", "logs", "check-interfaces"} <= set(names)
    for name in names:
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage:" in result.stdout
    for sub in ("serve", "activities", "edit-activity", "delete-activity"):
        assert run("fixture-crm", sub, "--help").exit_code == 0


def test_a_config_holding_a_secret_readable_by_others_is_warned_about(
    run: Run, tmp_path: Path
) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('[crm]\napi_key = "k"\n')
    config.chmod(0o644)
    result = run("--config", str(config), "logs")
    assert result.stderr.startswith(
        "Warning: appconnect.toml holds a secret (crm.api_key) and is readable by group and "
        f"others (chmod 600 {config}, or use crm.api_key_env)\n"
    )
    config.chmod(0o600)
    assert "Warning" not in run("--config", str(config), "logs").stderr
