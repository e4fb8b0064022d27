"""The server's own tables (`callLogs`, `users`), read read-only from where its config says
they are: a SQLite file (the default, App Connect's `DATABASE_URL=sqlite://...`) or PostgreSQL
(`postgres://` / `postgresql://`, App Connect's production setting, through psycopg 3).

Rows are streamed in batches (a server-side cursor on PostgreSQL, `fetchmany` on SQLite), so
memory does not grow with the table. Columns are the Sequelize models' (`callLogs`: id,
sessionId, extensionNumber, hashedExtensionId, platform, thirdPartyLogId, userId, contactId,
createdAt, updatedAt); timestamps come back in the text form Sequelize writes to SQLite, so
`--since` compares the same way on both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appconnect.connectors.contract import CallLogRecord, User
from appconnect.core.errors import ConfigError, StoreError
from appconnect.core.redaction import redact_url
from appconnect.core.store.schema import CALL_LOG_COLUMNS

#: Rows fetched per round trip (bounded memory: at most this many rows are held at once).
BATCH_ROWS = 2000
_POSTGRES_SCHEMES = ("postgres://", "postgresql://")
_SELECT = ", ".join(f'"{column}"' for column in CALL_LOG_COLUMNS)


def is_postgres_url(location: str) -> bool:
    return location.strip().lower().startswith(_POSTGRES_SCHEMES)


class ServerDatabase:
    """One connector server's database: `location` is a SQLite file path or a PostgreSQL URL."""

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        self.postgres = is_postgres_url(self.location)

    @property
    def shown(self) -> str:
        """Where, safe to print (a PostgreSQL URL without its password)."""
        return redact_url(self.location) if self.postgres else self.location

    def call_logs(
        self,
        session_id: str | None = None,
        *,
        since: str | None = None,
        batch: int = BATCH_ROWS,
    ) -> Iterator[CallLogRecord]:
        """The rows (one session's, when given; created at or after `since`, the store's
        timestamp text, when given), in batches of `batch`."""
        where: list[str] = []
        args: list[Any] = []
        if session_id is not None:
            where.append('"sessionId" = ?')
            args.append(session_id)
        if since is not None:
            where.append('"createdAt" >= ?')
            args.append(_pg_time(since) if self.postgres else since)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        if self.postgres:
            query = f'SELECT {_SELECT} FROM "callLogs"{clause}'
            return (_record(row) for row in self._rows(query, args, batch))
        return self._sqlite_call_logs(clause, args, batch)

    def user(self, user_id: str | None, platform: str) -> User:
        """A `users` row: `user_id`'s, else the platform's only one (the CRM credential the
        server holds for it)."""
        query = 'SELECT "id", "platform", "accessToken", "refreshToken" FROM "users" WHERE '
        if user_id is not None:
            query, args = query + '"id" = ?', [user_id]
        else:
            query, args = query + '"platform" = ? LIMIT 2', [platform]
        rows = list(self._rows(query, args, 2))
        if not rows:
            raise ConfigError(f"no users row for {user_id or platform}", self.shown)
        if len(rows) > 1:
            raise ConfigError(f"several users of {platform}: set server.user_id", self.shown)
        row = rows[0]
        return User(
            id=str(row["id"]),
            platform=str(row["platform"] or platform),
            accessToken=str(row["accessToken"] or ""),
            refreshToken=row["refreshToken"],
        )

    def _rows(self, query: str, args: list[Any], batch: int) -> Iterator[Mapping[str, Any]]:
        if self.postgres:
            from appconnect.core.targets.server_pg import stream

            return stream(self.location, query.replace("?", "%s"), args, batch)
        return self._sqlite_rows(query, args, batch)

    def _sqlite_call_logs(
        self, clause: str, args: list[Any], batch: int
    ) -> Iterator[CallLogRecord]:
        try:
            conn = sqlite3.connect(f"file:{self.location}?mode=ro", uri=True)
            columns = {row[1] for row in conn.execute('PRAGMA table_info("callLogs")')}
            conn.close()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the server's callLogs: {exc}", self.location) from None
        # An older table may lack a column (createdAt): select what is there, "" for the rest.
        present = ", ".join(f'"{c}"' for c in CALL_LOG_COLUMNS if c in columns) or "*"
        query = f'SELECT {present} FROM "callLogs"{clause}'
        if "createdAt" not in columns:
            query = query.replace('"createdAt" >= ?', "'' >= ?")
        return (_record(row) for row in self._sqlite_rows(query, args, batch))

    def _sqlite_rows(self, query: str, args: list[Any], batch: int) -> Iterator[Mapping[str, Any]]:
        try:
            conn = sqlite3.connect(f"file:{self.location}?mode=ro", uri=True)
            conn.row_factory = sqlite3.Row
            cursor = conn.execute(query, args)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the server's database: {exc}", self.location) from None
        try:
            while rows := cursor.fetchmany(batch):
                yield from (dict(zip(row.keys(), row, strict=True)) for row in rows)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the server's database: {exc}", self.location) from None
        finally:
            conn.close()


def _record(row: Mapping[str, Any]) -> CallLogRecord:
    return CallLogRecord(**{column: _text(row.get(column)) for column in CALL_LOG_COLUMNS})


def _text(value: Any) -> str:
    """A column as the store's text: timestamps in Sequelize's SQLite form, NULL as ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} +00:00"
    return str(value)


def _pg_time(since: str) -> datetime:
    """`--since` (the store's timestamp text) as a moment PostgreSQL compares as timestamptz."""
    return datetime.strptime(since, "%Y-%m-%d %H:%M:%S.%f %z")


def database_from_env(env_file: Path) -> Path | str:
    """Where a connector server's `.env` `DATABASE_URL` points: the SQLite file of
    `sqlite://./db.sqlite` (relative to the .env), or a `postgres://` URL as it is."""
    try:
        lines = env_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the server's .env: {exc.strerror}", str(env_file)) from None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip().removeprefix("export ").strip() == "DATABASE_URL":
            url = value.strip().strip("'\"")
            if is_postgres_url(url):
                return url
            if not url.startswith("sqlite:"):
                raise ConfigError(
                    "DATABASE_URL is neither a SQLite nor a PostgreSQL URL", str(env_file)
                )
            path = url.removeprefix("sqlite:").removeprefix("//")
            resolved = Path(path)
            return resolved if resolved.is_absolute() else env_file.parent / resolved
    raise ConfigError("no DATABASE_URL in the server's .env", str(env_file))
