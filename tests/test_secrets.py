"""Secrets are never printed: not the fixture CRM's seeded key, not a key from the config file
or from the environment, not HASH_KEY; not on stdout, stderr, in traces, reports or reprs.

Also the config-permission warning (`config_warnings`) and `identity.hash_key_env`.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from appconnect.cli import app
from appconnect.core.config import load_config, parse_config
from appconnect.core.config_secrets import config_warnings, file_secrets
from appconnect.core.errors import ConfigError
from appconnect.core.home import FIXTURE_CRM_NAME
from appconnect.core.runs.scenarios import bundled_scenarios
from appconnect.fixtures.crm import CRMState

Run = Callable[..., Result]
CONFIG_KEY = "fxk_CONFIG-SECRET-7c1e5a9d3b2f"
ENV_KEY = "fxk_ENV-SECRET-4e8a2c6b0d1f"
HASH_KEY = "HASH-SECRET-93b1d7f5a2c4"
KEY_ENV = "APPCONNECT_TEST_CRM_KEY"
HASH_ENV = "APPCONNECT_TEST_HASH_KEY"
COMPOSE_PARAMS = {"note": "hi", "callLog": {"sessionId": "1", "startTime": "2024-01-15T18:30:00Z"}}


def leaks(secret: str) -> list[str]:
    """The secret as it could escape: as is, and inside a Basic auth header."""
    return [
        secret,
        base64.b64encode(f"{secret}:".encode()).decode(),
        base64.b64encode(secret.encode()).decode(),
    ]


def assert_hidden(secrets: list[str], outputs: list[tuple[str, str]]) -> None:
    for label, text in outputs:
        for secret in secrets:
            for form in leaks(secret):
                assert form not in text, f"{label} shows a secret"


def set_crm_key(home: Path, key: str) -> None:
    """Make the home's fixture CRM accept `key`, as a real CRM accepts its user's key."""
    CRMState(home / FIXTURE_CRM_NAME)  # created and seeded
    with sqlite3.connect(home / FIXTURE_CRM_NAME) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'apiKey'", (key,))


def invoke(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, catch_exceptions=False)


def command_outputs(prefix: tuple[str, ...], tmp_path: Path) -> list[tuple[str, str]]:
    """Run the representative commands; (label, everything each one printed or wrote)."""
    junit = tmp_path / "smoke.xml"
    commands: list[tuple[str, ...]] = [
        ("log-call", "--show-body"),
        ("log-call", "outbound-recorded", "--json"),
        ("edit-log", "4001000101", "--note", "Quote sent", "--show-body"),
        ("edit-log", "4001000101", "--subject", "Renewal", "--json"),
        ("simulate-recording", "4001000101", "--json"),
        ("logs",),
        ("logs", "--json"),
        ("check-interfaces",),
        ("check-interfaces", "--json"),
        ("fixture-crm", "activities"),
        ("fixture-crm", "activities", "--json"),
        ("smoke", "--json"),
        ("smoke", "--junit", str(junit)),
        ("log-call", "no-such-fixture"),
        ("edit-log", "999", "--note", "x"),
    ]
    for name in bundled_scenarios():
        commands += [("simulate", name, "--trace"), ("simulate", name, "--json")]
        commands += [("simulate", "--keep", name, "--trace")]
    outputs = []
    for command in commands:
        result = invoke(*prefix, *command)
        outputs.append((" ".join(command), result.stdout + result.stderr))
    compose = invoke(*prefix, "compose", stdin=json.dumps(COMPOSE_PARAMS))
    outputs.append(("compose", compose.stdout + compose.stderr))
    if junit.exists():
        outputs.append(("JUnit report", junit.read_text(encoding="utf-8")))
    return outputs


@pytest.fixture
def seeded_key(home: Path) -> str:
    assert invoke("log-call", "missed").exit_code == 0
    return CRMState(home / FIXTURE_CRM_NAME).api_key


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(KEY_ENV, ENV_KEY)
    monkeypatch.setenv(HASH_ENV, HASH_KEY)
    yield


def test_seeded_key_is_never_shown(seeded_key: str, tmp_path: Path) -> None:
    outputs = command_outputs((), tmp_path)
    traces = [text for label, text in outputs if label.endswith("--trace")]
    assert any('"accessToken": "***"' in text for text in traces)  # rendered, redacted
    assert any(label == "JUnit report" for label, _ in outputs)
    assert_hidden([seeded_key], outputs)


def test_config_file_key_is_never_shown(seeded_key: str, home: Path, tmp_path: Path) -> None:
    set_crm_key(home, CONFIG_KEY)
    config = tmp_path / "appconnect.toml"
    config.write_text(
        f'[crm]\napi_key = "{CONFIG_KEY}"\n[identity]\nrc_extension_id = "62264425001"\n'
        f'hash_key = "{HASH_KEY}"\n'
    )
    outputs = command_outputs(("--config", str(config)), tmp_path)
    assert "Call logged" in outputs[0][1]  # the config key really was the one in use
    assert_hidden([CONFIG_KEY, HASH_KEY, seeded_key], outputs)


def test_env_key_is_never_shown(seeded_key: str, home: Path, tmp_path: Path, env: None) -> None:
    set_crm_key(home, ENV_KEY)
    config = tmp_path / "appconnect.toml"
    config.write_text(
        f'[crm]\napi_key_env = "{KEY_ENV}"\n[identity]\nrc_extension_id = "62264425001"\n'
        f'hash_key_env = "{HASH_ENV}"\n'
    )
    outputs = command_outputs(("--config", str(config)), tmp_path)
    assert "Call logged" in outputs[0][1]
    assert_hidden([ENV_KEY, HASH_KEY, seeded_key], outputs)


def test_a_rejected_key_is_not_echoed(seeded_key: str, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text(f'[crm]\napi_key = "{CONFIG_KEY}"\n')
    config.chmod(0o600)
    result = invoke("--config", str(config), "log-call")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot connect the CRM user")
    assert_hidden([CONFIG_KEY, seeded_key], [("log-call", result.stdout + result.stderr)])


def test_debug_tracebacks_hold_no_secret(seeded_key: str, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text(f'[crm]\napi_key = "{CONFIG_KEY}"\n[identity]\nhash_key = "{HASH_KEY}"\n')
    outputs = []
    for command in (("log-call",), ("log-call", "nope"), ("edit-log", "999", "--note", "x")):
        result = CliRunner().invoke(app, ["--debug", "--config", str(config), *command])
        assert result.exception is not None
        shown = "".join(traceback.format_exception(result.exception))
        outputs.append((" ".join(command), shown + result.stdout + result.stderr))
    assert_hidden([CONFIG_KEY, HASH_KEY, seeded_key], outputs)


def test_config_reprs_hold_no_secret(tmp_path: Path, env: None) -> None:
    config_file = tmp_path / "appconnect.toml"
    config_file.write_text(
        f'[crm]\napi_key = "{CONFIG_KEY}"\n[identity]\nhash_key_env = "{HASH_ENV}"\n'
    )
    config, _ = load_config(config_file)
    assert config.crm.resolved_api_key() == CONFIG_KEY
    assert config.identity.hash_key == HASH_KEY
    for text in (repr(config), str(config), repr(config.crm), repr(config.identity)):
        assert CONFIG_KEY not in text and HASH_KEY not in text


# --- identity.hash_key_env ------------------------------------------------------------------


def test_hash_key_from_env_hashes_like_the_file_key(env: None) -> None:
    from appconnect.core.flows.identity import resolve_identity

    from_env = parse_config({"identity": {"hash_key_env": HASH_ENV, "rc_extension_id": "7"}}, "t")
    in_file = parse_config({"identity": {"hash_key": HASH_KEY, "rc_extension_id": "7"}}, "t")
    assert resolve_identity(from_env.identity) == resolve_identity(in_file.identity)
    assert resolve_identity(from_env.identity).hashed_extension_id


def test_hash_key_env_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HASH_ENV, raising=False)
    with pytest.raises(ConfigError) as unset:
        parse_config({"identity": {"hash_key_env": HASH_ENV}}, "t")
    assert str(unset.value) == f"environment variable {HASH_ENV} is not set (identity.hash_key_env)"
    with pytest.raises(ConfigError) as both:
        parse_config({"identity": {"hash_key_env": HASH_ENV, "hash_key": "k"}}, "t")
    assert "not both" in str(both.value)


# --- the config-permission warning ----------------------------------------------------------


def _config_with(tmp_path: Path, text: str, mode: int) -> tuple[Path, list[str]]:
    path = tmp_path / "appconnect.toml"
    path.write_text(text)
    path.chmod(mode)
    config, _ = load_config(path)
    return path, config_warnings(path, config)


@pytest.mark.skipif(os.name == "nt", reason="POSIX mode bits")
def test_a_secret_in_a_readable_file_is_warned_about(tmp_path: Path) -> None:
    path, warnings = _config_with(tmp_path, f'[crm]\napi_key = "{CONFIG_KEY}"\n', 0o644)
    assert warnings == [
        f"appconnect.toml holds a secret (crm.api_key) and is readable by group and others "
        f"(chmod 600 {path}, or use crm.api_key_env)"
    ]
    assert CONFIG_KEY not in warnings[0]
    _, warnings = _config_with(tmp_path, f'[identity]\nhash_key = "{HASH_KEY}"\n', 0o640)
    assert warnings[0].startswith(
        "appconnect.toml holds a secret (identity.hash_key) and is readable by group ("
    )


@pytest.mark.skipif(os.name == "nt", reason="POSIX mode bits")
@pytest.mark.parametrize(
    ("text", "mode"),
    [
        (f'[crm]\napi_key = "{CONFIG_KEY}"\n', 0o600),  # private
        (f'[crm]\napi_key = "{CONFIG_KEY}"\n', 0o400),
        (f'[crm]\napi_key_env = "{KEY_ENV}"\n', 0o644),  # the secret is not in the file
        (f'[identity]\nhash_key_env = "{HASH_ENV}"\n', 0o644),
        ("[crm]\ntimeout = 5\n", 0o666),  # nothing secret at all
    ],
    ids=["private", "read-only", "api-key-env", "hash-key-env", "no-secret"],
)
def test_no_warning(text: str, mode: int, tmp_path: Path, env: None) -> None:
    assert _config_with(tmp_path, text, mode)[1] == []


def test_file_secrets_names_only_what_is_in_the_file(env: None) -> None:
    both = parse_config({"crm": {"api_key": "k"}, "identity": {"hash_key": "h"}}, "t")
    assert file_secrets(both) == ["crm.api_key", "identity.hash_key"]
    from_env = parse_config({"identity": {"hash_key_env": HASH_ENV}}, "t")
    assert file_secrets(from_env) == []


# --- URLs: userinfo and secret-looking parameters never printed (issue 15, item 13) ---------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "http://admin:hunter2@127.0.0.1:9/v1?token=abc123&x=1",
            "http://***@127.0.0.1:9/v1?token=***&x=1",
        ),
        ("https://TOKEN@crm.example.com/api", "https://***@crm.example.com/api"),
        ("https://crm.example.com/a?api_key=k1&apiKey=k2&page=2", None),
        (
            "https://crm.example.com/cb#access_token=t1&state=s",
            "https://crm.example.com/cb#access_token=***&state=s",
        ),
        ("http://u:p@h:99999999/a?client_secret=s", "http://***@h:99999999/a?client_secret=***"),
        ("http://[::1]:8080/a?b=c", "http://[::1]:8080/a?b=c"),
        (
            "https://crm.example.com/v1/activities?page=2",
            "https://crm.example.com/v1/activities?page=2",
        ),
    ],
)
def test_redact_url(url: str, shown: str | None) -> None:
    from appconnect.core.redaction import REDACTED, redact_url, redact_urls

    redacted = redact_url(url)
    if shown is None:
        assert "k1" not in redacted and "k2" not in redacted and "page=2" in redacted
    else:
        assert redacted == shown
    assert redact_urls(f"Error: failed ({url})") == f"Error: failed ({redacted})"
    assert (REDACTED in redacted) == (redacted != url)


def test_crm_url_credentials_are_not_echoed_in_errors(run: Run, tmp_path: Path) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text('[crm]\nurl = "http://admin:hunter2@127.0.0.1:9/v1?token=abc123"\n')
    config.chmod(0o600)
    result = run("--config", str(config), "log-call")
    assert result.exit_code != 0
    assert "hunter2" not in result.output and "abc123" not in result.output
    assert "http://***@127.0.0.1:9/v1?token=***" in result.stderr


@pytest.mark.skipif(os.name == "nt", reason="POSIX mode bits")
def test_a_url_with_credentials_in_a_readable_config_is_warned_about(tmp_path: Path) -> None:
    text = '[crm]\nurl = "https://u:pw@crm.example.com"\napi_key = "k"\n'
    path, warnings = _config_with(tmp_path, text, 0o644)
    assert warnings == [
        "appconnect.toml holds a secret (crm.url, crm.api_key) and is readable by group and "
        f"others (chmod 600 {path}, or use crm.api_key_env / a URL without credentials)"
    ]
    assert "pw" not in warnings[0]
    assert _config_with(tmp_path, '[crm]\nurl = "https://crm.example.com/v1"\n', 0o644)[1] == []


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://u:p@crm.example.com", True),
        ("https://TOKEN@crm.example.com", True),
        ("https://crm.example.com/?token=x", True),
        ("https://crm.example.com/cb#access_token=x", True),
        ("https://crm.example.com/?token=", False),  # nothing to hide
        ("https://crm.example.com/a/p@x?page=2", False),  # '@' in the path is not userinfo
        ("https://crm.example.com?", False),
        (None, False),
    ],
)
def test_url_has_secret(url: str | None, secret: bool) -> None:
    from appconnect.core.redaction import url_has_secret

    assert url_has_secret(url) is secret
