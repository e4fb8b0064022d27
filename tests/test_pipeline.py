"""The core pipeline through `EmbeddedTarget`: plugins, formats, identity, lookups, failures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
import respx

from appconnect.core.checks.interfaces import CheckOptions
from appconnect.core.config import parse_config
from appconnect.core.extension.call_fixtures import load_call_fixture
from appconnect.core.flows.lookup import get_call_logs
from appconnect.core.targets.embedded import EmbeddedTarget
from appconnect.fixtures.crm import CRMState, FixtureCRM

SESSION = "4001000101"
CRM_URL = "http://crm.test"


def harness(home: Path, **config: object) -> EmbeddedTarget:
    return EmbeddedTarget(parse_config(config, "test"), home)


def interfaces(h: EmbeddedTarget) -> list[str]:
    return [call.interface for call in h.pipeline().calls]


def test_sync_plugin_replaces_the_data_before_composition(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_plugins.py").write_text(
        "def shout(data):\n"
        "    data['note'] = data['note'].upper()\n"
        "    return data\n"
        "def ignore(data):\n"
        "    return None\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with harness(home, plugins=["my_plugins:shout", "my_plugins:ignore"]) as h:
        outcome = h.log_call(load_call_fixture("inbound-answered"), note="call back")
    assert outcome.result.successful
    assert outcome.result.composed_log_details.startswith("- Note: CALL BACK\n")


def test_bad_plugin_spec_is_a_config_error(home: Path) -> None:
    from appconnect.core.errors import ConfigError

    with harness(home, plugins=["no_such_module_xyz:f"]) as h, pytest.raises(ConfigError) as err:
        h.pipeline()
    assert str(err.value) == (
        "cannot load plugin 'no_such_module_xyz:f': "
        "No module named 'no_such_module_xyz' (plugins[0])"
    )


def test_custom_format_composes_nothing_and_skips_get_call_log(home: Path) -> None:
    with harness(home, connector={"log_format": "custom"}) as h:
        created = h.log_call(load_call_fixture("inbound-answered"), note="own body")
        assert created.result.composed_log_details == ""
        h.pipeline().calls.clear()
        updated = h.edit_log(SESSION, subject=None, note="edited")
        assert interfaces(h) == ["getLogFormatType", "updateCallLog"]
    assert updated.successful
    activity = CRMState(home / "fixture-crm.json").get_activity("act-1")
    assert activity["body"] == "- Note: edited\n"  # built by the connector itself


def test_identity_hash_is_app_connects(home: Path) -> None:
    identity = {"rc_extension_id": "62264425001", "hash_key": "k3y"}
    with harness(home, identity=identity) as h:
        record = h.log_call(load_call_fixture("inbound-answered")).result.record
    assert record is not None
    expected = hashlib.sha256(b"62264425001:k3y").hexdigest()
    assert record.hashedExtensionId == expected
    assert record.extensionNumber == "101"


def test_config_timezone_offset_and_settings_drive_composition(home: Path) -> None:
    user = {"timezone_offset": "0", "settings": {"addCallSessionId": True}}
    with harness(home, user=user) as h:
        body = h.log_call(load_call_fixture("inbound-answered")).result.composed_log_details
        stored = h.store.get_user("fx-user-1")
    assert "- Date/Time: 2024-01-15 06:30:00 PM\n" in body
    assert f"- Session Id: {SESSION}\n" in body
    assert stored is not None
    assert stored.userSettings == {"addCallSessionId": {"value": True}}
    assert stored.timezoneOffset == "0"


def test_lookup_matches_first_five_and_adds_details(home: Path) -> None:
    with harness(home) as h:
        h.log_call(load_call_fixture("inbound-answered"))
        entries = get_call_logs(
            h.pipeline(),
            [SESSION, "x1", "x2", "x3", "x4", "x5"],
            h.identity(),
            require_details=True,
        )
    assert [e.sessionId for e in entries] == [SESSION, "x1", "x2", "x3", "x4"]
    assert entries[0].matched and entries[0].logId == "act-1"
    assert entries[0].logData is not None
    assert entries[0].logData["fullBody"].startswith("- Note: Dana asked")
    assert not any(e.matched for e in entries[1:])


# --- CRM failures the fixture CRM cannot produce yet: canned with respx ---------------------


def _crm_harness(home: Path, router: respx.MockRouter) -> EmbeddedTarget:
    """The harness on a CRM URL where respx answers the canned routes and the fixture CRM
    (in-process) answers the rest, which the fixture CRM cannot fail on demand yet."""
    app = httpx.WSGITransport(app=FixtureCRM(CRMState(home / "fixture-crm.json")))
    router.route().mock(side_effect=app.handle_request)
    return harness(home, crm={"url": CRM_URL}, retries={"base_delay": 0})


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (429, "Rate limit exceeded"),
        (403, "Authorization error"),
        (500, "Error creating call log"),
    ],
)
def test_create_failure_maps_to_app_connect_message_and_writes_no_row(
    home: Path, status: int, message: str
) -> None:
    with respx.mock(base_url=CRM_URL, assert_all_called=False) as router:
        router.post("/v1/activities").respond(status, json={"error": "x", "message": "canned"})
        with _crm_harness(home, router) as h:
            result = h.log_call(load_call_fixture("inbound-answered")).result
            rows = list(h.call_logs())
    assert not result.successful
    assert result.return_message is not None
    assert result.return_message.message == message
    assert result.return_message.messageType == "warning"
    assert result.return_message.ttl == 5000
    assert rows == []


def test_failed_get_call_log_stops_the_update_instead_of_overwriting(home: Path) -> None:
    with harness(home) as h:
        h.log_call(load_call_fixture("inbound-answered"))
    before = CRMState(home / "fixture-crm.json").get_activity("act-1")
    with respx.mock(base_url=CRM_URL, assert_all_called=False) as router:
        router.get("/v1/activities/act-1").respond(500, json={"error": "x", "message": "down"})
        with _crm_harness(home, router) as h:
            result = h.update_log({"sessionId": SESSION, "recordingLink": "https://rec/1"})
            called = interfaces(h)
    assert not result.successful
    assert result.return_message is not None
    assert result.return_message.message == "Error getting call log"
    # Three tries (the retry policy), then the update stops: no updateCallLog.
    assert called == ["getLogFormatType", "getCallLog", "getCallLog", "getCallLog"]
    after = CRMState(home / "fixture-crm.json").get_activity("act-1")
    assert after == before


def test_update_failure_maps_to_app_connect_message(home: Path) -> None:
    with harness(home) as h:
        h.log_call(load_call_fixture("inbound-answered"))
    with respx.mock(base_url=CRM_URL, assert_all_called=False) as router:
        router.patch("/v1/activities/act-1").respond(502, json={"error": "x", "message": "bad"})
        with _crm_harness(home, router) as h:
            result = h.edit_log(SESSION, subject="S", note=None)
    assert result.return_message is not None
    assert result.return_message.message == "Error updating call log"
    assert result.return_message.details == [
        {
            "title": "Details",
            "items": [
                {
                    "id": "1",
                    "type": "text",
                    "text": "Please check if the log entity still exists on fixture and your "
                    "account has permission to EDIT logs.",
                }
            ],
        }
    ]


# --- deliberate differences from App Connect (docs/compatibility.md, "Pipeline") -----------


def test_sscl_keeps_the_cached_note_where_app_connect_overwrites_it(home: Path) -> None:
    """Quirk 1: App Connect replaces the cached note with body.note after the plugins."""
    with harness(home, app_connect={"use_cache": True}) as h:
        h.cache_note(SESSION, "typed during the call")
        body = load_call_fixture("inbound-answered").as_body()
        body.update(isFromSSCL=True, note="")
        result = h.log_body(body, {}).result
    assert result.composed_log_details.startswith("- Note: typed during the call\n")


def test_without_use_cache_the_body_note_is_used(home: Path) -> None:
    with harness(home) as h:
        h.cache_note(SESSION, "typed during the call")
        body = load_call_fixture("inbound-answered").as_body()
        body.update(isFromSSCL=True, note="from the body")
        result = h.log_body(body, {}).result
    assert result.composed_log_details.startswith("- Note: from the body\n")


def test_cache_call_note_follows_use_cache(home: Path) -> None:
    """Quirk 2: App Connect reports cacheCallNote true even for USE_CACHE=false."""
    for use_cache in (False, True):
        with harness(home, app_connect={"use_cache": use_cache}) as h:
            assert h.check(CheckOptions()).implementedInterfaces["cacheCallNote"] is use_cache


def test_lookup_of_a_session_with_two_rows_takes_the_oldest(home: Path) -> None:
    """Quirk 11: App Connect's findOne is unordered; ours is oldest first."""
    with harness(home) as h:
        first = h.log_call(load_call_fixture("inbound-answered")).result.record
        body = load_call_fixture("inbound-answered").as_body()
        body["logInfo"]["telephonySessionId"] = "s-second"
        body["extensionNumber"] = "777"
        h.log_body(body, {"extensionNumber": "777"})
        found = h.store.find_call_log(SESSION)
    assert first is not None and found is not None
    assert found.id == first.id


def test_missing_account_id_hashes_nothing(home: Path) -> None:
    """Quirk 13: App Connect hashes the text "undefined:<HASH_KEY>"."""
    from appconnect.core.config import IdentityConfig
    from appconnect.core.flows.identity import resolve_identity

    assert resolve_identity(IdentityConfig(hash_key="k")).hashed_account_id == ""
    expected = hashlib.sha256(b"37439510:k").hexdigest()
    identity = resolve_identity(IdentityConfig(hash_key="k", account_id="37439510"))
    assert identity.hashed_account_id == expected


# --- where App Connect's composer throws (issue 14, core/compose/failures.py) -------------


def _call_with_a_leg_missing_to():  # type: ignore[no-untyped-def]
    call = load_call_fixture("inbound-answered")
    legs = [{"direction": "Inbound", "from": {"phoneNumber": "+16505550101"}}]  # no "to"
    return call.model_copy(update={"logInfo": call.logInfo.model_copy(update={"legs": legs})})


def test_create_fails_like_app_connect_where_its_composer_throws(home: Path) -> None:
    """App Connect's getLegsJourney reads `leg.to.phoneNumber`: a TypeError, caught by
    createCallLog's handler and answered with handleApiError's default message."""
    with harness(home) as h:
        result = h.log_call(_call_with_a_leg_missing_to()).result
        rows = list(h.call_logs())
        called = interfaces(h)
    assert not result.successful
    assert result.return_message is not None
    assert result.return_message.message == "Error creating call log"
    assert result.return_message.details[0]["items"][0]["text"] == (
        "Please check if your account has permission to CREATE logs."
    )
    assert rows == []
    assert "createCallLog" not in called


def test_update_fails_like_app_connect_where_its_composer_throws(home: Path) -> None:
    with harness(home) as h:
        h.log_call(load_call_fixture("inbound-answered"))
    before = CRMState(home / "fixture-crm.json").get_activity("act-1")
    legs = [{"direction": "Outbound", "to": {"phoneNumber": "+16505550101"}}]  # reads `from`
    with harness(home) as h:
        result = h.update_log({"sessionId": SESSION, "legs": legs})
        called = interfaces(h)
    assert not result.successful
    assert result.return_message is not None
    assert result.return_message.message == "Error updating call log"
    assert "updateCallLog" not in called
    assert CRMState(home / "fixture-crm.json").get_activity("act-1") == before
