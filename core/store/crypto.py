"""Optional encryption at rest of `users.accessToken` and `users.refreshToken`.

App Connect keeps users' CRM tokens in the clear. Here, when `APPCONNECT_STORE_KEY` is set,
each token is sealed with AES-256-GCM (the `cryptography` package): a fresh random 96-bit
nonce per value, and the column and user id as associated data, so a sealed value cannot be
moved to another column or row unnoticed. The columns stay App Connect's; a sealed value is
text `enc:v1:<base64url(nonce + ciphertext + tag)>`. Values written in the clear (before the
key was set) still read, and are sealed the next time they are written.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appconnect.core.errors import StoreError

if TYPE_CHECKING:  # imported when a key is set: `cryptography` costs ~18 ms at start-up
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_ENV = "APPCONNECT_STORE_KEY"
PREFIX = "enc:v1:"
ENCRYPTED_COLUMNS = ("accessToken", "refreshToken")
_NONCE_BYTES = 12
# Fixed HKDF context: the key's purpose, so the same variable could key something else apart.
_INFO = b"appconnect-harness users tokens v1"


@dataclass(frozen=True)
class TokenCipher:
    """Seals and opens token columns; `None` key: values pass through (App Connect's way)."""

    _aead: AESGCM | None

    @classmethod
    def from_secret(cls, secret: str | None) -> TokenCipher:
        if not secret:
            return cls(None)
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        # HKDF turns any string into a 256-bit key; it adds no work factor, so the variable
        # should hold a random key (`openssl rand -base64 32`), not a password.
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
        return cls(AESGCM(hkdf.derive(secret.encode("utf-8"))))

    @classmethod
    def from_env(cls) -> TokenCipher:
        return cls.from_secret(os.environ.get(KEY_ENV))

    @property
    def enabled(self) -> bool:
        return self._aead is not None

    def seal(self, value: str | None, column: str, user_id: str) -> str | None:
        if self._aead is None or not value or value.startswith(PREFIX):
            return value
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), _aad(column, user_id))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, value: str | None, column: str, user_id: str) -> str | None:
        if not value or not value.startswith(PREFIX):
            return value
        where = f"users.{column}"
        if self._aead is None:
            raise StoreError(f"the stored tokens are encrypted: set {KEY_ENV}", where)
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
            plain = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(column, user_id)
            )
        except (InvalidTag, ValueError):
            raise StoreError(
                f"cannot decrypt the stored token: wrong {KEY_ENV}, or the value was altered",
                where,
            ) from None
        return plain.decode("utf-8")


def _aad(column: str, user_id: str) -> bytes:
    return f"users.{column}:{user_id}".encode()
