"""A real PostgreSQL server for tests: initdb + pg_ctl into a temporary directory on a free
loopback port, started once per test session (tests/conftest.py `postgres`), each test in a
database of its own.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (Debian's
`postgresql` package creates it) through `runuser`. Host connections need a password
(scram-sha-256), as a deployed server's do, so tests can check it is never printed.

`PostgresUnavailable` means "skip" locally; with `CI` or `APPCONNECT_REQUIRE_SERVICES=1` set the
fixture fails instead (.ci/run installs PostgreSQL first).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PASSWORD = "pg-" + secrets.token_hex(8)
START_TIMEOUT = 60


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be started here; the reason is the skip message."""


def services_required() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("APPCONNECT_REQUIRE_SERVICES") == "1"


def _bindir() -> Path:
    """Debian's versioned bin directory (newest first), else initdb on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version, reverse=True)
    initdb = found[0] if found else shutil.which("initdb")
    if initdb is None:
        raise PostgresUnavailable("initdb not found (apt-get install postgresql)")
    return Path(initdb).resolve().parent


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="appconnect-pg-"))
        self.data = self.root / "data"
        self._as: list[str] = []
        self._databases = 0

    def _run(self, *args: str) -> None:
        try:
            subprocess.run(
                [*self._as, *args], check=True, capture_output=True, text=True,
                timeout=START_TIMEOUT, cwd=self.root,  # the postgres user may not enter ours
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            raise PostgresUnavailable(
                f"{Path(args[0]).name} failed: {(exc.stderr or exc.stdout).strip()[-300:]}"
            ) from None

    def start(self) -> None:
        if os.geteuid() == 0:  # initdb and postgres refuse root
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no postgres user") from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
            "--locale=C", "--no-sync", "--auth-local=trust", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "log"), "-w", "-t", str(START_TIMEOUT), "start",
        )  # fmt: skip

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"t{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(
                [*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                 "stop"], capture_output=True, timeout=START_TIMEOUT, cwd=self.root,
            )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


# The tables as Sequelize's `sync()` creates them on PostgreSQL for App Connect's models
# (packages/core/models/callLogModel.ts, userModel.ts): STRING is VARCHAR(255), DATE is
# TIMESTAMP WITH TIME ZONE, and the timestamps Sequelize adds are NOT NULL. The Node-server
# test checks our reads against the tables the real core creates.
SEQUELIZE_DDL = """
CREATE TABLE IF NOT EXISTS "callLogs" (
  "id" VARCHAR(255), "sessionId" VARCHAR(255),
  "extensionNumber" VARCHAR(255) NOT NULL DEFAULT '',
  "hashedExtensionId" VARCHAR(255) NOT NULL DEFAULT '',
  "platform" VARCHAR(255), "thirdPartyLogId" VARCHAR(255), "userId" VARCHAR(255),
  "contactId" VARCHAR(255),
  "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY ("id", "sessionId", "extensionNumber", "hashedExtensionId"));
CREATE TABLE IF NOT EXISTS "users" (
  "id" VARCHAR(255), "rcAccountId" VARCHAR(255), "hostname" VARCHAR(255),
  "timezoneName" VARCHAR(255), "timezoneOffset" VARCHAR(255), "platform" VARCHAR(255),
  "accessToken" VARCHAR(2000), "refreshToken" VARCHAR(2000),
  "tokenExpiry" TIMESTAMP WITH TIME ZONE, "platformAdditionalInfo" JSON,
  "hashedRcExtensionId" VARCHAR(255), "userSettings" JSON,
  "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY ("id"));
"""
