"""The fixture CRM's OAuth server: codes, rotation, invalid_grant, bearer tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from appconnect.fixtures.crm import CRMState, FixtureCRM
from appconnect.fixtures.crm.oauth import OAuthServer

REDIRECT = "https://app.test/cb"


@pytest.fixture
def client() -> httpx.Client:
    state = CRMState(None)
    return httpx.Client(transport=httpx.WSGITransport(app=FixtureCRM(state)), base_url="http://crm")


def _credentials(client: httpx.Client) -> dict[str, str]:
    app = client._transport.app  # type: ignore[attr-defined]
    oauth_client = OAuthServer(app.state).client()
    return {"client_id": oauth_client["clientId"], "client_secret": oauth_client["clientSecret"]}


def _code(client: httpx.Client) -> str:
    creds = _credentials(client)
    response = client.get(
        "/oauth/authorize",
        params={"client_id": creds["client_id"], "redirect_uri": REDIRECT, "state": "s1"},
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def _token(client: httpx.Client, **form: str) -> httpx.Response:
    return client.post("/oauth/token", data={**_credentials(client), **form})


def test_code_then_bearer_then_rotation(client: httpx.Client) -> None:
    code = _code(client)
    tokens = _token(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    ).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["user"]["id"] == "fx-user-1"
    # The code is single-use.
    again = _token(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    rotated = _token(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != tokens["refresh_token"]
    reused = _token(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "refresh token is invalid, used or revoked",
    }


def test_expired_access_tokens_and_revoked_refresh_tokens(client: httpx.Client) -> None:
    tokens = _token(
        client, grant_type="authorization_code", code=_code(client), redirect_uri=REDIRECT
    ).json()
    server = OAuthServer(client._transport.app.state)  # type: ignore[attr-defined]
    server.expire_access_tokens()
    expired = client.get("/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert expired.status_code == 401
    assert expired.json()["error"] == "invalid_token"
    server.revoke_refresh_tokens()
    refused = _token(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"


def test_client_errors(client: httpx.Client) -> None:
    wrong = client.post(
        "/oauth/token",
        data={"client_id": "fx-client", "client_secret": "nope", "grant_type": "refresh_token"},
    )
    assert wrong.json()["error"] == "invalid_client"
    grant = _token(client, grant_type="password")
    assert grant.json()["error"] == "unsupported_grant_type"
    unknown = client.get("/oauth/authorize", params={"client_id": "x", "redirect_uri": REDIRECT})
    assert unknown.status_code == 400
