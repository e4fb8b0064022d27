"""`serve` scopes every session route to the token's user by default (issue 15 item 5);
`--unscoped` keeps App Connect's behaviour, where any valid token reaches any user's logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from appconnect.connectors.contract import User
from appconnect.core.config import parse_config
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.serve import jwt
from appconnect.core.serve.app import CoreServer
from appconnect.core.targets.embedded import EmbeddedTarget

SECRET = "scope-test-secret"
SESSION = "4001000101"


def open_server(home: Path, *, scoped: bool) -> tuple[EmbeddedTarget, httpx.Client, httpx.Client]:
    """A served core with Avery (who logs a call) and Blake (a second user of the server)."""
    harness = EmbeddedTarget(parse_config({"app_connect": {"use_cache": True}}, "t"), home)
    transport = httpx.WSGITransport(app=CoreServer(harness, SECRET, scoped=scoped))
    key = harness.crm_state.api_key
    with httpx.Client(base_url="http://core", transport=transport) as anonymous:
        login = anonymous.post("/apiKeyLogin", json={"apiKey": key, "platform": "fixture"})
    owner = httpx.Client(base_url="http://core", transport=transport,
                         params={"jwtToken": login.json()["jwtToken"]})
    harness.store.upsert_user(User(id="blake", platform="fixture", accessToken="blake-key"))
    other = httpx.Client(base_url="http://core", transport=transport,
                         params={"jwtToken": jwt.mint("blake", "fixture", SECRET)})
    body = load_call_fixture("inbound-answered").as_body()
    body["contactId"] = "ct-1"
    assert owner.post("/callLog", json=body).json()["successful"]
    return harness, owner, other


@pytest.fixture
def scoped(home: Path) -> Iterator[tuple[EmbeddedTarget, httpx.Client, httpx.Client]]:
    harness, owner, other = open_server(home, scoped=True)
    yield harness, owner, other
    harness.close()


def lookup(client: httpx.Client) -> dict[str, object]:
    logs = client.get("/callLog", params={"sessionIds": f"{SESSION},nope"}).json()["logs"]
    assert logs[1] == {"sessionId": "nope", "matched": False}
    return dict(logs[0])


def test_another_users_session_looks_unknown(
    scoped: tuple[EmbeddedTarget, httpx.Client, httpx.Client],
) -> None:
    harness, owner, other = scoped
    assert lookup(owner) == {"sessionId": SESSION, "matched": True, "logId": "act-1"}
    assert lookup(other) == {"sessionId": SESSION, "matched": False}  # no log id leaks

    edit = other.patch("/callLog", json={"sessionId": SESSION, "note": "hijack"}).json()
    assert edit["successful"] is False
    assert edit["returnMessage"]["message"] == f"Cannot find call log for session {SESSION}"
    dispo = other.put("/callDisposition", json={"sessionId": SESSION, "dispositions": {}})
    assert dispo.json()["successful"] is False
    note = other.post("/callLog/cacheNote", json={"sessionId": SESSION, "note": "x"}).json()
    assert note["successful"] is False
    assert "hijack" not in harness.crm_state.get_activity("act-1")["body"]

    mine = owner.patch("/callLog", json={"sessionId": SESSION, "note": "Quote sent"}).json()
    assert mine["successful"] is True
    assert "Quote sent" in harness.crm_state.get_activity("act-1")["body"]


def test_unscoped_is_app_connects_behaviour(home: Path) -> None:
    harness, owner, other = open_server(home, scoped=False)
    try:
        assert lookup(other) == lookup(owner) == {
            "sessionId": SESSION, "matched": True, "logId": "act-1"
        }
    finally:
        harness.close()
