"""OAuth through the pipeline: App Connect's refresh window, rotation, and revoked sessions."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.core.checks.interfaces import CheckOptions
from appconnect.core.config import parse_config
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.flows.oauth import SessionExpired, fresh_user, needs_refresh
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.fixtures.crm import CRMState
from appconnect.fixtures.crm.oauth import OAuthServer

Run = Callable[..., Result]
SESSION = "4001000101"
OAUTH = {"connector": {"auth": "oauth"}}


def harness(home: Path) -> EmbeddedTarget:
    return EmbeddedTarget(parse_config(OAUTH, "t"), home)


def oauth_server(home: Path) -> OAuthServer:
    return OAuthServer(CRMState(home / "fixture-crm.json"))


def expire_soon(h: EmbeddedTarget, seconds: int = 60) -> None:
    """Make the stored expiry fall inside App Connect's two-minute refresh window."""
    user = h.store.latest_user("fixture")
    assert user is not None
    soon = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")
    h.store.save_tokens(
        user.id,
        access_token=user.accessToken,
        refresh_token=user.refreshToken or "",
        token_expiry=soon,
    )


def test_connects_with_oauth_and_logs(home: Path) -> None:
    with harness(home) as h:
        result = h.log_call(load_call_fixture("inbound-answered")).result
        user = h.store.latest_user("fixture")
        interfaces = h.check(CheckOptions()).implementedInterfaces
    assert result.successful
    assert user is not None and user.accessToken.startswith("fxa_")
    assert user.refreshToken and user.refreshToken.startswith("fxr_") and user.tokenExpiry
    assert interfaces["getOauthInfo"] is True and "getBasicAuth" not in interfaces


def test_refresh_inside_the_window_rotates_and_saves_the_tokens(home: Path) -> None:
    with harness(home) as h:
        h.log_call(load_call_fixture("inbound-answered"))
        before = h.store.latest_user("fixture")
    with harness(home) as h:
        expire_soon(h)
        result = h.edit_log(SESSION, subject="Refreshed", note=None)
        after = h.store.latest_user("fixture")
    assert result.successful
    assert before is not None and after is not None
    assert after.accessToken != before.accessToken
    assert after.refreshToken != before.refreshToken
    assert after.tokenExpiry is not None and not needs_refresh(after)
    assert CRMState(home / "fixture-crm.json").get_activity("act-1")["subject"] == "Refreshed"


def test_no_refresh_outside_the_window_or_without_an_expiry(home: Path) -> None:
    with harness(home) as h:
        h.pipeline()
        user = h.store.latest_user("fixture")
        assert user is not None
        assert not needs_refresh(user)  # an hour left
        assert not needs_refresh(replace(user, tokenExpiry=None))  # null never refreshes
        assert needs_refresh(
            user, now=datetime.now(UTC) + timedelta(minutes=59)
        )  # inside two minutes


def test_invalid_grant_is_app_connects_session_expired(run: Run, home: Path) -> None:
    config = home.parent / "appconnect.toml"
    config.write_text('[connector]\nauth = "oauth"\n')
    assert run("--config", str(config), "log-call").exit_code == 0
    with harness(home) as h:
        expire_soon(h)
    oauth_server(home).revoke_refresh_tokens()
    result = run("--config", str(config), "edit-log", SESSION, "--note", "x", "--json")
    answer = json.loads(result.stdout)
    assert result.exit_code == 1
    assert answer["returnMessage"] == {
        "message": "User session expired. Please connect again.",
        "messageType": "warning",
        "ttl": 5000,
    }
    assert answer["interfaceCalls"] == []  # nothing reached the connector
    with harness(home) as h:
        user = h.store.latest_user("fixture")
    assert user is not None and user.accessToken == "" and user.refreshToken is None


def test_tokens_rotated_by_another_process_are_used(home: Path) -> None:
    with harness(home) as h:
        h.pipeline()
        stale = h.store.latest_user("fixture")
        assert stale is not None
        # Another process refreshed first: the stored row has new tokens, ours are used up.
        fresh = fresh_user(
            h.connector, h.store, h.client, replace(stale, tokenExpiry="2000-01-01T00:00:00")
        )
        assert fresh.refreshToken != stale.refreshToken
        again = fresh_user(
            h.connector, h.store, h.client, replace(stale, tokenExpiry="2000-01-01T00:00:00")
        )
    assert again.refreshToken == fresh.refreshToken  # invalid_grant, then the re-read row


def test_revoked_everywhere_raises_session_expired(home: Path) -> None:
    with harness(home) as h:
        h.pipeline()
        user = h.store.latest_user("fixture")
        assert user is not None
        oauth_server(home).revoke_refresh_tokens()
        with pytest.raises(SessionExpired):
            fresh_user(
                h.connector, h.store, h.client, replace(user, tokenExpiry="2000-01-01T00:00:00")
            )
