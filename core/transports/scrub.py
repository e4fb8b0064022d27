"""Secrets taken out of recorded HTTP exchanges before anything is written (cassettes).

Three rules, applied to requests and responses alike:
- every value the harness knows is secret (the CRM key, OAuth client secret and tokens,
  HASH_KEY, the server key: `known_secrets`) is replaced wherever it appears, in the URL,
  any header or any body;
- credential headers (`Authorization`, `Cookie`, `X-Api-Key`, ...: core/redaction.py's names)
  and credential query parameters lose their values;
- in JSON and form bodies, the values of credential-named members (`access_token`,
  `api_key`, `password`, `client_secret`, ...) and of the configured field names
  (`[redaction] fields`) are replaced, at any depth.

The same scrubbing applied to a live request gives what was recorded, so replay matches on
scrubbed requests: a secret that differs between recording and replay does not matter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from appconnect.core.redaction import REDACTED, is_secret_name, redact_url

#: Shorter known values are not replaced as text: "abc" would scrub every word holding it.
MIN_SECRET_CHARS = 4
# Body members whose names say they hold a credential; narrower than the URL rule, which
# also takes `session` and `code`: a CRM body's `sessionId` is data the replay needs.
_SECRET_MEMBER = re.compile(
    r"(?:token|secret|password|passwd|pwd|apikey|credentials?|privatekey|jwt|authorization)$"
    r"|^(?:key|auth|sig|signature|bearer)$"
)
_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True)
class Scrubber:
    #: Values never to be written, longest first (so a value holding another goes whole).
    secrets: tuple[str, ...] = ()
    #: Configured field names (normalised: `Email` = `email` = `e_mail`).
    fields: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def build(cls, secrets: Iterable[str | None], fields: Iterable[str] = ()) -> Scrubber:
        known = {s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}
        return cls(tuple(sorted(known, key=len, reverse=True)), frozenset(map(_normal, fields)))

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def url(self, url: str) -> str:
        url = redact_url(self.text(url))
        parts = urlsplit(url)
        if not self.fields or "=" not in parts.query:
            return url
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if not any(self._field(name) for name, _ in pairs):
            return url
        query = urlencode([(k, REDACTED if self._field(k) else v) for k, v in pairs], safe="*")
        return urlunsplit(parts._replace(query=query))

    def header(self, name: str, value: str) -> str:
        lowered = name.lower()
        if lowered in _HEADERS or is_secret_name(lowered) or self._field(name):
            return REDACTED
        return self.text(value)

    def body(self, body: bytes | str | None, content_type: str) -> bytes | str | None:
        """The body with secrets replaced; JSON and form bodies member by member."""
        if body is None or body == b"" or body == "":
            return body
        raw = body if isinstance(body, str) else _text(body)
        if raw is None:
            return body  # binary: nothing a connector sends as a secret is in it
        scrubbed = self._structured(raw, content_type.lower())
        result = self.text(raw if scrubbed is None else scrubbed)
        return result if isinstance(body, str) else result.encode("utf-8")

    def _structured(self, raw: str, content_type: str) -> str | None:
        if "json" in content_type:
            try:
                data = json.loads(raw)
            except ValueError:
                return None
            return json.dumps(self._value(data), ensure_ascii=False, separators=(",", ":"))
        if "x-www-form-urlencoded" in content_type:
            pairs = parse_qsl(raw, keep_blank_values=True)
            return urlencode([(k, REDACTED if self._secret(k) else v) for k, v in pairs], safe="*")
        return None

    def _value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                key: REDACTED if self._secret(key) and value[key] not in (None, "") else
                self._value(value[key])
                for key in value
            }  # fmt: skip
        if isinstance(value, list):
            return [self._value(item) for item in value]
        return value

    def _secret(self, name: str) -> bool:
        return bool(_SECRET_MEMBER.search(_normal(name))) or self._field(name)

    def _field(self, name: str) -> bool:
        return _normal(name) in self.fields


def _text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
