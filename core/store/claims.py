"""Session claims (harness table `sessionClaims`): who may create a session's CRM log, and
what is known of a create that ended without an answer.

A claim's `outcome` is "creating" (a process is creating now), "resolving" (a process is
finding out what an earlier create did) or "unknown" (a create got no answer and the CRM
could not be asked). A claim whose process died is as good as "unknown": the CRM may hold
the log it was creating. Either way the next logger of the session must look in the CRM
before it creates ("unresolved"), so a retry never makes a second CRM log.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import TYPE_CHECKING, Any, Literal

from appconnect.connectors.contract import CallLogRecord

if TYPE_CHECKING:
    from appconnect.core.store.db import Store

CREATING, RESOLVING, UNKNOWN = "creating", "resolving", "unknown"
BeginState = Literal["claimed", "existing", "busy", "unresolved"]

_KEY = "sessionId = ? AND extensionNumber = ? AND hashedExtensionId = ?"


def pid_alive(pid: int) -> bool:
    """Does process `pid` still run? 0 is nobody's (an "unknown" claim belongs to no one)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def begin_create(
    store: Store, session_id: str, extension_number: str, hashed_extension_id: str
) -> tuple[BeginState, CallLogRecord | None]:
    """Before a create, in one transaction: the existing row, a new claim ("claimed"), an
    earlier create to resolve first ("unresolved": an unknown outcome or a dead claimer,
    now this process's to resolve), or "busy" (a live process holds the claim)."""
    key = (session_id, extension_number, hashed_extension_id)
    with store.transaction() as conn:
        existing = store.find_call_log(
            session_id, extension_number=extension_number, hashed_extension_id=hashed_extension_id
        )
        if existing is not None:
            return "existing", existing
        claim = conn.execute(f"SELECT outcome, pid FROM sessionClaims WHERE {_KEY}", key).fetchone()
        if claim is None:
            conn.execute(
                "INSERT INTO sessionClaims (sessionId, extensionNumber, hashedExtensionId, "
                "pid, claimedAt, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                (*key, os.getpid(), time.time(), CREATING),
            )
            return "claimed", None
        if claim["outcome"] != UNKNOWN and pid_alive(int(claim["pid"])):
            return "busy", None
        conn.execute(
            f"UPDATE sessionClaims SET outcome = ?, pid = ?, claimedAt = ? WHERE {_KEY}",
            (RESOLVING, os.getpid(), time.time(), *key),
        )
    return "unresolved", None


def set_outcome(
    store: Store, outcome: str, session_id: str, extension_number: str, hashed_extension_id: str
) -> None:
    """ "unknown" hands the claim to no one (pid 0); "creating" keeps it this process's."""
    pid = 0 if outcome == UNKNOWN else os.getpid()
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE sessionClaims SET outcome = ?, pid = ? WHERE {_KEY}",
            (outcome, pid, session_id, extension_number, hashed_extension_id),
        )


def release(
    store: Store,
    session_id: str,
    extension_number: str,
    hashed_extension_id: str,
    *,
    force: bool = False,
) -> None:
    """After a create: this process's "creating" claim goes (nothing was created); one it
    was resolving and did not settle turns "unknown" again. `force` removes any claim
    (`repair`, once it knows the CRM holds no log for the session)."""
    key = (session_id, extension_number, hashed_extension_id)
    with store.transaction() as conn:
        if force:
            conn.execute(f"DELETE FROM sessionClaims WHERE {_KEY}", key)
            return
        conn.execute(
            f"DELETE FROM sessionClaims WHERE {_KEY} AND outcome = ? AND pid = ?",
            (*key, CREATING, os.getpid()),
        )
        conn.execute(
            f"UPDATE sessionClaims SET outcome = ?, pid = 0 WHERE {_KEY} AND outcome = ? "
            "AND pid = ?",
            (UNKNOWN, *key, RESOLVING, os.getpid()),
        )


def open_claims(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM sessionClaims ORDER BY claimedAt").fetchall()
    return [dict(row) for row in rows]


def settled(claim: dict[str, Any]) -> bool:
    """Is a claim's create over (its outcome unknown, or its process gone)?"""
    return claim.get("outcome") == UNKNOWN or not pid_alive(int(claim["pid"]))


def status(claim: dict[str, Any]) -> str:
    """What a claim means to a reader: "outcome unknown", or "being logged" by a live process."""
    if claim.get("outcome") == UNKNOWN:
        return "outcome unknown"
    if not pid_alive(int(claim["pid"])):
        return "outcome unknown (its process is gone)"
    return "being logged" if claim.get("outcome") == CREATING else "being resolved"


def describe(claim: dict[str, Any]) -> dict[str, Any]:
    """A claim as `logs` shows it (the JSON keys are the table's columns)."""
    return {
        "sessionId": claim["sessionId"],
        "extensionNumber": claim["extensionNumber"],
        "hashedExtensionId": claim["hashedExtensionId"],
        "claim": status(claim),
        "pid": claim["pid"] or None,
        "claimedAt": claim["claimedAt"],
    }
