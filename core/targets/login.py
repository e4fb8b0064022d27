"""App Connect's connect step for the embedded target: an existing connected user, or
getUserInfo with the credential (an API key; or OAuth tokens from the authorization-code
step), then the configured timezone and settings applied to the stored user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import httpx

from appconnect.connectors.contract import Connector, User, UserInfoRequest
from appconnect.connectors.errors import CRMError
from appconnect.core.config import HarnessConfig
from appconnect.core.errors import ConfigError, ConnectError
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.oauth import authorize as oauth_authorize
from appconnect.core.flows.retry import RetryPolicy, retrying
from appconnect.core.store.db import Store
from appconnect.core.transports.scope import scoped


@dataclass
class Login:
    config: HarnessConfig
    store: Store
    connector: Connector
    #: The connector's HTTP client (the OAuth token endpoint is called through it).
    client: Callable[[], httpx.Client]
    platform: str
    crm_url: str
    retry: RetryPolicy
    #: The API key to log in with (the config's, or the fixture CRM's seeded one).
    api_key: Callable[[], str]

    def connect_user(self) -> User:
        """The connected user, logging in when there is none (or its key changed)."""
        store, platform = self.store, self.platform
        user = store.get_user(self.config.user.id) if self.config.user.id else None
        if user is None:
            user = store.latest_user(platform)
        if self.connector.get_auth_type() == "oauth":
            if user is None or not user.accessToken:  # never connected, or revoked
                user = store.upsert_user(self._oauth_login(user))
        else:
            api_key = self.api_key()
            if user is None or user.accessToken != api_key:
                probe = User(id="", platform=platform, accessToken=api_key)
                user = store.upsert_user(self.login(probe, user))
        wanted_offset = self.config.user.timezone_offset
        if wanted_offset is not None and user.timezoneOffset != wanted_offset:
            user = store.upsert_user(replace(user, timezoneOffset=wanted_offset))
        settings = self.config.user.settings
        if any(user.userSettings.get(key) != value for key, value in settings.items()):
            user = store.update_user_settings(user.id, settings)
        return user

    def _oauth_login(self, previous: User | None) -> User:
        try:
            given = self.config.crm.resolved_oauth_tokens()
            access, refresh, expiry = oauth_authorize(self.client(), self.connector, given)
        except CRMError as exc:
            raise ConnectError(f"cannot connect the CRM user: {exc}", self.crm_url) from None
        probe = User(
            id="", platform=self.platform, accessToken=access, refreshToken=refresh,
            tokenExpiry=expiry,
        )  # fmt: skip
        return self.login(probe, previous)

    def login(self, probe: User, previous: User | None) -> User:
        """getUserInfo with the probe's credential; the user row to store."""
        get_user_info = self.connector.get_user_info
        if get_user_info is None:
            raise ConfigError("the connector has no getUserInfo: pin user.id", "connector")
        request = UserInfoRequest(
            auth_header=auth_header(self.connector, probe),
            api_key=probe.accessToken,
            platform=self.platform,
            hostname=urlsplit(self.crm_url).hostname or "",
        )
        try:
            # Login is not part of a flow's trace, but it gets the same bounded retries (and
            # the faults named after getUserInfo).
            info = retrying(self.retry, scoped("getUserInfo", get_user_info), request)
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
