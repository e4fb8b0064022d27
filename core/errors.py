"""Typed errors raised by core; the CLI turns each into one `Error: ...` line and an exit code."""

from __future__ import annotations


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class HarnessError(Exception):
    """Base class. `where` names the file, key, session or URL the problem is about."""

    exit_code = 2

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        # One line, whatever the user typed into a name or an id (newlines, NULs, bidi).
        text = _one_line(self.message)
        return f"{text} ({_one_line(self.where)})" if self.where else text


class ConfigError(HarnessError):
    """The configuration file is missing, unreadable or invalid."""


class FixtureError(HarnessError):
    """A call fixture is missing or invalid."""


class UnknownSession(HarnessError):
    """No callLogs row exists for the given session id."""


class BadInput(HarnessError):
    """A command-line value that cannot be used."""


class StoreError(HarnessError):
    """The SQLite store could not be opened or migrated."""


class StoreBusy(StoreError):
    """Another process held the store's write lock past the busy timeout. Exit 1, not 2: the
    input was fine and the same command succeeds once the other process lets go."""

    exit_code = 1


class ConnectError(HarnessError):
    """The CRM user could not be connected (bad credential, CRM unreachable)."""


class ConnectorError(HarnessError):
    """The connector or the CRM behind it failed in a way the flow cannot report as a message."""

    exit_code = 1


class CheckFailed(HarnessError):
    """A check ran and found problems."""

    exit_code = 1


class ContractError(HarnessError):
    """A connector (or the server's connector) answered outside the interface's contract."""

    exit_code = 1
