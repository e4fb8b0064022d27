"""Issue 15's store and home failures, each reproduced: the first-login race, the home's mode,
temp files left by killed writes, and a home that cannot be written."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from appconnect.connectors.contract import User
from appconnect.core.errors import StoreBusy
from appconnect.core.home import STALE_TEMP_SECONDS, remove_stale_temp_files
from appconnect.core.store.db import Store

Run = Callable[..., Result]


def test_concurrent_first_logins_of_one_user_do_not_collide(tmp_path: Path) -> None:
    """Two processes log in the same new user: the second's insert once hit
    `UNIQUE constraint failed: users.id`. Here the other process writes right after this one
    read, which is the interleaving that failed."""
    path = tmp_path / "appconnect.db"
    mine, other = Store.open(path), Store.open(path)
    other._conn.execute("PRAGMA busy_timeout = 0")  # a blocked writer fails at once
    user = User(id="u1", platform="fixture", accessToken="k1")
    outcomes: list[str] = []
    read = mine.get_user

    def read_then_race(user_id: str) -> User | None:
        found = read(user_id)
        try:
            other.upsert_user(user)
            outcomes.append("other wrote between my read and my write")
        except StoreBusy:  # the store's one-line error for "database is locked"
            outcomes.append("other waited for my transaction")
        return found

    mine.get_user = read_then_race  # type: ignore[method-assign]
    stored = mine.upsert_user(user)
    assert outcomes == ["other waited for my transaction"]
    assert stored.accessToken == "k1"
    assert other.upsert_user(user).accessToken == "k1"  # the waiter then updates, no error
    assert len(mine._conn.execute("SELECT id FROM users").fetchall()) == 1


def test_the_home_is_created_user_only(run: Run, tmp_path: Path) -> None:
    home = tmp_path / "fresh" / "home"
    assert run("--home", str(home), "logs").exit_code == 0
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_temp_files_left_by_killed_writes_are_removed_on_the_next_start(
    run: Run, home: Path
) -> None:
    assert run("logs").exit_code == 0
    stale = home / ".fixture-crm.json.k1ll3d.tmp"
    stale.write_text('{"apiKey": "secret"}')
    old = time.time() - STALE_TEMP_SECONDS - 5
    os.utime(stale, (old, old))
    live = home / ".fixture-crm.json.wr1t1ng.tmp"  # a write in progress right now
    live.write_text("{}")
    assert run("logs").exit_code == 0
    assert not stale.exists()
    assert live.exists()


def test_only_hidden_temp_files_are_removed(tmp_path: Path) -> None:
    keep = tmp_path / "notes.tmp"  # not ours: not hidden
    keep.write_text("x")
    gone = tmp_path / ".appconnect.db.x.tmp"
    gone.write_text("x")
    later = time.time() + 2 * STALE_TEMP_SECONDS
    assert remove_stale_temp_files(tmp_path, now=later) == [gone]
    assert keep.exists()


def test_a_home_that_is_a_file_is_one_line(run: Run, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("")
    result = run("--home", str(home), "logs")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), result.stderr
    assert "Usage" not in result.output


def test_a_read_only_home_is_one_clear_line(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests may run as root, for whom no mode bit is read-only: fail mkdir as EROFS does.
    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = run("--home", str(tmp_path / "ro"), "logs")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: the home is not writable (Read-only file system); set --home or "
        f"APPCONNECT_HOME ({tmp_path / 'ro' / 'appconnect.db'})\n"
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        pytest.param(b"", "is empty or corrupt", id="empty"),
        pytest.param(b'{"activities": [', "is empty or corrupt", id="truncated"),
        pytest.param(b"[]", "is empty or corrupt", id="not-an-object"),
        pytest.param(b"\xff\xfe{}", "is empty or corrupt", id="not-utf8"),
        pytest.param(None, "is not a regular file", id="directory"),
        pytest.param("fifo", "is not a regular file", id="fifo"),
    ],
)
def test_a_broken_fixture_crm_data_file_is_one_line_and_changes_nothing(
    content: bytes | str | None, fragment: str, run: Run, home: Path
) -> None:
    from appconnect.core.home import DB_NAME, LEGACY_FIXTURE_CRM_NAME

    home.mkdir(parents=True, exist_ok=True)
    data_file = home / LEGACY_FIXTURE_CRM_NAME  # the JSON file a migration would read
    if content is None:
        data_file.mkdir()
    elif content == "fifo":
        os.mkfifo(data_file)  # once hung every command
    else:
        assert isinstance(content, bytes)
        data_file.write_bytes(content)
    result = run("log-call")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: the fixture CRM data file {fragment}; move it away to start a fresh fixture "
        f"CRM ({data_file})\n"
    )
    assert not (home / DB_NAME).exists()  # refused before the store was created


def test_a_large_fixture_crm_file_is_checked_by_its_ends(tmp_path: Path) -> None:
    from appconnect.core.errors import StoreError
    from appconnect.core.home import FULL_CHECK_BYTES, check_fixture_crm_file

    path = tmp_path / "fixture-crm.json"
    filler = '"' + "x" * FULL_CHECK_BYTES + '"'
    path.write_text('{"activities": {}, "pad": ' + filler + "}\n")
    check_fixture_crm_file(path)  # large and whole: accepted without a full parse
    path.write_text('{"activities": {}, "pad": ' + filler)  # a write cut short
    with pytest.raises(StoreError, match="empty or corrupt"):
        check_fixture_crm_file(path)


def test_a_store_that_turns_out_read_only_is_one_clear_error(tmp_path: Path) -> None:
    from appconnect.core.errors import StoreError

    path = tmp_path / "appconnect.db"
    Store.open(path).close()
    # As on a read-only mount: the file opens, the first write fails.
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    store = Store(conn, str(path))
    with pytest.raises(StoreError) as caught:
        store.upsert_user(User(id="u1", platform="fixture", accessToken="k"))
    assert str(caught.value) == (
        f"the store is read-only (a read-only disk or mount?); set --home or APPCONNECT_HOME "
        f"({path})"
    )
    assert store.get_user("u1") is None


def test_a_home_without_write_access_is_refused_before_anything_is_written(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda p, mode: False if Path(p) == home and mode & os.W_OK else real_access(p, mode),
    )
    result = run("log-call")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the home is not writable (")
    assert list(home.iterdir()) == []
