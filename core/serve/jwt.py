"""App Connect's JWTs (ref §3.1): HS256 over {id, platform}, issued for two weeks.

Standard-library only: HS256 is an HMAC over two base64url segments, which is less code
than a dependency for the one algorithm App Connect uses.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

TWO_WEEKS = 14 * 24 * 3600
#: App Connect's answer (HTTP 400) to a missing or bad token.
AUTHORIZE_FIRST = "Please go to Settings and authorize CRM platform"
#: With this little left, App Connect's server sends a fresh token in x-refreshed-jwt-token.
REFRESH_BELOW = 7 * 24 * 3600


class InvalidToken(ValueError):
    """Not a token signed with this secret (or malformed, or expired)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(user_id: str, platform: str, secret: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    payload = {"id": str(user_id), "platform": platform, "iat": issued, "exp": issued + TWO_WEEKS}
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def decode(token: str, secret: str, *, now: float | None = None) -> dict[str, Any]:
    """The payload of a valid token; tokens without `exp` are accepted, as upstream."""
    try:
        header, body, signature = token.split(".")
        expected = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256)
        if not hmac.compare_digest(_unb64(signature), expected.digest()):
            raise InvalidToken("bad signature")
        if json.loads(_unb64(header)).get("alg") != "HS256":
            raise InvalidToken("not HS256")
        payload = json.loads(_unb64(body))
    except (ValueError, json.JSONDecodeError) as exc:
        raise InvalidToken(str(exc)) from None
    if not isinstance(payload, dict) or "id" not in payload:
        raise InvalidToken("no id")
    expires = payload.get("exp")
    if expires is not None and float(expires) < (time.time() if now is None else now):
        raise InvalidToken("expired")
    return payload


def needs_refresh(payload: dict[str, Any], *, now: float | None = None) -> bool:
    expires = payload.get("exp")
    moment = time.time() if now is None else now
    return expires is not None and float(expires) - moment <= REFRESH_BELOW


def peek(token: str) -> dict[str, Any]:
    """A token's payload, unverified (a client reading its own user id)."""
    try:
        payload = json.loads(_unb64(token.split(".")[1]))
    except (IndexError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}
