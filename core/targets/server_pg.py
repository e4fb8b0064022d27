"""PostgreSQL reads for the server target, through psycopg 3 (the `postgres` extra).

Every read runs in a read-only transaction (`default_transaction_read_only` for the session
and `SET TRANSACTION READ ONLY`), so a mistake here can never write to a deployed server's
database, and rows come through a server-side (named) cursor in batches, so memory does not
grow with the table. The URL's password is never printed: messages go through redaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from appconnect.core.errors import ConfigError, StoreError
from appconnect.core.redaction import redact_url, redact_urls

CONNECT_TIMEOUT = 10  # seconds


def stream(url: str, query: str, args: Sequence[Any], batch: int) -> Iterator[dict[str, Any]]:
    """The rows of `query` (placeholders `?`), as dicts, `batch` per round trip."""
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:
        raise ConfigError(
            "reading PostgreSQL needs psycopg: pip install 'appconnect-harness[postgres]'",
            "server.database",
        ) from None
    where = redact_url(url)
    try:
        conn = psycopg.connect(
            url,
            connect_timeout=CONNECT_TIMEOUT,
            options="-c default_transaction_read_only=on",
            application_name="appconnect-harness",
        )
    except psycopg.Error as exc:
        reason = _reason(exc)
        raise StoreError(f"cannot connect to the server's PostgreSQL: {reason}", where) from None
    conn.read_only = True
    try:
        with conn.cursor(name="appconnect_read", row_factory=dict_row) as cursor:
            cursor.itersize = batch
            cursor.execute(query.replace("?", "%s"), list(args))
            while rows := cursor.fetchmany(batch):
                yield from rows
    except psycopg.Error as exc:
        raise StoreError(f"cannot read the server's PostgreSQL: {_reason(exc)}", where) from None
    finally:
        conn.close()


def _reason(exc: Exception) -> str:
    """psycopg's first message line (a libpq message can name the host, never the password;
    redacted anyway in case it quotes the URL)."""
    text = str(exc).strip().splitlines()
    return redact_urls(text[0] if text else type(exc).__name__)
