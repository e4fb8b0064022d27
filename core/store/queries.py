"""App Connect's lookup of a session's callLogs row for a RingCentral identity (its
preference of hash, extension and neither, as SQL), and a row read back as a record."""

from __future__ import annotations

import sqlite3

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.store.schema import CALL_LOG_COLUMNS


def identity_filter(extension_number: str, hashed_extension_id: str) -> tuple[str, tuple[str, ...]]:
    no_hash = "(hashedExtensionId = '' OR hashedExtensionId IS NULL)"
    if hashed_extension_id:
        clauses = ["hashedExtensionId = ?"]
        params: list[str] = [hashed_extension_id]
        if extension_number:
            clauses.append(f"(extensionNumber = ? AND {no_hash})")
            params.append(extension_number)
        clauses.append(f"(extensionNumber = '' AND {no_hash})")
        return f" AND ({' OR '.join(clauses)})", tuple(params)
    if extension_number:
        return " AND extensionNumber = ?", (extension_number,)
    return "", ()


def call_log_from_row(row: sqlite3.Row) -> CallLogRecord:
    return CallLogRecord(**{column: row[column] or "" for column in CALL_LOG_COLUMNS})
