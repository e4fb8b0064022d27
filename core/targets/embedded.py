"""The harness: config + store + connector + CRM, opened once per command or test.

This is the one pipeline the CLI, the tests and CI share. It plays both sides of App Connect:
its client (resolving the contact, building the request bodies the extension sends) and its
core (the flows in `flows.py`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from appconnect.connectors.contract import (
    CallLogInfo,
    CallLogRecord,
    Connector,
    CreateContactRequest,
    CRMCallLog,
    DeleteCallLogRequest,
    FindContactRequest,
    GetCallLogRequest,
    ListCallLogsRequest,
    User,
    UserInfoRequest,
    UserListRequest,
    implemented_interfaces,
)
from appconnect.connectors.errors import CRMError
from appconnect.connectors.registry import ConnectorNotFound, build_connector
from appconnect.core.compose.composer import is_composable
from appconnect.core.config import HarnessConfig, load_config
from appconnect.core.errors import BadInput, ConfigError, ConnectError
from appconnect.core.extension.client_side import LogCallOutcome, LogsCalls
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.errormap import api_error_message
from appconnect.core.flows.identity import Identity, resolve_identity
from appconnect.core.flows.oauth import authorize as oauth_authorize
from appconnect.core.flows.oauth import fresh_user
from appconnect.core.flows.pipeline import (
    FlowResult,
    Pipeline,
    create_call_log,
    update_call_log,
    upsert_call_disposition,
)
from appconnect.core.flows.plugins import load_plugins
from appconnect.core.flows.retry import RetryPolicy, retrying
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.flows.user_mapping import match_users
from appconnect.core.home import db_path, fixture_crm_path, harness_home
from appconnect.core.store.db import Store
from appconnect.core.transports.faults import FaultPlan, FaultSpecError, FaultTransport
from appconnect.fixtures.crm import CRMState, FixtureCRM
from appconnect.fixtures.crm.oauth import OAuthServer

if TYPE_CHECKING:
    from appconnect.core.checks.interfaces import CheckReport

EMBEDDED_CRM_URL = "http://fixture-crm.embedded"


def fault_plan(config: HarnessConfig) -> FaultPlan:
    """The config's `[faults]` as a plan; a bad rule is a config error naming it."""
    faults = config.faults
    try:
        return FaultPlan.from_specs(faults.rules, rate=faults.rate, seed=faults.seed)
    except FaultSpecError as exc:
        raise ConfigError(str(exc), "faults.rules") from None


class Harness(LogsCalls):
    """Open with `Harness.open()`; use as a context manager so the store and client close."""

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
        #: Faults injected in front of the CRM: the config's, plus what scenario steps add.
        self.faults = faults or fault_plan(config)
        self.home = home
        self.config_path = config_path
        self._transport = transport
        #: A sandbox keeps its store in memory and, with the embedded CRM, a fresh in-memory
        #: fixture CRM too: scenarios and smoke runs leave the home untouched.
        self.sandbox = sandbox
        self._store: Store | None = None
        self._connector: Connector | None = None
        #: A given fixture CRM state (benchmarks share one between harnesses).
        self._crm_state: CRMState | None = crm_state
        self._pipeline: Pipeline | None = None
        self._client: httpx.Client | None = None

    @classmethod
    def open(
        cls,
        config_path: Path | None = None,
        *,
        home: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        sandbox: bool = False,
    ) -> Harness:
        config, found = load_config(config_path)
        return cls(
            config,
            home or harness_home(),
            config_path=found,
            transport=transport,
            sandbox=sandbox,
        )

    def __enter__(self) -> Harness:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._connector is not None:
            self._connector.close()
        if self._store is not None:
            self._store.close()

    # --- parts, built on first use so read-only commands stay cheap ----------------------

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
        """Can the harness act on the CRM directly, as a CRM user would? Yes for the fixture
        CRM: embedded, or served from this home to the built-in connector."""
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
            self._crm_state = CRMState(None if in_memory else fixture_crm_path(self.home))
        return self._crm_state

    @property
    def connector(self) -> Connector:
        if self._connector is None:
            self._connector = self._build_connector()
        return self._connector

    def _build_connector(self) -> Connector:
        name = self.config.connector.name
        transport = self._transport
        if transport is None:
            transport = (
                httpx.WSGITransport(app=FixtureCRM(self.crm_state))
                if self.embedded_crm
                else httpx.HTTPTransport()
            )
        client = httpx.Client(
            base_url=self.crm_url,
            transport=FaultTransport(transport, self.faults),
            timeout=self.config.crm.timeout,
        )
        self._client = client  # core's own requests (the OAuth token endpoint) go here too
        options: dict[str, Any] = {"auth_type": self.config.connector.auth}
        if self.config.connector.auth == "oauth":
            options["oauth_client"] = self._oauth_client()
        try:
            return build_connector(
                name, client, log_format=self.config.connector.log_format, options=options
            )
        except ConnectorNotFound as exc:
            client.close()
            raise ConfigError(str(exc), "connector.name") from None

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
            client = OAuthServer(self.crm_state).client()  # the fixture CRM's registered client
            return client["clientId"], client["clientSecret"]
        raise ConfigError(
            "OAuth needs crm.oauth_client_id and crm.oauth_client_secret(_env)", "crm"
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
                retry=self.pipeline_retry,
            )
            if self.connector.get_auth_type() == "oauth":
                connector, store = self.connector, self.store
                client = self.client
                self._pipeline.authorizer = lambda user: fresh_user(connector, store, client, user)
            self._pipeline.user = self._connect_user()
        return self._pipeline

    @property
    def pipeline_retry(self) -> RetryPolicy:
        retries = self.config.retries
        return RetryPolicy(
            attempts=retries.attempts, base_delay=retries.base_delay, max_delay=retries.max_delay
        )

    #: The trace holds the connector's interface calls themselves.
    sees_interface_calls = True

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
        if self.config.crm.url is None or self.config.connector.name == "fixture":
            # The fixture CRM in this home, embedded or served: its seeded key.
            return self.crm_state.api_key
        raise ConfigError("no CRM credential: set crm.api_key_env or crm.api_key", "crm")

    def _connect_user(self) -> User:
        """App Connect's login: an existing connected user, or getUserInfo with the credential
        (API key; or OAuth tokens from the authorization-code step)."""
        store, platform = self.store, self.platform
        user = store.get_user(self.config.user.id) if self.config.user.id else None
        if user is None:
            user = store.latest_user(platform)
        if self.connector.get_auth_type() == "oauth":
            if user is None or not user.accessToken:  # never connected, or revoked
                user = store.upsert_user(self._oauth_login(user))
        else:
            api_key = self._api_key()
            if user is None or user.accessToken != api_key:
                probe = User(id="", platform=platform, accessToken=api_key)
                user = store.upsert_user(self._login(probe, user))
        wanted_offset = self.config.user.timezone_offset
        if wanted_offset is not None and user.timezoneOffset != wanted_offset:
            user = store.upsert_user(replace(user, timezoneOffset=wanted_offset))
        settings = self.config.user.settings
        if any(user.userSettings.get(key) != value for key, value in settings.items()):
            user = store.update_user_settings(user.id, settings)
        return user

    def connect_with_api_key(self, api_key: str) -> User:
        """`POST /apiKeyLogin`: getUserInfo with this key; the user is stored (upserted)."""
        probe = User(id="", platform=self.platform, accessToken=api_key)
        return self.store.upsert_user(self._login(probe, None))

    def _oauth_login(self, previous: User | None) -> User:
        try:
            given = self.config.crm.resolved_oauth_tokens()
            access, refresh, expiry = oauth_authorize(self.client, self.connector, given)
        except CRMError as exc:
            raise ConnectError(f"cannot connect the CRM user: {exc}", self.crm_url) from None
        probe = User(
            id="", platform=self.platform, accessToken=access, refreshToken=refresh,
            tokenExpiry=expiry,
        )  # fmt: skip
        return self._login(probe, previous)

    def _login(self, probe: User, previous: User | None) -> User:
        """getUserInfo with the probe's credential; the user row to store."""
        platform = self.platform
        api_key = probe.accessToken
        if self.connector.get_user_info is None:
            raise ConfigError("the connector has no getUserInfo: pin user.id", "connector")
        request = UserInfoRequest(
            auth_header=auth_header(self.connector, probe),
            api_key=api_key,
            platform=platform,
            hostname=urlsplit(self.crm_url).hostname or "",
        )
        try:
            # Login is not part of a flow's trace, but it gets the same bounded retries.
            info = retrying(self.pipeline_retry, self.connector.get_user_info, request)
        except CRMError as exc:
            raise ConnectError(f"cannot connect the CRM user: {exc}", self.crm_url) from None
        if not info.successful or info.platformUserInfo is None:
            message = info.returnMessage.message if info.returnMessage else "getUserInfo failed"
            raise ConnectError(f"cannot connect the CRM user: {message}", self.crm_url)
        platform_user = info.platformUserInfo
        offset = platform_user.timezoneOffset
        return replace(
            probe,
            id=self.config.user.id or platform_user.id,
            hostname=request.hostname,
            timezoneName=platform_user.timezoneName,
            timezoneOffset=None if offset is None else str(offset),
            platformAdditionalInfo=platform_user.platformAdditionalInfo or {},
            userSettings=previous.userSettings if previous else {},
        )

    # --- what the App Connect client does --------------------------------------------------

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
        log_info = body["logInfo"]
        created = False
        # Like the extension, match the contact only for a call not logged yet (it knows from
        # its callLog lookup), so a repeat creates nothing, not even a contact.
        logged = pipeline.store.find_call_log(
            str(log_info["sessionId"]),
            extension_number=identity.extension_number,
            hashed_extension_id=identity.hashed_extension_id,
        )
        with pipeline.acting_as(as_user):
            if logged is None and not body.get("contactId"):
                try:
                    created = self.resolve_contact(pipeline, body, create_contact_name)
                except CRMError as exc:
                    # What the extension shows when its contact lookup fails.
                    interface = pipeline.calls[-1].interface if pipeline.calls else "findContact"
                    message = api_error_message(interface, pipeline.platform, exc.status)
                    return LogCallOutcome(FlowResult(successful=False, return_message=message))
            result = create_call_log(pipeline, body, identity)
        return LogCallOutcome(result, contact_created=created)

    def _contact_lookup(self, log_info: Mapping[str, Any]) -> tuple[str, bool]:
        """The number the extension looks up, and whether it is an internal extension: only
        when the manifest enables extension-number logging and the party has no phone number."""
        inbound = log_info.get("direction") == "Inbound"
        party: Mapping[str, Any] = log_info.get("from" if inbound else "to") or {}
        number = str(party.get("phoneNumber") or "")
        extension = str(party.get("extensionNumber") or "")
        if not number and extension and self.config.app_connect.enable_extension_number_logging:
            return extension, True
        return number, False

    def resolve_contact(
        self, pipeline: Pipeline, body: dict[str, Any], create_name: str | None
    ) -> bool:
        """The extension's contact match before logging (`GET /contact`, then `POST /contact`)."""
        user, connector = pipeline.user, pipeline.connector
        number, is_extension = self._contact_lookup(body["logInfo"])
        if user is None or connector.find_contact is None or not number:
            return False
        header = auth_header(connector, user)
        found = pipeline.call_retrying(
            "findContact",
            connector.find_contact,
            FindContactRequest(
                user=user, auth_header=header, phone_number=number, is_extension=is_extension
            ),
        )
        contact = found.matchedContactInfo[0] if found.matchedContactInfo else None
        created = False
        if contact is None and create_name and connector.create_contact is not None:
            reply = pipeline.call_retrying(
                "createContact",
                connector.create_contact,
                CreateContactRequest(
                    user=user, auth_header=header, phone_number=number, new_contact_name=create_name
                ),
                # A create whose outcome is unknown is not repeated: no duplicate contact.
                safe_to_retry=lambda error: not error.outcome_unknown,
            )
            contact, created = reply.contactInfo, reply.contactInfo is not None
        if contact is not None:
            body.update(
                contactId=contact.id, contactName=contact.name, contactType=contact.type or ""
            )
        return created

    def server_side_user(
        self, rc_extension_id: str, rc_extensions: Sequence[Mapping[str, Any]]
    ) -> User | None:
        """With user mapping on, the CRM user a server-side log for this extension belongs
        to (matched through getUserList), holding the admin-assigned token; else None."""
        if not self.config.app_connect.server_side_user_mapping:
            return None
        pipeline = self.pipeline()
        admin, lister = pipeline.user, pipeline.connector.get_user_list
        if admin is None or lister is None:
            return None
        header = auth_header(pipeline.connector, admin)
        crm_users = pipeline.call_retrying("getUserList", lister, UserListRequest(admin, header))
        crm_id = match_users(rc_extensions, crm_users).get(rc_extension_id)
        if crm_id is None or crm_id == admin.id:
            return None
        mapped = self.store.get_user(crm_id)
        if mapped is None or mapped.accessToken != admin.accessToken:
            mapped = self.store.upsert_user(
                replace(admin, id=crm_id, userSettings=mapped.userSettings if mapped else {})
            )
        return mapped

    def cache_note(self, session_id: str, note: str) -> None:
        """`POST /callLog/cacheNote`: the note server-side logging will use (with USE_CACHE)."""
        self.store.cache_note(session_id, note)

    def disposition(self, session_id: str, dispositions: Mapping[str, Any]) -> FlowResult:
        """`PUT /callDisposition`."""
        body = {"sessionId": session_id, "dispositions": dict(dispositions)}
        return upsert_call_disposition(self.pipeline(), body, self.identity())

    def update_log(self, body: Mapping[str, Any]) -> FlowResult:
        """`PATCH /callLog` with the given body (App Connect's key names)."""
        return update_call_log(self.pipeline(), body, self.identity())

    def call_logs(self, session_id: str | None = None) -> Iterator[CallLogRecord]:
        return self.store.iter_call_logs(session_id)

    # --- what scenarios read and act on (the same methods on core/targets/server.py) -------

    def rows(self, session_id: str) -> list[CallLogRecord]:
        return list(self.call_logs(session_id))

    def read_crm_log(self, row: CallLogRecord) -> CallLogInfo | None:
        """The CRM log a row points to, through the connector (untraced: a check, not a
        flow); None when it is gone. CRMError when it cannot be read."""
        pipeline = self.pipeline()
        connector, user = pipeline.connector, pipeline.user
        if connector.get_call_log is None or user is None:
            return None
        header = auth_header(connector, user)
        request = GetCallLogRequest(user, row.id, row.thirdPartyLogId, row.contactId, header)
        try:
            return connector.get_call_log(request).callLogInfo
        except CRMError as exc:
            if exc.status in (404, 410):
                return None
            raise

    def list_crm_logs(self, session_id: str) -> list[CRMCallLog] | None:
        """The CRM's call logs for a session, or None when the connector cannot list."""
        pipeline = self.pipeline()
        connector, user = pipeline.connector, pipeline.user
        if connector.list_call_logs is None or user is None:
            return None
        header = auth_header(connector, user)
        return connector.list_call_logs(ListCallLogsRequest(user, header, session_id))

    # --- what smoke needs beyond scenarios (the same on core/targets/server.py) -----------

    def connect(self) -> str:
        """Log in (App Connect's connect step); the user's id."""
        user = self.pipeline().user
        if user is None:
            raise ConnectError("no user after login", self.crm_url)
        return user.id

    def implemented(self) -> dict[str, bool]:
        pipeline = self.pipeline()
        return implemented_interfaces(pipeline.connector, cache_call_note=pipeline.use_cache)

    def match_contact(self, body: dict[str, Any], create_name: str | None) -> bool:
        """The extension's contact match into `body`; whether a contact was created."""
        pipeline = self.pipeline()
        if pipeline.connector.find_contact is None:
            raise BadInput("the connector has no findContact", "findContact")
        return self.resolve_contact(pipeline, body, create_name)

    def composes(self) -> bool:
        """Does core compose the body (a text/html/markdown log format)?"""
        return is_composable(self.pipeline().log_format())

    def delete_crm_logs(self, log_ids: Sequence[str]) -> list[str]:
        """Delete CRM logs (smoke's clean-up); the ids that could not be deleted."""
        if self.sandbox and self.embedded_crm:
            return []  # an in-memory CRM: nothing outlives the run
        pipeline = self.pipeline()
        deleter, user = pipeline.connector.delete_call_log, pipeline.user
        if deleter is None or user is None:
            return list(log_ids)
        left = []
        for log_id in log_ids:
            try:
                deleter(DeleteCallLogRequest(user, auth_header(pipeline.connector, user), log_id))
            except CRMError:
                left.append(log_id)
        return left

    def use_user_settings(self, settings: Mapping[str, Any]) -> None:
        """Extra userSettings for this run only: the stored user is not changed."""
        pipeline = self.pipeline()
        if settings and pipeline.user is not None:
            merged = {**pipeline.user.userSettings, **settings}
            pipeline.user = replace(pipeline.user, userSettings=merged)

    def check_interfaces(self) -> CheckReport:
        # Imported here: the checks build many pydantic models that logging never needs.
        from appconnect.core.checks.interfaces import check_interfaces

        return check_interfaces(self.pipeline())
