"""The store's schema: App Connect's `users` and `callLogs` columns, and the migrations that
take a store from version n to n + 1 (`PRAGMA user_version`). Tables marked "ours" are the
harness's own, beside App Connect's."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

CALL_LOG_COLUMNS = (
    "id",
    "sessionId",
    "extensionNumber",
    "hashedExtensionId",
    "platform",
    "thirdPartyLogId",
    "userId",
    "contactId",
    "createdAt",
    "updatedAt",
)
USER_COLUMNS = (
    "id",
    "rcAccountId",
    "hostname",
    "timezoneName",
    "timezoneOffset",
    "platform",
    "accessToken",
    "refreshToken",
    "tokenExpiry",
    "platformAdditionalInfo",
    "hashedRcExtensionId",
    "userSettings",
)
_JSON_USER_COLUMNS = ("platformAdditionalInfo", "userSettings")


def _v1(conn: sqlite3.Connection) -> None:
    # VARCHAR(255) everywhere and the four-column key, as Sequelize creates them upstream.
    conn.execute(
        """CREATE TABLE users (
            id VARCHAR(255) PRIMARY KEY,
            rcAccountId VARCHAR(255),
            hostname VARCHAR(255),
            timezoneName VARCHAR(255),
            timezoneOffset VARCHAR(255),
            platform VARCHAR(255),
            accessToken VARCHAR(2000),
            refreshToken VARCHAR(2000),
            tokenExpiry DATETIME,
            platformAdditionalInfo JSON,
            hashedRcExtensionId VARCHAR(255),
            userSettings JSON,
            createdAt DATETIME NOT NULL,
            updatedAt DATETIME NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE callLogs (
            id VARCHAR(255) NOT NULL,
            sessionId VARCHAR(255) NOT NULL,
            extensionNumber VARCHAR(255) NOT NULL DEFAULT '',
            hashedExtensionId VARCHAR(255) NOT NULL DEFAULT '',
            platform VARCHAR(255),
            thirdPartyLogId VARCHAR(255),
            userId VARCHAR(255),
            contactId VARCHAR(255),
            createdAt DATETIME NOT NULL,
            updatedAt DATETIME NOT NULL,
            PRIMARY KEY (id, sessionId, extensionNumber, hashedExtensionId)
        )"""
    )
    conn.execute("CREATE INDEX callLogs_sessionId ON callLogs (sessionId)")


def _v2(conn: sqlite3.Connection) -> None:
    # Ours, not App Connect's: the body core last composed for each CRM log, so
    # reconciliation can tell a lost section from a user's own edit.
    conn.execute(
        """CREATE TABLE composedBodies (
            platform VARCHAR(255) NOT NULL,
            thirdPartyLogId VARCHAR(255) NOT NULL,
            sessionId VARCHAR(255) NOT NULL,
            logFormat VARCHAR(255) NOT NULL,
            body TEXT NOT NULL,
            createdAt DATETIME NOT NULL,
            updatedAt DATETIME NOT NULL,
            PRIMARY KEY (platform, thirdPartyLogId)
        )"""
    )


def _v3(conn: sqlite3.Connection) -> None:
    # App Connect's note cache (`POST /callLog/cacheNote`, DynamoDB with a 1 h TTL upstream).
    conn.execute(
        """CREATE TABLE noteCache (
            sessionId VARCHAR(255) PRIMARY KEY,
            note TEXT NOT NULL,
            expiresAt REAL NOT NULL
        )"""
    )


def _v4(conn: sqlite3.Connection) -> None:
    # Ours: a session being logged right now. The primary key is what makes concurrent
    # loggers of one session agree on a single winner (App Connect checks, then inserts).
    conn.execute(
        """CREATE TABLE sessionClaims (
            sessionId VARCHAR(255) NOT NULL,
            extensionNumber VARCHAR(255) NOT NULL DEFAULT '',
            hashedExtensionId VARCHAR(255) NOT NULL DEFAULT '',
            pid INTEGER NOT NULL,
            claimedAt REAL NOT NULL,
            PRIMARY KEY (sessionId, extensionNumber, hashedExtensionId)
        )"""
    )


def _v5(conn: sqlite3.Connection) -> None:
    # Ours: a claim's outcome. "creating" (a live process is creating), "resolving" (a process
    # is finding out what an earlier create did) or "unknown" (a create got no answer and the
    # CRM could not be asked: the next log of the session must look before it creates).
    conn.execute(
        "ALTER TABLE sessionClaims ADD COLUMN outcome VARCHAR(32) NOT NULL DEFAULT 'creating'"
    )
    # Ours: an update of a CRM log in progress. The row is taken (state "locked") before the
    # CRM is read, so updates of one log are serialised across processes; it turns "sent"
    # with the body about to be written just before updateCallLog, and goes, with the
    # composedBodies write, in one transaction after it. A "sent" row left behind is a
    # half-done update (check-interfaces: update-incomplete; `repair` settles it).
    conn.execute(
        """CREATE TABLE updateIntents (
            platform VARCHAR(255) NOT NULL,
            thirdPartyLogId VARCHAR(255) NOT NULL,
            sessionId VARCHAR(255) NOT NULL,
            interface VARCHAR(64) NOT NULL,
            state VARCHAR(16) NOT NULL,
            logFormat VARCHAR(255) NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            pid INTEGER NOT NULL,
            token VARCHAR(64) NOT NULL,
            startedAt REAL NOT NULL,
            PRIMARY KEY (platform, thirdPartyLogId)
        )"""
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4, _v5]
SCHEMA_VERSION = len(MIGRATIONS)
