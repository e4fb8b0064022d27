"""URLs made safe to print: credentials in the userinfo and secret-looking query parameters
are replaced, the rest (scheme, host, path, other parameters) is kept so the URL still says
where the problem is. Every message line goes through `redact_urls` before it is printed."""

from __future__ import annotations

import re
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


def is_secret_name(name: str) -> bool:
    """Whether a query parameter or header named `name` carries a credential."""
    return bool(_SECRET_PARAM.search(name))
