"""URLs made safe to print: credentials in the userinfo and secret-looking query parameters
are replaced, the rest (scheme, host, path, other parameters) is kept so the URL still says
where the problem is. Every message line goes through `redact_urls` before it is printed.

`Redactor` does the same for whole HTTP exchanges (headers, query, JSON and form bodies) in
the `--trace http` trace and the run report."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "***"
# Parameter names that carry credentials in CRM and OAuth URLs (token=, api_key=, sig=...).
_SECRET_PARAM = re.compile(
    r"token|key|secret|pass|pwd|auth|sig|credential|session|code|jwt|bearer", re.IGNORECASE
)
# A URL inside free text: stops at whitespace, quotes and the parentheses around `(<where>)`.
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s()<>\"'`]+")


def redact_url(url: str) -> str:
    """`url` without its userinfo's password and secret parameter values; unparsable: as is."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:  # a bad port or IPv6 literal: nothing to find the userinfo by
        return _redact_userinfo_text(url)
    netloc = parts.netloc
    if "@" in netloc and host is not None:
        # The whole userinfo: a user name alone is often the token (https://TOKEN@host).
        shown_host = f"[{host}]" if ":" in host else host
        netloc = f"{REDACTED}@{shown_host}" + (f":{port}" if port is not None else "")
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            parts.path,
            _redact_params(parts.query),
            _redact_params(parts.fragment),
        )
    )


def redact_urls(text: str) -> str:
    """Every URL found in `text` redacted (messages, errors, warnings)."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def url_has_secret(url: str | None) -> bool:
    """Whether printing `url` unredacted would show a credential."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return "@" in url
    return "@" in parts.netloc or any(
        _redact_params(part) != part for part in (parts.query, parts.fragment)
    )


def _redact_params(query: str) -> str:
    if "=" not in query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(_SECRET_PARAM.search(name) for name, _ in pairs):
        return query  # leave the text exactly as written
    safe = [
        (name, REDACTED if _SECRET_PARAM.search(name) and value else value) for name, value in pairs
    ]
    return urlencode(safe, safe="*")


def _redact_userinfo_text(url: str) -> str:
    """The same redaction by plain text, for a URL urlsplit rejects (a bad port)."""
    scheme, sep, rest = url.partition("://")
    rest, hash_mark, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = f"{REDACTED}@{authority.rsplit('@', 1)[1]}"
    query, fragment = _redact_params(query), _redact_params(fragment)
    return f"{scheme}{sep}{authority}{slash}{path}{question}{query}{hash_mark}{fragment}"


# --- HTTP exchanges (the `--trace http` trace, the run report) -----------------------------

#: Field names (JSON keys, form fields, headers) whose values are credentials, after `-`/`_`
#: are dropped and case folded: `access_token`, `refreshToken`, `X-Api-Key`, `client_secret`.
_SECRET_FIELD = re.compile(
    r"token|secret|passw|pwd|apikey|authorization|jwt|cookie|credential|privatekey|signature",
    re.IGNORECASE,
)
#: Names that are credentials only as a whole (`code` is the OAuth code; `countryCode` is not).
_SECRET_EXACT = frozenset({"code", "key", "auth", "sig", "assertion", "bearer"})
#: Names the patterns above catch that hold no secret (OAuth's `token_type: Bearer`).
_NOT_SECRET = frozenset({"tokentype", "tokenexpiry", "tokenendpoint", "tokenurl"})
#: A JSON Web Token anywhere in text (header.payload.signature, base64url).
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
#: `Bearer abc`, `Basic abc=`: the scheme stays, the credential goes.
_AUTH_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9-]*)\s+\S")
#: Bodies longer than this are cut in traces and reports (a trace is read, not archived).
MAX_BODY_CHARS = 64_000


class Redactor:
    """Removes secrets from an HTTP exchange: by name (headers, query and form fields, JSON
    keys at any depth, plus the names a config adds in `[redaction] fields`), by shape (JWTs,
    URL userinfo, `Authorization` schemes' credentials) and by value (every secret the
    harness holds, found anywhere in text, also Base64-encoded as Basic auth carries it).
    """

    def __init__(
        self, names: Iterable[str] = (), known: Callable[[], Iterable[str | None]] | None = None
    ) -> None:
        self.names = frozenset(_fold(name) for name in names)
        self._known = known

    def secret_name(self, name: str) -> bool:
        folded = _fold(name)
        if folded in self.names:
            return True
        if folded in _NOT_SECRET:
            return False
        return bool(_SECRET_FIELD.search(folded)) or folded in _SECRET_EXACT

    def known_values(self) -> list[str]:
        """The harness's secrets now (tokens change during a run), longest first."""
        found: set[str] = set()
        for value in self._known() if self._known else ():
            if value and len(value) >= 4:
                found.add(value)
                for form in (value, f"{value}:"):
                    found.add(base64.b64encode(form.encode()).decode("ascii").rstrip("="))
        return sorted(found, key=len, reverse=True)

    def text(self, text: str, known: list[str] | None = None) -> str:
        """Free text: URLs, JWTs and every known secret value replaced."""
        text = _JWT.sub(REDACTED, redact_urls(text))
        for value in self.known_values() if known is None else known:
            text = text.replace(value, REDACTED)
        return text

    def url(self, url: str) -> str:
        known = self.known_values()
        try:
            parts = urlsplit(redact_url(url))
        except ValueError:
            return self.text(url, known)
        query = self._pairs(parts.query)
        return self.text(urlunsplit(parts._replace(query=query)), known)

    def headers(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        known = self.known_values()
        shown: dict[str, str] = {}
        for name, value in headers:
            if self.secret_name(name):
                authorization = _fold(name).endswith("authorization")
                scheme = _AUTH_SCHEME.match(value) if authorization else None
                value = f"{scheme['scheme']} {REDACTED}" if scheme else REDACTED
            else:
                value = self.text(value, known)
            shown[name] = f"{shown[name]}, {value}" if name in shown else value
        return shown

    def body(self, content: bytes, content_type: str) -> str:
        """A request or response body as text: JSON and form fields redacted by name, all
        text by shape and value; binary bodies are named by size only."""
        if not content:
            return ""
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(content)} bytes of {content_type or 'binary data'}>"
        known = self.known_values()
        kind = content_type.split(";")[0].strip().lower()
        if kind == "application/x-www-form-urlencoded":
            text = self._pairs(text)
        elif kind.endswith("json") or kind.endswith("+json") or text.lstrip()[:1] in "{[":
            try:
                data = json.loads(text)
            except ValueError:
                pass
            else:
                text = json.dumps(self.data(data), ensure_ascii=False)
        text = self.text(text, known)
        if len(text) > MAX_BODY_CHARS:
            text = text[:MAX_BODY_CHARS] + f"… ({len(text) - MAX_BODY_CHARS} more characters)"
        return text

    def data(self, value: Any) -> Any:
        """JSON data with the values of secret-named keys replaced, at any depth."""
        if isinstance(value, dict):
            return {
                key: REDACTED if self.secret_name(str(key)) and item else self.data(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value

    def _pairs(self, encoded: str) -> str:
        if "=" not in encoded:
            return encoded
        pairs = parse_qsl(encoded, keep_blank_values=True)
        if not any(self.secret_name(name) for name, _ in pairs):
            return encoded
        safe = [(name, REDACTED if self.secret_name(name) and v else v) for name, v in pairs]
        return urlencode(safe, safe="*")


def _fold(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


def is_secret_name(name: str) -> bool:
    """Whether a query parameter or header named `name` carries a credential."""
    return bool(_SECRET_PARAM.search(name))
