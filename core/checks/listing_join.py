"""Rows against a paged CRM listing in bounded memory, for tables of any size.

The embedded reconciliation holds every row and the whole listing in memory (fine for a
developer's home). A deployed server's `callLogs` can hold millions of rows, so here both
sides stream: the CRM listing is fetched page by page (keyset paging, `ListCallLogsRequest.after`
and `limit`) into a temporary SQLite file keyed by log id, then the rows arrive in batches from
the server's database cursor and are looked up in it by index. What is left in the file
afterwards (listed logs no row pointed to) is the CRM side. Memory holds one page and one batch
(plus SQLite's page cache), so it does not grow with N; time is linear (one B-tree lookup per
row and per log). sqlite3 is the spill store because it is in the standard library and does
the indexing and grouping on disk.

The findings and codes are those of `reconcile.reconcile`; rows the listing cannot judge (not
listed, or drift only a full read can attribute) go to `fallback`, with bounded concurrency.
`judge` sees each listed log without its body: the server's composed bodies are not visible,
so there is no drift to judge, and bodies are most of a log's bytes.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TypeVar

from appconnect.connectors.contract import CallLogInfo, CallLogRecord, CRMCallLog
from appconnect.core.checks.problems import (
    DUPLICATE_CRM_LOGS,
    DUPLICATE_ROWS,
    UNLINKED_CRM_LOG,
    Problem,
)
from appconnect.core.checks.reconcile import Judged, _judge_listed, _ours

#: Logs asked for per listing request, and rows looked up per batch.
PAGE_SIZE = 1000
ROW_BATCH = 1000

#: Not kept in the spill file (see the module's docstring).
_UNJUDGED = {"body"}

Lister = Callable[[str | None, int], list[CRMCallLog]]
T = TypeVar("T")
R = TypeVar("R")

_SCHEMA = """
CREATE TABLE crm (id TEXT PRIMARY KEY, session TEXT, ours INTEGER, linked INTEGER DEFAULT 0,
                  data TEXT) WITHOUT ROWID;
CREATE TABLE sessions (session TEXT PRIMARY KEY, checked INTEGER) WITHOUT ROWID;
CREATE TABLE keys (n INTEGER PRIMARY KEY, session TEXT, ext TEXT, hash TEXT, log TEXT);
"""


@dataclass(slots=True)
class JoinResult:
    checked: int = 0
    listed: int = 0
    skipped_other_platform: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    last_row: CallLogRecord | None = None


def pages(lister: Lister, limit: int = PAGE_SIZE) -> Iterator[list[CRMCallLog]]:
    """The CRM's logs, a page at a time. A connector that ignores paging answers everything
    at once (more than `limit`), or the same page again: either ends the listing."""
    after: str | None = None
    while True:
        page = lister(after, limit)
        if not page:
            return
        yield page
        if len(page) != limit or page[-1].id == after:
            return
        after = page[-1].id


def join(
    rows: Iterable[CallLogRecord],
    listing: Iterable[list[CRMCallLog]],
    *,
    platform: str,
    user_id: str,
    since: str | None,
    judge: Callable[[CallLogRecord, CallLogInfo], Judged],
    fallback: Callable[[CallLogRecord], Judged],
    concurrency: int = 4,
) -> JoinResult:
    """Reconcile `rows` (all of the server's: `since` only narrows which are checked) with
    the CRM `listing`."""
    with tempfile.TemporaryDirectory(prefix="appconnect-join-") as directory:
        conn = _open(Path(directory) / "join.sqlite")
        try:
            result = JoinResult(listed=_load_listing(conn, listing, user_id))
            unread = _join_rows(conn, rows, result, platform, since, judge)
            for judged in bounded_map(fallback, unread, concurrency):
                result.problems.extend(judged[0])
                result.notes.extend(judged[1])
            result.problems[:0] = list(_duplicate_rows(conn))
            result.problems.extend(_crm_side(conn, since is not None))
        finally:
            conn.close()
    return result


def _open(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    # A scratch file: no journal, no fsync; 16 MB of page cache whatever N is.
    conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-16000;")
    conn.executescript(_SCHEMA)
    return conn


def _load_listing(
    conn: sqlite3.Connection, listing: Iterable[list[CRMCallLog]], user_id: str
) -> int:
    count = 0
    for page in listing:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT OR IGNORE INTO crm (id, session, ours, data) VALUES (?, ?, ?, ?)",
            (
                (log.id, log.sessionId, _is_ours(log, user_id), _kept(log))
                for log in page
            ),
        )
        conn.execute("COMMIT")
        count += len(page)
    return count


def _kept(log: CRMCallLog) -> str:
    return log.model_dump_json(exclude=_UNJUDGED)


def _is_ours(log: CRMCallLog, user_id: str) -> int:
    return 1 if next(_ours([log], user_id), None) is not None else 0


def _join_rows(
    conn: sqlite3.Connection,
    rows: Iterable[CallLogRecord],
    result: JoinResult,
    platform: str,
    since: str | None,
    judge: Callable[[CallLogRecord, CallLogInfo], Judged],
) -> Iterator[CallLogRecord]:
    """Judge each batch of rows against the listed logs; yields the rows it could not judge
    (a generator, so the fallback reads them while later batches arrive)."""
    source = iter(rows)
    while batch := list(islice(source, ROW_BATCH)):
        mine = [row for row in batch if row.platform == platform]
        result.skipped_other_platform += len(batch) - len(mine)
        flags = [since is None or row.createdAt >= since for row in mine]
        checked = [row for row, flag in zip(mine, flags, strict=True) if flag]
        listed = _lookup(conn, [row.thirdPartyLogId for row in mine])
        conn.execute("BEGIN")
        conn.executemany(
            "UPDATE crm SET linked = 1 WHERE id = ?", ((log_id,) for log_id in listed)
        )
        conn.executemany(
            "INSERT INTO sessions VALUES (?, ?) ON CONFLICT (session) DO UPDATE "
            "SET checked = max(checked, excluded.checked)",
            ((row.sessionId, int(flag)) for row, flag in zip(mine, flags, strict=True)),
        )
        conn.executemany(
            "INSERT INTO keys (session, ext, hash, log) VALUES (?, ?, ?, ?)",
            ((r.sessionId, r.extensionNumber, r.hashedExtensionId, r.thirdPartyLogId)
             for r in checked),
        )  # fmt: skip
        conn.execute("COMMIT")
        for row in checked:
            result.checked += 1
            result.last_row = row
            judged = _judge_listed(row, listed.get(row.thirdPartyLogId), judge)
            if judged is None:
                yield row
                continue
            result.problems.extend(judged[0])
            result.notes.extend(judged[1])


def _lookup(conn: sqlite3.Connection, log_ids: list[str]) -> dict[str, CRMCallLog]:
    if not log_ids:
        return {}
    marks = ", ".join("?" * len(log_ids))
    query = f"SELECT id, data FROM crm WHERE id IN ({marks})"
    return {
        log_id: CRMCallLog.model_validate_json(data)
        for log_id, data in conn.execute(query, log_ids)
    }


def _duplicate_rows(conn: sqlite3.Connection) -> Iterator[Problem]:
    """Checked rows sharing session and identity (one problem per extra row)."""
    query = """
        SELECT k.session, k.ext, k.hash, k.log, g.count, f.log
        FROM (SELECT session, ext, hash, count(*) AS count, min(n) AS first FROM keys
              GROUP BY session, ext, hash HAVING count(*) > 1) AS g
        JOIN keys AS k ON k.session = g.session AND k.ext = g.ext AND k.hash = g.hash
        JOIN keys AS f ON f.n = g.first
        WHERE k.n != g.first ORDER BY k.n"""
    for session, ext, hashed, log_id, count, first in conn.execute(query):
        yield Problem(
            DUPLICATE_ROWS,
            session,
            log_id,
            f"{count} rows for session {session} and one identity (extension '{ext}', hash "
            f"'{hashed}'); the first points to CRM log {first}",
        )


def _crm_side(conn: sqlite3.Connection, scoped: bool) -> Iterator[Problem]:
    """Our listed logs no row points to: a duplicate when their session has a row."""
    query = """
        SELECT c.id, coalesce(c.session, ''), s.session IS NOT NULL, coalesce(s.checked, 0)
        FROM crm AS c LEFT JOIN sessions AS s ON s.session = c.session
        WHERE c.ours = 1 AND c.linked = 0"""
    for log_id, session, has_row, checked in conn.execute(query):
        if scoped and not checked:
            continue  # with --since, only the sessions of checked rows
        if has_row:
            message = f"session {session} has CRM log {log_id} besides the one its row points to"
            yield Problem(DUPLICATE_CRM_LOGS, session, log_id, message)
        else:
            message = f"CRM log {log_id} (session {session}) has no callLogs row pointing to it"
            yield Problem(UNLINKED_CRM_LOG, session, log_id, message)


def bounded_map(fn: Callable[[T], R], items: Iterable[T], concurrency: int) -> Iterator[R]:
    """`map(fn, items)` on `concurrency` threads, in order, with at most a few calls per
    thread queued (ThreadPoolExecutor.map would submit every item up front)."""
    if concurrency <= 1:
        yield from map(fn, items)
        return
    window: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="reconcile") as pool:
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= concurrency * 4:
                yield window.popleft().result()
        for future in window:
            yield future.result()
