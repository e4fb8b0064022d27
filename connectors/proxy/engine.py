"""One proxy operation as one HTTP request: context, URL, headers, query, body, and its answer.

The rules are App Connect's (ref §6), with one harness rule for where requests go: the proxy
file says the path, the harness says the CRM. A relative `requestDefaults.baseUrl` ("/v1"), or
the path of an absolute one, is joined to the harness's CRM URL (`crm.url`, or the embedded
fixture CRM); an absolute operation `url` is sent as written.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from appconnect.connectors.errors import CRMError, error_message
from appconnect.connectors.proxy.models import Auth, Operation, ProxyConfig
from appconnect.connectors.proxy.templating import UNDEFINED, js_string, render, to_json

__all__ = ["ProxyRequest", "base_path", "join_url", "prepare", "send"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class ProxyRequest:
    operation: str
    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str | list[str]]
    #: The JSON body, or UNDEFINED to send none.
    body: Any


def base_path(base_url: str) -> str:
    """The part of `requestDefaults.baseUrl` the harness keeps: all of a relative one, the path
    of an absolute one (its scheme and host give way to the harness's CRM URL)."""
    if base_url.startswith(("http://", "https://")):
        return urlsplit(base_url).path
    return base_url


def join_url(base: str, path: str) -> str:
    """App Connect's joinUrl: absolute `path` kept; otherwise base + one `/` + path."""
    if not base:
        return path
    if not path:
        return base
    if path.startswith(("http://", "https://")):
        return path
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def auth_headers(auth: Auth | None, context: Mapping[str, Any], core_header: str) -> dict[str, str]:
    """Header precedence: the rendered credentialTemplate, then core's header, then (oauth)
    `<scheme or Bearer> <user.accessToken>`."""
    name = (auth.headerName if auth else None) or "Authorization"
    if auth is not None and auth.credentialTemplate:
        rendered = render(auth.credentialTemplate, context)
        credential = rendered if isinstance(rendered, str) else js_string(rendered)
        if auth.encode != "none":
            credential = base64.b64encode(credential.encode()).decode("ascii")
        return {name: f"{auth.scheme} {credential}" if auth.scheme else credential}
    if core_header:
        return {name: core_header}
    user = context.get("user")
    if auth is not None and auth.type == "oauth" and isinstance(user, Mapping):
        return {name: f"{auth.scheme or 'Bearer'} {js_string(user.get('accessToken'))}"}
    return {}


def prepare(
    config: ProxyConfig, name: str, op: Operation, context: Mapping[str, Any], core_header: str
) -> ProxyRequest:
    method = op.method.upper()
    rendered_url = render(op.url, context)
    url = join_url(base_path(config.requestDefaults.baseUrl), js_string(rendered_url))
    headers = _scalars(render(config.requestDefaults.defaultHeaders, context))
    headers.update(_scalars(render(op.headers, context)))
    headers.update(auth_headers(op.auth or config.auth, context, core_header))
    params: dict[str, str | list[str]] = {}
    for key, value in render(op.query, context).items():
        if value is None or value is UNDEFINED:
            continue  # axios leaves out null and undefined parameters
        params[key] = [js_string(v) for v in value] if isinstance(value, list) else js_string(value)
    if op.body is not None:
        body = to_json(render(op.body, context))
    else:
        body = {} if method in _BODY_METHODS else UNDEFINED
    return ProxyRequest(name, method, url, {k: str(v) for k, v in headers.items()}, params, body)


def send(
    client: httpx.Client,
    request: ProxyRequest,
    *,
    timeout: float | None,
    secrets: tuple[str, ...] = (),
) -> Any:
    """Perform the request; the parsed JSON answer (text when not JSON, '' when empty).

    Any non-2xx answer or transport failure raises CRMError (axios rejects them too). Error
    messages name the operation, method and path, never the query string or a secret.
    """
    where = _safe(f"{request.operation}: {request.method} {urlsplit(request.url).path}", secrets)
    try:
        response = client.request(
            request.method,
            request.url,
            headers=request.headers,
            params=request.params or None,
            json=None if request.body is UNDEFINED else request.body,
            timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            follow_redirects=True,
        )
    except httpx.HTTPError as exc:
        raise CRMError(f"{where}: {type(exc).__name__}") from None
    if not 200 <= response.status_code < 300:
        detail = _safe(error_message(response), secrets)
        raise CRMError(
            f"{where}: HTTP {response.status_code}" + (f" {detail}" if detail else ""),
            status=response.status_code,
        )
    if not response.content:
        return ""
    try:
        return response.json()
    except ValueError:
        return response.text


def _scalars(values: Any) -> dict[str, str]:
    if not isinstance(values, Mapping):
        return {}
    return {
        str(k): v if isinstance(v, str) else js_string(v)
        for k, v in values.items()
        if v is not None and v is not UNDEFINED
    }



def _safe(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
