"""The server target: App Connect's core behind a running server (`@app-connect/core`, or
`appconnect serve`), driven over its routes as the extension drives it.

The server makes its own CRM calls, so faults cannot be injected and only its routes are
traced; its callLogs table is read read-only from its database; CRM logs are read back
only through the server (`GET /callLog … requireDetails=true`), never from a local file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from appconnect.connectors.contract import CallLogInfo, CallLogRecord, CRMCallLog, User
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import ConfigError, ContractError
from appconnect.core.extension.contact import Contact, match_contact
from appconnect.core.extension.requests import LogCallOutcome
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.serve import jwt
from appconnect.core.targets.base import Capabilities, Target
from appconnect.core.targets.crm_access import CrmRecord, UserEdit
from appconnect.core.targets.server_client import ServerClient
from appconnect.core.targets.server_db import ServerDatabase, database_from_env, is_postgres_url

if TYPE_CHECKING:
    from appconnect.core.checks.interfaces import CheckOptions, CheckReport
    from appconnect.core.checks.reconcile import Progress
    from appconnect.core.transports.http_trace import HttpTrace

__all__ = ["ServerTarget", "database_from_env"]


class ServerTarget(Target):
    kind = "server"
    #: Only the server's routes are visible; it keeps its own users, settings and mapping.
    capabilities = Capabilities()

    def __init__(
        self,
        config: HarnessConfig,
        *,
        config_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        server = config.server
        self.config = config
        self._platform = server.platform or config.platform
        self._base = config_dir or Path.cwd()
        #: The harness's own requests to the server, when `[trace] http` is on.
        self.http_trace: HttpTrace | None = None
        if config.trace.http:
            transport = self._traced(transport or httpx.HTTPTransport())
        self.client = ServerClient(
            server.url,
            self._platform,
            api_key=server.resolved_api_key(),
            secret=server.resolved_secret(),
            user_id=server.user_id,
            transport=transport,
            timeout=server.timeout,
        )
        self._crm = ServerCrmAccess(self.client)

    def close(self) -> None:
        self.client.close()

    def _traced(self, transport: httpx.BaseTransport) -> httpx.BaseTransport:
        from appconnect.core.transports.http_trace import traced

        self.http_trace, transport = traced(transport, self.config, lambda: [self.client.token])
        return transport

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def calls(self) -> list[InterfaceCall]:
        return self.client.calls

    @property
    def crm(self) -> ServerCrmAccess:
        return self._crm

    # --- what the extension does ------------------------------------------------------------

    def connect(self) -> str:
        """Log in to the server; the id in its JWT."""
        return str(jwt.peek(self.client.jwt()).get("id", ""))

    def implemented(self) -> dict[str, bool]:
        return self.client.implemented_interfaces()

    def composes(self) -> bool:
        """The server's log format is not visible over HTTP: App Connect's default (plain
        text) is assumed."""
        return True

    def log_body(
        self,
        body: dict[str, Any],
        identity_overrides: Mapping[str, str],
        *,
        create_contact_name: str | None = None,
        as_user: User | None = None,
    ) -> LogCallOutcome:
        """Like the extension: look the session up, match (or create) the contact, then
        `POST /callLog`. Server-side logs go with `User-Agent: SSCL`."""
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
            created = self.match_contact(body, create_contact_name)
        result = self.client.create_call_log(body, sscl=sscl)
        return LogCallOutcome(result, contact_created=created)

    def match_contact(self, body: dict[str, Any], create_name: str | None) -> bool:
        def find(number: str, is_extension: bool) -> list[Contact]:
            found = self.client.find_contact(number, is_extension=is_extension)
            return [_contact(entry) for entry in found]

        def create(number: str, name: str) -> Contact | None:
            made = self.client.create_contact(number, name)
            return None if made is None else _contact(made)

        return match_contact(
            body,
            find=find,
            create=create,
            create_name=create_name,
            extension_number_logging=self.config.app_connect.enable_extension_number_logging,
        )

    def update_log(self, body: Mapping[str, Any]) -> FlowResult:
        body = dict(body)
        sscl = bool(body.pop("isFromSSCL", False))
        return self.client.update_call_log(body, sscl=sscl)

    def disposition(self, session_id: str, dispositions: Mapping[str, Any]) -> FlowResult:
        body = {"sessionId": session_id, "dispositions": dict(dispositions)}
        return self.client.upsert_disposition(body)

    def cache_note(self, session_id: str, note: str) -> None:
        self.client.cache_note(session_id, note)

    # --- what checks read --------------------------------------------------------------------

    def database(self) -> ServerDatabase:
        """The server's database: `server.database` (a SQLite file or a PostgreSQL URL), else
        the `DATABASE_URL` of its `server.env_file`."""
        server = self.config.server
        if server.database:
            if is_postgres_url(server.database):
                return ServerDatabase(server.database)
            return ServerDatabase(self._resolve(server.database))
        if server.env_file:
            return ServerDatabase(database_from_env(self._resolve(server.env_file)))
        raise ConfigError("set server.database or server.env_file to read callLogs", "server")

    def call_logs(self, session_id: str | None = None) -> Iterator[CallLogRecord]:
        """The server's own callLogs rows (one session's, when given), streamed."""
        return self.database().call_logs(session_id)

    def check(self, options: CheckOptions, *, progress: Progress | None = None) -> CheckReport:
        from appconnect.core.checks import server_reconcile
        from appconnect.core.checks.interfaces import validate_options

        server_reconcile.refuse_unsupported(options)
        since = validate_options(options, self.platform)
        database = self.database()
        # Row by row, older rows are left in the database; the listing needs them all (a CRM
        # log linked only by an older row is not unlinked).
        pushed = since if options.reads != "listing" else None
        rows = database.call_logs(options.session_id, since=pushed)
        self.client.record_calls = False  # no trace per row: memory independent of N
        try:
            if options.reads != "listing":
                return server_reconcile.check_server(self.client, self.platform, rows, options)
            from appconnect.core.targets.server_crm import CrmLister

            user = database.user(self.config.server.user_id, self.platform)
            with CrmLister(self.config, user, options.session_id) as lister:
                return server_reconcile.check_server_listing(
                    self.client, self.platform, rows, options, lister=lister, user_id=user.id
                )
        finally:
            self.client.record_calls = True

    def _resolve(self, name: str) -> Path:
        path = Path(name).expanduser()
        return path if path.is_absolute() else self._base / path


class ServerCrmAccess:
    """CRM logs as the server reads them back (`GET /callLog … requireDetails=true`)."""

    description = "the server"
    independent = False
    fixture_crm = False
    can_edit_as_user = False

    def __init__(self, client: ServerClient) -> None:
        self.client = client

    def read(self, row: CallLogRecord) -> CrmRecord | None:
        entries = self.client.get_call_logs(
            [row.sessionId],
            require_details=True,
            extension_number=row.extensionNumber,
            hashed_extension_id=row.hashedExtensionId,
        )
        entry = entries[0] if entries else {}
        details = entry.get("logData")
        if not entry.get("matched"):
            return None
        if not isinstance(details, dict):
            raise ContractError(
                f"the server matched session {row.sessionId} but answered no logData: its "
                "connector's getCallLog gave no callLogInfo",
                row.thirdPartyLogId,
            )
        return CrmRecord.from_info(row.thirdPartyLogId, CallLogInfo.model_validate(details))

    def list(self, session_id: str) -> list[CRMCallLog] | None:
        return None  # App Connect's API has no listing route

    def delete(self, log_id: str) -> bool:
        return False  # nor a delete route

    def edit_as_user(self, row: CallLogRecord, edit: UserEdit) -> None:
        raise ConfigError("a server target cannot edit CRM logs as a CRM user", "crm-edit")


def _contact(entry: Mapping[str, Any]) -> Contact:
    return Contact(
        id=str(entry.get("id")),
        name=str(entry.get("name") or ""),
        type=str(entry.get("type") or ""),
        is_new_contact=bool(entry.get("isNewContact")),
    )
