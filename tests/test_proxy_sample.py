"""Upstream's sample proxy config (its operations and fields, restated as our own JSON) runs
through our engine against a CRM with the matching routes (an httpx.MockTransport)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from appconnect.connectors.contract import implemented_interfaces
from appconnect.connectors.proxy.lint import lint_data
from appconnect.core.config import parse_config
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.targets.embedded import EmbeddedTarget

API_KEY = "k-sample-123"
# The operations and fields of upstream's packages/core/test/connector/proxy/sample.json.
SAMPLE: dict[str, Any] = {
    "meta": {"name": "", "displayName": "", "logFormat": "text/plain"},
    "auth": {"type": "apiKey", "scheme": "Basic", "credentialTemplate": "{{apiKey}}",
             "encode": "base64", "headerName": "Authorization"},
    "requestDefaults": {"baseUrl": "", "timeoutSeconds": 30,
                        "defaultHeaders": {"Accept": "application/json",
                                           "X-Secret-Key": "{{secretKey}}"}},
    "operations": {
        "getUserInfo": {"method": "GET", "url": "/authentication", "responseMapping": {
            "type": "object", "idPath": "body.user.username", "namePath": "body.user.username",
            "messagePath": "body.message",
            "platformAdditionalInfoPaths": {"userResponse": "body.user"}}},
        "findContact": {"method": "GET", "url": "/contacts", "query": {"phone": "{{phoneNumber}}"},
                        "responseMapping": {"type": "list", "listPath": "body.contacts", "item": {
                            "idPath": "id", "namePath": "name", "typePath": "", "phonePath": "",
                            "createdDatePath": "", "additionalInfoPath": ""}}},
        "createContact": {"method": "POST", "url": "/contacts",
                          "headers": {"Content-Type": "application/json"},
                          "body": {"name": "{{newContactName}}", "type": "{{newContactType}}",
                                   "phone": "{{phoneNumber}}"},
                          "responseMapping": {"type": "object", "idPath": "body.id",
                                              "namePath": "body.name", "typePath": "body.type"}},
        "createCallLog": {"method": "POST", "url": "/activities",
                          "headers": {"Content-Type": "application/json"},
                          "body": {"subject": "{{subject}}",
                                   "description": "{{composedLogDetails}}",
                                   "start_date": "{{startTime}}", "end_date": "{{endTime}}",
                                   "activity_code_id": 3, "repeats": "never",
                                   "linked_contacts": [{"contact_id": "{{contactInfo.id}}"}]},
                          "responseMapping": {"type": "object", "idPath": "body.activity.id"}},
        "updateCallLog": {"method": "PUT", "url": "/activities/{{thirdPartyLogId}}",
                          "headers": {"Content-Type": "application/json"},
                          "body": {"subject": "{{subject}}",
                                   "description": "{{composedLogDetails}}",
                                   "start_date": "{{startTime}}", "end_date": "{{endTime}}"}},
        "getCallLog": {"method": "GET", "url": "/activities/{{thirdPartyLogId}}",
                       "headers": {"include": "linked_contacts"},
                       "responseMapping": {"type": "object",
                                           "subjectPath": "body.activity.subject",
                                           "notePath": "body.activity.note",
                                           "fullBodyPath": "body.activity.description"}},
        "createMessageLog": {"method": "POST", "url": "/activities",
                             "headers": {"Content-Type": "application/json"},
                             "body": {"subject": "Message with {{contactInfo.name}}",
                                      "description": "Subject: {{message.subject}}\nRecording "
                                                     "link: {{recordingLink}}\n",
                                      "start_date": "{{creationTime}}",
                                      "end_date": "{{creationTime}}",
                                      "linked_contacts": [{"contact_id": "{{contactInfo.id}}"}]},
                             "responseMapping": {"type": "object", "idPath": "body.activity.id"}},
        "updateMessageLog": {"method": "PUT", "url": "/activities/{{thirdPartyLogId}}",
                             "body": {"subject": "Message with {{contactInfo.name}}",
                                      "description": "Subject: {{message.subject}}\n"}},
    },
}  # fmt: skip


class SampleCRM:
    """The routes the sample config calls, with just enough state to answer them."""

    def __init__(self) -> None:
        self.contacts = [{"id": 101, "name": "Dana Doe", "phone": "+16505550101"}]
        self.activities: dict[int, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        expected = "Basic " + base64.b64encode(API_KEY.encode()).decode()
        if request.headers.get("Authorization") != expected:
            return httpx.Response(401, json={"message": "bad credentials"})
        path, method = request.url.path.removeprefix("/api"), request.method  # crm.url's path
        body = json.loads(request.content) if request.content else None
        if (method, path) == ("GET", "/authentication"):
            user = {"username": "avery", "email": "avery@sample.test"}
            return httpx.Response(200, json={"user": user, "message": "Welcome back"})
        if (method, path) == ("GET", "/contacts"):
            phone = request.url.params.get("phone")
            return httpx.Response(
                200, json={"contacts": [c for c in self.contacts if c["phone"] == phone]}
            )
        if (method, path) == ("POST", "/activities"):
            activity_id = 500 + len(self.activities)
            self.activities[activity_id] = {"id": activity_id, **body}
            return httpx.Response(201, json={"activity": {"id": activity_id}})
        match = re.fullmatch(r"/activities/(\d+)", path)
        if match and int(match.group(1)) in self.activities:
            activity = self.activities[int(match.group(1))]
            if method == "PUT":
                activity.update(body)
            return httpx.Response(200, json={"activity": activity})
        return httpx.Response(404, json={"message": f"no route {method} {path}"})


@pytest.fixture
def crm() -> SampleCRM:
    return SampleCRM()


@pytest.fixture
def harness(tmp_path: Path, crm: SampleCRM) -> EmbeddedTarget:
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(SAMPLE))
    config = parse_config(
        {"connector": {"name": str(sample)},
         "crm": {"url": "https://sample-crm.test/api", "api_key": API_KEY}},
        "test",
    )  # fmt: skip
    return EmbeddedTarget(config, tmp_path / "home", transport=httpx.MockTransport(crm))


def test_the_sample_lints_clean() -> None:
    assert [f for f in lint_data(SAMPLE) if f.severity == "error"] == []


def test_the_sample_logs_and_edits_a_call(harness: EmbeddedTarget, crm: SampleCRM) -> None:
    with harness:
        assert harness.platform == "proxy"  # meta.name is empty: App Connect's fallback
        outcome = harness.log_call(load_call_fixture("inbound-answered"))
        assert outcome.result.successful
        assert outcome.result.log_id == "500"
        assert outcome.result.return_message is not None
        assert outcome.result.return_message.message == "Call logged"
        user = harness.pipeline().user
        assert user is not None and user.id == "avery-proxy"  # <idPath value>-<platform>
        assert user.platformAdditionalInfo == {
            "userResponse": {"username": "avery", "email": "avery@sample.test"}
        }

        created = crm.activities[500]
        assert created["subject"] == "Inbound Call from Dana Doe"
        assert created["start_date"] == "2024-01-15T18:30:00.000Z"
        assert created["end_date"] == "2024-01-15T18:31:05.000Z"  # start + 65 s
        assert created["activity_code_id"] == 3 and created["repeats"] == "never"
        assert created["linked_contacts"] == [{"contact_id": "101"}]
        assert "- Note: Dana asked about renewing" in created["description"]

        flow = harness.edit_log("4001000101", subject="Renewal", note="Quote sent.")
        assert flow.successful
        assert [c.interface for c in harness.pipeline().calls][-3:] == [
            "getLogFormatType", "getCallLog", "updateCallLog",
        ]  # fmt: skip
        updated = crm.activities[500]
        assert updated["subject"] == "Renewal"
        assert "- Note: Quote sent." in updated["description"]
        assert "- Duration: 1 minute, 5 seconds" in updated["description"]  # read back, kept

    login, find, create, get, put = crm.requests
    assert (login.method, login.url.path) == ("GET", "/api/authentication")
    assert find.url.params["phone"] == "+16505550101"
    assert create.headers["Content-Type"] == "application/json"
    assert create.headers["Accept"] == "application/json"
    assert "X-Secret-Key" not in create.headers  # {{secretKey}} is undefined: header left out
    assert get.headers["include"] == "linked_contacts"
    assert (put.method, put.url.path) == ("PUT", "/api/activities/500")
    # An edit carries no startTime: App Connect renders "now" for both dates, and so do we.
    sent = json.loads(put.content)
    assert set(sent) == {"subject", "description", "start_date", "end_date"}
    assert sent["start_date"] == sent["end_date"] and sent["start_date"].endswith("Z")


def test_the_sample_maps_get_call_log_and_fixed_behaviours(
    harness: EmbeddedTarget, crm: SampleCRM
) -> None:
    with harness:
        connector = harness.connector
        assert connector.get_log_format_type is not None
        assert connector.get_log_format_type() == "text/plain"
        assert connector.get_auth_type() == "apiKey"
        assert connector.get_basic_auth is not None
        assert connector.get_basic_auth("abc") == base64.b64encode(b"abc:").decode()
        implemented = implemented_interfaces(connector)
        assert implemented["getCallLog"] and implemented["findContact"]
        assert implemented["upsertCallDisposition"] is False  # no operation: not implemented
        assert implemented["getUserList"] is False
        crm.activities[7] = {"subject": "S", "note": "N", "description": "D"}
        harness.log_call(load_call_fixture("inbound-answered"))
        row = next(harness.call_logs())
        from appconnect.connectors.contract import GetCallLogRequest
        from appconnect.core.flows.auth import auth_header

        user = harness.pipeline().user
        assert user is not None
        got = connector.get_call_log(  # type: ignore[misc]
            GetCallLogRequest(user, row.id, "7", row.contactId, auth_header(connector, user))
        )
        assert got.callLogInfo is not None
        assert (got.callLogInfo.subject, got.callLogInfo.note, got.callLogInfo.fullBody) == (
            "S", "N", "D",
        )  # fmt: skip
        assert got.callLogInfo.fullLogResponse == {"activity": crm.activities[7]}
        assert got.returnMessage is not None
        assert got.returnMessage.message == "Call log fetched."


def test_a_crm_error_becomes_app_connects_message(harness: EmbeddedTarget, crm: SampleCRM) -> None:
    with harness:
        harness.pipeline()
        crm.activities.clear()
        harness.log_call(load_call_fixture("inbound-answered"))
        crm.activities.clear()  # the CRM lost it: getCallLog gets a 404
        flow = harness.edit_log("4001000101", subject="x", note=None)
    assert not flow.successful
    assert flow.return_message is not None
    assert flow.return_message.message == "Authorization error"  # App Connect maps 404 so
    assert API_KEY not in str(harness.pipeline().calls[-1].error)
