"""App Connect's JWTs through PyJWT: its claims and lifetimes, and every forged token refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from appconnect.core.serve import jwt

SECRET = "app-server-secret-key-of-some-length"
NOW = 1_700_000_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(header: dict[str, object], payload: dict[str, object], key: str = SECRET) -> str:
    """A token assembled by hand, as a forger would (HS256 over header.payload)."""
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(payload).encode())
    mac = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


def test_claims_and_two_week_lifetime_are_app_connects() -> None:
    token = jwt.mint("u1", "pipedrive", SECRET, now=NOW)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    payload = jwt.decode(token, SECRET, now=NOW)
    assert payload == {"id": "u1", "platform": "pipedrive", "iat": NOW, "exp": NOW + 14 * 86400}
    assert jwt.peek(token) == payload


def test_refresh_below_one_week_left() -> None:
    payload = jwt.decode(jwt.mint("u1", "p", SECRET, now=NOW), SECRET, now=NOW)
    assert not jwt.needs_refresh(payload, now=NOW + 6 * 86400)
    assert jwt.needs_refresh(payload, now=NOW + 7 * 86400)


def test_a_token_without_exp_is_accepted_as_upstream() -> None:
    token = _token({"alg": "HS256", "typ": "JWT"}, {"id": "u1", "platform": "p"})
    assert jwt.decode(token, SECRET)["id"] == "u1"


def _forged() -> dict[str, str]:
    good = jwt.mint("u1", "p", SECRET, now=NOW)
    head, body, mac = good.split(".")
    other_body = _b64(json.dumps({"id": "admin", "platform": "p", "exp": NOW + 99}).encode())
    none_head = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    hs512 = _b64(json.dumps({"alg": "HS512", "typ": "JWT"}).encode())
    mac512 = hmac.new(SECRET.encode(), f"{hs512}.{body}".encode(), hashlib.sha512).digest()
    return {
        "alg-none": f"{none_head}.{body}.",
        "alg-none-with-signature": f"{none_head}.{body}.{mac}",
        "other-key": jwt.mint("u1", "p", "another-secret-of-some-decent-length", now=NOW),
        "tampered-payload": f"{head}.{other_body}.{mac}",
        "tampered-signature": f"{head}.{body}.{mac[:-2]}AA",
        "other-algorithm-same-key": f"{hs512}.{body}.{_b64(mac512)}",
        "expired": jwt.mint("u1", "p", SECRET, now=NOW - 15 * 86400),
        "no-id": _token({"alg": "HS256", "typ": "JWT"}, {"platform": "p"}),
        "not-a-jwt": "not-a-jwt",
        "two-segments": f"{head}.{body}",
        "empty": "",
    }


@pytest.mark.parametrize("name", list(_forged()))
def test_forged_tokens_are_refused(name: str) -> None:
    with pytest.raises(jwt.InvalidToken):
        jwt.decode(_forged()[name], SECRET, now=NOW)


def test_peek_of_garbage_is_empty() -> None:
    assert jwt.peek("not-a-jwt") == {}
    assert jwt.peek("") == {}
