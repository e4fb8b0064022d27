"""The server's database on PostgreSQL (core/targets/server_db.py, server_pg.py) and the
bounded-memory join of rows with a paged CRM listing (core/checks/listing_join.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from typer.testing import Result

from appconnect.connectors.contract import CallLogInfo, CallLogRecord, CRMCallLog
from appconnect.core.checks.compare import compare_row
from appconnect.core.checks.listing_join import join, pages
from appconnect.core.errors import ConfigError, StoreError
from appconnect.core.targets.server_db import ServerDatabase, database_from_env
from appconnect.core.targets.server_pg import stream
from tests.pg_server import PASSWORD, SEQUELIZE_DDL, PostgresServer

ROWS = [
    # id, sessionId, extensionNumber, platform, thirdPartyLogId, createdAt
    ("t1", "s1", "101", "fixture", "act-1", "2024-06-01 09:00:00.250+00"),
    ("t2", "s2", "", "fixture", "act-2", "2024-06-02 12:00:00+02"),
    ("t3", "s3", "101", "other", "x-3", "2024-06-03 00:00:00+00"),
]


@pytest.fixture
def database(postgres: PostgresServer) -> str:
    url = postgres.new_database()
    with psycopg.connect(url) as conn:
        conn.execute(SEQUELIZE_DDL)  # type: ignore[arg-type]
        for call, session, ext, platform, log_id, created in ROWS:
            conn.execute(
                'INSERT INTO "callLogs" VALUES (%s, %s, %s, \'\', %s, %s, \'u-1\', \'ct-1\', '
                "%s, %s)",
                (call, session, ext, platform, log_id, created, created),
            )
        conn.execute(
            'INSERT INTO "users" ("id", "platform", "accessToken", "createdAt", "updatedAt") '
            "VALUES ('u-1', 'fixture', 'the-api-key', now(), now())"
        )
    return url


def test_rows_read_as_the_sequelize_columns_in_store_text(database: str) -> None:
    rows = list(ServerDatabase(database).call_logs())
    assert [r.sessionId for r in rows] == ["s1", "s2", "s3"]
    assert rows[0] == CallLogRecord(
        id="t1", sessionId="s1", extensionNumber="101", hashedExtensionId="", platform="fixture",
        thirdPartyLogId="act-1", userId="u-1", contactId="ct-1",
        createdAt="2024-06-01 09:00:00.250 +00:00", updatedAt="2024-06-01 09:00:00.250 +00:00",
    )  # fmt: skip
    # timestamptz comes back in UTC, in the text Sequelize writes to SQLite
    assert rows[1].createdAt == "2024-06-02 10:00:00.000 +00:00"


def test_session_and_since_are_asked_of_the_database(database: str) -> None:
    db = ServerDatabase(database)
    assert [r.id for r in db.call_logs("s2")] == ["t2"]
    since = "2024-06-02 10:00:00.000 +00:00"
    assert [r.id for r in db.call_logs(since=since)] == ["t2", "t3"]
    assert list(db.call_logs("nope")) == []


def test_reads_are_read_only_and_batched(database: str) -> None:
    setting = list(stream(database, "SELECT current_setting('transaction_read_only') AS ro", [], 1))
    assert setting == [{"ro": "on"}]
    assert [r.id for r in ServerDatabase(database).call_logs(batch=1)] == ["t1", "t2", "t3"]


def test_the_users_row_holds_the_crm_credential(database: str) -> None:
    db = ServerDatabase(database)
    user = db.user(None, "fixture")
    assert (user.id, user.accessToken) == ("u-1", "the-api-key")
    with pytest.raises(ConfigError, match="no users row for u-9"):
        db.user("u-9", "fixture")


def test_errors_never_show_the_password(postgres: PostgresServer) -> None:
    wrong = postgres.url("postgres").replace(PASSWORD, PASSWORD + "x")
    with pytest.raises(StoreError) as caught:
        list(ServerDatabase(wrong).call_logs())
    assert "cannot connect to the server's PostgreSQL" in caught.value.message
    assert PASSWORD not in str(caught.value) + caught.value.where
    assert caught.value.where == f"postgresql://***@127.0.0.1:{postgres.port}/postgres"
    with pytest.raises(StoreError, match='relation "callLogs" does not exist'):
        list(ServerDatabase(postgres.url("postgres")).call_logs())


def test_check_interfaces_error_hides_the_password(
    run: Callable[..., Result], tmp_path: Path, postgres: PostgresServer
) -> None:
    config = tmp_path / "appconnect.toml"
    config.write_text(
        f'[server]\nurl = "http://127.0.0.1:9"\nplatform = "fixture"\n'
        f'database = "{postgres.url("postgres")}"\n'
    )
    config.chmod(0o644)
    result = run("--config", str(config), "--target", "server", "logs")
    assert PASSWORD not in result.stdout + result.stderr
    assert result.exit_code == 2
    warning, error = result.stderr.splitlines()
    assert "holds a secret (server.database)" in warning and "server.env_file" in warning
    assert error == (
        "Error: cannot read the server's PostgreSQL: relation \"callLogs\" does not exist "
        f"(postgresql://***@127.0.0.1:{postgres.port}/postgres)"
    )


def test_a_server_env_names_postgres(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("PORT=6066\nDATABASE_URL='postgres://app:pw@db.example:5432/appconnect'\n")
    assert database_from_env(env) == "postgres://app:pw@db.example:5432/appconnect"
    env.write_text("DATABASE_URL=mysql://x\n")
    with pytest.raises(ConfigError, match="neither a SQLite nor a PostgreSQL URL"):
        database_from_env(env)


# --- the join -------------------------------------------------------------------------------


def _row(
    n: int, session: str | None = None, *, log: str | None = None, at: str = ""
) -> CallLogRecord:
    return CallLogRecord(
        id=f"t{n}", sessionId=session or f"s{n}", extensionNumber="", hashedExtensionId="",
        platform="fixture", thirdPartyLogId=log or f"act-{n}", userId="u-1", contactId="ct-1",
        createdAt=at,
    )  # fmt: skip


def _log(n: int, session: str | None = None, contact: str = "ct-1") -> CRMCallLog:
    return CRMCallLog(id=f"act-{n}", sessionId=session or f"s{n}", contactId=contact)


Asked = list[tuple[str | None, int]]


def _paged(logs: list[CRMCallLog], asked: Asked) -> Callable[..., list[CRMCallLog]]:
    def lister(after: str | None, limit: int) -> list[CRMCallLog]:
        asked.append((after, limit))
        start = 0 if after is None else [log.id for log in logs].index(after) + 1
        return logs[start : start + limit]

    return lister


def _judge(row: CallLogRecord, info: CallLogInfo) -> tuple[list, list]:  # type: ignore[type-arg]
    return compare_row(row, info, None)


def test_listing_pages_follow_the_last_id_and_stop() -> None:
    logs = [_log(n) for n in range(1, 8)]
    asked: Asked = []
    got = list(pages(_paged(logs, asked), limit=3))
    assert [len(page) for page in got] == [3, 3, 1]
    assert asked == [(None, 3), ("act-3", 3), ("act-6", 3)]
    # a connector that ignores paging answers everything (or the same page) once
    assert len(list(pages(lambda after, limit: logs, limit=3))) == 1
    assert len(list(pages(lambda after, limit: logs[:3], limit=3))) == 2


def test_the_join_names_what_the_embedded_reconciliation_names() -> None:
    rows = [
        _row(1),
        _row(2, log="act-9"),  # its log is not listed: read row by row
        _row(3),
        _row(4, "s3", log="act-4"),  # a second row for session s3 and one identity
        _row(5, at="2024-01-01"),
    ]
    listed = [_log(1), _log(3), _log(4, "s3", contact="ct-2"), _log(5), _log(6), _log(7, "s1")]
    read_one_by_one: list[str] = []

    def fallback(row: CallLogRecord) -> tuple[list, list]:  # type: ignore[type-arg]
        read_one_by_one.append(row.thirdPartyLogId)
        return [], []

    result = join(
        rows, pages(_paged(listed, []), limit=2), platform="fixture", user_id="u-1",
        since=None, judge=_judge, fallback=fallback, concurrency=2,
    )  # fmt: skip
    assert read_one_by_one == ["act-9"]
    assert (result.checked, result.listed) == (5, 6)
    codes = sorted((p.code, p.thirdPartyLogId) for p in result.problems)
    assert codes == [
        ("contact-mismatch", "act-4"),
        ("duplicate-crm-logs", "act-7"),
        ("duplicate-rows", "act-4"),
        ("unlinked-crm-log", "act-6"),
    ]
    # With --since, only the sessions of checked rows: s6 and s1 are out of scope.
    scoped = join(
        rows, pages(_paged(listed, []), limit=2), platform="fixture", user_id="u-1",
        since="2024-01-01", judge=_judge, fallback=fallback,
    )  # fmt: skip
    assert scoped.checked == 1
    assert scoped.problems == []


def test_the_fixture_connector_lists_in_pages() -> None:
    """`listCallLogs` with `after`/`limit` through the built-in connector and the fixture
    CRM's HTTP API (keyset paging in creation order); the lister a server target uses."""
    from appconnect.connectors.contract import User
    from appconnect.core.config import HarnessConfig
    from appconnect.core.targets.fixture_crm import fixture_transport
    from appconnect.core.targets.server_crm import CrmLister
    from appconnect.fixtures.crm import CRMState
    from appconnect.fixtures.crm.state import SEED_ME

    state = CRMState(None)
    for n in range(1, 8):
        state.create_activity({"contactId": "ct-1", "sessionId": f"s{n}"})
    user = User(id=SEED_ME["id"], platform="fixture", accessToken=state.api_key)
    config = HarnessConfig()
    asked: list[str | None] = []
    with CrmLister(config, user, transport=fixture_transport(state)) as lister:

        def recorded(after: str | None, limit: int) -> list[CRMCallLog]:
            asked.append(after)
            return lister(after, limit)

        got = [[log.id for log in page] for page in pages(recorded, limit=3)]
    assert got == [["act-1", "act-2", "act-3"], ["act-4", "act-5", "act-6"], ["act-7"]]
    assert asked == [None, "act-3", "act-6"]
