"""The embedded target: App Connect's core run in-process over this home's store, with the
configured connector and CRM (the bundled fixture CRM unless `crm.url` names another).

It plays both sides of App Connect: its extension (contact matching and the request bodies,
core/extension/) and its core (the flows, core/flows/).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from appconnect.connectors.contract import CallLogRecord, Connector, User, implemented_interfaces
from appconnect.connectors.errors import CRMError
from appconnect.connectors.registry import ConnectorNotFound, build_connector
from appconnect.core.compose.composer import is_composable
from appconnect.core.config import HarnessConfig, load_config
from appconnect.core.errors import ConfigError, ConnectError
from appconnect.core.extension.requests import LogCallOutcome
from appconnect.core.flows.create import create_call_log
from appconnect.core.flows.disposition import upsert_call_disposition
from appconnect.core.flows.errormap import api_error_message
from appconnect.core.flows.identity import Identity, resolve_identity
from appconnect.core.flows.oauth import fresh_user
from appconnect.core.flows.pipeline import FlowResult, Pipeline
from appconnect.core.flows.plugins import load_plugins
from appconnect.core.flows.retry import configured_policy
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.flows.update import update_call_log
from appconnect.core.home import db_path, harness_home
from appconnect.core.store.db import Store
from appconnect.core.targets.base import Capabilities, Target
from appconnect.core.targets.connector_side import mapped_user, match_contact_through
from appconnect.core.targets.crm_access import ConnectorCrmAccess, CrmAccess
from appconnect.core.targets.fixture_crm import (
    CRMState,
    FixtureCrmAccess,
    fixture_crm_state,
    fixture_oauth_client,
    fixture_transport,
)
from appconnect.core.targets.login import Login
from appconnect.core.transports.faults import FaultPlan, FaultTransport, configured_plan

if TYPE_CHECKING:
    from appconnect.core.checks.interfaces import CheckOptions, CheckReport
    from appconnect.core.checks.reconcile import Progress
    from appconnect.core.checks.repair import RepairReport
    from appconnect.core.transports.http_trace import HttpTrace

EMBEDDED_CRM_URL = "http://fixture-crm.embedded"


class EmbeddedTarget(Target):
    """Use as a context manager so the store and the connector's client close."""

    kind = "embedded"

    def __init__(
        self,
        config: HarnessConfig,
        home: Path,
        *,
        config_path: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        sandbox: bool = False,
        crm_state: CRMState | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        self.config = config
        #: Faults injected under the connector: the config's, plus what scenario steps add.
        self._faults = faults or configured_plan(config.faults)
        self.home = home
        self.config_path = config_path
        self._transport = transport
        #: A sandbox keeps its store in memory and, with the embedded CRM, a fresh in-memory
        #: fixture CRM too: scenarios and smoke runs leave the home untouched.
        self.sandbox = sandbox
        self._store: Store | None = None
        self._connector: Connector | None = None
        #: A given fixture CRM state (benchmarks share one between targets).
        self._crm_state: CRMState | None = crm_state
        self._pipeline: Pipeline | None = None
        self._client: httpx.Client | None = None
        #: The HTTP trace under the connector, when `[trace] http` is on.
        self.http_trace: HttpTrace | None = None

    @classmethod
    def open(
        cls,
        config_path: Path | None = None,
        *,
        home: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        sandbox: bool = False,
    ) -> EmbeddedTarget:
        config, found = load_config(config_path)
        return cls(
            config, home or harness_home(), config_path=found, transport=transport, sandbox=sandbox
        )

    def close(self) -> None:
        if self._connector is not None:
            self._connector.close()
        if self._store is not None:
            self._store.close()

    # --- parts, built on first use so read-only commands stay cheap ----------------------

    @property
    def capabilities(self) -> Capabilities:  # type: ignore[override]
        return Capabilities(
            interface_trace=True,
            faults=True,
            crm_user_edit=self.crm.can_edit_as_user,
            repair=not self.sandbox,
            user_mapping=True,
            user_settings=True,
            contract_checks=True,
        )

    @property
    def ephemeral(self) -> bool:
        return self.sandbox and self.embedded_crm

    @property
    def faults(self) -> FaultPlan:
        return self._faults

    @property
    def embedded_crm(self) -> bool:
        return self.config.crm.url is None

    @property
    def platform(self) -> str:
        """The platform name: the config's `user.platform`, else the connector's own."""
        if self.config.user.platform:
            return self.config.user.platform
        return getattr(self.connector, "platform", None) or self.config.connector.name

    @property
    def fixture_crm_reachable(self) -> bool:
        """Can the harness read and edit the CRM itself? Yes for the fixture CRM: embedded,
        or served from this home to the built-in connector."""
        return self.embedded_crm or self.config.connector.name == "fixture"

    @property
    def crm_url(self) -> str:
        return self.config.crm.url or EMBEDDED_CRM_URL

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(None if self.sandbox else db_path(self.home))
        return self._store

    @property
    def crm_state(self) -> CRMState:
        """The fixture CRM's state: this home's (embedded, or served from it on loopback), or
        a fresh in-memory one for an embedded sandbox."""
        if self._crm_state is None:
            in_memory = self.sandbox and self.embedded_crm
            self._crm_state = fixture_crm_state(None if in_memory else self.home)
        return self._crm_state

    @cached_property
    def crm(self) -> CrmAccess:
        if self.fixture_crm_reachable:
            in_memory = self.sandbox and self.embedded_crm
            return FixtureCrmAccess(self.crm_state, deletes=not in_memory)
        return ConnectorCrmAccess(lambda: self.connector, lambda: self.pipeline().user)

    @property
    def connector(self) -> Connector:
        if self._connector is None:
            self._connector = self._build_connector()
        return self._connector

    def _build_connector(self) -> Connector:
        transport = self._transport
        if transport is None:
            transport = (
                fixture_transport(self.crm_state) if self.embedded_crm else httpx.HTTPTransport()
            )
        transport = FaultTransport(transport, self._faults)
        if self.config.trace.http:  # outside the faults: the trace shows what the client saw
            from appconnect.core.transports.http_trace import traced

            self.http_trace, transport = traced(transport, self.config, self._secrets_now)
        client = httpx.Client(
            base_url=self.crm_url, transport=transport, timeout=self.config.crm.timeout
        )
        self._client = client  # core's own requests (the OAuth token endpoint) go here too
        options: dict[str, Any] = {"auth_type": self.config.connector.auth}
        if self.config.connector.auth == "oauth":
            options["oauth_client"] = self._oauth_client()
        try:
            return build_connector(
                self.config.connector.name,
                client,
                log_format=self.config.connector.log_format,
                options=options,
            )
        except ConnectorNotFound as exc:
            client.close()
            raise ConfigError(str(exc), "connector.name") from None

    @cached_property
    def _fixture_secrets(self) -> list[str]:
        if not self.fixture_crm_reachable:
            return []
        oauth = self.config.connector.auth == "oauth"  # (its client is made on first use)
        return [self.crm_state.api_key, *([fixture_oauth_client(self.crm_state)[1]] * oauth)]

    def _secrets_now(self) -> list[str | None]:
        """The fixture CRM's secrets and the user's tokens of now (refreshes change them)."""
        user = self._pipeline.user if self._pipeline is not None else None
        tokens = [user.accessToken, user.refreshToken] if user is not None else []
        return [*self._fixture_secrets, *tokens]

    @property
    def client(self) -> httpx.Client:
        """The HTTP client the connector uses (built with it)."""
        connector = self.connector
        assert self._client is not None, connector
        return self._client

    def _oauth_client(self) -> tuple[str, str]:
        configured = self.config.crm.resolved_oauth_client()
        if configured is not None:
            return configured
        if self.fixture_crm_reachable:
            return fixture_oauth_client(self.crm_state)
        raise ConfigError(
            "OAuth needs crm.oauth_client_id and crm.oauth_client_secret(_env)", "crm"
        )

    def _login(self) -> Login:
        return Login(
            self.config,
            self.store,
            self.connector,
            lambda: self.client,
            self.platform,
            self.crm_url,
            configured_policy(self.config.retries),
            self._api_key,
        )

    def pipeline(self) -> Pipeline:
        """The flows' context, with the CRM user connected (App Connect's login)."""
        if self._pipeline is None:
            self._pipeline = Pipeline(
                store=self.store,
                connector=self.connector,
                user=None,
                platform=self.platform,
                plugins=load_plugins(self.config.plugins),
                use_cache=self.config.app_connect.use_cache,
                retry=configured_policy(self.config.retries),
            )
            if self.connector.get_auth_type() == "oauth":
                connector, store, client = self.connector, self.store, self.client
                self._pipeline.authorizer = lambda user: fresh_user(connector, store, client, user)
            self._pipeline.user = self._login().connect_user()
        return self._pipeline

    @property
    def calls(self) -> list[InterfaceCall]:
        """The interface calls made so far (the trace)."""
        return self.pipeline().calls

    def identity(self, overrides: Mapping[str, str] | None = None) -> Identity:
        return resolve_identity(self.config.identity, dict(overrides or {}))

    # --- login ---------------------------------------------------------------------------

    def _api_key(self) -> str:
        key = self.config.crm.resolved_api_key()
        if key:
            return key
        if self.fixture_crm_reachable:
            # The fixture CRM in this home, embedded or served: its seeded key.
            return self.crm_state.api_key
        raise ConfigError("no CRM credential: set crm.api_key_env or crm.api_key", "crm")

    def connect_with_api_key(self, api_key: str) -> User:
        """`POST /apiKeyLogin`: getUserInfo with this key; the user is stored (upserted)."""
        probe = User(id="", platform=self.platform, accessToken=api_key)
        return self.store.upsert_user(self._login().login(probe, None))

    def connect(self) -> str:
        user = self.pipeline().user
        if user is None:
            raise ConnectError("no user after login", self.crm_url)
        return user.id

    def implemented(self) -> dict[str, bool]:
        pipeline = self.pipeline()
        return implemented_interfaces(pipeline.connector, cache_call_note=pipeline.use_cache)

    def composes(self) -> bool:
        return is_composable(self.pipeline().log_format())

    # --- what the App Connect extension does -----------------------------------------------

    def log_body(
        self,
        body: dict[str, Any],
        identity_overrides: Mapping[str, str],
        *,
        create_contact_name: str | None = None,
        as_user: User | None = None,
    ) -> LogCallOutcome:
        """Match the contact as the extension does, then run the create flow on `body`."""
        pipeline = self.pipeline()
        identity = self.identity(identity_overrides)
        created = False
        # Like the extension, match the contact only for a call not logged yet (it knows from
        # its callLog lookup), so a repeat creates nothing, not even a contact.
        logged = pipeline.find_row(str(body["logInfo"]["sessionId"]), identity)
        with pipeline.acting_as(as_user):
            if logged is None and not body.get("contactId"):
                try:
                    created = self.match_contact(body, create_contact_name)
                except CRMError as exc:
                    # What the extension shows when its contact lookup fails.
                    interface = pipeline.calls[-1].interface if pipeline.calls else "findContact"
                    message = api_error_message(interface, pipeline.platform, exc.status)
                    return LogCallOutcome(FlowResult(successful=False, return_message=message))
            result = create_call_log(pipeline, body, identity)
        return LogCallOutcome(result, contact_created=created)

    def match_contact(self, body: dict[str, Any], create_name: str | None) -> bool:
        """The extension's contact match (`GET /contact`, then `POST /contact`) into `body`."""
        return match_contact_through(
            self.pipeline(),
            body,
            create_name,
            extension_number_logging=self.config.app_connect.enable_extension_number_logging,
        )

    def server_side_user(
        self, rc_extension_id: str, rc_extensions: Sequence[Mapping[str, Any]]
    ) -> User | None:
        """With user mapping on, the CRM user a server-side log for this extension belongs
        to, holding the admin-assigned token; else None."""
        if not self.config.app_connect.server_side_user_mapping:
            return None
        return mapped_user(self.pipeline(), rc_extension_id, rc_extensions)

    def cache_note(self, session_id: str, note: str) -> None:
        self.store.cache_note(session_id, note)

    def disposition(self, session_id: str, dispositions: Mapping[str, Any]) -> FlowResult:
        body = {"sessionId": session_id, "dispositions": dict(dispositions)}
        return upsert_call_disposition(self.pipeline(), body, self.identity())

    def update_log(self, body: Mapping[str, Any]) -> FlowResult:
        return update_call_log(self.pipeline(), body, self.identity())

    def use_user_settings(self, settings: Mapping[str, Any]) -> None:
        """Extra userSettings for this run only: the stored user is not changed."""
        pipeline = self.pipeline()
        if settings and pipeline.user is not None:
            merged = {**pipeline.user.userSettings, **settings}
            pipeline.user = replace(pipeline.user, userSettings=merged)

    # --- what checks read ------------------------------------------------------------------

    def call_logs(self, session_id: str | None = None) -> Iterator[CallLogRecord]:
        return self.store.iter_call_logs(session_id)

    def open_claims(self, session_id: str | None = None) -> list[dict[str, Any]]:
        from appconnect.core.store.claims import describe

        claims = self.store.claims()
        return [describe(c) for c in claims if session_id is None or c["sessionId"] == session_id]

    def check(self, options: CheckOptions, *, progress: Progress | None = None) -> CheckReport:
        # Imported here: the checks build many pydantic models that logging never needs.
        from appconnect.core.checks.interfaces import run_checks

        return run_checks(self, options, progress=progress)

    def repair(self, *, dry_run: bool = False) -> RepairReport:
        from appconnect.core.checks.repair import repair

        self.require("repair", "repair")
        return repair(self.pipeline(), dry_run=dry_run)

