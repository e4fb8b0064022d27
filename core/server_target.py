"""`--target server`: the commands' operations done against a running App Connect server.

Where the embedded target runs our pipeline in-process, this one plays App Connect's
extension against the server's routes (core/remote.py), reads the server's own `callLogs`
table from its SQLite file (read-only), and reconciles those rows through the server's
`GET /callLog … requireDetails=true`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from appconnect.connectors.contract import CallLogRecord
from appconnect.core.calls import CallFixture, request_body
from appconnect.core.checks import CheckReport
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import ConfigError, StoreError
from appconnect.core.flows import FlowResult
from appconnect.core.harness import LogCallOutcome
from appconnect.core.reconcile import (
    CONTACT_MISMATCH,
    CRM_UNREADABLE,
    ORPHANED_ROW,
    Problem,
    Reconciliation,
)
from appconnect.core.remote import ServerClient
from appconnect.core.store import CALL_LOG_COLUMNS
from appconnect.core.trace import InterfaceCall

NOT_IN_SERVER = "not-found-by-server"


class ServerTarget:
    def __init__(
        self,
        config: HarnessConfig,
        *,
        config_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        server = config.server
        self.config = config
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

    @property
    def calls(self) -> list[InterfaceCall]:
        return self.client.calls

    # --- what the extension does ------------------------------------------------------------

    def log_call(
        self,
        fixture: CallFixture,
        *,
        session_id: str | None = None,
        subject: str | None = None,
        note: str | None = None,
        create_contact_name: str | None = None,
    ) -> LogCallOutcome:
        body = request_body(fixture, session_id=session_id, subject=subject, note=note)
        session = str(body["logInfo"]["sessionId"])
        overrides = fixture.identity_overrides()
        known = self.client.get_call_logs(
            [session],
            extension_number=overrides.get("extensionNumber", ""),
            hashed_extension_id=overrides.get("hashedExtensionId", ""),
        )
        created = False
        if not any(entry.get("matched") for entry in known) and not body.get("contactId"):
            number = fixture.contact_number
            found = self.client.find_contact(number) if number else []
            contact = found[0] if found else None
            if contact is None and create_contact_name and number:
                contact = self.client.create_contact(number, create_contact_name)
                created = contact is not None
            if contact is not None:
                body.update(
                    contactId=str(contact.get("id")),
                    contactName=contact.get("name") or "",
                    contactType=contact.get("type") or "",
                )
        result = self.client.create_call_log(body)
        return LogCallOutcome(result, contact_created=created)

    def update_log(self, body: dict[str, Any]) -> FlowResult:
        return self.client.update_call_log(body)

    def edit_log(self, session_id: str, *, subject: str | None, note: str | None) -> FlowResult:
        from appconnect.core.errors import BadInput

        if subject is None and note is None:
            raise BadInput("nothing to edit: give --subject and/or --note", session_id)
        body: dict[str, Any] = {"sessionId": session_id}
        body.update({k: v for k, v in (("subject", subject), ("note", note)) if v is not None})
        return self.update_log(body)

    def simulate_recording(self, session_id: str, *, link: str | None = None) -> FlowResult:
        from appconnect.core.simulate import DEFAULT_RECORDING_HOST

        link = link or f"{DEFAULT_RECORDING_HOST}/{session_id}"
        return self.update_log({"sessionId": session_id, "recordingLink": link})

    # --- the server's callLogs table ---------------------------------------------------------

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

        entries = self.client.get_call_logs(
            [row.sessionId],
            require_details=True,
            extension_number=row.extensionNumber,
            hashed_extension_id=row.hashedExtensionId,
        )
        entry = entries[0] if entries else {}
        if not entry.get("matched"):
            return problem(NOT_IN_SERVER, "the server does not match this row's session")
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
