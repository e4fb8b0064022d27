"""Contract checks: call each implemented call-logging interface and check what it returns.

The connector's own return models (connectors/contract.py) are lenient on purpose: they fill
defaults and coerce. Here the raw return (`model_dump(exclude_unset=True)`: what the connector
actually set) is validated against stricter models of the documented shapes (ref §1), so a
connector that leaves out `returnMessage.ttl` or returns a numeric subject is caught.

Probes are harmless reads unless `probe_writes` is set; then one probe call log is created,
updated and, where the harness can, deleted again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from pydantic import BaseModel, TypeAdapter, ValidationError

from appconnect.connectors.contract import (
    CallLogRecord,
    ContactRef,
    CreateCallLogRequest,
    FindContactRequest,
    GetCallLogRequest,
    UpdateCallLogRequest,
    User,
    UserInfoRequest,
    UserListRequest,
)
from appconnect.connectors.errors import CRMError
from appconnect.core.checks.problems import PROBE_SESSION_PREFIX
from appconnect.core.checks.reconcile import RateLimiter
from appconnect.core.checks.shapes import (
    _AUTH_TYPE,
    _CREATE_CALL_LOG,
    _FIND_CONTACT,
    _GET_CALL_LOG,
    _TEXT,
    _UPDATE_CALL_LOG,
    _USER_INFO,
    _USER_LIST,
    FindContactShape,
    UserInfoShape,
)
from appconnect.core.flows.pipeline import Pipeline
from appconnect.core.flows.requests import get_call_log_request

#: The fixture CRM's first seeded contact; any number works, a no-match is a valid answer.
DEFAULT_PROBE_NUMBER = "+16505550101"
COMPOSED_FORMATS = ("text/plain", "text/html", "text/markdown")


@dataclass(frozen=True, slots=True)
class Violation:
    interface: str
    field: str
    expected: str
    got: str


@dataclass(frozen=True, slots=True)
class ProbeLog:
    logId: str
    cleanedUp: bool


@dataclass(frozen=True, slots=True)
class ContractReport:
    ok: bool
    probed: list[str]
    skipped: dict[str, str]
    violations: list[Violation]
    logFormat: str | None = None
    logFormatKind: str | None = None  # "composed" (core composes the body) or "custom"
    probeLogs: list[ProbeLog] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    probe_number: str = DEFAULT_PROBE_NUMBER
    probe_writes: bool = False
    #: Deletes a probe CRM log by id; None when the harness cannot (the connector has no delete).
    cleanup: Callable[[str], None] | None = None


# --- the probes ----------------------------------------------------------------------------


class _Prober:
    def __init__(self, pipeline: Pipeline, limiter: RateLimiter) -> None:
        self.pipeline = pipeline
        self.limiter = limiter
        self.probed: list[str] = []
        self.skipped: dict[str, str] = {}
        self.violations: list[Violation] = []
        self.last_raw: Any = None  # the last probe's raw return, usable even when invalid

    def run(
        self,
        name: str,
        fn: Callable[..., Any],
        args: Sequence[Any],
        shape: TypeAdapter[Any],
        *,
        crm: bool = True,
        secret: bool = False,
    ) -> Any:
        """Call `name`, validate its raw return; the validated value, or None on any failure."""
        if crm:
            self.limiter.acquire()
        try:
            result = self.pipeline.call(name, fn, *args)
        except CRMError as exc:
            self.skipped[name] = f"the CRM answered an error: {exc}"
            return None
        except Exception as exc:  # the connector under test is the suspect: report, don't crash
            self.probed.append(name)
            self.violate(name, "(call)", "a return value or CRMError", _raised(exc))
            return None
        self.probed.append(name)
        self.last_raw = raw(result)
        try:
            return shape.validate_python(self.last_raw)
        except ValidationError as exc:
            self.violations.extend(violations(name, exc, secret=secret))
            return None

    def violate(self, interface: str, where: str, expected: str, got: str) -> None:
        self.violations.append(Violation(interface, where, expected, got))


def check_contract(
    pipeline: Pipeline,
    options: ProbeOptions = ProbeOptions(),
    *,
    limiter: RateLimiter | None = None,
    last_row: CallLogRecord | None = None,
) -> ContractReport:
    prober = _Prober(pipeline, limiter or RateLimiter(None))
    connector, user = pipeline.connector, pipeline.user
    auth_type = prober.run("getAuthType", connector.get_auth_type, (), _AUTH_TYPE, crm=False)
    if auth_type == "apiKey" and connector.get_basic_auth is not None and user is not None:
        prober.run(
            "getBasicAuth", connector.get_basic_auth, (user.accessToken,), _TEXT,
            crm=False, secret=True,
        )  # fmt: skip
    log_format = _probe_log_format(prober)
    header = _header(auth_type, connector.get_basic_auth, user)
    contact_id: str | None = last_row.contactId if last_row else None
    if user is None:
        prober.skipped["(CRM interfaces)"] = "no CRM user is connected"
    else:
        found = _probe_reads(prober, user, header, options.probe_number, last_row)
        contact_id = contact_id or found
    probe_logs: list[ProbeLog] = []
    for name in ("createCallLog", "updateCallLog"):
        if not options.probe_writes:
            prober.skipped[name] = "writes are probed only with --probe-writes"
    if options.probe_writes and user is not None:
        probe_logs = _probe_writes(prober, user, header, options, contact_id)
    kind = None
    if log_format is not None:
        kind = "composed" if log_format in COMPOSED_FORMATS else "custom"
    return ContractReport(
        ok=not prober.violations,
        probed=prober.probed,
        skipped=prober.skipped,
        violations=prober.violations,
        logFormat=log_format,
        logFormatKind=kind,
        probeLogs=probe_logs,
    )


def _probe_log_format(prober: _Prober) -> str | None:
    getter = prober.pipeline.connector.get_log_format_type
    if getter is None:
        return None
    value = prober.run("getLogFormatType", getter, (), _TEXT, crm=False)
    return value if isinstance(value, str) else None


def _header(auth_type: Any, basic: Callable[[str], str] | None, user: User | None) -> str:
    """core.auth.auth_header, minus its failure modes: the probes report those themselves."""
    if user is None:
        return ""
    if auth_type == "oauth":
        return f"Bearer {user.accessToken}"
    if auth_type == "apiKey" and basic is not None:
        try:
            return f"Basic {basic(user.accessToken)}"
        except Exception:  # already reported by the getBasicAuth probe
            return ""
    return ""


def _probe_reads(
    prober: _Prober, user: User, header: str, number: str, last_row: CallLogRecord | None
) -> str | None:
    """The read interfaces; returns a contact id from findContact, for the write probes."""
    connector, platform = prober.pipeline.connector, prober.pipeline.platform
    if connector.get_user_info is not None:
        request = UserInfoRequest(
            auth_header=header,
            api_key=user.accessToken,
            platform=platform,
            hostname=user.hostname or "",
        )
        info = prober.run("getUserInfo", connector.get_user_info, (request,), _USER_INFO)
        if isinstance(info, UserInfoShape) and info.successful and info.platformUserInfo is None:
            prober.violate(
                "getUserInfo", "platformUserInfo", "an object when successful is true", "null"
            )
    contact_id: str | None = None
    if connector.find_contact is not None:
        request_fc = FindContactRequest(user=user, auth_header=header, phone_number=number)
        found = prober.run("findContact", connector.find_contact, (request_fc,), _FIND_CONTACT)
        if isinstance(found, FindContactShape) and found.matchedContactInfo:
            contact_id = found.matchedContactInfo[0].id
    if connector.get_call_log is not None:
        if last_row is None:
            prober.skipped["getCallLog"] = "no callLogs row to read back"
        else:
            _probe_get_call_log(prober, get_call_log_request(last_row, user, header))
    if connector.get_user_list is not None:
        request_ul = UserListRequest(user=user, auth_header=header)
        prober.run("getUserList", connector.get_user_list, (request_ul,), _USER_LIST)
    return contact_id


def _probe_get_call_log(prober: _Prober, request: GetCallLogRequest) -> None:
    getter = prober.pipeline.connector.get_call_log
    assert getter is not None
    prober.limiter.acquire()
    try:
        result = prober.pipeline.call("getCallLog", getter, request)
    except CRMError as exc:
        prober.skipped["getCallLog"] = f"the CRM answered an error: {exc}"
        return
    except Exception as exc:  # the connector under test is the suspect: report, don't crash
        prober.probed.append("getCallLog")
        prober.violate("getCallLog", "(call)", "a return value or CRMError", _raised(exc))
        return
    data = raw(result)
    if isinstance(data, dict) and data.get("callLogInfo", ...) is None:
        # null callLogInfo is how a connector says "gone": reconciliation reports that row.
        prober.skipped["getCallLog"] = f"CRM log {request.call_log_id} was not found"
        return
    prober.probed.append("getCallLog")
    try:
        _GET_CALL_LOG.validate_python(data)
    except ValidationError as exc:
        prober.violations.extend(violations("getCallLog", exc))


def _probe_writes(
    prober: _Prober, user: User, header: str, options: ProbeOptions, contact_id: str | None
) -> list[ProbeLog]:
    """Create one probe log, update it, delete it where the harness can."""
    if not contact_id:
        prober.skipped["createCallLog"] = prober.skipped["updateCallLog"] = (
            "no contact to log against: log a call first, or pass --probe-number of a contact"
        )
        return []
    connector, platform = prober.pipeline.connector, prober.pipeline.platform
    session = f"{PROBE_SESSION_PREFIX}{uuid4().hex[:12]}"
    note = "appconnect check-interfaces probe (safe to delete)"
    call_log = {
        "id": session,
        "sessionId": session,
        "telephonySessionId": session,
        "direction": "Outbound",
        "startTime": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "duration": 0,
        "result": "Probe",
        "from": {"phoneNumber": ""},
        "to": {"phoneNumber": options.probe_number},
    }
    create = CreateCallLogRequest(
        user=user,
        contact_info=ContactRef(id=contact_id, phoneNumber=options.probe_number),
        auth_header=header,
        call_log=call_log,
        note=note,
        composed_log_details=f"- Note: {note}\n",
    )
    prober.last_raw = None
    prober.run("createCallLog", connector.create_call_log, (create,), _CREATE_CALL_LOG)
    # A log was created even if the rest of the return is off: update and clean it up too.
    log_id = prober.last_raw.get("logId") if isinstance(prober.last_raw, dict) else None
    if not isinstance(log_id, str) or not log_id:
        prober.skipped["updateCallLog"] = "createCallLog gave no usable logId"
        return []
    row = CallLogRecord(
        id=session,
        sessionId=session,
        extensionNumber="",
        hashedExtensionId="",
        platform=platform,
        thirdPartyLogId=log_id,
        userId=user.id,
        contactId=contact_id,
    )
    update = UpdateCallLogRequest(
        user=user,
        existing_call_log=row,
        auth_header=header,
        note=f"{note}, updated",
        composed_log_details=f"- Note: {note}, updated\n",
    )
    prober.run("updateCallLog", connector.update_call_log, (update,), _UPDATE_CALL_LOG)
    cleaned = False
    if options.cleanup is not None:
        try:
            options.cleanup(log_id)
            cleaned = True
        except Exception:  # best effort: the report says the probe log is still there
            cleaned = False
    return [ProbeLog(log_id, cleaned)]


# --- raw returns and readable violations ----------------------------------------------------


def raw(result: Any) -> Any:
    """What the connector returned, as plain data: the fields it set, plus the contract
    models' own non-null defaults (`ReturnMessage(message=...)` does carry `messageType` and
    `ttl`: the docs write it that way). A field left at a `None` default stays absent, so a
    required value the connector never gave (`logId`, `callLogInfo.note`) is still caught."""
    if isinstance(result, BaseModel):
        return _set_or_defaulted(result)
    if isinstance(result, list | tuple):
        return [raw(item) for item in result]
    if isinstance(result, dict):
        return {key: raw(value) for key, value in result.items()}
    return result


def _set_or_defaulted(model: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = {}
    fields = type(model).model_fields
    for name in model.model_fields_set | set(model.model_extra or {}):
        data[name] = raw(getattr(model, name))
    for name, info in fields.items():
        if name in data or info.is_required():
            continue
        default = info.get_default(call_default_factory=True)
        if default is not None:
            data[name] = raw(getattr(model, name))
    return data


def violations(interface: str, exc: ValidationError, *, secret: bool = False) -> list[Violation]:
    found = []
    for error in exc.errors(include_url=False):
        where = _location(error["loc"])
        if error["type"] == "missing":
            expected, got = "present", "missing"
        else:
            message = str(error["msg"])
            expected = message.removeprefix("Input should be ")
            value = error.get("input")
            got = type(value).__name__ if secret else _show(value)
        found.append(Violation(interface, where, expected, got))
    return found


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(return)"


def _show(value: Any, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except ValueError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _raised(exc: Exception) -> str:
    return _show_text(f"raised {type(exc).__name__}: {exc}")


def _show_text(text: str, limit: int = 120) -> str:
    first = text.splitlines()[0] if text else text
    return first if len(first) <= limit else first[: limit - 3] + "..."
