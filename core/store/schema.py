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


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)
