"""OAuth for connectors whose getAuthType is 'oauth': App Connect's refresh rules (ref §3.1).

- Refresh only when both tokens exist and `tokenExpiry` is before now + 2 minutes (a null
  expiry never refreshes); the new tokens and expiry are saved in one transaction.
- `invalid_grant`: re-read the user; if another process already rotated the tokens, use
  theirs; otherwise the session is revoked: the flow answers App Connect's "User session
  expired. Please connect again." and the stored tokens are cleared.

Core calls the token endpoint itself (App Connect uses client-oauth2), through the same
httpx client the connector uses, so faults and the in-process fixture CRM apply to it too.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from appconnect.connectors.contract import Connector, OAuthInfo, ReturnMessage, User
from appconnect.connectors.errors import CRMError
from appconnect.core.store.db import Store

REFRESH_WINDOW = timedelta(minutes=2)
SESSION_EXPIRED = ReturnMessage(
    message="User session expired. Please connect again.", messageType="warning", ttl=5000
)
ERROR_CODE = "CRM_SESSION_REVOKED"


class SessionExpired(Exception):
    """The refresh token was refused and no other process had rotated it: connect again."""


def needs_refresh(user: User, *, now: datetime | None = None) -> bool:
    if not (user.accessToken and user.refreshToken and user.tokenExpiry):
        return False
    expiry = parse_expiry(user.tokenExpiry)
    return expiry is not None and expiry < (now or datetime.now(UTC)) + REFRESH_WINDOW


def parse_expiry(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def expiry_after(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def fresh_user(connector: Connector, store: Store, client: httpx.Client, user: User) -> User:
    """The user with usable tokens: refreshed when App Connect would refresh them."""
    if connector.get_auth_type() != "oauth" or not needs_refresh(user):
        return user
    info = _oauth_info(connector)
    try:
        tokens = token_request(
            client,
            info,
            {"grant_type": "refresh_token", "refresh_token": user.refreshToken or ""},
        )
    except InvalidGrant:
        current = store.get_user(user.id)
        if current is not None and current.refreshToken not in (None, "", user.refreshToken):
            return current  # another process rotated the tokens first: theirs are good
        store.revoke_tokens(user.id)
        raise SessionExpired from None
    return store.save_tokens(
        user.id,
        access_token=tokens["access_token"],
        refresh_token=tokens.get("refresh_token") or user.refreshToken or "",
        token_expiry=expiry_after(float(tokens.get("expires_in") or 3600)),
    )


class InvalidGrant(Exception):
    """The token endpoint answered invalid_grant."""


def client_auth_header(info: OAuthInfo) -> str:
    """The client authentication App Connect's client-oauth2 sends to the token endpoint:
    `Basic base64(clientId:clientSecret)`, the credentials not URL-encoded, not in the form."""
    pair = f"{info.clientId}:{info.clientSecret}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def token_request(client: httpx.Client, info: OAuthInfo, form: dict[str, str]) -> dict[str, Any]:
    headers = {"Authorization": client_auth_header(info), "Accept": "application/json"}
    try:
        response = client.post(info.accessTokenUri, data=form, headers=headers)
    except httpx.HTTPError as exc:
        raise CRMError.from_transport(exc, "POST token") from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if (
        response.status_code == 400
        and isinstance(body, dict)
        and body.get("error") == "invalid_grant"
    ):
        raise InvalidGrant(str(body.get("error_description", "invalid_grant")))
    if response.is_error or not isinstance(body, dict) or "access_token" not in body:
        raise CRMError.from_response(response, "POST token", str(body.get("error", "")))
    return body


@dataclass(frozen=True, slots=True)
class GivenTokens:
    """Tokens obtained outside the harness (config or environment), for CRMs whose sign-in
    needs a browser. Either token may be missing: a refresh token alone is exchanged at once."""

    access_token: str = ""
    refresh_token: str = ""
    #: ISO 8601; empty means unknown: App Connect then never refreshes (a null tokenExpiry).
    token_expiry: str = ""


def authorize(
    client: httpx.Client, connector: Connector, given: GivenTokens | None = None
) -> tuple[str, str, str]:
    """The first tokens of the CRM user: (access token, refresh token, expiry).

    Given tokens win (from then on App Connect's rules refresh them); otherwise the
    authorization-code step, where the CRM approves without a browser (the fixture CRM does).
    """
    if given is not None and (given.access_token or given.refresh_token):
        return _from_given(client, connector, given)
    info = _oauth_info(connector)
    if not info.authorizationUri:
        raise CRMError("the connector's OAuth info has no authorizationUri to sign in with")
    state = str(int(time.time()))
    response = client.get(
        info.authorizationUri,
        params={
            "client_id": info.clientId,
            "redirect_uri": info.redirectUri,
            "response_type": "code",
            "state": state,
        },
    )
    location = response.headers.get("Location", "")
    code = parse_qs(urlsplit(location).query).get("code", [""])[0]
    if response.status_code not in (302, 303) or not code:
        raise CRMError.from_response(response, "GET authorize", "no authorization code")
    tokens = token_request(
        client,
        info,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": info.redirectUri},
    )
    expiry = expiry_after(float(tokens.get("expires_in") or 3600))
    return tokens["access_token"], tokens.get("refresh_token", ""), expiry


def _from_given(
    client: httpx.Client, connector: Connector, given: GivenTokens
) -> tuple[str, str, str]:
    if given.token_expiry and parse_expiry(given.token_expiry) is None:
        raise CRMError(f"the given token expiry is not an ISO 8601 time: {given.token_expiry!r}")
    if given.access_token:
        return given.access_token, given.refresh_token, given.token_expiry
    # Only a refresh token: exchange it now, as App Connect would at the first request.
    try:
        tokens = token_request(
            client,
            _oauth_info(connector),
            {"grant_type": "refresh_token", "refresh_token": given.refresh_token},
        )
    except InvalidGrant as exc:
        raise CRMError(f"the given refresh token was refused: {exc}") from None
    expiry = expiry_after(float(tokens.get("expires_in") or 3600))
    return tokens["access_token"], tokens.get("refresh_token") or given.refresh_token, expiry


def _oauth_info(connector: Connector) -> OAuthInfo:
    if connector.get_oauth_info is None:
        raise CRMError("the connector's getAuthType is 'oauth' but it has no getOauthInfo")
    return connector.get_oauth_info()
