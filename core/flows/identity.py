"""Who is logging: the RingCentral identity App Connect keys call logs by (ref §3.2 steps 1-2)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from appconnect.core.config import IdentityConfig


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Identity:
    extension_number: str = ""
    hashed_extension_id: str = ""
    hashed_account_id: str = ""


def resolve_identity(config: IdentityConfig, overrides: dict[str, str] | None = None) -> Identity:
    """Apply App Connect's rules: a given hash wins, else hash `rcExtensionId` with HASH_KEY.

    `overrides` are the identity keys a call fixture carries (top level or inside logInfo).
    """
    values = {
        "extensionNumber": config.extension_number,
        "hashedExtensionId": config.hashed_extension_id,
        "rcExtensionId": config.rc_extension_id,
        "accountId": config.account_id,
    }
    values.update({key: value for key, value in (overrides or {}).items() if value})
    hashed = values["hashedExtensionId"]
    if not hashed and values["rcExtensionId"] and config.hash_key:
        hashed = _sha256(f"{values['rcExtensionId']}:{config.hash_key}")
    # App Connect hashes "<accountId>:<HASH_KEY>" even when accountId is missing (quirk 13);
    # we leave the account hash empty instead of hashing "undefined".
    account = values["accountId"]
    hashed_account = _sha256(f"{account}:{config.hash_key}") if account else ""
    return Identity(
        extension_number=str(values["extensionNumber"] or ""),
        hashed_extension_id=hashed,
        hashed_account_id=hashed_account,
    )
