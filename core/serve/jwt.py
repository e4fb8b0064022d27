"""App Connect's JWTs (ref §3.1): HS256 over {id, platform}, issued for two weeks.

Signing and verifying are PyJWT's (security code belongs to a maintained library); this
module keeps App Connect's claims, lifetime and refresh rule, and pins the one algorithm so
a token cannot choose its own (`alg: none`, or another algorithm keyed with the secret).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import jwt as pyjwt
from jwt import warnings as pyjwt_warnings

TWO_WEEKS = 14 * 24 * 3600
#: App Connect's answer (HTTP 400) to a missing or bad token.
AUTHORIZE_FIRST = "Please go to Settings and authorize CRM platform"
#: With this little left, App Connect's server sends a fresh token in x-refreshed-jwt-token.
REFRESH_BELOW = 7 * 24 * 3600
ALGORITHM = "HS256"
# App Connect's APP_SERVER_SECRET_KEY is whatever length its owner chose; PyJWT warns on
# HMAC keys under 32 bytes (a warning class newer PyJWTs have).
_SHORT_KEY: type[Warning] = getattr(pyjwt_warnings, "InsecureKeyLengthWarning", UserWarning)


class InvalidToken(ValueError):
    """Not a token signed with this secret (or malformed, or expired)."""


def mint(user_id: str, platform: str, secret: str, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    payload = {"id": str(user_id), "platform": platform, "iat": issued, "exp": issued + TWO_WEEKS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _SHORT_KEY)
        return pyjwt.encode(payload, secret, algorithm=ALGORITHM)


def decode(token: str, secret: str, *, now: float | None = None) -> dict[str, Any]:
    """The payload of a valid token; tokens without `exp` are accepted, as upstream."""
    moment = time.time() if now is None else now
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _SHORT_KEY)
            # Expiry is checked below against `now` (PyJWT's check reads the clock itself).
            payload = pyjwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False},
            )
    except pyjwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    if not isinstance(payload, dict) or "id" not in payload:
        raise InvalidToken("no id")
    expires = payload.get("exp")
    if expires is not None and (not isinstance(expires, int | float) or expires < moment):
        raise InvalidToken("expired")
    return payload


def needs_refresh(payload: dict[str, Any], *, now: float | None = None) -> bool:
    expires = payload.get("exp")
    moment = time.time() if now is None else now
    return expires is not None and float(expires) - moment <= REFRESH_BELOW


def peek(token: str) -> dict[str, Any]:
    """A token's payload, unverified (a client reading its own user id)."""
    try:
        payload = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.PyJWTError:
        return {}
    return payload if isinstance(payload, dict) else {}
