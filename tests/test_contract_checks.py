"""Broken connectors: wrong return shapes, failing reads and body overwrites, each caught with
exactly its violation or problem code; plus the pure parts (sections, rate limit, --since)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import Result

from appconnect.connectors.contract import (
    CallLogInfo,
    CreateCallLogRequest,
    CreateCallLogResult,
    CRMUser,
    GetCallLogRequest,
    GetCallLogResult,
    ReturnMessage,
    UpdateCallLogRequest,
    UpdateCallLogResult,
    UserListRequest,
)
from appconnect.connectors.errors import CRMError
from appconnect.connectors.fixture import FixtureConnector
from appconnect.core.checks.compare import missing_sections
from appconnect.core.checks.contract import ProbeOptions
from appconnect.core.checks.interfaces import (
    NOTE_CODES,
    PROBLEM_CODES,
    CheckOptions,
    check_interfaces,
    parse_since,
)
from appconnect.core.checks.reconcile import RateLimiter
from appconnect.core.config import parse_config
from appconnect.core.errors import BadInput
from appconnect.core.targets.embedded import EMBEDDED_CRM_URL, EmbeddedTarget
from appconnect.fixtures.crm import FixtureCRM

Run = Callable[..., Result]
SESSION = "4001000101"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "check-interfaces.md"


def use_connector(monkeypatch: pytest.MonkeyPatch, cls: type[FixtureConnector]) -> None:
    """Every EmbeddedTarget (the CLI's too) builds `cls` over the embedded fixture CRM."""

    def build(self: EmbeddedTarget) -> FixtureConnector:
        transport = httpx.WSGITransport(app=FixtureCRM(self.crm_state))
        return cls(httpx.Client(base_url=EMBEDDED_CRM_URL, transport=transport))

    monkeypatch.setattr(EmbeddedTarget, "_build_connector", build)


def report_of(run: Run, *args: str, code: int) -> dict[str, Any]:
    result = run("check-interfaces", "--json", *args)
    assert result.exit_code == code, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def violations(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [
        (v["interface"], v["field"], v["expected"], v["got"])
        for v in report["contract"]["violations"]
    ]


# --- wrong shapes ----------------------------------------------------------------------------


class SloppyReturns(FixtureConnector):
    """Returns what the lenient models accept but App Connect's contract does not."""

    def create_call_log(self, request: CreateCallLogRequest) -> CreateCallLogResult:
        result = super().create_call_log(request)
        # The docs' own form: messageType/ttl come from the model's defaults, which count as
        # given (issue 13 item 7); a returnMessage left out entirely does not (update below).
        return CreateCallLogResult(logId=result.logId, returnMessage=ReturnMessage(message="ok"))

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        super().update_call_log(request)
        return UpdateCallLogResult(updatedNote=request.note)  # no returnMessage at all

    def get_call_log(self, request: GetCallLogRequest) -> GetCallLogResult:
        info = super().get_call_log(request).callLogInfo
        assert info is not None
        return GetCallLogResult(
            callLogInfo=CallLogInfo(subject=info.subject, note=None, fullBody=info.fullBody)
        )

    def get_log_format_type(self) -> str:
        return 42  # type: ignore[return-value]  # the bug under test

    def get_user_list(self, request: UserListRequest) -> list[CRMUser]:
        return [CRMUser(id="", name="Nobody")]


def test_wrong_shapes_are_named_by_interface_and_field(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("log-call").exit_code == 0  # logged with the real connector
    use_connector(monkeypatch, SloppyReturns)
    report = report_of(run, "--probe-writes", code=1)
    assert report["reconciliation"]["ok"] is True  # the rows themselves are fine
    assert violations(report) == [
        ("getLogFormatType", "(return)", "a valid string", "42"),
        ("getCallLog", "callLogInfo.note", "a valid string", "null"),
        ("getUserList", "[0].id", "String should have at least 1 character", '""'),
        ("updateCallLog", "returnMessage", "present", "missing"),
    ]
    assert report["contract"]["logFormat"] is None
    assert report["contract"]["probeLogs"] == [{"logId": "act-2", "cleanedUp": True}]
    human = run("check-interfaces")
    assert human.exit_code == 1
    assert "contract violations" in human.stdout
    assert human.stderr == (
        "Warning: contract: 7 interfaces probed, 3 violations\n"
        "1 callLogs rows checked, 0 problems\n"  # not "OK:" when the command fails
    )


class Exploding(FixtureConnector):
    def get_call_log(self, request: GetCallLogRequest) -> GetCallLogResult:
        raise KeyError("activity")


def test_a_connector_that_raises_is_a_connector_error(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("log-call").exit_code == 0
    use_connector(monkeypatch, Exploding)
    report = report_of(run, code=1)
    assert report["reconciliation"]["problems"] == [
        {
            "code": "connector-error",
            "sessionId": SESSION,
            "thirdPartyLogId": "act-1",
            "message": "getCallLog raised KeyError: 'activity'",
        }
    ]
    assert violations(report) == [
        ("getCallLog", "(call)", "a return value or CRMError", "raised KeyError: 'activity'")
    ]


class Forbidden(FixtureConnector):
    def get_call_log(self, request: GetCallLogRequest) -> GetCallLogResult:
        raise CRMError("GET /v1/activities: HTTP 403 no read permission", status=403)


def test_a_permission_error_is_crm_unreadable(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("log-call").exit_code == 0
    use_connector(monkeypatch, Forbidden)
    report = report_of(run, code=1)
    assert [p["code"] for p in report["reconciliation"]["problems"]] == ["crm-unreadable"]
    assert report["contract"]["ok"] is True  # a CRM error is the CRM's answer, not a bad shape
    assert report["contract"]["skipped"]["getCallLog"].startswith("the CRM answered an error")


class Overwriter(FixtureConnector):
    """Writes only the note on update, dropping every section core composed."""

    def update_call_log(self, request: UpdateCallLogRequest) -> UpdateCallLogResult:
        plain = UpdateCallLogRequest(
            user=request.user,
            existing_call_log=request.existing_call_log,
            auth_header=request.auth_header,
            note=request.note,
        )
        return super().update_call_log(plain)


def test_a_connector_overwriting_the_body_is_caught(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("log-call").exit_code == 0
    use_connector(monkeypatch, Overwriter)
    assert run("edit-log", SESSION, "--note", "Quote sent").exit_code == 0
    report = report_of(run, code=1)
    problems = report["reconciliation"]["problems"]
    assert [p["code"] for p in problems] == ["body-overwritten"]
    assert problems[0]["message"] == (
        "3 composed section(s) missing or changed in CRM log act-1, "
        "first: '- Date/Time: 2024-01-15 10:30:00 AM' (not by a CRM user)"
    )


class NoListing(FixtureConnector):
    list_call_logs = None  # type: ignore[assignment]  # unimplemented, as App Connect sees it


def test_without_list_call_logs_the_crm_side_is_skipped(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("log-call").exit_code == 0
    use_connector(monkeypatch, NoListing)
    report = report_of(run, code=0)
    assert report["scope"]["crmListing"] == "skipped: the connector has no listCallLogs"


# --- in-process: the pipeline built by hand --------------------------------------------------


@pytest.fixture
def harness(home: Path) -> Iterator[EmbeddedTarget]:
    with EmbeddedTarget(parse_config({}, "test"), home) as opened:
        yield opened


def test_progress_is_reported_per_row(harness: EmbeddedTarget) -> None:
    from appconnect.core.extension.call_fixtures import load_call_fixture

    for name in ("inbound-answered", "outbound-recorded"):
        harness.log_call(load_call_fixture(name))
    seen: list[tuple[int, int]] = []
    report = check_interfaces(harness.pipeline(), progress=lambda d, t: seen.append((d, t)))
    assert report.ok
    assert seen == [(0, 2), (1, 2), (2, 2)]


def test_probe_writes_without_cleanup_reports_the_left_log(harness: EmbeddedTarget) -> None:
    from appconnect.core.extension.call_fixtures import load_call_fixture

    harness.log_call(load_call_fixture("inbound-answered"))
    options = CheckOptions(probe=ProbeOptions(probe_writes=True))  # no cleanup callable
    report = check_interfaces(harness.pipeline(), options)
    assert report.contract is not None
    assert [(p.logId, p.cleanedUp) for p in report.contract.probeLogs] == [("act-2", False)]
    # The left-over probe log is never reported as unlinked on the next run.
    again = check_interfaces(harness.pipeline())
    assert again.ok and again.reconciliation.problems == []


# --- pure parts ------------------------------------------------------------------------------


def test_missing_sections_plain_and_html() -> None:
    composed = "- Note: hi\n- Duration: 1 minute\n"
    assert missing_sections(composed, "Intro\n- Note: hi\n- Duration: 1 minute\nPS\n", "") == []
    assert missing_sections(composed, "- Note: hi\n- Duration: 2 minutes\n", "text/plain") == [
        "- Duration: 1 minute"
    ]
    html = "<li><b>Summary</b>: S</li><li><b>Result</b>: Call connected</li>"
    crm = "<p>mine</p><li><b>Summary</b>: S</li><li><b>Result</b>: Missed</li>"
    assert missing_sections(html, crm, "text/html") == ["<li><b>Result</b>: Call connected</li>"]


def test_rate_limiter_spaces_calls_by_the_interval() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.acquire()
    assert slept == [0.25, 0.5]  # the first call goes at once, then one slot per 0.25 s
    RateLimiter(None, clock=lambda: now[0], sleep=sleep).acquire()
    assert slept == [0.25, 0.5]  # unlimited never sleeps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15", "2024-01-15 00:00:00.000 +00:00"),
        ("2024-01-15T10:30:00.25", "2024-01-15 10:30:00.250 +00:00"),
        ("2024-01-15T10:30:00-08:00", "2024-01-15 18:30:00.000 +00:00"),
        ("2024-01-15T18:30:00Z", "2024-01-15 18:30:00.000 +00:00"),
    ],
)
def test_parse_since(text: str, expected: str) -> None:
    assert parse_since(text) == expected


def test_parse_since_rejects_text() -> None:
    with pytest.raises(BadInput, match="not an ISO date"):
        parse_since("last week")


def test_every_code_is_documented() -> None:
    docs = DOCS.read_text()
    for code in (*PROBLEM_CODES, *NOTE_CODES):
        assert f"`{code}`" in docs, code
