from __future__ import annotations

import sqlite3
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from appconnect.connectors.contract import CallLogRecord, User
from appconnect.core.errors import StoreError
from appconnect.core.store.db import Store
from appconnect.core.store.schema import CALL_LOG_COLUMNS, SCHEMA_VERSION


def _row(session: str = "s1", **changes: str) -> CallLogRecord:
    values = dict(
        id=f"tel-{session}",
        sessionId=session,
        extensionNumber="",
        hashedExtensionId="",
        platform="fixture",
        thirdPartyLogId=f"act-{session}",
        userId="u1",
        contactId="ct-1",
    )
    values.update(changes)
    return CallLogRecord(**values)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "state" / "appconnect.db")


def test_schema_has_app_connect_columns_and_key(store: Store, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "state" / "appconnect.db")
    columns = [row[1] for row in conn.execute("PRAGMA table_info(callLogs)")]
    assert tuple(columns) == CALL_LOG_COLUMNS
    key = sorted((row[5], row[1]) for row in conn.execute("PRAGMA table_info(callLogs)") if row[5])
    assert [name for _, name in key] == ["id", "sessionId", "extensionNumber", "hashedExtensionId"]
    user_columns = {row[1] for row in conn.execute("PRAGMA table_info(users)")}
    assert {
        "accessToken",
        "refreshToken",
        "tokenExpiry",
        "userSettings",
        "timezoneOffset",
    } <= user_columns
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5


def test_store_file_is_user_only(store: Store, tmp_path: Path) -> None:
    mode = stat.S_IMODE((tmp_path / "state" / "appconnect.db").stat().st_mode)
    assert mode == 0o600


def test_session_lookup_uses_the_index(store: Store) -> None:
    plan = " ".join(store.explain_session_lookup())
    assert "USING INDEX callLogs_sessionId" in plan


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        Store.open(path)


def test_reopen_keeps_rows_and_does_not_remigrate(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    first = Store.open(path)
    first.insert_call_log(_row())
    first.close()
    again = Store.open(path)
    assert [r.sessionId for r in again.iter_call_logs()] == ["s1"]


def test_duplicate_primary_key_is_rejected_and_leaves_one_row(store: Store) -> None:
    store.insert_call_log(_row())
    with pytest.raises(sqlite3.IntegrityError):
        store.insert_call_log(_row())
    assert len(list(store.iter_call_logs())) == 1


def test_identity_filter_follows_app_connect(store: Store) -> None:
    store.insert_call_log(_row("s1", id="a", extensionNumber="101", hashedExtensionId="h1"))
    store.insert_call_log(_row("s2", id="b", extensionNumber="102", hashedExtensionId=""))
    store.insert_call_log(_row("s3", id="c"))
    assert store.find_call_log("s1", hashed_extension_id="h1") is not None
    assert store.find_call_log("s1", hashed_extension_id="other") is None
    # A hash also matches legacy rows with no hash and the same extension...
    assert store.find_call_log("s2", extension_number="102", hashed_extension_id="h9") is not None
    # ...and rows with neither.
    assert store.find_call_log("s3", hashed_extension_id="h9") is not None
    assert store.find_call_log("s2", extension_number="999") is None
    assert store.find_call_log("s2") is not None  # no identity: session only


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute(
            "INSERT INTO callLogs (id, sessionId, createdAt, updatedAt) VALUES ('x', 'y', 'n', 'n')"
        )
        raise RuntimeError("boom")
    assert list(store.iter_call_logs()) == []


def test_login_upsert_keeps_settings(store: Store) -> None:
    user = User(id="u1", platform="fixture", accessToken="k1", userSettings={"x": {"value": 1}})
    created = store.upsert_user(user)
    assert created.userSettings == {}  # new rows start with empty settings, as in App Connect
    store.update_user_settings("u1", {"addCallSessionId": {"value": True}})
    store.upsert_user(User(id="u1", platform="fixture", accessToken="k2"))
    stored = store.get_user("u1")
    assert stored is not None
    assert stored.accessToken == "k2"
    assert stored.userSettings == {"addCallSessionId": {"value": True}}
    assert store.latest_user("fixture") == stored
    assert store.latest_user("other") is None


def test_v1_store_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    from appconnect.core.store import db as store_module

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    store_module.MIGRATIONS[0](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO callLogs (id, sessionId, thirdPartyLogId, createdAt, updatedAt) "
        "VALUES ('t', 's', 'act-1', 'n', 'n')"
    )
    conn.commit()
    conn.close()
    migrated = Store.open(path)
    assert migrated.schema_version == SCHEMA_VERSION
    assert [r.thirdPartyLogId for r in migrated.iter_call_logs()] == ["act-1"]
    assert migrated.last_composed("fixture", "act-1") is None


def test_row_and_composed_body_are_written_together(store: Store) -> None:
    from appconnect.core.store.db import ComposedBody

    body = ComposedBody("fixture", "act-s1", "s1", "text/plain", "- Note: hi\n")
    store.insert_call_log(_row(), body)
    with pytest.raises(sqlite3.IntegrityError):
        store.insert_call_log(_row(), replace(body, body="other"))
    last = store.last_composed("fixture", "act-s1")
    assert last is not None and last.body == "- Note: hi\n"  # the failed insert wrote nothing
    store.record_composed(replace(body, body="- Note: bye\n"))
    again = store.last_composed("fixture", "act-s1")
    assert again is not None and again.body == "- Note: bye\n"


# --- tokens encrypted at rest (issue 15, item 15) -------------------------------------------


def _raw_tokens(path: Path) -> tuple[str, str]:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT accessToken, refreshToken FROM users").fetchone()
    finally:
        conn.close()
    return row[0], row[1]


def test_tokens_are_sealed_when_a_key_is_set(tmp_path: Path) -> None:
    from appconnect.core.store.crypto import PREFIX, TokenCipher

    path = tmp_path / "appconnect.db"
    store = Store.open(path, cipher=TokenCipher.from_secret("k" * 32))
    store.upsert_user(User(id="u1", platform="p", accessToken="AT-1", refreshToken="RT-1"))
    access, refresh = _raw_tokens(path)
    assert access.startswith(PREFIX) and refresh.startswith(PREFIX)
    assert "AT-1" not in access and "RT-1" not in refresh
    assert path.read_bytes().count(b"AT-1") == 0
    user = store.get_user("u1")
    assert user is not None and (user.accessToken, user.refreshToken) == ("AT-1", "RT-1")
    store.save_tokens("u1", access_token="AT-2", refresh_token="RT-2", token_expiry="later")
    assert "AT-2" not in _raw_tokens(path)[0]
    assert (store.get_user("u1") or User(id="x")).accessToken == "AT-2"
    store.close()


def test_each_seal_uses_a_fresh_nonce_and_is_bound_to_its_column_and_user() -> None:
    from appconnect.core.store.crypto import TokenCipher

    cipher = TokenCipher.from_secret("key")
    first = cipher.seal("same", "accessToken", "u1")
    assert first != cipher.seal("same", "accessToken", "u1")  # no fixed IV
    assert cipher.open(first, "accessToken", "u1") == "same"
    for column, user in (("refreshToken", "u1"), ("accessToken", "u2")):  # moved value
        with pytest.raises(StoreError, match="cannot decrypt"):
            cipher.open(first, column, user)
    assert first is not None
    tampered = first[:-4] + ("AAAA" if not first.endswith("AAAA") else "BBBB")
    with pytest.raises(StoreError, match="cannot decrypt"):
        cipher.open(tampered, "accessToken", "u1")


def test_a_sealed_store_needs_its_key_and_a_clear_store_still_reads(tmp_path: Path) -> None:
    from appconnect.core.store.crypto import TokenCipher

    path = tmp_path / "appconnect.db"
    clear = Store.open(path, cipher=TokenCipher(None))
    clear.upsert_user(User(id="u0", platform="p", accessToken="plain"))
    clear.close()
    sealed = Store.open(path, cipher=TokenCipher.from_secret("right"))
    assert (sealed.get_user("u0") or User(id="x")).accessToken == "plain"  # written before
    sealed.upsert_user(User(id="u1", platform="p", accessToken="AT"))
    sealed.close()
    without = Store.open(path, cipher=TokenCipher(None))
    with pytest.raises(StoreError, match="set APPCONNECT_STORE_KEY"):
        without.get_user("u1")
    wrong = Store.open(path, cipher=TokenCipher.from_secret("wrong"))
    with pytest.raises(StoreError, match="wrong APPCONNECT_STORE_KEY"):
        wrong.get_user("u1")


def test_the_cli_seals_tokens_with_the_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from appconnect.cli import app

    home = tmp_path / "home"
    monkeypatch.setenv("APPCONNECT_STORE_KEY", "an-environment-key")
    runner = CliRunner()
    assert runner.invoke(app, ["--home", str(home), "log-call"]).exit_code == 0
    access, _ = _raw_tokens(home / "appconnect.db")
    assert access.startswith("enc:v1:")
    assert (
        runner.invoke(app, ["--home", str(home), "edit-log", "4001000101", "--note", "n"]).exit_code
        == 0
    )
    monkeypatch.delenv("APPCONNECT_STORE_KEY")
    result = runner.invoke(app, ["--home", str(home), "log-call", "missed"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: the stored tokens are encrypted: set APPCONNECT_STORE_KEY (users.accessToken)\n"
    )
