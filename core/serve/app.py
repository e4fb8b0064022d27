"""Our core as an App Connect server: the call-logging routes of `@app-connect/core` (ref §3,
§8) as a WSGI app over one `EmbeddedTarget`, with App Connect's JWT scheme.

It lets the server client (core/targets/server_client.py) be tested without Node, and
lets any App Connect client drive the Python core. Business failures are HTTP 200 with
`successful: false`, as upstream; an error escaping a handler is 400 `{error}`, as upstream
(never a 500 with a traceback). Requests are served one at a time per process: the store is
one SQLite connection; `serve --workers N` runs N processes, which agree through the store.

Differs from App Connect on purpose: by default every route that names a session acts only on
the token's user's rows (`scoped=True`, see scope.py); App Connect lets any valid token read
and change any user's logs by session id, which `scoped=False` keeps for the differential.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from appconnect.connectors.contract import (
    CreateContactRequest,
    FindContactRequest,
    ReturnMessage,
    User,
    implemented_interfaces,
)
from appconnect.connectors.errors import CRMError
from appconnect.core.errors import HarnessError, UnknownSession
from appconnect.core.extension.call_fixtures import CallFixture
from appconnect.core.flows.create import create_call_log
from appconnect.core.flows.disposition import upsert_call_disposition
from appconnect.core.flows.errormap import api_error_message
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.lookup import get_call_logs
from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.update import update_call_log
from appconnect.core.serve import jwt, scope
from appconnect.core.targets.embedded import EmbeddedTarget

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

MAX_BODY = 5 * 1024 * 1024
Answer = tuple[int, Any, list[tuple[str, str]]]


class _Refused(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(str(body))
        self.status, self.body = status, body


class CoreServer:
    """`CoreServer(harness, secret)` is the WSGI app; `secret` is APP_SERVER_SECRET_KEY."""

    def __init__(self, harness: EmbeddedTarget, secret: str, *, scoped: bool = True) -> None:
        self.harness = harness
        self.secret = secret
        self.scoped = scoped
        self._lock = threading.Lock()
        self._routes: dict[tuple[str, str], Callable[[_Call], Answer]] = {
            ("GET", "/isAlive"): self._is_alive,
            ("GET", "/implementedInterfaces"): self._implemented,
            ("POST", "/apiKeyLogin"): self._api_key_login,
            ("GET", "/contact"): self._find_contact,
            ("POST", "/contact"): self._create_contact,
            ("POST", "/callLog"): self._create_log,
            ("GET", "/callLog"): self._get_logs,
            ("PATCH", "/callLog"): self._update_log,
            ("PUT", "/callDisposition"): self._disposition,
            ("POST", "/callLog/cacheNote"): self._cache_note,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        call = _Call(environ)
        route = self._routes.get((call.method, call.path))
        with self._lock:
            try:
                if route is None:
                    raise _Refused(404, {"error": f"Cannot {call.method} {call.path}"})
                status, body, headers = route(call)
            except _Refused as refused:
                status, body, headers = refused.status, refused.body, []
            except HarnessError as exc:  # upstream answers an escaping error 400 {error}
                status, body, headers = 400, {"error": str(exc)}, []
            except Exception as exc:  # noqa: BLE001 - upstream's catch-all: 400 {error}
                status, body, headers = 400, {"error": scope.one_line(exc)}, []
        return _respond(start_response, status, body, headers)

    # --- auth ---------------------------------------------------------------------------

    def _user(self, call: _Call) -> tuple[User, list[tuple[str, str]]]:
        """The JWT's user (a header or ?jwtToken=), and a refreshed token when it is due."""
        token = call.bearer() or call.param("jwtToken") or ""
        try:
            payload = jwt.decode(token, self.secret)
        except jwt.InvalidToken:
            raise _Refused(400, jwt.AUTHORIZE_FIRST) from None
        user = self.harness.store.get_user(str(payload["id"]))
        if user is None or not user.accessToken:
            raise _Refused(400, jwt.AUTHORIZE_FIRST)
        headers = []
        if jwt.needs_refresh(payload):
            fresh = jwt.mint(user.id, user.platform, self.secret)
            headers.append(("x-refreshed-jwt-token", fresh))
        pipeline = self.harness.pipeline()
        pipeline.user = user
        return user, headers

    # --- routes ---------------------------------------------------------------------------

    def _is_alive(self, call: _Call) -> Answer:
        return 200, "OK", []

    def _implemented(self, call: _Call) -> Answer:
        if not call.param("platform"):
            return 400, "Please provide platform.", []
        cache = self.harness.config.app_connect.use_cache
        return 200, implemented_interfaces(self.harness.connector, cache_call_note=cache), []

    def _api_key_login(self, call: _Call) -> Answer:
        body = call.json()
        api_key = str(body.get("apiKey") or "")
        if not api_key:
            return 400, {"error": "apiKey is required"}, []
        try:
            user = self.harness.connect_with_api_key(api_key)
        except HarnessError as exc:
            return 400, {"error": exc.message}, []
        token = jwt.mint(user.id, user.platform, self.secret)
        message = ReturnMessage(message="Successfully connected.", messageType="success")
        return 200, {"jwtToken": token, "name": user.id, "returnMessage": _dump(message)}, []

    def _find_contact(self, call: _Call) -> Answer:
        user, headers = self._user(call)
        pipeline = self.harness.pipeline()
        finder = pipeline.connector.find_contact
        number = (call.param("phoneNumber") or "").replace(" ", "+", 1)  # upstream's fix-up
        if finder is None:
            return 200, {"successful": False, "returnMessage": _dump(_not_supported())}, headers
        request = FindContactRequest(
            user=user,
            auth_header=pipeline.authorize(user)[1],
            phone_number=number,
            is_extension=call.param("isExtension") == "true",
        )
        try:
            found = pipeline.call_retrying("findContact", finder, request)
        except CRMError as exc:
            message = api_error_message("findContact", pipeline.platform, exc.status)
            return 200, {"successful": False, "returnMessage": _dump(message)}, headers
        return (
            200,
            {
                "successful": found.successful,
                "returnMessage": _dump(found.returnMessage),
                "contact": [c.model_dump(exclude_none=True) for c in found.matchedContactInfo],
            },
            headers,
        )

    def _create_contact(self, call: _Call) -> Answer:
        user, headers = self._user(call)
        pipeline = self.harness.pipeline()
        body = call.json()
        creator = pipeline.connector.create_contact
        if creator is None:
            return 200, {"successful": False, "returnMessage": _dump(_not_supported())}, headers
        request = CreateContactRequest(
            user=user,
            auth_header=pipeline.authorize(user)[1],
            phone_number=str(body.get("phoneNumber") or ""),
            new_contact_name=str(body.get("newContactName") or ""),
            new_contact_type=str(body.get("newContactType") or ""),
        )
        try:
            reply = pipeline.call("createContact", creator, request)
        except CRMError as exc:
            message = api_error_message("createContact", pipeline.platform, exc.status)
            return 200, {"successful": False, "returnMessage": _dump(message)}, headers
        contact = reply.contactInfo
        return (
            200,
            {
                "successful": contact is not None,
                "returnMessage": _dump(reply.returnMessage),
                "contact": contact.model_dump(exclude_none=True) if contact else None,
            },
            headers,
        )

    def _create_log(self, call: _Call) -> Answer:
        _, headers = self._user(call)
        body = call.json()
        scope.require_log_info(body)
        if call.sscl:
            body["isFromSSCL"] = True
        fixture = CallFixture.model_validate(body)  # App Connect's body; unknown keys kept
        identity = self.harness.identity(fixture.identity_overrides())
        result = create_call_log(self.harness.pipeline(), fixture.as_body(), identity)
        return _status(result), _flow_answer(result), headers

    def _get_logs(self, call: _Call) -> Answer:
        user, headers = self._user(call)
        ids = [s for s in (call.param("sessionIds") or "").split(",") if s][:5]
        identity = Identity(
            extension_number=call.param("extensionNumber") or "",
            hashed_extension_id=call.param("hashedExtensionId") or "",
        )
        foreign = scope.foreign_sessions(self.harness.store, ids, identity, user) \
            if self.scoped else set()
        entries = get_call_logs(
            self.harness.pipeline(),
            [i for i in ids if i not in foreign],
            identity,
            require_details=call.param("requireDetails") == "true",
        )
        entries = scope.merge_unmatched(ids, entries, foreign)
        logs = [{k: v for k, v in asdict(e).items() if v is not None} for e in entries]
        return 200, {"successful": True, "logs": logs}, headers

    def _update_log(self, call: _Call) -> Answer:
        user, headers = self._user(call)
        body = call.json()
        scope.require_session_id(body)
        if call.sscl:
            body["isFromSSCL"] = True
        identity = self.harness.identity(_identity_keys(body))
        try:
            if self.scoped:
                scope.require_own_session(self.harness.store, body, identity, user)
            result = update_call_log(self.harness.pipeline(), body, identity)
        except UnknownSession:
            # App Connect answers a bare {successful: false} here (quirk 10); we say why.
            missing = ReturnMessage(
                message=f"Cannot find call log for session {body.get('sessionId')}",
                messageType="warning",
                ttl=3000,
            )
            return 200, {"successful": False, "returnMessage": _dump(missing)}, headers
        return _status(result), _flow_answer(result), headers

    def _disposition(self, call: _Call) -> Answer:
        user, headers = self._user(call)
        body = call.json()
        scope.require_session_id(body)
        identity = self.harness.identity(_identity_keys(body))
        if self.scoped and scope.is_foreign(self.harness.store, body, identity, user):
            missing = {"successful": False, "returnMessage": _dump(scope.not_found(body))}
            return 200, missing, headers
        result = upsert_call_disposition(self.harness.pipeline(), body, identity)
        answer = {"successful": result.successful, "returnMessage": _dump(result.return_message)}
        return 200, answer, headers

    def _cache_note(self, call: _Call) -> Answer:
        user, _ = self._user(call)
        body = call.json()
        if self.scoped and scope.is_foreign(self.harness.store, body, Identity(), user):
            return 200, {"successful": False, "returnMessage": _dump(scope.not_found(body))}, []
        self.harness.cache_note(str(body.get("sessionId") or ""), str(body.get("note") or ""))
        return 200, {"successful": True, "returnMessage": "Note cache saved"}, []


class _Call:
    """One request, read lazily."""

    def __init__(self, environ: WSGIEnvironment) -> None:
        self.environ = environ
        self.method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        self.path = str(environ.get("PATH_INFO") or "/").rstrip("/") or "/"
        self.query = parse_qs(str(environ.get("QUERY_STRING", "")))
        self.sscl = environ.get("HTTP_USER_AGENT") == "SSCL"

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def bearer(self) -> str | None:
        scheme, _, token = str(self.environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None

    def json(self) -> dict[str, Any]:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise _Refused(413, {"error": "body too large"})
        try:
            raw = self.environ["wsgi.input"].read(length) if length > 0 else b"{}"
        except OSError:  # the read timeout ran out, or the client went away
            raise _Refused(408, {"error": "request body not received in time"}) from None
        try:
            # NaN/Infinity are not JSON (Express's parser refuses them too).
            body = json.loads(raw or b"{}", parse_constant=scope.refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise _Refused(400, {"error": "body is not JSON"}) from None
        if not isinstance(body, dict):
            raise _Refused(400, {"error": "body must be a JSON object"})
        return body


def _identity_keys(body: Mapping[str, Any]) -> dict[str, str]:
    keys = ("extensionNumber", "hashedExtensionId", "rcExtensionId", "accountId")
    return {key: str(body[key]) for key in keys if body.get(key)}


def _status(result: FlowResult) -> int:
    # A revoked OAuth session is App Connect's one non-200 business answer (ref §3.1).
    return 401 if result.error_code else 200


def _flow_answer(result: FlowResult) -> dict[str, Any]:
    answer: dict[str, Any] = {"successful": result.successful}
    if result.successful and result.log_id:
        answer["logId"] = result.log_id
    if result.updated_note is not None:
        answer["updatedNote"] = result.updated_note
    if result.return_message is not None:
        answer["returnMessage"] = _dump(result.return_message)
    if result.error_code:
        answer["errorCode"] = result.error_code
    return answer


def _dump(message: ReturnMessage | None) -> dict[str, Any] | None:
    return message.model_dump(exclude_none=True) if message else None


def _not_supported() -> ReturnMessage:
    return ReturnMessage(message="Not supported", messageType="warning", ttl=2000)


def _respond(
    start_response: StartResponse, status: int, body: Any, headers: list[tuple[str, str]]
) -> list[bytes]:
    if isinstance(body, str):
        payload, kind = body.encode(), "text/plain; charset=utf-8"
    else:
        payload, kind = json.dumps(body).encode(), "application/json"
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [("Content-Type", kind), ("Content-Length", str(len(payload))), *headers],
    )
    return [payload]
