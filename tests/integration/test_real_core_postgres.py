"""The real @app-connect/core on PostgreSQL (`DATABASE_URL=postgres://…`, App Connect's
production setting) and our `--target server` reading its `callLogs` and `users` from there:
the same scenarios, a clean check-interfaces, and rows changed in PostgreSQL named by it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import Result

from appconnect.core.home import fixture_crm_path
from tests.integration.core_pair import loopback_crm
from tests.node_core import NodeCoreServer
from tests.pg_server import PASSWORD, SEQUELIZE_DDL, PostgresServer

pytestmark = pytest.mark.node
Run = Callable[..., Result]


@pytest.fixture
def pg_server(
    node_modules: Path, postgres: PostgresServer, tmp_path: Path
) -> Iterator[tuple[Path, Path, str]]:
    """The fixture CRM, the real core in front of it on a fresh PostgreSQL database, and our
    config pointing at both (`[crm]` too, for `--reads listing`): (home, config, database URL)."""
    url = postgres.new_database()
    home = tmp_path / "home"
    home.mkdir()
    with loopback_crm(fixture_crm_path(home)) as crm:
        work = tmp_path / "node"
        work.mkdir()
        with NodeCoreServer(node_modules, crm.url, work, database_url=url) as server:
            config = tmp_path / "appconnect.toml"
            config.write_text(
                f'[server]\nurl = "{server.url}"\nplatform = "fixture"\n'
                f'api_key = "{crm.state.api_key}"\ndatabase = "{url}"\n'
                f'[crm]\nurl = "{crm.url}"\n'
            )
            config.chmod(0o600)
            yield home, config, url


def _run(run: Run, home: Path, config: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = run("--config", str(config), "--home", str(home), "--target", "server", *args)
    assert PASSWORD not in result.stdout + result.stderr  # the database URL's password
    return result.exit_code, json.loads(result.stdout)


def _columns(url: str, table: str) -> dict[str, str]:
    query = (
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY column_name"
    )
    with psycopg.connect(url) as conn:
        return {name: kind for name, kind in conn.execute(query, (table,))}


def test_the_real_core_on_postgres_reconciles_clean(
    run: Run, pg_server: tuple[Path, Path, str], postgres: PostgresServer
) -> None:
    home, config, url = pg_server
    for name in ("answered-inbound", "outbound-disposition"):
        code, report = _run(run, home, config, "simulate", name, "--json")
        assert code == 0, json.dumps(report, indent=1)
    # The tables the real core created are the ones our reads (and tests) assume.
    reference = postgres.new_database()
    with psycopg.connect(reference) as conn:
        conn.execute(SEQUELIZE_DDL)  # type: ignore[arg-type]
    for table in ("callLogs", "users"):
        assert _columns(url, table) == _columns(reference, table)
    with psycopg.connect(url) as conn:
        rows = conn.execute('SELECT count(*) FROM "callLogs"').fetchone()
    assert rows is not None and rows[0] == 2
    for reads in ("auto", "listing"):
        code, report = _run(
            run, home, config, "check-interfaces", "--json", "--reads", reads,
            "--concurrency", "2", "--rate-limit", "100",
        )  # fmt: skip
        assert code == 0, json.dumps(report, indent=1)
        assert report["reconciliation"] == {"ok": True, "checked": 2, "problems": []}
        # --since: rows created before it are not checked (nor their CRM logs unlinked)
        code, report = _run(
            run, home, config, "check-interfaces", "--json", "--reads", reads,
            "--since", "2100-01-01",
        )  # fmt: skip
        assert code == 0, json.dumps(report, indent=1)
        assert report["reconciliation"] == {"ok": True, "checked": 0, "problems": []}


def test_rows_changed_in_postgres_are_named(run: Run, pg_server: tuple[Path, Path, str]) -> None:
    home, config, url = pg_server
    for name in ("answered-inbound", "outbound-disposition"):
        assert _run(run, home, config, "simulate", name, "--json")[0] == 0
    with psycopg.connect(url) as conn:
        sessions = [r[0] for r in conn.execute('SELECT "sessionId" FROM "callLogs" ORDER BY 1')]
        logs = dict(conn.execute('SELECT "sessionId", "thirdPartyLogId" FROM "callLogs"'))
        gone, changed = sessions
        conn.execute('DELETE FROM "callLogs" WHERE "sessionId" = %s', (gone,))
        conn.execute(
            'UPDATE "callLogs" SET "thirdPartyLogId" = %s WHERE "sessionId" = %s',
            ("act-999", changed),
        )
    code, report = _run(run, home, config, "check-interfaces", "--json", "--reads", "listing")
    assert code == 1
    found = {
        (p["code"], p["sessionId"], p["thirdPartyLogId"])
        for p in report["reconciliation"]["problems"]  # type: ignore[index]
    }
    assert found == {
        # the deleted row's CRM log is linked by nothing, and its session has no row
        ("unlinked-crm-log", gone, logs[gone]),
        # the changed row points to a log the CRM does not have (read through the server) ...
        ("orphaned-row", changed, "act-999"),
        # ... and its real log is now a second CRM log of that session
        ("duplicate-crm-logs", changed, logs[changed]),
    }
    # Through the server alone (no listing), the changed row is still named.
    code, report = _run(run, home, config, "check-interfaces", "--json")
    assert code == 1
    problems = report["reconciliation"]["problems"]  # type: ignore[index]
    assert [(p["code"], p["thirdPartyLogId"]) for p in problems] == [("orphaned-row", "act-999")]
