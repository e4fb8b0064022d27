"""The local SQLite store: App Connect's `users` and `callLogs` tables (ref §4).

Column names, the callLogs primary key and the identity filter are App Connect's, so a row
here means what the same row means in a connector server's database. The schema version lives
in `PRAGMA user_version`; `MIGRATIONS[n]` takes a store from version n to n + 1.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appconnect.connectors.contract import CallLogRecord, User
from appconnect.core.errors import StoreBusy, StoreError
from appconnect.core.home import prepare_home
from appconnect.core.store import claims
from appconnect.core.store.crypto import ENCRYPTED_COLUMNS, TokenCipher
from appconnect.core.store.queries import call_log_from_row, identity_filter
from appconnect.core.store.schema import (
    _JSON_USER_COLUMNS,
    CALL_LOG_COLUMNS,
    MIGRATIONS,
    SCHEMA_VERSION,
    USER_COLUMNS,
)

NOTE_CACHE_TTL_SECONDS = 3600
#: How long a write waits for another process's write lock before giving up.
BUSY_TIMEOUT_SECONDS = 30.0


def now_timestamp() -> str:
    """A timestamp in the text form Sequelize writes to SQLite."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} +00:00"


@dataclass(frozen=True, slots=True)
class ComposedBody:
    """What core last composed for a CRM log (harness table `composedBodies`)."""

    platform: str
    thirdPartyLogId: str
    sessionId: str
    logFormat: str
    body: str
    updatedAt: str = ""


class Store:
    """One connection to the store. Writes happen inside `transaction()`."""

    def __init__(
        self, conn: sqlite3.Connection, where: str, cipher: TokenCipher | None = None
    ) -> None:
        self._conn = conn
        self.where = where
        self._cipher = cipher or TokenCipher(None)

    @classmethod
    def open(cls, path: Path | None, cipher: TokenCipher | None = None) -> Store:
        """Open (creating and migrating) the store at `path`; None is an in-memory store.

        Tokens are sealed with `cipher`, by default keyed from $APPCONNECT_STORE_KEY (unset:
        stored in the clear, as App Connect stores them)."""
        where = str(path) if path else ":memory:"
        try:
            if path is not None:
                prepare_home(path.parent)
                # users.accessToken holds CRM credentials: the file is user-only from birth.
                os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
            # check_same_thread off: `appconnect serve` answers from its server thread, one
            # request at a time (CoreServer holds a lock); nothing else shares a Store.
            conn = sqlite3.connect(
                where, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            if path is not None:
                # WAL: readers never block the writer, and a commit is one append to the log;
                # NORMAL syncs at checkpoints, durable against a killed process (not a power cut).
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(conn, where, cipher or TokenCipher.from_env())
            store._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store: {exc}", where) from None
        except OSError as exc:
            raise StoreError(_os_problem(exc), where) from None
        return store

    def close(self) -> None:
        self._conn.close()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store has schema version {version}; this appconnect knows up to "
                f"{SCHEMA_VERSION} (upgrade appconnect)",
                self.where,
            )
        while version < SCHEMA_VERSION:
            with self.transaction():
                MIGRATIONS[version](self._conn)
                version += 1
                self._conn.execute(f"PRAGMA user_version = {version}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error: a failed step leaves no trace."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            # A store on a read-only disk or mount opens fine and fails at its first write.
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise StoreError(
                    "the store is read-only (a read-only disk or mount?); set --home or "
                    "APPCONNECT_HOME",
                    self.where,
                ) from None
            if "locked" in str(exc) or "busy" in str(exc):
                waited = int(self._conn.execute("PRAGMA busy_timeout").fetchone()[0]) / 1000
                raise StoreBusy(
                    f"the store is locked by another process (waited {waited:g} s); try again",
                    self.where,
                ) from None
            raise

    # --- users ---------------------------------------------------------------------------

    def get_user(self, user_id: str) -> User | None:
        row = self._conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return self._user_from_row(row) if row else None

    def latest_user(self, platform: str) -> User | None:
        """The most recently connected user of a platform: the harness's "logged-in" user."""
        row = self._conn.execute(
            "SELECT * FROM users WHERE platform = ? ORDER BY updatedAt DESC, rowid DESC LIMIT 1",
            (platform,),
        ).fetchone()
        return self._user_from_row(row) if row else None

    def upsert_user(self, user: User) -> User:
        """Login: insert a new user with empty settings, or update everything but settings.

        The read is inside the write transaction: concurrent first logins of one user (a fresh
        home, many `log-call`s at once) then see each other's row instead of both inserting.
        """
        stamp = now_timestamp()
        with self.transaction() as conn:
            existing = self.get_user(user.id)
            if existing is None:
                user = replace(user, userSettings={})
                values = self._user_values(user)
                conn.execute(
                    f"INSERT INTO users ({', '.join(USER_COLUMNS)}, createdAt, updatedAt) "
                    f"VALUES ({', '.join('?' * len(USER_COLUMNS))}, ?, ?)",
                    (*values, stamp, stamp),
                )
            else:
                user = replace(user, userSettings=existing.userSettings)
                columns = [c for c in USER_COLUMNS if c not in ("id", "userSettings")]
                values = self._user_values(user)
                by_name = dict(zip(USER_COLUMNS, values, strict=True))
                conn.execute(
                    f"UPDATE users SET {', '.join(f'{c} = ?' for c in columns)}, updatedAt = ? "
                    "WHERE id = ?",
                    (*(by_name[c] for c in columns), stamp, user.id),
                )
        return user

    def save_tokens(
        self, user_id: str, *, access_token: str, refresh_token: str, token_expiry: str
    ) -> User:
        """Rotated OAuth tokens, all three in one transaction (never half a rotation)."""
        sealed_access = self._cipher.seal(access_token, "accessToken", user_id)
        sealed_refresh = self._cipher.seal(refresh_token, "refreshToken", user_id)
        with self.transaction() as conn:
            conn.execute(
                "UPDATE users SET accessToken = ?, refreshToken = ?, tokenExpiry = ?, "
                "updatedAt = ? WHERE id = ?",
                (sealed_access, sealed_refresh, token_expiry, now_timestamp(), user_id),
            )
        user = self.get_user(user_id)
        if user is None:
            raise StoreError("no such user", user_id)
        return user

    def revoke_tokens(self, user_id: str) -> None:
        """The session is revoked: the tokens go, so nothing uses them again."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE users SET accessToken = '', refreshToken = NULL, tokenExpiry = NULL, "
                "updatedAt = ? WHERE id = ?",
                (now_timestamp(), user_id),
            )

    def update_user_settings(self, user_id: str, settings: Mapping[str, Any]) -> User:
        """`POST /user/settings`: the given keys replace the stored ones; others stay."""
        user = self.get_user(user_id)
        if user is None:
            raise StoreError("no such user", user_id)
        merged = {**user.userSettings, **settings}
        with self.transaction() as conn:
            conn.execute(
                "UPDATE users SET userSettings = ?, updatedAt = ? WHERE id = ?",
                (json.dumps(merged), now_timestamp(), user_id),
            )
        return replace(user, userSettings=merged)

    # --- callLogs ------------------------------------------------------------------------

    def find_call_log(
        self, session_id: str, *, extension_number: str = "", hashed_extension_id: str = ""
    ) -> CallLogRecord | None:
        """App Connect's lookup (session plus identity filter, ref §4), oldest row first."""
        where, params = identity_filter(extension_number, hashed_extension_id)
        row = self._conn.execute(
            f"SELECT * FROM callLogs WHERE sessionId = ?{where} ORDER BY createdAt, rowid LIMIT 1",
            (session_id, *params),
        ).fetchone()
        return call_log_from_row(row) if row else None

    def begin_create(
        self, session_id: str, *, extension_number: str = "", hashed_extension_id: str = ""
    ) -> tuple[claims.BeginState, CallLogRecord | None]:
        """Before a create: the existing row or a claim on the session (see store.claims)."""
        return claims.begin_create(self, session_id, extension_number, hashed_extension_id)

    def release_claim(
        self,
        session_id: str,
        *,
        extension_number: str = "",
        hashed_extension_id: str = "",
        force: bool = False,
    ) -> None:
        claims.release(self, session_id, extension_number, hashed_extension_id, force=force)

    def mark_claim(
        self, outcome: str, session_id: str, *, extension_number: str, hashed_extension_id: str
    ) -> None:
        claims.set_outcome(self, outcome, session_id, extension_number, hashed_extension_id)

    def claims(self) -> list[dict[str, Any]]:
        """Open claims: sessions some process started to log and did not finish."""
        return claims.open_claims(self._conn)

    @property
    def connection(self) -> sqlite3.Connection:
        """For the store's helper modules (claims, intents); writes go through transaction()."""
        return self._conn

    def insert_call_log(
        self, record: CallLogRecord, composed: ComposedBody | None = None
    ) -> CallLogRecord:
        """Write the row, and what was composed for it, in one transaction."""
        stamp = now_timestamp()
        record = replace(record, createdAt=stamp, updatedAt=stamp)
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO callLogs ({', '.join(CALL_LOG_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(CALL_LOG_COLUMNS))})",
                tuple(getattr(record, c) for c in CALL_LOG_COLUMNS),
            )
            if composed is not None:
                upsert_composed(conn, composed, stamp)
            # The row replaces the claim (if any) in the same transaction.
            conn.execute(
                "DELETE FROM sessionClaims WHERE sessionId = ? AND extensionNumber = ? "
                "AND hashedExtensionId = ?",
                (record.sessionId, record.extensionNumber, record.hashedExtensionId),
            )
        return record

    def record_composed(self, composed: ComposedBody) -> None:
        with self.transaction() as conn:
            upsert_composed(conn, composed, now_timestamp())

    def composed_bodies(self, platform: str) -> dict[str, ComposedBody]:
        """Every composed body of a platform by CRM log id (reconciliation reads them all)."""
        rows = self._conn.execute(
            "SELECT platform, thirdPartyLogId, sessionId, logFormat, body, updatedAt "
            "FROM composedBodies WHERE platform = ?",
            (platform,),
        )
        return {row["thirdPartyLogId"]: ComposedBody(**dict(row)) for row in rows}

    def last_composed(self, platform: str, third_party_log_id: str) -> ComposedBody | None:
        row = self._conn.execute(
            "SELECT platform, thirdPartyLogId, sessionId, logFormat, body, updatedAt "
            "FROM composedBodies WHERE platform = ? AND thirdPartyLogId = ?",
            (platform, third_party_log_id),
        ).fetchone()
        return ComposedBody(**dict(row)) if row else None

    def iter_call_logs(self, session_id: str | None = None) -> Iterator[CallLogRecord]:
        """Rows in creation order, streamed from the cursor rather than loaded at once."""
        if session_id is None:
            cursor = self._conn.execute("SELECT * FROM callLogs ORDER BY createdAt, rowid")
        else:
            cursor = self._conn.execute(
                "SELECT * FROM callLogs WHERE sessionId = ? ORDER BY createdAt, rowid",
                (session_id,),
            )
        for row in cursor:
            yield call_log_from_row(row)

    # --- note cache --------------------------------------------------------------------

    def cache_note(self, session_id: str, note: str, *, now: float | None = None) -> None:
        expires = (time.time() if now is None else now) + NOTE_CACHE_TTL_SECONDS
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO noteCache (sessionId, note, expiresAt) VALUES (?, ?, ?) "
                "ON CONFLICT (sessionId) DO UPDATE SET note = excluded.note, "
                "expiresAt = excluded.expiresAt",
                (session_id, note, expires),
            )

    def cached_note(self, session_id: str, *, now: float | None = None) -> str | None:
        row = self._conn.execute(
            "SELECT note FROM noteCache WHERE sessionId = ? AND expiresAt > ?",
            (session_id, time.time() if now is None else now),
        ).fetchone()
        return str(row["note"]) if row else None

    def _user_values(self, user: User) -> tuple[Any, ...]:
        values = []
        for column in USER_COLUMNS:
            value = getattr(user, column)
            if column in _JSON_USER_COLUMNS:
                value = json.dumps(dict(value))
            elif column in ENCRYPTED_COLUMNS:
                value = self._cipher.seal(value, column, user.id)
            values.append(value)
        return tuple(values)

    def _user_from_row(self, row: sqlite3.Row) -> User:
        data = {column: row[column] for column in USER_COLUMNS}
        for column in _JSON_USER_COLUMNS:
            data[column] = json.loads(data[column]) if data[column] else {}
        for column in ENCRYPTED_COLUMNS:
            data[column] = self._cipher.open(data[column], column, str(data["id"]))
        return User(**data)

    def explain_session_lookup(self) -> list[str]:
        """The query plan of a session lookup (tests check it uses the sessionId index)."""
        rows = self._conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM callLogs WHERE sessionId = ?", ("x",)
        ).fetchall()
        return [str(row["detail"]) for row in rows]


def _os_problem(exc: OSError) -> str:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"the home is not writable ({exc.strerror}); set --home or APPCONNECT_HOME"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "the home is not a directory; set --home or APPCONNECT_HOME"
    return f"cannot create the store: {exc.strerror}"


def upsert_composed(conn: sqlite3.Connection, composed: ComposedBody, stamp: str) -> None:
    conn.execute(
        "INSERT INTO composedBodies "
        "(platform, thirdPartyLogId, sessionId, logFormat, body, createdAt, updatedAt) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, thirdPartyLogId) DO UPDATE SET "
        "sessionId = excluded.sessionId, logFormat = excluded.logFormat, body = excluded.body, "
        "updatedAt = excluded.updatedAt",
        (
            composed.platform,
            composed.thirdPartyLogId,
            composed.sessionId,
            composed.logFormat,
            composed.body,
            stamp,
            stamp,
        ),
    )
