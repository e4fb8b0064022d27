"""Updates of a CRM log, serialised and journalled (harness table `updateIntents`).

An update reads the CRM log, composes a new body from it and writes it back. Two updates of
one log at once (an edit and a recording link from two processes) would each compose from
the same old body and the later write would drop the earlier one's change, so an update
holds the log's row here from before its first CRM call to after its store write:

1. `acquire`: a "locked" row, taken in a write transaction (a locked store fails here,
   before anything reached the CRM); another live holder means wait, boundedly.
2. `mark_sent`: just before updateCallLog, the row turns "sent" with the body to be written.
3. `complete`: the composed body is recorded and the row goes, in one transaction.

A "sent" row whose process is gone (killed between the CRM write and the store write, or an
update that got no answer) is a half-done update: check-interfaces reports it
(`update-incomplete`) rather than calling the body overwritten, and `repair` re-reads the CRM
log and records what it holds.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from appconnect.core.errors import StoreBusy
from appconnect.core.store.claims import pid_alive

if TYPE_CHECKING:
    from appconnect.core.store.db import ComposedBody, Store

LOCKED, SENT = "locked", "sent"
#: How long an update waits for another process's update of the same log.
WAIT_SECONDS = 30.0

_KEY = "platform = ? AND thirdPartyLogId = ?"


@dataclass
class UpdateLock:
    platform: str
    thirdPartyLogId: str
    sessionId: str
    token: str
    #: A half-done update this one took over: restored if this one sends nothing.
    previous: dict[str, Any] | None = None
    sent: bool = False
    done: bool = False
    #: The CRM write got no answer: it may have happened.
    outcome_unknown: bool = False


def acquire(
    store: Store,
    platform: str,
    log_id: str,
    session_id: str,
    interface: str,
    *,
    wait: float | None = None,
) -> UpdateLock:
    """Hold the log's update row, waiting up to `wait` seconds for a live holder."""
    lock = UpdateLock(platform, log_id, session_id, uuid.uuid4().hex)
    deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
    while True:
        if _try_take(store, lock, interface):
            return lock
        if time.monotonic() >= deadline:
            raise StoreBusy(
                f"session {session_id} is being updated by another process; try again",
                "updateIntents",
            )
        time.sleep(random.uniform(0.01, 0.05))  # jitter: waiters do not wake in step


def _try_take(store: Store, lock: UpdateLock, interface: str) -> bool:
    key = (lock.platform, lock.thirdPartyLogId)
    with store.transaction() as conn:
        row = conn.execute(f"SELECT * FROM updateIntents WHERE {_KEY}", key).fetchone()
        if row is not None and pid_alive(int(row["pid"])):
            return False
        if row is not None and row["state"] == SENT:
            lock.previous = dict(row)
        conn.execute(
            "INSERT OR REPLACE INTO updateIntents (platform, thirdPartyLogId, sessionId, "
            "interface, state, pid, token, startedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, lock.sessionId, interface, LOCKED, os.getpid(), lock.token, time.time()),
        )
    return True


def mark_sent(store: Store, lock: UpdateLock, log_format: str, body: str) -> None:
    """The intent, written before the CRM call (a store that cannot take it stops here)."""
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE updateIntents SET state = ?, logFormat = ?, body = ? WHERE {_KEY} "
            "AND token = ?",
            (SENT, log_format, body, lock.platform, lock.thirdPartyLogId, lock.token),
        )
    lock.sent = True
    # Until the CRM answers, the write may have happened: anything that ends the update
    # now (an exception, a store write that fails after the CRM's) leaves it half-done.
    lock.outcome_unknown = True


def complete(store: Store, lock: UpdateLock, composed: ComposedBody | None) -> None:
    """The completion: what was composed is recorded and the intent goes, together."""
    from appconnect.core.store.db import now_timestamp, upsert_composed

    with store.transaction() as conn:
        if composed is not None:
            upsert_composed(conn, composed, now_timestamp())
        conn.execute(
            f"DELETE FROM updateIntents WHERE {_KEY} AND token = ?",
            (lock.platform, lock.thirdPartyLogId, lock.token),
        )
    lock.done = True


@contextmanager
def held(
    store: Store, platform: str, log_id: str, session_id: str, interface: str
) -> Iterator[UpdateLock]:
    """The log's update lock from `acquire` to `release`, whatever happens in between."""
    lock = acquire(store, platform, log_id, session_id, interface)
    try:
        yield lock
    finally:
        release(store, lock)


def release(store: Store, lock: UpdateLock) -> None:
    """After the update, whatever happened: nothing left for a finished update; a write
    whose outcome is unknown stays "sent" with no process (a half-done update); one that
    never sent puts back the half-done update it took over, if any."""
    if lock.done:
        return
    key = (lock.platform, lock.thirdPartyLogId, lock.token)
    with store.transaction() as conn:
        if lock.sent and lock.outcome_unknown:
            conn.execute(f"UPDATE updateIntents SET pid = 0 WHERE {_KEY} AND token = ?", key)
        elif lock.previous is not None and not lock.sent:
            previous = {**lock.previous, "pid": 0}
            columns = ", ".join(previous)
            conn.execute(
                f"UPDATE updateIntents SET ({columns}) = ({', '.join('?' * len(previous))}) "
                f"WHERE {_KEY} AND token = ?",
                (*previous.values(), *key),
            )
        else:
            conn.execute(f"DELETE FROM updateIntents WHERE {_KEY} AND token = ?", key)
    lock.done = True


def half_done(store: Store, platform: str) -> list[dict[str, Any]]:
    """ "sent" intents whose process is gone: updates that may have reached the CRM only."""
    rows = store.connection.execute(
        "SELECT * FROM updateIntents WHERE platform = ? AND state = ? ORDER BY startedAt",
        (platform, SENT),
    ).fetchall()
    return [dict(row) for row in rows if not pid_alive(int(row["pid"]))]


def abandoned(store: Store, platform: str) -> list[dict[str, Any]]:
    """Intents of any state whose process is gone."""
    rows = store.connection.execute(
        "SELECT * FROM updateIntents WHERE platform = ? ORDER BY startedAt", (platform,)
    ).fetchall()
    return [dict(row) for row in rows if not pid_alive(int(row["pid"]))]


def settle(store: Store, intent: dict[str, Any], composed: ComposedBody | None) -> None:
    """`repair`: record what the CRM holds for a half-done update (or nothing) and drop it."""
    from appconnect.core.store.db import now_timestamp, upsert_composed

    with store.transaction() as conn:
        if composed is not None:
            upsert_composed(conn, composed, now_timestamp())
        conn.execute(
            f"DELETE FROM updateIntents WHERE {_KEY} AND token = ?",
            (intent["platform"], intent["thirdPartyLogId"], intent["token"]),
        )
