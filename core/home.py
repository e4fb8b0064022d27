"""Where the harness keeps its state: one function decides, so tests can point it anywhere."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

HOME_ENV = "APPCONNECT_HOME"
CONFIG_ENV = "APPCONNECT_CONFIG"
DB_NAME = "appconnect.db"
FIXTURE_CRM_NAME = "fixture-crm.json"
#: A temp file this old was left by a killed write: a live write renames its own in milliseconds.
STALE_TEMP_SECONDS = 60


def harness_home() -> Path:
    """`$APPCONNECT_HOME`, else `./.appconnect/` (per project, like a venv)."""
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else Path.cwd() / ".appconnect"


def db_path(home: Path) -> Path:
    return home / DB_NAME


def fixture_crm_path(home: Path) -> Path:
    return home / FIXTURE_CRM_NAME


def prepare_home(home: Path) -> None:
    """Create the home user-only (it holds CRM tokens and keys), and drop the temp files
    killed writes left behind (they may hold the fixture CRM's key). Raises OSError."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_stale_temp_files(home)


def remove_stale_temp_files(home: Path, *, now: float | None = None) -> list[Path]:
    """Remove `.<name>.*.tmp` files older than STALE_TEMP_SECONDS; returns what went."""
    cutoff = (time.time() if now is None else now) - STALE_TEMP_SECONDS
    removed = []
    for path in home.glob(".*.tmp"):
        with contextlib.suppress(OSError):  # gone already, or not ours to remove
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
    return removed
