"""Where the harness keeps its state: one function decides, so tests can point it anywhere."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from pathlib import Path

HOME_ENV = "APPCONNECT_HOME"
CONFIG_ENV = "APPCONNECT_CONFIG"
DB_NAME = "appconnect.db"
FIXTURE_CRM_NAME = "fixture-crm.db"
# What homes held before the fixture CRM moved to SQLite; CRMState migrates it once, on open.
LEGACY_FIXTURE_CRM_NAME = "fixture-crm.json"
#: A temp file this old was left by a killed write: a live write renames its own in milliseconds.
STALE_TEMP_SECONDS = 60
#: Fixture CRM data files up to this size are parsed in full when the home is opened.
FULL_CHECK_BYTES = 1024 * 1024


def harness_home() -> Path:
    """`$APPCONNECT_HOME`, else `./.appconnect/` (per project, like a venv)."""
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else Path.cwd() / ".appconnect"


def db_path(home: Path) -> Path:
    return home / DB_NAME


def fixture_crm_path(home: Path) -> Path:
    return home / FIXTURE_CRM_NAME


def prepare_home(home: Path) -> None:
    """Create the home user-only (it holds CRM tokens and keys), drop the temp files killed
    writes left behind (they may hold the fixture CRM's key), and refuse a fixture CRM data
    file that cannot be one, before anything writes. Raises OSError or StoreError."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A read-only mount fails access() even for root; say so before the first write fails.
    if not os.access(home, os.W_OK):
        raise PermissionError(errno.EACCES, "Permission denied or read-only", str(home))
    remove_stale_temp_files(home)
    check_fixture_crm_file(fixture_crm_path(home))
    check_fixture_crm_file(home / LEGACY_FIXTURE_CRM_NAME)  # what a migration would read


def check_fixture_crm_file(path: Path) -> None:
    """A directory, FIFO or device would hang or crash the fixture CRM; an empty or corrupt
    JSON data file would fail every request: one line now instead, naming the way out."""
    from appconnect.core.errors import StoreError
    from appconnect.core.user_files import shown

    if not path.exists() and not path.is_symlink():
        return
    fresh = "move it away to start a fresh fixture CRM"
    if not path.is_file():
        raise StoreError(f"the fixture CRM data file is not a regular file; {fresh}", shown(path))
    if path.suffix != ".json":  # another format checks its own content
        return
    if not _looks_like_a_json_object(path):
        raise StoreError(f"the fixture CRM data file is empty or corrupt; {fresh}", shown(path))


def _looks_like_a_json_object(path: Path) -> bool:
    """Parsed in full up to FULL_CHECK_BYTES; a larger file (a long benchmark's CRM, 7 MB for
    10,000 activities, 180 ms to parse) only has to open with `{` and close with `}` here,
    which catches empty and truncated files without parsing on every start."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= FULL_CHECK_BYTES:
                return isinstance(json.loads(handle.read()), dict)
            head = handle.read(64).lstrip()
            handle.seek(size - 64)
            tail = handle.read().rstrip()
    except (OSError, ValueError, RecursionError):  # ValueError: bad JSON or bad UTF-8
        return False
    return head.startswith(b"{") and tail.endswith(b"}")


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
