"""compose_call_log: API, values, settings, time zones and each deliberate difference.

Expected strings are exact. Where a test pins a deliberate difference from App Connect,
its docstring says what App Connect does (see docs/compatibility.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from appconnect.core.compose.composer import (
    LOG_FORMATS,
    compose_call_log,
    format_duration,
    is_composable,
)
from tests.timezones import server_timezone

PLAIN, HTML, MD = "text/plain", "text/html", "text/markdown"


def compose(fmt: str = PLAIN, body: str = "", settings: Any = None, **params: Any) -> str | None:
    user = params.pop("user", {"userSettings": settings or {}, "timezoneOffset": "+00:00"})
    return compose_call_log({"logFormat": fmt, "existingBody": body, "user": user, **params})


def twice(fmt: str = PLAIN, body: str = "", **params: Any) -> tuple[str | None, str | None]:
    first = compose(fmt, body, **params)
    assert first is not None
    return first, compose(fmt, first, **params)


# ---------------------------------------------------------------- API


def test_log_formats_and_is_composable() -> None:
    assert LOG_FORMATS == ("text/plain", "text/html", "text/markdown")
    assert all(is_composable(f) for f in LOG_FORMATS)
    assert not is_composable("custom")
    assert not is_composable(None)
    assert not is_composable(["text/plain"])


def test_custom_format_composes_nothing() -> None:
    """App Connect returns undefined (the connector composes), not ''."""
    assert compose("custom", "existing", note="n", subject="s") is None


def test_missing_log_format_defaults_to_plain_text() -> None:
    assert compose_call_log({"user": {}, "subject": "S"}) == "- Summary: S\n"


def test_default_plain_text_compose_matches_reference() -> None:
    out = compose(
        note="hi",
        subject="S",
        startTime="2024-01-15T10:30:00Z",
        duration=65,
        result="Call connected",
    )
    assert out == (
        "- Note: hi\n- Summary: S\n- Date/Time: 2024-01-15 10:30:00 AM\n"
        "- Duration: 1 minute, 5 seconds\n- Result: Call connected\n"
    )


def test_all_sections_in_order_plain() -> None:
    on = {
        k: {"value": True}
        for k in (
            "addCallSessionId",
            "addRingCentralUserName",
            "addRingCentralNumber",
            "addCallLogContactNumber",
        )
    }
    out = compose(
        settings=on,
        callLog={
            "sessionId": "S1",
            "direction": "Inbound",
            "from": {"phoneNumber": "+1555", "extensionNumber": "11"},
            "to": {"phoneNumber": "+1666", "name": "Agent"},
            "legs": [{"direction": "Inbound", "to": {"phoneNumber": "+1666", "name": "Agent"}}],
        },
        contactInfo={"phoneNumber": "+1555"},
        note="n",
        subject="s",
        startTime=1705314600000,
        duration=3661,
        result="r",
        recordingLink="https://rec",
        voicemailLink="https://vm",
        aiNote="ai\n",
        transcript="t",
        ringSenseTranscript="rt",
        ringSenseSummary="rs",
        ringSenseAIScore=9,
        ringSenseBulletedSummary="- b",
        ringSenseLink="https://ace",
    )
    assert out == (
        "- Note: n\n- Session Id: S1\n- RingCentral user name: Agent\n"
        "- RingCentral number and extension: +1666 11\n- Summary: s\n"
        "- Contact Number: +1555\n- Date/Time: 2024-01-15 10:30:00 AM\n"
        "- Duration: 1 hour, 1 minute, 1 second\n- Result: r\n"
        # App Connect's first body has a blank line here that its next compose eats.
        "- Call recording link: https://rec\n- Voicemail recording link: https://vm\n"
        "- AI Note:\nai\n--- END\n\n- Transcript:\nt\n--- END\n"
        "\n- ACE transcript:\nrt\n--- END\n\n- ACE summary:\nrs\n--- END\n"
        "- Call score: 9\n\n- ACE bulleted summary:\n- b\n--- END\n"
        "- ACE recording link: https://ace\n"
        "- Call journey:\nReceived call at Agent, +1666\n--- JOURNEY END\n"
    )


def test_html_fields_blocks_and_links() -> None:
    out = compose(HTML, note="a\nb", subject="S", recordingLink="pending", aiNote="x\r\ny\n")
    assert out == (
        "<b>Agent notes</b><br>a\nb<br><br><b>Call details</b><br>"
        "<li><b>Summary</b>: S</li><li><b>Call recording link</b>: (pending...)</li>"
        "<div><b>AI Note</b><br>x<br>y</div><br>"
    )


def test_markdown_note_and_fields() -> None:
    out = compose(MD, note="hi", subject="S", duration=None)
    assert out == "## Agent notes\nhi\n\n## Call details\n**Summary**: S\n**Duration**: 0 seconds\n"


# ---------------------------------------------------------------- settings


def test_settings_defaults_and_js_truthiness() -> None:
    settings = {
        "addCallLogSubject": {"value": None},  # null → default (on)
        "addCallLogResult": {"value": 0},  # falsy → off
        "addCallLogDuration": {"value": "false"},  # non-empty string is truthy → on
        "addCallSessionId": {"value": []},  # an empty array is truthy in JS → on
        "addCallLogNote": "not an object",  # no .value → default (on)
    }
    out = compose(
        settings=settings, note="n", subject="s", result="r", duration=1, callLog={"sessionId": "X"}
    )
    assert out == "- Note: n\n- Session Id: X\n- Summary: s\n- Duration: 1 second\n"


def test_user_name_only_replaces_pending() -> None:
    params: dict[str, Any] = {
        "settings": {"addRingCentralUserName": {"value": True}},
        "callLog": {"direction": "Outbound", "from": {"name": "Ann"}},
    }
    assert compose(body="- RingCentral user name: (pending...)\n", **params) == (
        "- RingCentral user name: Ann\n"
    )
    assert compose(body="- RingCentral user name: Bob\n", **params) == (
        "- RingCentral user name: Bob\n"
    )


def test_ringcentral_number_uses_other_partys_extension() -> None:
    """Quirk 3 is kept: it is stable, so we match App Connect byte for byte."""
    out = compose(
        settings={"addRingCentralNumber": {"value": True}},
        callLog={"direction": "Outbound", "from": {"phoneNumber": "+1"}, "to": {}},
    )
    assert out == "- RingCentral number and extension: +1 \n"


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (2, "2 seconds"),
        (60, "1 minute"),
        (3661, "1 hour, 1 minute, 1 second"),
        (7322, "2 hours, 2 minutes, 2 seconds"),
        (1.5, "1.5 seconds"),
        (61.5, "1 minute, 1.5 seconds"),
        (-5, "0 seconds"),
        (None, "0 seconds"),
        ("pending", "pending"),
        ("120", "2 minutes"),
        ("", "0 seconds"),
        (True, "1 second"),
    ],
)
def test_format_duration(seconds: Any, text: str) -> None:
    assert format_duration(seconds) == text


def test_journey_wording() -> None:
    legs = [
        {
            "direction": "Outbound",
            "from": {"phoneNumber": "+1", "extensionNumber": "7", "name": "Me"},
        },
        {"direction": "Inbound", "to": {"extensionNumber": "8"}, "duration": 1},
        {
            "direction": "Outbound",
            "legType": "PstnToSip",
            "to": {"phoneNumber": "+2"},
            "duration": 2,
        },
        {"direction": "Outbound", "from": {}, "duration": "x"},
    ]
    assert compose(callLog={"legs": legs}) == (
        "- Call journey:\nMade call from Me, +1, ext 7\n"
        "Transferred to ext 8, duration: 1 second\n"
        "Transferred to +2, duration: 2 seconds\n"
        "Transferred to , duration: x second\n--- JOURNEY END\n"
    )


def test_object_ai_score_renders_like_js() -> None:
    """Quirk 7 kept: an object score renders as JS would."""
    assert compose(ringSenseAIScore={"score": 5}) == "- Call score: [object Object]\n"


# ---------------------------------------------------------------- time zones (§5.3)

START = "2024-01-15T10:30:00Z"


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        ("+05:30", "2024-01-15 04:00:00 PM"),
        ("-08:00", "2024-01-15 02:30:00 AM"),
        ("-7", "2024-01-15 03:30:00 AM"),
        ("330", "2024-01-15 04:00:00 PM"),
        (5.5, "2024-01-15 04:00:00 PM"),
        ("0", "2024-01-15 10:30:00 AM"),
        ("abc", "2024-01-15 10:30:00 AM"),
        (-300, "2024-01-15 05:30:00 AM"),
    ],
)
def test_timezone_offset_rules(offset: Any, text: str) -> None:
    with server_timezone("Asia/Tokyo"):
        out = compose(user={"userSettings": {}, "timezoneOffset": offset}, startTime=START)
    assert out == f"- Date/Time: {text}\n"


@pytest.mark.parametrize("offset", [None, "", 0, "05:30"])
def test_falsy_or_unparsable_offset_uses_server_zone(offset: Any) -> None:
    with server_timezone("America/New_York"):
        out = compose(user={"userSettings": {}, "timezoneOffset": offset}, startTime=START)
    assert out == "- Date/Time: 2024-01-15 05:30:00 AM\n"


def test_iso_without_zone_is_server_local_time() -> None:
    user = {"userSettings": {}, "timezoneOffset": "+00:00"}
    with server_timezone("Asia/Kolkata"):
        assert compose(user=user, startTime="2024-01-15T10:30:00") == (
            "- Date/Time: 2024-01-15 05:00:00 AM\n"
        )
    with server_timezone("America/New_York"):
        # a time skipped by the DST change reads with the offset before it, like JS Date
        assert compose(user=user, startTime="2024-03-10T02:30:00") == (
            "- Date/Time: 2024-03-10 07:30:00 AM\n"
        )


def test_epoch_ms_and_custom_format() -> None:
    fmt = {"logDateFormat": {"value": "dddd, MMMM Do YYYY [at] HH:mm ZZ (LT) x"}}
    out = compose(settings=fmt, startTime=1705314600000)
    assert out == (
        "- Date/Time: Monday, January 15th 2024 at 10:30 +0000 (10:30 AM) 1705314600000\n"
    )


def test_start_time_falls_back_to_call_log() -> None:
    assert compose(callLog={"startTime": START}) == "- Date/Time: 2024-01-15 10:30:00 AM\n"


def test_non_iso_start_time_goes_through_moments_fallbacks() -> None:
    """moment reads RFC 2822, then hands other text to JS Date (issue 14, class 1)."""
    assert compose(startTime="Jan 15 2024 10:30 GMT") == "- Date/Time: 2024-01-15 10:30:00 AM\n"
    assert compose(startTime="Mon, 15 Jan 2024 10:30:00 -0100") == (
        "- Date/Time: 2024-01-15 11:30:00 AM\n"
    )
    # A weekday that does not match the date is invalid in moment, as are overflows.
    assert compose(startTime="Fri, 15 Jan 2024 10:30:00 GMT") == "- Date/Time: Invalid date\n"
    assert compose(startTime="2024-02-30T00:00:00Z") == "- Date/Time: Invalid date\n"
    assert compose(startTime="Monday") == "- Date/Time: Invalid date\n"


# ---------------------------------------------------------------- upsert


def test_upsert_replaces_in_place_and_keeps_user_text() -> None:
    body = "Intro by user.\n- Summary: old\nmiddle text\n- Result: Missed\ntrailing words\n"
    out = compose(body=body, subject="new", result="Call connected", duration=5)
    assert out == (
        "Intro by user.\n- Summary: new\nmiddle text\n- Result: Call connected\n"
        "trailing words\n- Duration: 5 seconds\n"
    )


def test_note_is_prepended_and_rewritten_in_place() -> None:
    first = compose(body="- Summary: S\n", note="one")
    assert first == "- Note: one\n- Summary: S\n"
    assert compose(body=first, note="two\nlines") == "- Note: two\nlines\n- Summary: S\n"
    assert compose(body="- Note: two\nlines\n- Summary: S\n", note="two") == (
        "- Note: two\n- Summary: S\n"
    )


# ---------------------------------------------------------------- deliberate differences


def test_contact_number_recompose_is_stable() -> None:
    """App Connect adds a blank line after Contact Number on every re-compose."""
    first, second = twice(
        settings={"addCallLogContactNumber": {"value": True}},
        contactInfo={"phoneNumber": "+16505550199"},
        subject="S",
    )
    assert first == second == "- Summary: S\n- Contact Number: +16505550199\n"


def test_bulleted_summary_recompose_is_stable() -> None:
    """App Connect re-appends every line after the first, plus `--- END`, each time."""
    first, second = twice(ringSenseBulletedSummary="- a\n- b")
    assert first == second == "\n- ACE bulleted summary:\n- a\n- b\n--- END\n"


def test_field_before_block_is_written_settled() -> None:
    """App Connect appends `\\n- AI Note:` below `- Summary: S`, then its next compose
    rewrites the Summary with the line breaks after it, eating that blank line, and stays
    there. Ours writes that settled body at once (issue 14, class 4)."""
    first, second = twice(subject="S", aiNote="A")
    assert first == second == "- Summary: S\n- AI Note:\nA\n--- END\n"
    # A line App Connect does not rewrite with its line breaks keeps the blank line.
    assert twice(result="R", aiNote="A")[1] == "- Result: R\n\n- AI Note:\nA\n--- END\n"
    # A foreign body: App Connect's result, which is a fixpoint.
    body = "- Summary: old\n\n\n- AI Note:\nA\n--- END\n"
    assert compose(body=body, subject="S", aiNote="A") == "- Summary: S\n- AI Note:\nA\n--- END\n"


def test_note_with_section_like_line_is_stable() -> None:
    """App Connect duplicates a note line such as `- Todo: ...` on each re-compose."""
    first, second = twice(note="first\n- Todo: call back", subject="S")
    assert first == second == "- Note: first\n- Todo: call back\n- Summary: S\n"


def test_dash_in_value_is_replaced_in_place() -> None:
    """App Connect can't find a Duration/Result value containing `-`, so it appends again
    on every compose; ours finds its own value as written."""
    first, second = twice(result="Missed - Voicemail", duration="1-2")
    assert first == second == "- Duration: 1-2\n- Result: Missed - Voicemail\n"
    # Another value: App Connect appends a second line and then stays there (a fixpoint),
    # so we do too (issue 14, class 4).
    again = compose(body=first, result="Call connected")
    assert again == "- Duration: 1-2\n- Result: Missed - Voicemail\n- Result: Call connected\n"
    assert compose(body=again, result="Call connected") == again


def test_note_does_not_swallow_user_text() -> None:
    """App Connect prepends the note, then reads the user's first lines as note text."""
    first, second = twice(body="my text\n- Summary: S\n", note="hi", subject="S")
    assert first == second == "my text\n- Note: hi\n- Summary: S\n"
    assert twice(body="my text", note="hi") == ("my text\n- Note: hi\n",) * 2


def test_markdown_block_keeps_following_fields() -> None:
    """App Connect's block runs to the body's end, swallowing `**Call score**` etc."""
    first, second = twice(
        MD, aiNote="A", transcript="T", ringSenseAIScore=5, ringSenseLink="https://x"
    )
    # A blank line after each block: App Connect's settled form (issue 14, class 4).
    expected = (
        "### AI Note\nA\n\n### Transcript\nT\n\n"
        "**Call score**: 5\n**ACE recording link**: https://x\n"
    )
    assert first == second == expected
    changed = compose(MD, first, transcript="T2")
    assert changed == expected.replace("\nT\n", "\nT2\n")


def test_markdown_ace_link_recompose_is_stable() -> None:
    """App Connect grows a blank line after the ACE link on every re-compose."""
    first, second = twice(MD, ringSenseLink="https://x")
    assert first == second == "**ACE recording link**: https://x\n"


def test_append_glues_where_app_connect_finds_it_again() -> None:
    """App Connect glues an appended section onto an unterminated last line and, except
    for the line-anchored plain Date/Time, finds it there next time: so we glue too."""
    first, second = twice(body="call me", subject="S")
    assert first == second == "call me- Summary: S\n"
    # Onto a field line App Connect rewrites later (and so swallows the glued section): a
    # new line, so nothing is lost (App Connect loses the Result here).
    first, second = twice(body="- Call score: 1", result="R", ringSenseAIScore=2)
    assert first == second == "- Call score: 2\n- Result: R\n"
    # `^- Date/Time:` (m flag) would never match glued: App Connect appends it again on
    # every compose; we start a new line and stay idempotent.
    first, second = twice(body="- Result: x", result="x", startTime=1705314600000)
    assert first == second == "- Result: x\n- Date/Time: 2024-01-15 10:30:00 AM\n"


def test_dollar_patterns_are_literal() -> None:
    """App Connect's String.replace expands `$&`, `$1`, `$$`... in replaced values."""
    first, second = twice(HTML, subject="a $& $1 $$ b")
    assert first == second == "<li><b>Summary</b>: a $& $1 $$ b</li>"
    assert compose(PLAIN, "- Summary: old\n", subject="$'") == "- Summary: $'\n"


@pytest.mark.parametrize(
    ("fmt", "params"),
    [
        (HTML, {"subject": "a<b"}),
        (HTML, {"aiNote": "x</div>y"}),
        (HTML, {"recordingLink": "https://r/<x>"}),
        (PLAIN, {"subject": "two\nlines"}),
        (PLAIN, {"aiNote": "has --- END inside"}),
        (PLAIN, {"ringSenseAIScore": "5<6"}),
        (MD, {"aiNote": "x\n### not a heading of ours"}),
        (MD, {"note": "n\n## Call details\nmore"}),
    ],
)
def test_values_containing_terminators_are_stable(fmt: str, params: dict[str, Any]) -> None:
    """App Connect finds such a section only up to the terminator, then duplicates."""
    first, second = twice(fmt, **params)
    assert first == second


def test_null_body_is_tolerated() -> None:
    """App Connect concatenates a null body as 'null'; we read it as empty."""
    assert compose_call_log({"user": {}, "subject": "S", "existingBody": None}) == (
        "- Summary: S\n"
    )


def test_empty_html_block_is_replaced_in_place() -> None:
    """App Connect's block pattern needs a non-empty value, so it misses an empty block
    (e.g. from an AI note of only line breaks) or matches across into the next one."""
    first = compose(HTML, aiNote="\n")
    assert first == "<div><b>AI Note</b><br></div><br>"
    second = compose(HTML, first, aiNote="x", transcript="t")
    assert second == "<div><b>AI Note</b><br>x</div><br><div><b>Transcript</b><br>t</div><br>"
    assert compose(HTML, second, aiNote="x", transcript="t") == second
