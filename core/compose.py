"""The central call-log composer, byte-compatible with RingCentral App Connect.

``compose_call_log`` takes the same parameter object as App Connect's ``composeCallLog``
(``packages/core/lib/callLogComposer.ts``) and returns the same body: on a fresh compose
and on any re-compose where App Connect itself is stable, byte for byte. Where App
Connect's re-composition drifts (blank lines growing, sections duplicated or swallowed,
JS ``$`` replacement patterns expanded), this composer stays idempotent instead:
composing again with ``existingBody`` = the previous result gives the same result.
Each such difference is listed in ``docs/compatibility.md``.

How an upsert works: every section has a *finder*. It first looks for the section as we
would write it with the current value (so a value that happens to contain a section
boundary is still found whole), and otherwise falls back to App Connect's own pattern,
adjusted only where App Connect's pattern is the cause of a drift. A found section is
replaced in place; a missing one is appended (the note is put first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from appconnect.core import compose_js as js
from appconnect.core.compose_datetime import DEFAULT_LOG_DATE_FORMAT, format_start_time

__all__ = ["LOG_FORMATS", "compose_call_log", "format_duration", "is_composable"]

PLAIN: Final = "text/plain"
HTML: Final = "text/html"
MARKDOWN: Final = "text/markdown"
LOG_FORMATS: Final = (PLAIN, HTML, MARKDOWN)


def is_composable(log_format: object) -> bool:
    """True for the formats core composes; any other value is a connector's custom format."""
    return isinstance(log_format, str) and log_format in LOG_FORMATS


# ---------------------------------------------------------------- finding a section

_WS = js.WS  # JS `\s`
_NOT_LT = "[^" + js.LINE_TERMINATORS + "]"  # JS `.`
_END = r"\Z"  # JS `$` without the m flag


@dataclass(frozen=True)
class _Finder:
    """Where a section sits in a body.

    ``head`` finds the first occurrence of the section's label; ``tail`` is what must
    follow the value; ``loose`` (head + any value + tail) is the fallback for a value
    that differs from the one being written.
    """

    head: re.Pattern[str]
    tail: re.Pattern[str]
    loose: re.Pattern[str]

    def span(self, body: str, exact: str) -> tuple[int, int] | None:
        """The first occurrence that holds ``exact`` or that App Connect's pattern matches."""
        for head in self.head.finditer(body):
            start = head.start()
            if body.startswith(exact, start):
                tail = self.tail.match(body, start + len(exact))
                if tail is not None:
                    return start, tail.end()
            loose = self.loose.match(body, start)
            if loose is not None:
                return loose.span()
        return None


def _finder(head: str, value: str, tail: str, flags: int = 0) -> _Finder:
    return _Finder(
        head=re.compile(head, flags),
        tail=re.compile(tail, flags),
        loose=re.compile(head + value + tail, flags),
    )


def _upsert(
    body: str,
    finder: _Finder,
    exact: str,
    replacement: str,
    append: Callable[[str], str],
) -> str:
    """Replace the section in place when present (first occurrence), else append it."""
    span = finder.span(body, exact)
    if span is None:
        return append(body)
    start, end = span
    return body[:start] + replacement + body[end:]


def _append_line(body: str, text: str) -> str:
    """Append on a new line (App Connect glues onto an unterminated last line)."""
    if body and not body.endswith("\n"):
        body += "\n"
    return body + text


def _appender(text: str) -> Callable[[str], str]:
    return lambda body: _append_line(body, text)


# ---------------------------------------------------------------- shared values


def format_duration(seconds: Any) -> str:
    """App Connect's duration wording: ``1 hour, 2 minutes, 1 second``; ``0 seconds``.

    A value that is not a number (after JS coercion) is printed as given, e.g. ``pending``.
    """
    number = js.to_number(seconds)
    if number != number:
        return js.to_string(seconds)
    hours = js.js_floor(number / 3600)
    minutes = js.js_floor(js.js_mod(number, 3600) / 60)
    rest = js.js_mod(number, 60)
    parts = []
    if hours > 0:
        parts.append(f"{js.to_string(hours)} {'hours' if hours > 1 else 'hour'}")
    if minutes > 0:
        parts.append(f"{js.to_string(minutes)} {'minutes' if minutes > 1 else 'minute'}")
    if rest > 0:
        parts.append(f"{js.to_string(rest)} {'second' if rest == 1 else 'seconds'}")
    return ", ".join(parts) or "0 seconds"


def _leg_party(info: Any) -> str:
    phone, ext = js.get(info, "phoneNumber"), js.get(info, "extensionNumber")
    if not js.truthy(phone) and not js.truthy(ext):
        return ""
    if js.truthy(phone) and js.truthy(ext):
        number = f"{js.to_string(phone)}, ext {js.to_string(ext)}"
    elif js.truthy(phone):
        number = js.to_string(phone)
    else:
        number = f"ext {js.to_string(ext)}"
    name = js.get(info, "name")
    return f"{js.to_string(name)}, {number}" if js.truthy(name) else number


def _legs_journey(legs: Sequence[Any]) -> str:
    lines = []
    for index, leg in enumerate(legs):
        outbound = js.get(leg, "direction") == "Outbound"
        if index == 0:
            if outbound:
                lines.append(f"Made call from {_leg_party(js.get(leg, 'from'))}")
            else:
                lines.append(f"Received call at {_leg_party(js.get(leg, 'to'))}")
            continue
        party_key = "from" if outbound and js.get(leg, "legType") != "PstnToSip" else "to"
        duration = js.get(leg, "duration")
        plural = "s" if js.to_number(duration) > 1 else ""
        lines.append(
            f"Transferred to {_leg_party(js.get(leg, party_key))}, "
            f"duration: {js.to_string(duration)} second{plural}"
        )
    return "\n".join(lines)


def _strip_trailing_newlines(text: str) -> str:
    return text.rstrip("\n")


def _html_breaks(text: str) -> str:
    return re.sub(r"\r\n|\r|\n", "<br>", text)


# ---------------------------------------------------------------- text/plain

# Blocks that App Connect appends after a blank line; a field replaced just above one
# keeps that blank line (App Connect eats it, quirk 4).
_PLAIN_BLOCKS = ("AI Note", "Transcript", "ACE transcript", "ACE summary", "ACE bulleted summary")
_PLAIN_LINE_TAIL = (
    r"(?=\n|\Z)(?:\n+?(?=\n- (?:" + "|".join(map(re.escape, _PLAIN_BLOCKS)) + r"):)|\n*)"
)
# A line App Connect treats as the start of the next section after the note.
_PLAIN_SECTION_START = rf"- [A-Z](?:[a-zA-Z/]|{_WS})*:"
# The note ends before the next section (or a blank line and a block, which App Connect
# would otherwise read as part of the note), or at the end of the body.
_PLAIN_NOTE_TAIL = (
    rf"(?=\n{_PLAIN_SECTION_START}|\n\n- (?:{'|'.join(map(re.escape, _PLAIN_BLOCKS))}):|\n\Z|\Z)"
)
# Duration/Result/Contact Number values end at a line end or a glued-on next section.
_PLAIN_VALUE_END = r"- [A-Z][a-zA-Z /]*:"


class _Plain:
    @staticmethod
    def note(body: str, note: str) -> str:
        exact = f"- Note: {note}"
        finder = _finder(r"- (?:Note|Agent notes): ", r"[\s\S]*?", _PLAIN_NOTE_TAIL)
        return _upsert(body, finder, exact, exact, lambda b: _Plain.insert_note(b, exact))

    @staticmethod
    def insert_note(body: str, line: str) -> str:
        """Put a new note first, unless that would make it swallow the user's own text.

        App Connect prepends, and on the next compose reads every line up to the next
        ``- X:`` section as note. So when the body starts with other text, the note
        goes right before the first section line instead (or last, if there is none).
        """
        if not body or re.match(_PLAIN_SECTION_START, body):
            return f"{line}\n{body}"
        first_section = re.search(rf"\n(?={_PLAIN_SECTION_START})", body)
        if first_section is None:
            return _append_line(body, line + "\n")
        at = first_section.end()
        return f"{body[:at]}{line}\n{body[at:]}"

    @staticmethod
    def line(body: str, label: str, value: str) -> str:
        """A ``- Label: value`` line, replaced with any blank lines that follow it."""
        exact = f"- {label}: {value}"
        finder = _finder(re.escape(f"- {label}: "), r"[^\n]*", _PLAIN_LINE_TAIL)
        return _upsert(body, finder, exact, exact + "\n", _appender(exact + "\n"))

    @staticmethod
    def user_name(body: str, name: str) -> str:
        match = re.search(r"- RingCentral user name: ([^\n]*)" + _PLAIN_LINE_TAIL, body)
        text = f"- RingCentral user name: {name}\n"
        if match is None:
            return _append_line(body, text)
        return _replace_if_pending(body, match, text)

    @staticmethod
    def value_field(body: str, label: str, value: str, newline: bool = False) -> str:
        """Duration/Result (and Contact Number, which adds a line break)."""
        exact = f"- {label}: {value}"
        tail = rf"(?:(?={_PLAIN_VALUE_END})|\n|\Z)" if newline else rf"(?={_PLAIN_VALUE_END}|\n|\Z)"
        finder = _finder(re.escape(f"- {label}: "), r"[^\n]*?", tail)
        replacement = exact + "\n" if newline else exact
        return _upsert(body, finder, exact, replacement, _appender(exact + "\n"))

    @staticmethod
    def date_time(body: str, text: str) -> str:
        exact = f"- Date/Time: {text}"
        lt = js.LINE_TERMINATORS
        finder = _finder(rf"(?:^|(?<=[{lt}]))- Date/Time:", f"[^{lt}]*", rf"(?=[{lt}]|\Z)")
        return _upsert(body, finder, exact, exact, _appender(exact + "\n"))

    @staticmethod
    def short_field(body: str, label: str, value: str) -> str:
        """Call score / ACE recording link: value up to ``<`` or a line end."""
        exact = f"- {label}: {value}"
        finder = _finder(re.escape(f"- {label}:"), rf"{_WS}*[^<\n]+", r"(?=\n|\Z)", re.I | re.A)
        return _upsert(body, finder, exact, exact, _appender(exact + "\n"))

    @staticmethod
    def block(body: str, label: str, value: str, end: str = "--- END", flags: int = 0) -> str:
        exact = f"- {label}:\n{value}\n"
        finder = _finder(re.escape(f"- {label}:"), r"[\s\S]*?", re.escape(end), flags)
        if end == "--- END":
            append: Callable[[str], str] = lambda b: f"{b}\n{exact}{end}\n"  # noqa: E731
        else:
            append = _appender(f"{exact}{end}\n")
        return _upsert(body, finder, exact, exact + end, append)


def _replace_if_pending(body: str, match: re.Match[str], text: str) -> str:
    """App Connect only fills in a RingCentral user name that is still pending."""
    if js.js_trim(match.group(1)) != "(pending...)":
        return body
    return body[: match.start()] + text + body[match.end() :]


# ---------------------------------------------------------------- text/markdown

_MD_FIELDS = (
    "Session Id",
    "RingCentral user name",
    "RingCentral number and extension",
    "Summary",
    "Contact Number",
    "Date/Time",
    "Duration",
    "Result",
    "Call recording link",
    "Voicemail recording link",
    "Call score",
    "ACE recording link",
)
# A block ends before the next heading or known field line (App Connect runs to the end
# of the body, swallowing fields that follow it: quirk 5).
_MD_STOP = r"(?:#{2,3} |\*\*(?:" + "|".join(map(re.escape, _MD_FIELDS)) + r")\*\*:)"


class _Markdown:
    @staticmethod
    def note(body: str, note: str) -> str:
        exact = f"## Agent notes\n{note}\n"
        finder = _finder(r"## Agent notes\n", r"[\s\S]*?", r"\n## Call details")
        replacement = f"## Agent notes\n{note}\n\n## Call details"

        def prepend(b: str) -> str:
            if b.startswith("## Call details"):
                return f"## Agent notes\n{note}\n\n{b}"
            return f"{replacement}\n{b}"

        return _upsert(body, finder, exact, replacement, prepend)

    @staticmethod
    def field(body: str, label: str, value: str, flags: int = 0) -> str:
        exact = f"**{label}**: {value}"
        head = re.escape(f"**{label}**:") + ("" if label == "ACE recording link" else " ")
        finder = _finder(head, r"[^\n]*", r"(?=\n|\Z)\n*", flags)
        return _upsert(body, finder, exact, exact + "\n", _appender(exact + "\n"))

    @staticmethod
    def user_name(body: str, name: str) -> str:
        match = re.search(r"\*\*RingCentral user name\*\*: ([^\n]*)\n*", body, re.I | re.A)
        text = f"**RingCentral user name**: {name}\n"
        if match is None:
            return _append_line(body, text)
        return _replace_if_pending(body, match, text)

    @staticmethod
    def block(body: str, label: str, value: str) -> str:
        exact = f"### {label}\n{value}"
        tail = rf"(?:\n(?=\n*{_MD_STOP})|\n?\Z)"
        finder = _finder(re.escape(f"### {label}\n"), r"[\s\S]*?", tail)
        return _upsert(body, finder, exact, exact + "\n", _appender(exact + "\n"))


# ---------------------------------------------------------------- text/html

_HTML_FIELD_TAIL = r"(?:</li>|(?=<|\Z))"


class _Html:
    @staticmethod
    def note(body: str, note: str) -> str:
        exact = f"<b>Agent notes</b><br>{note}<br><br><b>"
        finder = _finder(r"<b>Agent notes</b>", r"[\s\S]+?", r"Call details</b>")
        replacement = exact + "Call details</b>"
        return _upsert(body, finder, exact, replacement, lambda b: f"{replacement}<br>{b}")

    @staticmethod
    def field(body: str, label: str, value: str) -> str:
        exact = f"<li><b>{label}</b>: {value}"
        head = rf"(?:<li>)?<b>{re.escape(label)}</b>:"
        finder = _finder(head, rf"{_WS}*[^<\n]+", _HTML_FIELD_TAIL, re.I | re.A)
        return _upsert(body, finder, exact, exact + "</li>", lambda b: b + exact + "</li>")

    @staticmethod
    def user_name(body: str, name: str) -> str:
        pattern = rf"(?:<li>)?<b>RingCentral user name</b>:{_WS}*([^<\n]+){_HTML_FIELD_TAIL}"
        match = re.search(pattern, body, re.I | re.A)
        text = f"<li><b>RingCentral user name</b>: {name}</li>"
        if match is None:
            return body + text
        return _replace_if_pending(body, match, text)

    @staticmethod
    def link(body: str, label: str, link: str, *, pending: bool, before_ul: bool) -> str:
        shown = "(pending...)" if pending else f'<a target="_blank" href="{link}">open</a>'
        exact = f"<li><b>{label}</b>: {shown}"
        head = rf"(?:<li>)?<b>{re.escape(label)}</b>:"
        value = rf"{_WS}*(?:<a[^>]*>[^<]*</a>|[^<]+)"
        finder = _finder(head, value, _HTML_FIELD_TAIL, re.I | re.A)
        item = exact + "</li>"

        def append(b: str) -> str:
            at = b.find("</ul>") if before_ul else -1
            return b + item if at < 0 else b[:at] + item + b[at:]

        return _upsert(body, finder, exact, item, append)

    @staticmethod
    def block(body: str, label: str, value: str, trailing_break: bool = False) -> str:
        exact = f"<div><b>{label}</b><br>{_html_breaks(value)}"
        # App Connect requires a non-empty value (`.+?`), so an empty block made it match
        # across into the next block's `</div>`.
        finder = _finder(re.escape(f"<div><b>{label}</b><br>"), f"{_NOT_LT}*?", "</div>")
        item = exact + "</div>"
        suffix = "<br>" if trailing_break else ""
        return _upsert(body, finder, exact, item, lambda b: b + item + suffix)


# ---------------------------------------------------------------- sections by format


def _note(body: str, fmt: str, note: str) -> str:
    if fmt == HTML:
        return _Html.note(body, note)
    if fmt == MARKDOWN:
        return _Markdown.note(body, note)
    return _Plain.note(body, note)


def _field(body: str, fmt: str, label: str, value: str, *, html_label: str = "") -> str:
    """A one-line ``label: value`` section (Session Id, Summary, Date/Time, ...)."""
    if fmt == HTML:
        return _Html.field(body, html_label or label, value)
    if fmt == MARKDOWN:
        flags = re.I | re.A if label.startswith("RingCentral") else 0
        return _Markdown.field(body, label, value, flags)
    return _Plain.line(body, label, value)


def _user_name(body: str, fmt: str, name: str) -> str:
    if fmt == HTML:
        return _Html.user_name(body, name)
    if fmt == MARKDOWN:
        return _Markdown.user_name(body, name)
    return _Plain.user_name(body, name)


def _contact_number(body: str, fmt: str, number: str, direction: Any) -> str:
    if fmt == HTML:
        role = "Recipient" if direction == "Outbound" else "Caller"
        return _Html.field(body, f"{role} phone number", number)
    if fmt == MARKDOWN:
        return _Markdown.field(body, "Contact Number", number)
    return _Plain.value_field(body, "Contact Number", number, newline=True)


def _date_time(body: str, fmt: str, text: str) -> str:
    if fmt == HTML:
        return _Html.field(body, "Date/time", text)
    if fmt == MARKDOWN:
        return _Markdown.field(body, "Date/Time", text)
    return _Plain.date_time(body, text)


def _value_field(body: str, fmt: str, label: str, value: str) -> str:
    """Duration and Result, which plain text rewrites without its line break."""
    if fmt == PLAIN:
        return _Plain.value_field(body, label, value)
    return _field(body, fmt, label, value)


def _recording(body: str, fmt: str, label: str, link: str) -> str:
    if fmt == HTML:
        pending = not link.startswith("http")
        return _Html.link(body, label, link, pending=pending, before_ul=True)
    return _field(body, fmt, label, link)


def _score_or_link(body: str, fmt: str, label: str, value: str) -> str:
    """Call score and ACE recording link."""
    if fmt == HTML:
        if label == "ACE recording link":
            return _Html.link(body, label, value, pending=False, before_ul=False)
        return _Html.field(body, label, value)
    if fmt == MARKDOWN:
        return _Markdown.field(body, label, value, re.I | re.A)
    return _Plain.short_field(body, label, value)


def _block(
    body: str,
    fmt: str,
    label: str,
    value: str,
    *,
    strip: tuple[str, ...] = (),
    html_break: bool = False,
) -> str:
    """A multi-line section; ``strip`` lists the formats that drop trailing newlines."""
    if fmt in strip:
        value = _strip_trailing_newlines(value)
    if fmt == HTML:
        return _Html.block(body, label, value, trailing_break=html_break)
    if fmt == MARKDOWN:
        return _Markdown.block(body, label, value)
    if label == "Call journey":
        return _Plain.block(body, label, value, end="--- JOURNEY END")
    flags = re.I | re.A if label == "ACE bulleted summary" else 0
    return _Plain.block(body, label, value, flags=flags)


# ---------------------------------------------------------------- composeCallLog

_ALL: Final = (PLAIN, HTML, MARKDOWN)


class _Settings:
    """``user.userSettings``: ``{key: {value}}``; a null/absent value takes the default."""

    def __init__(self, user: Any) -> None:
        settings = js.get(user, "userSettings")
        self._settings = settings if js.truthy(settings) else {}

    def value(self, key: str) -> Any:
        return js.get(js.get(self._settings, key), "value")

    def on(self, key: str, default: bool) -> bool:
        value = self.value(key)
        return default if js.is_nullish(value) else js.truthy(value)


def compose_call_log(params: Mapping[str, Any]) -> str:
    """Compose (or update) a call-log body the way App Connect's ``composeCallLog`` does.

    ``params`` uses App Connect's key names: ``logFormat`` (default ``text/plain``),
    ``existingBody`` (default ``''``), ``callLog``, ``contactInfo``, ``user``
    (``userSettings``, ``timezoneOffset``), ``note``, ``subject``, ``startTime``,
    ``duration``, ``result``, ``recordingLink``, ``voicemailLink``, ``aiNote``,
    ``transcript`` and the ``ringSense*`` fields. Sections are written in App Connect's
    order and wording, each replaced in place when the body already has it. A
    ``logFormat`` other than the three composable ones yields ``''``.
    """
    fmt = params.get("logFormat", PLAIN)
    if not is_composable(fmt):
        return ""
    existing = params.get("existingBody", "")
    body = "" if js.is_nullish(existing) else js.to_string(existing)
    user = params.get("user")
    settings = _Settings(user)
    call_log = params.get("callLog")
    inbound = js.get(call_log, "direction") == "Inbound"

    def param(key: str) -> Any:
        return params.get(key, js.UNDEFINED)

    note = param("note")
    if js.truthy(note) and settings.on("addCallLogNote", True):
        body = _note(body, fmt, js.to_string(note))

    session_id = js.get(call_log, "sessionId")
    if js.truthy(session_id) and settings.on("addCallSessionId", False):
        body = _field(body, fmt, "Session Id", js.to_string(session_id))

    if js.truthy(settings.value("addRingCentralUserName")):
        name = js.get(js.get(call_log, "to" if inbound else "from"), "name")
        if js.truthy(name):
            body = _user_name(body, fmt, js.to_string(name))

    if settings.on("addRingCentralNumber", False):
        number = js.get(js.get(call_log, "to" if inbound else "from"), "phoneNumber")
        if js.truthy(number):
            # App Connect pairs our number with the *other* party's extension (quirk 3).
            ext = js.get(js.get(call_log, "from" if inbound else "to"), "extensionNumber")
            ext_text = "" if js.is_nullish(ext) else js.to_string(ext)
            value = f"{js.to_string(number)} {ext_text}"
            body = _field(body, fmt, "RingCentral number and extension", value)

    subject = param("subject")
    if js.truthy(subject) and settings.on("addCallLogSubject", True):
        body = _field(body, fmt, "Summary", js.to_string(subject))

    contact_phone = js.get(params.get("contactInfo"), "phoneNumber")
    if js.truthy(contact_phone) and settings.on("addCallLogContactNumber", False):
        direction = js.get(call_log, "direction")
        body = _contact_number(body, fmt, js.to_string(contact_phone), direction)

    start_time = param("startTime")
    if not js.truthy(start_time):
        start_time = js.get(call_log, "startTime")
    if js.truthy(start_time) and settings.on("addCallLogDateTime", True):
        date_format = settings.value("logDateFormat")
        if js.is_nullish(date_format) or not js.truthy(date_format):
            date_format = DEFAULT_LOG_DATE_FORMAT
        offset = js.get(user, "timezoneOffset")
        text = format_start_time(start_time, offset, js.to_string(date_format))
        body = _date_time(body, fmt, text)

    if "duration" in params and settings.on("addCallLogDuration", True):
        body = _value_field(body, fmt, "Duration", format_duration(params["duration"]))

    result = param("result")
    if js.truthy(result) and settings.on("addCallLogResult", True):
        body = _value_field(body, fmt, "Result", js.to_string(result))

    for key, label in (
        ("recordingLink", "Call recording link"),
        ("voicemailLink", "Voicemail recording link"),
    ):
        link = param(key)
        if js.truthy(link) and settings.on("addCallLogRecording", True):
            body = _recording(body, fmt, label, js.to_string(link))

    body = _compose_ai_sections(body, fmt, params, settings)

    legs = js.get(call_log, "legs")
    # App Connect's test is JS truthiness, under which an empty list still counts; it
    # then skips empty lists itself.
    if isinstance(legs, list | tuple) and legs and settings.on("addCallLogLegs", True):
        body = _block(body, fmt, "Call journey", _legs_journey(legs))
    return body


def _compose_ai_sections(
    body: str, fmt: str, params: Mapping[str, Any], settings: _Settings
) -> str:
    def wanted(key: str, setting: str) -> str | None:
        value = params.get(key, js.UNDEFINED)
        if js.truthy(value) and settings.on(setting, True):
            return js.to_string(value)
        return None

    rs = "addCallLogRingSenseRecording"
    if (ai_note := wanted("aiNote", "addCallLogAiNote")) is not None:
        body = _block(body, fmt, "AI Note", ai_note, strip=_ALL, html_break=True)
    if (transcript := wanted("transcript", "addCallLogTranscript")) is not None:
        body = _block(body, fmt, "Transcript", transcript, html_break=True)
    if (ace_transcript := wanted("ringSenseTranscript", rs + "Transcript")) is not None:
        body = _block(body, fmt, "ACE transcript", ace_transcript, strip=_ALL)
    if (summary := wanted("ringSenseSummary", rs + "Summary")) is not None:
        body = _block(body, fmt, "ACE summary", summary, strip=(HTML,))
    if (score := wanted("ringSenseAIScore", rs + "AIScore")) is not None:
        body = _score_or_link(body, fmt, "Call score", score)
    if (bulleted := wanted("ringSenseBulletedSummary", rs + "BulletedSummary")) is not None:
        body = _block(body, fmt, "ACE bulleted summary", bulleted, strip=(HTML,))
    if (link := wanted("ringSenseLink", rs + "Link")) is not None:
        body = _score_or_link(body, fmt, "ACE recording link", link)
    return body
