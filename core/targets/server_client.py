"""A client of an App Connect server (`@app-connect/core`, or `appconnect serve`), doing what
App Connect's extension and its server-side logger do over HTTP (ref §3, §8).

Every call is recorded (route, arguments, answer) like the embedded pipeline's interface
calls, so traces look the same whichever core ran. Business failures arrive as HTTP 200 with
`successful: false` and are results, never success; a JWT the server refreshes is taken up.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from appconnect.connectors.contract import ReturnMessage
from appconnect.core.errors import ConnectError, HarnessError
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.serve import jwt


class ServerRefused(HarnessError):
    """The server answered with an HTTP error where App Connect answers 200 (a broken server,
    or bad credentials)."""

    exit_code = 1


class ServerClient:
    def __init__(
        self,
        url: str,
        platform: str,
        *,
        api_key: str | None = None,
        secret: str | None = None,
        user_id: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.platform = platform
        self._api_key, self._secret, self._user_id = api_key, secret, user_id
        self._client = httpx.Client(base_url=self.url, transport=transport, timeout=timeout)
        self.token: str | None = None
        self.calls: list[InterfaceCall] = []
        #: Off while a check reads a whole table back (a trace per row would grow with N).
        self.record_calls = True

    def close(self) -> None:
        self._client.close()

    # --- transport ----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        sscl: bool = False,
        auth: bool = True,
    ) -> tuple[int, Any]:
        headers = {"User-Agent": "SSCL"} if sscl else {}
        if auth:
            headers["Authorization"] = f"Bearer {self._jwt()}"
        started = time.perf_counter()
        route = f"{method} {path}"
        try:
            response = self._client.request(method, path, json=body, params=params, headers=headers)
        except httpx.HTTPError as exc:
            if self.record_calls:
                self.calls.append(InterfaceCall(route, False, type(exc).__name__, body or params))
            raise ConnectError(
                f"cannot reach the App Connect server: {type(exc).__name__}", self.url
            ) from None
        refreshed = response.headers.get("x-refreshed-jwt-token")
        if refreshed:
            self.token = refreshed
        try:
            data: Any = response.json()
        except ValueError:
            data = response.text
        elapsed = time.perf_counter() - started
        ok = response.status_code == 200 and not (
            isinstance(data, dict) and data.get("successful") is False
        )
        error = None if ok else f"HTTP {response.status_code}"
        if self.record_calls:
            self.calls.append(InterfaceCall(route, ok, error, body or params, data, elapsed))
        return response.status_code, data

    def jwt(self) -> str:
        """The JWT in use, logging in first when there is none."""
        return self._jwt()

    def _jwt(self) -> str:
        if self.token is None:
            self.token = self._login()
        return self.token

    def _login(self) -> str:
        """`POST /apiKeyLogin`, or a JWT minted with the server's secret for a user id."""
        if self._api_key:
            status, data = self._send(
                "POST",
                "/apiKeyLogin",
                body={"platform": self.platform, "apiKey": self._api_key},
                auth=False,
            )
            if status != 200 or not isinstance(data, dict) or not data.get("jwtToken"):
                raise ConnectError(
                    f"the server refused the API key login (HTTP {status})", self.url
                )
            return str(data["jwtToken"])
        if self._secret and self._user_id:
            return jwt.mint(self._user_id, self.platform, self._secret)
        raise ConnectError(
            "no server credential: set server.api_key(_env), or server.secret_env and "
            "server.user_id",
            self.url,
        )

    # --- routes ---------------------------------------------------------------------------

    def is_alive(self) -> bool:
        status, _ = self._send("GET", "/isAlive", auth=False)
        return status == 200

    def implemented_interfaces(self) -> dict[str, bool]:
        status, data = self._send(
            "GET", "/implementedInterfaces", params={"platform": self.platform}, auth=False
        )
        if status != 200 or not isinstance(data, dict):
            raise ServerRefused(f"implementedInterfaces answered HTTP {status}", self.url)
        return {str(key): bool(value) for key, value in data.items()}

    def find_contact(
        self, phone_number: str, *, is_extension: bool = False
    ) -> list[dict[str, Any]]:
        params = {"phoneNumber": phone_number, "isExtension": "true" if is_extension else "false"}
        status, data = self._send("GET", "/contact", params=params)
        found = data.get("contact") if isinstance(data, dict) else None
        return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []

    def create_contact(self, phone_number: str, name: str) -> dict[str, Any] | None:
        body = {"phoneNumber": phone_number, "newContactName": name, "newContactType": ""}
        _, data = self._send("POST", "/contact", body=body)
        contact = data.get("contact") if isinstance(data, dict) else None
        return contact if isinstance(contact, dict) else None

    def create_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> FlowResult:
        return self._flow("POST", "/callLog", body, sscl)

    def update_call_log(self, body: Mapping[str, Any], *, sscl: bool = False) -> FlowResult:
        return self._flow("PATCH", "/callLog", body, sscl)

    def upsert_disposition(self, body: Mapping[str, Any]) -> FlowResult:
        return self._flow("PUT", "/callDisposition", body, False)

    def cache_note(self, session_id: str, note: str) -> None:
        self._send("POST", "/callLog/cacheNote", body={"sessionId": session_id, "note": note})

    def get_call_logs(
        self,
        session_ids: Sequence[str],
        *,
        require_details: bool = False,
        extension_number: str = "",
        hashed_extension_id: str = "",
    ) -> list[dict[str, Any]]:
        params = {
            "sessionIds": ",".join(session_ids),
            "extensionNumber": extension_number,
            "hashedExtensionId": hashed_extension_id,
        }
        if require_details:
            params["requireDetails"] = "true"
        status, data = self._send("GET", "/callLog", params=params)
        if status != 200 or not isinstance(data, dict):
            raise ServerRefused(f"GET /callLog answered HTTP {status}", self.url)
        logs = data.get("logs")
        return (
            [entry for entry in logs if isinstance(entry, dict)] if isinstance(logs, list) else []
        )

    def _flow(self, method: str, path: str, body: Mapping[str, Any], sscl: bool) -> FlowResult:
        status, data = self._send(method, path, body=body, sscl=sscl)
        if not isinstance(data, dict):
            # App Connect answers flows with JSON objects; text means an error page.
            if isinstance(data, str) and jwt.AUTHORIZE_FIRST in data:
                raise ConnectError(jwt.AUTHORIZE_FIRST, self.url)
            raise ServerRefused(f"{method} {path} answered HTTP {status}: {data!s:.200}", self.url)
        message = data.get("returnMessage")
        return FlowResult(
            successful=status == 200 and bool(data.get("successful")),
            return_message=ReturnMessage.model_validate(message)
            if isinstance(message, dict) and "message" in message
            else None,
            log_id=str(data["logId"]) if data.get("logId") else None,
            updated_note=data.get("updatedNote"),
            error_code=data.get("errorCode"),
        )
