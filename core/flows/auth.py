"""The auth header core hands to every connector call (ref §3.1)."""

from __future__ import annotations

from appconnect.connectors.contract import Connector, User


def auth_header(connector: Connector, user: User) -> str:
    """apiKey: `Basic <getBasicAuth>`; oauth: `Bearer <token>`; anything else: empty."""
    auth_type = connector.get_auth_type()
    if auth_type == "apiKey" and connector.get_basic_auth is not None:
        return f"Basic {connector.get_basic_auth(user.accessToken)}"
    if auth_type == "oauth":
        return f"Bearer {user.accessToken}"
    return ""
