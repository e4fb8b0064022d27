"""What every flow needs (`Pipeline`) and what every flow answers (`FlowResult`).

The flows themselves are one module each: create (POST /callLog), update (PATCH /callLog),
disposition (PUT /callDisposition) and lookup (GET /callLog). They take the request body in
App Connect's wire shape and return what App Connect's route would answer. Every connector
call goes through `Pipeline.call`, which records it, so the order of interface calls
("getCallLog then updateCallLog") can be shown and asserted.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from appconnect.connectors.contract import CallLogRecord, Connector, ReturnMessage, User
from appconnect.connectors.errors import CRMError
from appconnect.core.flows.auth import auth_header
from appconnect.core.flows.identity import Identity
from appconnect.core.flows.oauth import ERROR_CODE as SESSION_REVOKED_CODE
from appconnect.core.flows.oauth import SESSION_EXPIRED, SessionExpired
from appconnect.core.flows.plugins import Plugin
from appconnect.core.flows.retry import NO_RETRY, LookFirst, RetryPolicy, retrying
from appconnect.core.flows.trace import InterfaceCall
from appconnect.core.store.db import Store
from appconnect.core.transports.scope import interface_scope

T = TypeVar("T")

#: App Connect's warning for a session that is already logged (ref §3.2 step 3).
EXISTING_LOG = "Existing log for session"


@dataclass
class Pipeline:
    """What every flow needs: the store, the connector, the logged-in user and plugins."""

    store: Store
    connector: Connector
    user: User | None
    platform: str
    plugins: Sequence[Plugin] = ()
    #: App Connect's USE_CACHE: server-side logging reads the note from the note cache.
    use_cache: bool = False
    retry: RetryPolicy = NO_RETRY
    #: OAuth: returns the user with fresh tokens (may raise SessionExpired); None for API keys.
    authorizer: Callable[[User], User] | None = None
    calls: list[InterfaceCall] = field(default_factory=list)

    def authorize(self, user: User) -> tuple[User, str]:
        """App Connect's auth step: refresh OAuth tokens when due, then the auth header."""
        if self.authorizer is not None:
            fresh = self.authorizer(user)
            if self.user is not None and fresh.id == self.user.id:
                self.user = fresh
            user = fresh
        return user, auth_header(self.connector, user)

    def call_retrying(
        self,
        interface: str,
        fn: Callable[..., T],
        *args: Any,
        safe_to_retry: Callable[[CRMError], bool] | None = None,
        look_first: LookFirst | None = None,
    ) -> T:
        """`call`, retried by the pipeline's policy (see `retry.retrying`). Every attempt is
        in the trace."""
        def attempt() -> T:
            return self.call(interface, fn, *args)

        return retrying(self.retry, attempt, safe_to_retry=safe_to_retry, look_first=look_first)

    def call(self, interface: str, fn: Callable[..., T], *args: Any) -> T:
        """Call a connector interface, recording it (arguments, result or error) in order.
        The call runs in the interface's scope, so a fault rule named after it hits the HTTP
        requests the connector makes for it, whatever the connector and the CRM."""
        arguments = args[0] if len(args) == 1 else list(args)
        started = time.perf_counter()
        try:
            with interface_scope(interface):
                result = fn(*args)
        except Exception as exc:
            elapsed = time.perf_counter() - started
            self.calls.append(InterfaceCall(interface, False, str(exc), arguments, None, elapsed))
            raise
        elapsed = time.perf_counter() - started
        self.calls.append(InterfaceCall(interface, True, None, arguments, result, elapsed))
        return result

    @contextmanager
    def acting_as(self, user: User | None) -> Iterator[None]:
        """Run flows as another user (server-side logging for a mapped CRM user)."""
        previous = self.user
        if user is not None:
            self.user = user
        try:
            yield
        finally:
            self.user = previous

    def log_format(self) -> str:
        getter = self.connector.get_log_format_type
        # App Connect's default when a connector has no getLogFormatType.
        return self.call("getLogFormatType", getter) if getter is not None else "text/plain"

    def find_row(self, session_id: str, identity: Identity) -> CallLogRecord | None:
        """The session's callLogs row for this RingCentral identity (App Connect's key)."""
        return self.store.find_call_log(
            session_id,
            extension_number=identity.extension_number,
            hashed_extension_id=identity.hashed_extension_id,
        )


@dataclass(frozen=True, slots=True)
class FlowResult:
    """What App Connect's route answers, plus what the harness wants to show about it."""

    successful: bool
    return_message: ReturnMessage | None = None
    log_id: str | None = None
    record: CallLogRecord | None = None
    composed_log_details: str = ""
    updated_note: str | None = None
    #: Failures of async plugins, which run after the flow and cannot undo it.
    plugin_errors: tuple[str, ...] = ()
    #: App Connect's `errorCode` (CRM_SESSION_REVOKED when the OAuth session is gone).
    error_code: str | None = None

    @property
    def logged(self) -> bool:
        """Does a log exist for the session now (created, or already there)?"""
        message = self.return_message.message if self.return_message else ""
        return self.successful or message.startswith(EXISTING_LOG)

    @property
    def message(self) -> str:
        return self.return_message.message if self.return_message else ""

    def as_dict(self, calls: Sequence[InterfaceCall] = ()) -> dict[str, Any]:
        """App Connect's answer as the CLI's `--json` shows it, with the interfaces called."""
        message = self.return_message
        return {
            "successful": self.successful,
            "logId": self.log_id,
            "returnMessage": message.model_dump(exclude_none=True) if message else None,
            "callLog": asdict(self.record) if self.record else None,
            "composedLogDetails": self.composed_log_details,
            "interfaceCalls": [call.interface for call in calls],
            "pluginErrors": list(self.plugin_errors),
        }


def failure(message: ReturnMessage, **extra: Any) -> FlowResult:
    return FlowResult(successful=False, return_message=message, **extra)


Flow = Callable[[Pipeline, Mapping[str, Any], Identity], FlowResult]


def revoked_session_answers(flow: Flow) -> Flow:
    """A revoked OAuth session ends the flow with App Connect's 401 answer (ref §3.1)."""

    @functools.wraps(flow)
    def run(pipeline: Pipeline, body: Mapping[str, Any], identity: Identity) -> FlowResult:
        try:
            return flow(pipeline, body, identity)
        except SessionExpired:
            return failure(SESSION_EXPIRED, error_code=SESSION_REVOKED_CODE)

    return run


def connected_user(pipeline: Pipeline) -> User | None:
    """The flow's user when it holds a credential (App Connect's "User not found" otherwise)."""
    user = pipeline.user
    return user if user is not None and user.accessToken else None
