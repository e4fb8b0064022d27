"""Content fingerprints of a home's state files, to prove a failed command wrote nothing.

SQLite databases are compared by their logical content (a dump), not their bytes: in WAL mode
merely opening and closing a database may checkpoint it, which moves pages between the -wal
file and the database without changing a single row.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path


def fingerprint(path: Path) -> str:
    if path.suffix != ".db":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        dump = "\n".join(conn.iterdump())
    finally:
        conn.close()
    return hashlib.sha256(dump.encode()).hexdigest()


def home_snapshot(home: Path) -> dict[str, str]:
    """Fingerprints of every state file of `home` (SQLite's side files are part of their db)."""
    if not home.exists():
        return {}
    return {
        p.name: fingerprint(p)
        for p in sorted(home.iterdir())
        if p.is_file() and not p.name.endswith((".lock", "-journal", "-wal", "-shm"))
    }
