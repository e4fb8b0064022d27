"""The server's own `callLogs` table, read read-only from where its config says it is."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.errors import ConfigError, StoreError
from appconnect.core.store.schema import CALL_LOG_COLUMNS


def read_call_logs(path: Path, session_id: str | None = None) -> Iterator[CallLogRecord]:
    """The rows of a connector server's SQLite `callLogs` (one session's, when given)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        if session_id is None:
            rows = conn.execute("SELECT * FROM callLogs").fetchall()
        else:
            query = "SELECT * FROM callLogs WHERE sessionId = ?"
            rows = conn.execute(query, (session_id,)).fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the server's callLogs: {exc}", str(path)) from None
    conn.close()
    for row in rows:
        present = set(row.keys())  # (sqlite3.Row has no __contains__ for names)
        values = {col: str(row[col] or "") if col in present else "" for col in CALL_LOG_COLUMNS}
        yield CallLogRecord(**values)


def database_from_env(env_file: Path) -> Path:
    """The SQLite file of a connector server's `.env` `DATABASE_URL=sqlite://./db.sqlite`."""
    try:
        lines = env_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the server's .env: {exc.strerror}", str(env_file)) from None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "DATABASE_URL":
            url = value.strip().strip("'\"")
            if not url.startswith("sqlite:"):
                raise ConfigError("DATABASE_URL is not a SQLite URL", str(env_file))
            path = url.removeprefix("sqlite:").removeprefix("//")
            resolved = Path(path)
            return resolved if resolved.is_absolute() else env_file.parent / resolved
    raise ConfigError("no DATABASE_URL in the server's .env", str(env_file))
