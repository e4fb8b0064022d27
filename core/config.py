"""`appconnect.toml`: which connector, which CRM, which App Connect user.

Every key is optional: with no file at all the harness runs the built-in `fixture` connector
against the embedded fixture CRM. Unknown keys and wrong types are errors naming the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from appconnect.core.errors import ConfigError
from appconnect.core.flows.oauth import GivenTokens
from appconnect.core.home import CONFIG_ENV
from appconnect.core.user_files import (
    Identifier,
    OptionalIdentifier,
    parse_toml,
    read_input_text,
    shown,
)

CONFIG_FILE = "appconnect.toml"


#: No wait, timeout or delay is meant to be longer than an hour (and `1e300` would overflow).
MAX_SECONDS = 3600.0


OptionalId = OptionalIdentifier


def _checked_url(value: str) -> str:
    """An http(s) URL with a host and a valid port; the message never repeats the URL, which
    may hold credentials."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError("not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if not value.isprintable() or " " in value:
        raise ValueError("must not contain spaces or control characters")
    return value


class _Section(BaseModel):
    # allow_inf_nan off: `max_delay = inf` would sleep forever, `timeout = nan` never time out.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CRMConfig(_Section):
    #: Base URL of the CRM API; unset means the embedded fixture CRM, in-process.
    url: str | None = None
    #: The CRM credential. Prefer `api_key_env` so the secret stays out of the file.
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    timeout: float = Field(default=10.0, gt=0, le=MAX_SECONDS)
    #: OAuth client of the CRM (connector.auth = "oauth"); default: the fixture CRM's own.
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = Field(default=None, repr=False)
    oauth_client_secret_env: str | None = None
    #: Tokens obtained outside the harness (a CRM whose sign-in needs a browser): used to
    #: connect instead of the authorization-code step, then refreshed by App Connect's rules.
    oauth_access_token: str | None = Field(default=None, repr=False)
    oauth_access_token_env: str | None = None
    oauth_refresh_token: str | None = Field(default=None, repr=False)
    oauth_refresh_token_env: str | None = None
    #: ISO 8601 expiry of the access token (empty: unknown, never refreshed, as App Connect).
    oauth_token_expiry: str | None = None
    oauth_token_expiry_env: str | None = None

    def resolved_oauth_tokens(self) -> GivenTokens | None:
        """The given tokens, or None when none are configured (then: authorization code)."""
        access = _secret(self.oauth_access_token, self.oauth_access_token_env, "oauth_access_token")
        refresh = _secret(
            self.oauth_refresh_token, self.oauth_refresh_token_env, "oauth_refresh_token"
        )
        expiry = _secret(self.oauth_token_expiry, self.oauth_token_expiry_env, "oauth_token_expiry")
        if not (access or refresh):
            return None
        return GivenTokens(access_token=access, refresh_token=refresh, token_expiry=expiry)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else _checked_url(value)

    def resolved_oauth_client(self) -> tuple[str, str] | None:
        secret = self.oauth_client_secret
        if self.oauth_client_secret_env:
            secret = os.environ.get(self.oauth_client_secret_env)
            if not secret:
                raise ConfigError(
                    f"environment variable {self.oauth_client_secret_env} is not set",
                    "crm.oauth_client_secret_env",
                )
        if self.oauth_client_id and secret:
            return self.oauth_client_id, secret
        return None

    def resolved_api_key(self) -> str | None:
        if self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if not value:
                raise ConfigError(
                    f"environment variable {self.api_key_env} is not set", "crm.api_key_env"
                )
            return value
        return self.api_key


def _secret(value: str | None, env: str | None, key: str) -> str:
    """`value`, or the environment variable `env` names (which must then be set)."""
    if env:
        found = os.environ.get(env)
        if not found:
            raise ConfigError(f"environment variable {env} is not set", f"crm.{key}_env")
        return found
    return value or ""


class ConnectorConfig(_Section):
    name: str = "fixture"
    #: What the built-in connector's getLogFormatType returns.
    log_format: str = "text/plain"
    #: The built-in connector's getAuthType: an API key, or OAuth with token refresh.
    auth: Literal["apiKey", "oauth"] = "apiKey"


class UserConfig(_Section):
    #: Pin the App Connect user id; by default it comes from the connector's getUserInfo.
    id: Identifier | None = None
    platform: Identifier | None = None
    #: App Connect's `users.timezoneOffset` ("-08:00", "-7", "330"); default: from the CRM.
    timezone_offset: str | None = None
    #: App Connect's `users.userSettings`: `{key = {value = ...}}`, or the `key = value` shorthand.
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("timezone_offset", mode="before")
    @classmethod
    def _offset_as_text(cls, value: object) -> object:
        # App Connect stores the offset as a string column; accept a TOML number too.
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )

    @field_validator("settings")
    @classmethod
    def _wrap_values(cls, value: dict[str, Any]) -> dict[str, Any]:
        return {
            key: item if isinstance(item, Mapping) and "value" in item else {"value": item}
            for key, item in value.items()
        }


class IdentityConfig(_Section):
    """Who the RingCentral user is, as App Connect's client sends it (ref §3.2 step 2)."""

    extension_number: OptionalId = ""
    hashed_extension_id: OptionalId = ""
    rc_extension_id: OptionalId = ""
    account_id: OptionalId = ""
    #: App Connect's HASH_KEY. Prefer `hash_key_env`: the loaded config then holds the
    #: variable's value here, read once when the file is loaded.
    hash_key: str = Field(default="", repr=False)
    hash_key_env: str | None = None


class AppConnectConfig(_Section):
    """How the App Connect server is set up, where that changes call logging."""

    #: `USE_CACHE`: server-side logging takes the note from the note cache.
    use_cache: bool = False
    #: Manifest `enableExtensionNumberLoggingSetting`: findContact gets `isExtension`.
    enable_extension_number_logging: bool = False
    #: Manifest `serverSideLogging.enableUserMapping`: SSCL logs as the mapped CRM user.
    server_side_user_mapping: bool = False


class RetryConfig(_Section):
    """Bounded retries of failed CRM calls (429, 5xx, lost connections); see core/flows/retry.py."""

    attempts: int = Field(default=3, ge=1, le=10)
    base_delay: float = Field(default=0.2, ge=0, le=MAX_SECONDS)
    max_delay: float = Field(default=5.0, ge=0, le=MAX_SECONDS)


class FaultsConfig(_Section):
    """Faults injected in front of the CRM (core/transports/faults.py): rules and a random rate."""

    #: `createCallLog=429`, `getCallLog=500x2`, `PATCH /v1/activities/*=timeout`, ...
    rules: list[str] = Field(default_factory=list)
    rate: float = Field(default=0.0, ge=0, le=1)
    seed: int = 0


class TraceConfig(_Section):
    """What `--trace http` and run reports record (core/transports/http_trace.py)."""

    #: Record and show every HTTP exchange under the connector (`--trace http` sets it).
    http: bool = False


class ServerConfig(_Section):
    """A running App Connect server to drive (`--target server`)."""

    url: str = "http://127.0.0.1:6066"
    #: The platform name the server's connector is registered under.
    platform: str | None = None
    #: Log in with `POST /apiKeyLogin` (the CRM API key) ...
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    #: ... or mint the JWT with the server's APP_SERVER_SECRET_KEY for a users row id.
    secret_env: str | None = None
    user_id: str | None = None
    #: The server's database, read read-only: a SQLite file or a `postgres://` URL (psycopg,
    #: the `postgres` extra); or its .env holding DATABASE_URL.
    database: str | None = None
    env_file: str | None = None
    timeout: float = Field(default=30.0, gt=0, le=MAX_SECONDS)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _checked_url(value)

    def resolved_api_key(self) -> str | None:
        return _from_env(self.api_key_env, "server.api_key_env") or self.api_key

    def resolved_secret(self) -> str | None:
        return _from_env(self.secret_env, "server.secret_env")


def _from_env(variable: str | None, key: str) -> str | None:
    if not variable:
        return None
    value = os.environ.get(variable)
    if not value:
        raise ConfigError(f"environment variable {variable} is not set", key)
    return value


class RedactionConfig(_Section):
    """Field names whose values are private (customer data, not only credentials): hidden in
    HTTP traces and run reports, and scrubbed from cassettes (`--record`), wherever they
    appear in a JSON or form body, a query or a header. One list for all three."""

    fields: list[str] = Field(default_factory=list)


class HarnessConfig(_Section):
    crm: CRMConfig = CRMConfig()
    connector: ConnectorConfig = ConnectorConfig()
    user: UserConfig = UserConfig()
    identity: IdentityConfig = IdentityConfig()
    app_connect: AppConnectConfig = AppConnectConfig()
    retries: RetryConfig = RetryConfig()
    server: ServerConfig = ServerConfig()
    faults: FaultsConfig = FaultsConfig()
    trace: TraceConfig = TraceConfig()
    redaction: RedactionConfig = RedactionConfig()
    #: Call plugins by entry-point name or `module:callable`, run in order (core/flows/plugins.py).
    plugins: list[str] = Field(default_factory=list)

    @property
    def platform(self) -> str:
        return self.user.platform or self.connector.name


def find_config_file(explicit: Path | None) -> Path | None:
    """`--config`, then `$APPCONNECT_CONFIG`, then `./appconnect.toml`; None when there is none."""
    if explicit is not None:
        return explicit
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    default = Path.cwd() / CONFIG_FILE
    return default if default.is_file() else None


def load_config(explicit: Path | None = None) -> tuple[HarnessConfig, Path | None]:
    path = find_config_file(explicit)
    if path is None:
        return HarnessConfig(), None
    where = shown(path)
    text = read_input_text(path, "config file", ConfigError)
    data = parse_toml(text, where, ConfigError)
    return parse_config(data, where), path


def parse_config(data: Mapping[str, Any], where: str) -> HarnessConfig:
    try:
        config = HarnessConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_problem(exc), where) from None
    return _with_env_hash_key(config)


def _with_env_hash_key(config: HarnessConfig) -> HarnessConfig:
    identity = config.identity
    if identity.hash_key_env is None:
        return config
    if identity.hash_key:
        raise ConfigError(
            "set identity.hash_key or identity.hash_key_env, not both", "identity.hash_key_env"
        )
    value = os.environ.get(identity.hash_key_env)
    if not value:
        raise ConfigError(
            f"environment variable {identity.hash_key_env} is not set", "identity.hash_key_env"
        )
    return config.model_copy(update={"identity": identity.model_copy(update={"hash_key": value})})


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = shown(".".join(str(part) for part in error["loc"]))
    if error["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    return f"'{key}': {error['msg'].removeprefix('Value error, ')}"
