"""`--target server`: the commands' operations done against a running App Connect server.

Where the embedded target runs our pipeline in-process, this one plays App Connect's
extension against the server's routes (core/targets/server_client.py), reads the
server's own `callLogs` table from its SQLite file (read-only), and reconciles those rows
through the server's `GET /callLog … requireDetails=true`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from appconnect.connectors.contract import CallLogInfo, CallLogRecord, CRMCallLog, User
from appconnect.core.checks.interfaces import CheckReport
from appconnect.core.checks.reconcile import (
    CONTACT_MISMATCH,
    CRM_UNREADABLE,
    ORPHANED_ROW,
    Problem,
    Reconciliation,
)
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import ConfigError, HarnessError, StoreError
from appconnect.core.extension.client_side import LogCallOutcome, LogsCalls
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.home import fixture_crm_path
from appconnect.core.serve import jwt
from appconnect.core.store.db import CALL_LOG_COLUMNS
from appconnect.core.targets.server_client import ServerClient
from appconnect.core.transports.faults import FaultPlan
from appconnect.fixtures.crm import CRMState

NOT_IN_SERVER = "not-found-by-server"


class ServerTarget(LogsCalls):
    def __init__(
        self,
        config: HarnessConfig,
        *,
        config_dir: Path | None = None,
        home: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        server = config.server
        self.config = config
        self.home = home
        #: The server makes its own CRM calls: faults cannot be injected from here.
        self.faults: FaultPlan | None = None
        self.platform = server.platform or config.platform
        self._base = config_dir or Path.cwd()
        self.client = ServerClient(
            server.url,
            self.platform,
            api_key=server.resolved_api_key(),
            secret=server.resolved_secret(),
            user_id=server.user_id,
            transport=transport,
            timeout=server.timeout,
        )

    def __enter__(self) -> ServerTarget:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.client.close()

    #: Only the server's routes are visible, not its connector's calls.
    sees_interface_calls = False

    @property
    def calls(self) -> list[InterfaceCall]:
        return self.client.calls

    # --- what the extension does ------------------------------------------------------------

    def log_body(
        self,
        body: dict[str, Any],
        identity_overrides: Mapping[str, str],
        *,
        create_contact_name: str | None = None,
        as_user: User | None = None,
    ) -> LogCallOutcome:
        """Like the extension: look the session up, match (or create) the contact, then
        `POST /callLog`. Server-side logs go with `User-Agent: SSCL`; the user is the
        server's business (`as_user` is for the embedded core's user mapping)."""
        body = dict(body)
        sscl = bool(body.pop("isFromSSCL", False))
        for key, value in identity_overrides.items():
            body.setdefault(key, value)  # App Connect reads identity from the top level
        session = str(body["logInfo"]["sessionId"])
        known = self.client.get_call_logs(
            [session],
            extension_number=str(body.get("extensionNumber") or ""),
            hashed_extension_id=str(body.get("hashedExtensionId") or ""),
        )
        created = False
        if not any(entry.get("matched") for entry in known) and not body.get("contactId"):
            created = self._resolve_contact(body, create_contact_name)
        result = self.client.create_call_log(body, sscl=sscl)
        return LogCallOutcome(result, contact_created=created)

    # --- what smoke needs beyond scenarios ---------------------------------------------------

    def connect(self) -> str:
        """Log in to the server; the id in its JWT."""
        return str(jwt.peek(self.client.jwt()).get("id", ""))

    def implemented(self) -> dict[str, bool]:
        return self.client.implemented_interfaces()

    def match_contact(self, body: dict[str, Any], create_name: str | None) -> bool:
        return self._resolve_contact(body, create_name)

    def composes(self) -> bool:
        """The server's log format is not visible over HTTP: App Connect's default (plain
        text) is assumed."""
        return True

    def delete_crm_logs(self, log_ids: Sequence[str]) -> list[str]:
        if not self.fixture_crm_reachable:
            return list(log_ids)  # no delete route in App Connect's API
        state, left = self.crm_state, []
        for log_id in log_ids:
            try:
                state.delete_activity(log_id, by="api")
            except LookupError:
                left.append(log_id)
        return left

    def _resolve_contact(self, body: dict[str, Any], create_name: str | None) -> bool:
        log_info = body["logInfo"]
        inbound = log_info.get("direction") == "Inbound"
        party = log_info.get("from" if inbound else "to") or {}
        number = str(party.get("phoneNumber") or "")
        extension = str(party.get("extensionNumber") or "")
        is_extension = not number and bool(extension)
        lookup = extension if is_extension else number
        found = self.client.find_contact(lookup, is_extension=is_extension) if lookup else []
        contact = found[0] if found else None
        created = False
        if contact is None and create_name and number:
            contact = self.client.create_contact(number, create_name)
            created = contact is not None
        if contact is not None:
            body.update(
                contactId=str(contact.get("id")),
                contactName=contact.get("name") or "",
                contactType=contact.get("type") or "",
            )
        return created

    def update_log(self, body: Mapping[str, Any]) -> FlowResult:
        body = dict(body)
        sscl = bool(body.pop("isFromSSCL", False))
        return self.client.update_call_log(body, sscl=sscl)

    def disposition(self, session_id: str, dispositions: Mapping[str, Any]) -> FlowResult:
        body = {"sessionId": session_id, "dispositions": dict(dispositions)}
        return self.client.upsert_disposition(body)

    def cache_note(self, session_id: str, note: str) -> None:
        self.client.cache_note(session_id, note)

    def server_side_user(
        self, rc_extension_id: str, rc_extensions: Sequence[Mapping[str, Any]]
    ) -> User | None:
        return None  # the server applies its own user mapping

    def use_user_settings(self, settings: Mapping[str, Any]) -> None:
        """User settings live on the server (`POST /user/settings`); not changed from here."""

    # --- what scenario assertions read -------------------------------------------------------

    @property
    def fixture_crm_reachable(self) -> bool:
        """Is the server's CRM the fixture CRM served from this home (the documented set-up)?"""
        return self.home is not None and fixture_crm_path(self.home).is_file()

    @property
    def crm_state(self) -> CRMState:
        if self.home is None:
            raise ConfigError("no harness home holds the fixture CRM", "server")
        return CRMState(fixture_crm_path(self.home))

    def rows(self, session_id: str) -> list[CallLogRecord]:
        return list(self.call_logs(session_id))

    def read_crm_log(self, row: CallLogRecord) -> CallLogInfo | None:
        """The CRM log through the server (`GET /callLog … requireDetails=true`)."""
        entries = self.client.get_call_logs(
            [row.sessionId],
            require_details=True,
            extension_number=row.extensionNumber,
            hashed_extension_id=row.hashedExtensionId,
        )
        details = entries[0].get("logData") if entries else None
        return CallLogInfo.model_validate(details) if isinstance(details, dict) else None

    def list_crm_logs(self, session_id: str) -> list[CRMCallLog] | None:
        if not self.fixture_crm_reachable:
            return None
        activities = self.crm_state.list_activities(session_id=session_id)
        return [
            CRMCallLog(
                id=a["id"],
                sessionId=a.get("sessionId"),
                contactId=a.get("contactId"),
                ownerId=a.get("ownerId"),
                subject=a.get("subject"),
                body=a.get("body"),
            )
            for a in activities
        ]

    def database_path(self) -> Path:
        server = self.config.server
        if server.database:
            return self._resolve(server.database)
        if server.env_file:
            env = self._resolve(server.env_file)
            return database_from_env(env)
        raise ConfigError("set server.database or server.env_file to read callLogs", "server")

    def call_logs(self, session_id: str | None = None) -> Iterator[CallLogRecord]:
        """The server's own callLogs rows (one session's, when given)."""
        path = self.database_path()
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM callLogs").fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the server's callLogs: {exc}", str(path)) from None
        conn.close()
        for row in rows:
            present = set(row.keys())  # (sqlite3.Row has no __contains__ for names)
            values = {
                col: str(row[col] or "") if col in present else "" for col in CALL_LOG_COLUMNS
            }
            yield CallLogRecord(**values)

    def check(self) -> CheckReport:
        """The server's implementedInterfaces, then each of its rows read back through it."""
        implemented = self.client.implemented_interfaces()
        problems: list[Problem] = []
        rows = list(self.call_logs())
        for row in rows:
            problem = self._check_row(row)
            if problem is not None:
                problems.append(problem)
        reconciliation = Reconciliation(ok=not problems, checked=len(rows), problems=problems)
        return CheckReport(self.platform, implemented, reconciliation)

    def _check_row(self, row: CallLogRecord) -> Problem | None:
        def problem(code: str, message: str) -> Problem:
            return Problem(code, row.sessionId, row.thirdPartyLogId, message)

        def lookup(details: bool) -> list[dict[str, Any]]:
            return self.client.get_call_logs(
                [row.sessionId],
                require_details=details,
                extension_number=row.extensionNumber,
                hashed_extension_id=row.hashedExtensionId,
            )

        plain = lookup(False)
        if not any(entry.get("matched") for entry in plain):
            return problem(NOT_IN_SERVER, "the server does not match this row's session")
        try:
            entries = lookup(True)
        except HarnessError as exc:  # the server failed reading the CRM log for the details
            log_id = row.thirdPartyLogId
            return problem(CRM_UNREADABLE, f"the server could not read CRM log {log_id}: {exc}")
        entry = entries[0] if entries else {}
        if not entry.get("matched"):
            # Matched without details, not with them: the CRM log could not be fetched.
            return problem(ORPHANED_ROW, f"CRM log {row.thirdPartyLogId} could not be fetched")
        details = entry.get("logData")
        if not isinstance(details, dict):
            return problem(
                CRM_UNREADABLE, f"the server returned no logData for {row.thirdPartyLogId}"
            )
        record = details.get("fullLogResponse")
        if not details.get("fullBody") and not details.get("subject") and not record:
            return problem(ORPHANED_ROW, f"CRM log {row.thirdPartyLogId} no longer exists")
        contact = record.get("contactId") if isinstance(record, dict) else None
        if contact is not None and str(contact) != row.contactId:
            return problem(
                CONTACT_MISMATCH,
                f"row has contact {row.contactId}, CRM log {row.thirdPartyLogId} has {contact}",
            )
        return None

    def _resolve(self, name: str) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else self._base / path


def database_from_env(env_file: Path) -> Path:
    """The SQLite file of a connector server's `.env` `DATABASE_URL=sqlite://./db.sqlite`."""
    try:
        lines = env_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the server's .env: {exc.strerror}", str(env_file)) from None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "DATABASE_URL":
            url = value.strip().strip("'\"")
            if not url.startswith("sqlite:"):
                raise ConfigError("DATABASE_URL is not a SQLite URL", str(env_file))
            path = url.removeprefix("sqlite:").removeprefix("//")
            resolved = Path(path)
            return resolved if resolved.is_absolute() else env_file.parent / resolved
    raise ConfigError("no DATABASE_URL in the server's .env", str(env_file))
