"""What every proxy operation shares: the file's config and HTTP client, the fixed
behaviours (auth type, log format), one request through the engine, and the conversions
from mapped values to the contract's."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import httpx

from appconnect.connectors.contract import (
    AuthType,
    Connector,
    ReturnMessage,
    User,
)
from appconnect.connectors.errors import CRMError
from appconnect.connectors.proxy import inputs as computed
from appconnect.connectors.proxy.engine import prepare, send
from appconnect.connectors.proxy.models import ProxyConfig, ResponseMapping
from appconnect.connectors.proxy.templating import UNDEFINED, get_by_path, js_string


def _message(text: str, ttl: int, kind: str = "success") -> ReturnMessage:
    return ReturnMessage(message=text, messageType=kind, ttl=ttl)


def _given(value: Any) -> Any:
    """The harness's requests use None for "not given": App Connect's undefined."""
    return UNDEFINED if value is None else computed.plain(value)


def _opt(value: Any) -> Any:
    return None if value is UNDEFINED else value


def _text(value: Any) -> str | None:
    if value is None or value is UNDEFINED:
        return None
    return value if isinstance(value, str) else js_string(value)


def context_user_id(user: User) -> str:
    """`user.id` in templates: the users.id without the `-<platform>` suffix getUserInfo added.

    App Connect takes the text before the first `-`, which breaks CRM ids that contain one
    (`fx-user-1` would become `fx`); the harness strips the suffix it knows was added.
    """
    suffix = f"-{user.platform}"
    return user.id[: -len(suffix)] if user.id.endswith(suffix) else user.id


def _listed(name: str, mapping: ResponseMapping, body: Any, *, default_path: str) -> list[Any]:
    found = get_by_path({"body": body}, mapping.listPath or default_path)
    if found is None or found is UNDEFINED:
        return []
    if not isinstance(found, list):
        path = mapping.listPath or default_path
        raise CRMError(f"{name}: listPath {path} is not a list in the response")
    return found


class ProxyBase(Connector):
    """The proxy connector's config, client and request; operations live in subclasses."""

    platform = "proxy"

    def __init__(self, config: ProxyConfig, client: httpx.Client, *, source: str = "") -> None:
        self.config = config
        self.source = source
        self._client = client

    def close(self) -> None:
        self._client.close()

    def get_auth_type(self) -> AuthType:
        return self.config.auth.type or "apiKey"

    def get_basic_auth(self, api_key: str) -> str:
        return base64.b64encode(f"{api_key}:".encode()).decode("ascii")

    def get_log_format_type(self) -> str:
        return self.config.meta.logFormat or "custom"

    def _call(
        self,
        name: str,
        op_inputs: Mapping[str, Any],
        *,
        user: User | None,
        auth_header: str,
        api_key: str = "",
    ) -> Any:
        op = self.config.operations[name]
        access_token = user.accessToken if user is not None and user.accessToken else api_key
        context: dict[str, Any] = {k: v for k, v in op_inputs.items() if v is not UNDEFINED}
        context["user"] = self._user_context(user, access_token)
        context["authHeader"] = auth_header
        context["apiKey"] = access_token
        if self.config.secretKey is not None:
            context["secretKey"] = self.config.secretKey
        request = prepare(self.config, name, op, context, auth_header)
        secrets = tuple(s for s in (access_token, self.config.secretKey) if s)
        return send(
            self._client,
            request,
            timeout=self.config.requestDefaults.timeoutSeconds,
            secrets=secrets,
        )

    @staticmethod
    def _user_context(user: User | None, access_token: str) -> dict[str, Any]:
        if user is None or not user.id:
            return {"accessToken": access_token}
        return {
            "accessToken": access_token,
            "id": context_user_id(user),
            "hostname": user.hostname,
            "timezoneName": user.timezoneName,
            "timezoneOffset": user.timezoneOffset,
            "platform": user.platform,
            "platformAdditionalInfo": computed.plain(user.platformAdditionalInfo),
            "refreshToken": user.refreshToken,
            "tokenExpiry": user.tokenExpiry,
        }

    def _mapping(self, name: str) -> ResponseMapping | None:
        return self.config.operations[name].responseMapping
