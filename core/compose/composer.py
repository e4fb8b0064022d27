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

Each format's sections are built once, at import (``_SECTIONS``): their patterns are
compiled a single time, so composing is matching and slicing only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from appconnect.connectors import js
from appconnect.core.compose.dates import DEFAULT_LOG_DATE_FORMAT, format_start_time
from appconnect.core.compose.failures import ComposeError

__all__ = [
    "LOG_FORMATS",
    "compose_call_log",
    "format_duration",
    "is_composable",
    "owned_sections",
]

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

# (body, exact text of the section) -> the body with the section added
_Append = Callable[[str, str], str]
# The heads of the fields a compose writes after a section (_MarkdownBlock)
_Later = Sequence[re.Pattern[str]]


class _Section:
    """One section in one format: where it sits in a body, and how it is written.

    The section is written as ``prefix + value + suffix`` (its *exact* text), followed by
    ``closing`` when it replaces an existing occurrence. ``prepare`` (if any) turns the
    value into the text written. Finding: ``head`` finds each occurrence of the label;
    an occurrence holding the exact text followed by ``tail`` is taken first, otherwise
    ``loose`` (head + any value + tail, App Connect's pattern) is tried at that
    occurrence. A missing section is added by ``append``.
    """

    __slots__ = (
        "_append",
        "_closing",
        "_head",
        "_loose",
        "_prefix",
        "_prepare",
        "_suffix",
        "_tail",
    )

    def __init__(
        self,
        head: str,
        value: str,
        tail: str,
        *,
        prefix: str,
        append: _Append,
        suffix: str = "",
        closing: str = "",
        flags: int = 0,
        prepare: Callable[[str], str] | None = None,
    ) -> None:
        self._head = re.compile(head, flags)
        self._tail = re.compile(tail, flags)
        self._loose = re.compile(head + value + tail, flags)
        self._prefix, self._suffix, self._closing = prefix, suffix, closing
        self._append = append
        self._prepare = prepare

    @property
    def head(self) -> re.Pattern[str]:
        """Finds each occurrence of the section's label."""
        return self._head

    def exact(self, value: str) -> str:
        """The section's text for `value`, as written (without its closing)."""
        if self._prepare is not None:
            value = self._prepare(value)
        return self._prefix + value + self._suffix

    def write(
        self, body: str, value: str, guards: Sequence[str] = (), later: _Later = ()
    ) -> str:
        """Replace the section in place when present (first occurrence), else add it.

        `later`: the fields this compose writes after this section (see _MarkdownBlock).
        """
        exact = self.exact(value)
        found = self.find(body, exact, guards)
        if found is None:
            return self._append(body, exact)
        start, end = found
        closing, end = self._close(body, end, later)
        return body[:start] + exact + closing + body[end:]

    def find(
        self, body: str, exact: str | None, guards: Sequence[str] = ()
    ) -> tuple[int, int] | None:
        """Where the section written as `exact` would replace text: (start, end), or None
        (`exact` None: where the section is, by App Connect's pattern).

        An occurrence of the label inside one of `guards` (the note and the blocks, as this
        compose writes them and as the body holds them) is text of that note or block:
        skipped.
        """
        inside = _guarded_spans(body, guards, exact)
        head = self._head.search(body)
        while head is not None:
            start = head.start()
            if inside and any(a < start < b for a, b in inside):
                head = self._head.search(body, head.end())
                continue
            if exact is not None and body.startswith(exact, start):
                tail = self._tail.match(body, start + len(exact))
                if tail is not None:
                    return start, tail.end()
            loose = self._loose.match(body, start)
            if loose is not None:
                return start, loose.end()
            head = self._head.search(body, head.end())  # heads never match empty text
        return None

    def _close(self, body: str, end: int, later: _Later = ()) -> tuple[str, int]:
        """What follows a replaced section, and where the rest of the body resumes."""
        return self._closing, end


class _MarkdownBlock(_Section):
    """A ``### Block``: App Connect's settled form has one blank line after it.

    App Connect replaces a block up to the next ``\n### `` or the end and adds a line
    break, so a rewritten block ends with a blank line before a heading or at the end of
    the body, and keeps it on every later compose. We write that settled form at once
    (also when appending), so ours is byte-identical wherever App Connect's result is a
    fixpoint, and idempotent from the first compose (issue 14, class 4).

    The field lines between the block and the next heading are swallowed with it by App
    Connect. A field this compose writes *later* (Call score, ACE recording link after
    an AI block) is then appended at the end by its own upsert: nothing is lost and the
    result is a fixpoint, so we move it too (``later``: those fields' heads). Any other
    field there is lost in App Connect; we keep it in place (docs: section 6).
    """

    __slots__ = ()

    def _close(self, body: str, end: int, later: _Later = ()) -> tuple[str, int]:
        rest = end
        while rest < len(body) and body[rest] == "\n":
            rest += 1
        if later and rest < len(body) and not body.startswith("### ", rest):
            moved = _move_later_fields(body, rest, later)
            if moved is not None:
                kept, rest_after = moved
                if kept:
                    return self._closing + body[end:rest] + kept, rest_after
                rest = rest_after
        if rest == len(body) or body.startswith("### ", rest):
            return "\n\n", rest
        return self._closing, end


def _move_later_fields(body: str, rest: int, later: _Later) -> tuple[str, int] | None:
    """The field lines from `rest` to the next ``\n### `` (or the end), without those a
    later upsert of this compose rewrites (each the first of its kind in the body), and
    where the body resumes; None when that stretch holds anything but field lines."""
    stop = body.find("\n### ", rest)
    region_end = len(body) if stop < 0 else stop + 1
    kept: list[str] = []
    dropped = after_drop = False
    for line in body[rest:region_end].splitlines(keepends=True):
        if line == "\n":
            if not after_drop:  # App Connect's field pattern takes its blank lines too
                kept.append(line)
            continue
        if not _MD_FIELD_LINE.match(line):
            return None
        after_drop = any(head.match(line) and not head.search(body, 0, rest) for head in later)
        dropped = dropped or after_drop
        if not after_drop:
            kept.append(line)
    if not dropped:
        return None
    text = "".join(kept)
    return ("" if not text.strip("\n") else text), region_end


class _UserName:
    """The RingCentral user name: App Connect only fills in one that is still pending."""

    __slots__ = ("_append", "_closing", "_pattern", "_prefix")

    def __init__(self, pattern: str, prefix: str, closing: str, append: _Append, flags: int = 0):
        self._pattern = re.compile(pattern, flags)  # group 1: the current value
        self._prefix, self._closing, self._append = prefix, closing, append

    def write(self, body: str, name: str, guards: Sequence[str] = ()) -> str:
        text = self._prefix + name + self._closing
        inside = _guarded_spans(body, guards, text)
        match = self._pattern.search(body)
        while match is not None and any(a < match.start() < b for a, b in inside):
            match = self._pattern.search(body, match.start() + 1)
        if match is None:
            return self._append(body, text)
        if js.js_trim(match.group(1)) != "(pending...)":
            return body
        return body[: match.start()] + text + body[match.end() :]


def _guarded_spans(
    body: str, guards: Sequence[str], own: str | None
) -> list[tuple[int, int]]:
    """Where the guarded texts (other than the section's own) sit in the body."""
    spans = []
    for text in guards:
        if text != own and (at := body.find(text)) >= 0:
            spans.append((at, at + len(text)))
    return spans


def _append_line(body: str, text: str) -> str:
    """Append on a new line. App Connect glues a section onto an unterminated last line
    and finds it there again, so most sections glue too (_concat); this is for the plain
    Date/Time line, whose pattern is line-anchored, the journey and a new plain note."""
    if body and not body.endswith("\n"):
        body += "\n"
    return body + text


def _as_line(closing: str) -> _Append:
    return lambda body, exact: _append_line(body, exact + closing)


def _concat(closing: str) -> _Append:
    return lambda body, exact: body + exact + closing


_FIELD_LABELS = (
    "Session Id", "RingCentral user name", "RingCentral number and extension", "Summary",
    "Contact Number", "Date/Time", "Duration", "Result", "Call recording link",
    "Voicemail recording link", "Call score", "ACE recording link",
)  # fmt: skip
# A field or note on the last line: a later rewrite of it (`[^\n]*\n*`, the note's lazy
# end) swallows a section glued onto that line, in App Connect too (which loses it).
# Not the plain Duration/Result, whose value (`[^\n-]+`) stops before a glued `- X:`:
# App Connect then appends a second line there and is stable (issue 14).
_SWALLOWING_FIELD = re.compile(
    r"(?:- (?:Note|Agent notes|"
    + "|".join(re.escape(label) for label in _FIELD_LABELS if label not in ("Duration", "Result"))
    + r")|\*\*(?:Note|Agent notes|"
    + "|".join(map(re.escape, _FIELD_LABELS))
    + r")\*\*):",
    re.I,
)
_PLAIN_NOTE_START = re.compile(r"- (?:Note|Agent notes): ")
# App Connect's end of a plain note: the next `- X:` line.
_PLAIN_NOTE_END = re.compile(r"\n- [A-Z](?:[a-zA-Z/]|" + _WS + r")*:")


def _glued(closing: str) -> _Append:
    """Append as App Connect does, glued onto an unterminated last line (it finds the
    section there again), unless a rewrite of that line would swallow it (_swallows)."""

    def append(body: str, exact: str) -> str:
        if body and not body.endswith("\n") and _swallows(body, exact):
            body += "\n"
        return body + exact + closing

    return append


# Plain fields whose value (`[^<\n]+` up to the line end, App Connect's and ours) cannot
# cross a `<`.
_VALUE_STOPS_AT_LT = re.compile(r"- (?:Call score|ACE recording link):", re.I)


def _swallows(body: str, glued: str) -> bool:
    """The last line holds a field or note that swallows `glued` glued onto it, or is part
    of a plain note that runs to the end of the body (the note's lazy end)."""
    last = body.rfind("\n") + 1
    field = _SWALLOWING_FIELD.search(body, last)
    if field is not None:
        rest_of_line = body[field.end() :] + glued.partition("\n")[0]
        # With a `<` there App Connect no longer finds that line at all: nothing swallowed.
        if not (_VALUE_STOPS_AT_LT.match(field.group()) and "<" in rest_of_line):
            return True
    notes = list(_PLAIN_NOTE_START.finditer(body))
    return bool(notes) and _PLAIN_NOTE_END.search(body, notes[-1].start()) is None


# ---------------------------------------------------------------- shared values


def format_duration(seconds: Any) -> str:
    """App Connect's duration wording: ``1 hour, 2 minutes, 1 second``; ``0 seconds``.

    A value that is not a number (after JS coercion) is printed as given, e.g. ``pending``.
    """
    hours: float
    minutes: float
    rest: float
    if type(seconds) is int and 0 <= seconds < 2**31:
        # The usual input; integer arithmetic gives exactly what JS's doubles give here.
        hours, minutes, rest = seconds // 3600, seconds % 3600 // 60, seconds % 60
    else:
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
    if js.is_nullish(info):  # App Connect reads `info.phoneNumber` unguarded
        raise ComposeError("a call leg has no from/to party (callLog.legs)")
    phone, ext = js.get(info, "phoneNumber"), js.get(info, "extensionNumber")
    has_phone, has_ext = js.truthy(phone), js.truthy(ext)
    if has_phone and has_ext:
        number = f"{js.to_string(phone)}, ext {js.to_string(ext)}"
    elif has_phone:
        number = js.to_string(phone)
    elif has_ext:
        number = f"ext {js.to_string(ext)}"
    else:
        return ""
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


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _html_breaks(text: str) -> str:
    if "\n" not in text and "\r" not in text:
        return text
    return _LINE_BREAK.sub("<br>", text)


# Multi-line sections, and the formats in which each drops its value's trailing newlines.
_BLOCK_STRIP: Final[dict[str, tuple[str, ...]]] = {
    "AI Note": LOG_FORMATS,
    "Transcript": (),
    "ACE transcript": LOG_FORMATS,
    "ACE summary": (HTML,),
    "ACE bulleted summary": (HTML,),
    "Call journey": (),
}
# One-line ``label: value`` sections written the same way in a format.
_FIELDS = ("Session Id", "RingCentral number and extension", "Summary")
_RECORDINGS = ("Call recording link", "Voicemail recording link")

# Keys of the per-format tables that are not App Connect labels.
_NOTE, _USER_NAME = "note", "user name"
# Contact Number: HTML names the other party by direction.
_CONTACT, _CONTACT_OUTBOUND = "Contact Number", "Contact Number (outbound)"


# ---------------------------------------------------------------- text/plain

# Blocks that App Connect appends after a blank line.
_PLAIN_BLOCKS = ("AI Note", "Transcript", "ACE transcript", "ACE summary", "ACE bulleted summary")
# A `- Label: value` line is replaced with all the line breaks after it (App Connect's
# `[^\n]*\n*`), so a blank line below it is gone after the next compose.
_PLAIN_LINE_TAIL = r"(?=\n|\Z)\n*"
# A line App Connect treats as the start of the next section after the note.
_PLAIN_SECTION_START = rf"- [A-Z](?:[a-zA-Z/]|{_WS})*:"
_PLAIN_SECTION_AT_START = re.compile(_PLAIN_SECTION_START)
_PLAIN_FIRST_SECTION = re.compile(rf"\n(?={_PLAIN_SECTION_START})")
# The note ends before the next section (or a blank line and a block, which App Connect
# would otherwise read as part of the note), or at the end of the body.
_PLAIN_NOTE_TAIL = rf"(?=\n{_PLAIN_SECTION_START}|\n\Z|\Z)"
# Duration/Result/Contact Number values end at a line end or a glued-on next section.
_PLAIN_VALUE_END = r"- [A-Z][a-zA-Z /]*:"


def _insert_plain_note(body: str, line: str) -> str:
    """Put a new note first, unless that would make it swallow the user's own text.

    App Connect prepends, and on the next compose reads every line up to the next
    ``- X:`` section as note. So when the body starts with other text, the note
    goes right before the first section line instead (or last, if there is none).
    """
    if not body or _PLAIN_SECTION_AT_START.match(body):
        return f"{line}\n{body}"
    first_section = _PLAIN_FIRST_SECTION.search(body)
    if first_section is None:
        return _append_line(body, line + "\n")
    at = first_section.end()
    return f"{body[:at]}{line}\n{body[at:]}"


def _plain_line(label: str) -> _Section:
    """A ``- Label: value`` line, replaced with any blank lines that follow it."""
    return _Section(
        re.escape(f"- {label}: "),
        r"[^\n]*",
        _PLAIN_LINE_TAIL,
        prefix=f"- {label}: ",
        closing="\n",
        # App Connect starts a new line for the recording links only.
        append=_as_line("\n") if label in _RECORDINGS else _glued("\n"),
    )


def _plain_value_field(label: str, newline: bool = False) -> _Section:
    """Duration/Result (and Contact Number, which adds a line break).

    Duration/Result take App Connect's value pattern, without `-`: an existing
    `- Result: Call-back` is not theirs to replace, so App Connect appends a second Result
    line and then stays there; we do the same (issue 14, class 4). Our own value with a
    `-` is still found, as written (the exact-first search), so we stay idempotent.
    """
    if newline:
        tail, value = rf"(?:(?={_PLAIN_VALUE_END})|\n|\Z)", r"[^\n]*?"
    else:
        tail, value = r"(?=\n|\Z)", r"[^\n-]+"
    return _Section(
        re.escape(f"- {label}: "),
        value,
        tail,
        prefix=f"- {label}: ",
        closing="\n" if newline else "",
        append=_glued("\n"),
    )


def _plain_short_field(label: str) -> _Section:
    """Call score / ACE recording link: value up to ``<`` or a line end."""
    return _Section(
        re.escape(f"- {label}:"),
        # Not across a line break: App Connect's `\s*` there swallows the next line.
        rf"(?:(?!\n){_WS})*[^<\n]+",
        r"(?=\n|\Z)",
        prefix=f"- {label}: ",
        append=_glued("\n"),
        flags=re.I | re.A,
    )


def _plain_block(label: str) -> _Section:
    end = "--- JOURNEY END" if label == "Call journey" else "--- END"
    if end == "--- END":
        append: _Append = lambda body, exact: f"{body}\n{exact}{end}\n"  # noqa: E731
    else:
        append = _as_line(f"{end}\n")
    return _Section(
        # At a line start: App Connect's pattern also takes `- AI Note:` in the middle of
        # a note or summary line and deletes up to the next `--- END` (issue 14, class 5).
        "-(?<![^\n]-) " + re.escape(f"{label}:"),
        r"[\s\S]*?",
        re.escape(end),
        prefix=f"- {label}:\n",
        suffix="\n",
        closing=end,
        append=append,
        flags=re.I | re.A if label == "ACE bulleted summary" else 0,
        prepare=_strip_trailing_newlines if PLAIN in _BLOCK_STRIP[label] else None,
    )


def _plain_sections() -> dict[str, _Section | _UserName]:
    lt = js.LINE_TERMINATORS
    contact = _plain_value_field("Contact Number", newline=True)
    sections: dict[str, _Section | _UserName] = {
        _NOTE: _Section(
            r"- (?:Note|Agent notes): ",
            r"[\s\S]*?",
            _PLAIN_NOTE_TAIL,
            prefix="- Note: ",
            append=_insert_plain_note,
        ),
        _USER_NAME: _UserName(
            r"- RingCentral user name: ([^\n]*)" + _PLAIN_LINE_TAIL,
            "- RingCentral user name: ",
            "\n",
            _glued(""),
        ),
        _CONTACT: contact,
        _CONTACT_OUTBOUND: contact,
        "Date/Time": _Section(
            # `- Date/Time:` at the start of a line, i.e. `(?:^|(?<=[{lt}]))- Date/Time:`,
            # spelled to start with a literal so that the search skips ahead to each `-`.
            rf"-(?<![^{lt}]-) Date/Time:",
            f"[^{lt}]*",
            rf"(?=[{lt}]|\Z)",
            prefix="- Date/Time: ",
            append=_as_line("\n"),
        ),
        "Duration": _plain_value_field("Duration"),
        "Result": _plain_value_field("Result"),
        "Call score": _plain_short_field("Call score"),
        "ACE recording link": _plain_short_field("ACE recording link"),
    }
    sections.update((label, _plain_line(label)) for label in _FIELDS + _RECORDINGS)
    sections.update((label, _plain_block(label)) for label in _BLOCK_STRIP)
    return sections


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
# A field glued onto the end of a line (an unterminated body, another format's fragment).
_MD_GLUED_FIELD = r"(?=\*\*(?:" + "|".join(map(re.escape, _MD_FIELDS)) + r")\*\*:)"
_MD_FIELD_LINE = re.compile(_MD_GLUED_FIELD)
# A block heading glued onto the end of a line: App Connect finds that block there, so
# the block above ends before it (App Connect's runs on, over it: issue 14).
_MD_GLUED_BLOCK = (
    r"(?=### (?:" + "|".join(map(re.escape, _BLOCK_STRIP)) + r")\n|## Agent notes\n)"
)


def _md_prepend_note(body: str, exact: str) -> str:
    if body.startswith("## Call details"):
        return f"{exact}\n{body}"
    return f"{exact}\n## Call details\n{body}"


def _md_field(label: str) -> _Section:
    head = re.escape(f"**{label}**:") + ("" if label == "ACE recording link" else " ")
    case_blind = label.startswith("RingCentral") or label in ("Call score", "ACE recording link")
    return _Section(
        head,
        r"[^\n]*",
        r"(?=\n|\Z)\n*",
        prefix=f"**{label}**: ",
        closing="\n",
        append=_glued("\n"),
        flags=re.I | re.A if case_blind else 0,
    )


def _md_block(label: str) -> _Section:
    return _MarkdownBlock(
        re.escape(f"### {label}\n"),
        r"[\s\S]*?",
        # Glued: onto a line of the block, not its first line's start (that is the value).
        rf"(?:\n(?=\n*{_MD_STOP})|(?<!\n)(?:{_MD_GLUED_FIELD}|{_MD_GLUED_BLOCK})|\n*\Z)",
        prefix=f"### {label}\n",
        closing="\n",
        append=_as_line("\n\n"),  # glued, App Connect swallows it into the block above
        prepare=_strip_trailing_newlines if MARKDOWN in _BLOCK_STRIP[label] else None,
    )


def _markdown_sections() -> dict[str, _Section | _UserName]:
    contact = _md_field("Contact Number")
    sections: dict[str, _Section | _UserName] = {
        _NOTE: _Section(
            r"## Agent notes\n",
            r"[\s\S]*?",
            r"\n## Call details",
            prefix="## Agent notes\n",
            suffix="\n",
            closing="\n## Call details",
            append=_md_prepend_note,
        ),
        _USER_NAME: _UserName(
            r"\*\*RingCentral user name\*\*: ([^\n]*)\n*",
            "**RingCentral user name**: ",
            "\n",
            _glued(""),
            re.I | re.A,
        ),
        _CONTACT: contact,
        _CONTACT_OUTBOUND: contact,
    }
    labels = (*_FIELDS, "Date/Time", "Duration", "Result", *_RECORDINGS)
    sections.update((label, _md_field(label)) for label in labels)
    sections.update((label, _md_field(label)) for label in ("Call score", "ACE recording link"))
    sections.update((label, _md_block(label)) for label in _BLOCK_STRIP)
    return sections


# ---------------------------------------------------------------- text/html

_HTML_FIELD_TAIL = r"(?:</li>|(?=<|\Z))"
# `(?:<li>)?<b>`, spelled to start with a literal: the regex engine then skips ahead to
# each `<` instead of trying every position (a several-fold faster search).
_HTML_ITEM_OPEN = "<(?:li><)?b>"


def _html_field(
    label: str,
    value: str = rf"{_WS}*[^<\n]+",
    *,
    append: _Append | None = None,
    prepare: Callable[[str], str] | None = None,
) -> _Section:
    return _Section(
        rf"{_HTML_ITEM_OPEN}{re.escape(label)}</b>:",
        value,
        _HTML_FIELD_TAIL,
        prefix=f"<li><b>{label}</b>: ",
        closing="</li>",
        append=append or _concat("</li>"),
        flags=re.I | re.A,
        prepare=prepare,
    )


def _html_anchor(link: str) -> str:
    return f'<a target="_blank" href="{link}">open</a>'


def _html_recording(link: str) -> str:
    return _html_anchor(link) if link.startswith("http") else "(pending...)"


def _html_before_list_end(body: str, exact: str) -> str:
    """A recording link goes before the first ``</ul>``, if any."""
    item = exact + "</li>"
    at = body.find("</ul>")
    return body + item if at < 0 else body[:at] + item + body[at:]


def _html_link(label: str) -> _Section:
    value = rf"{_WS}*(?:<a[^>]*>[^<]*</a>|[^<]+)"
    if label == "ACE recording link":
        return _html_field(label, value, prepare=_html_anchor)
    return _html_field(label, value, prepare=_html_recording, append=_html_before_list_end)


def _html_block(label: str) -> _Section:
    # App Connect requires a non-empty value (`.+?`), so an empty block made it match
    # across into the next block's `</div>`.
    prepare: Callable[[str], str] = _html_breaks
    if HTML in _BLOCK_STRIP[label]:
        prepare = lambda value: _html_breaks(_strip_trailing_newlines(value))  # noqa: E731
    trailing_break = "<br>" if label in ("AI Note", "Transcript") else ""
    return _Section(
        re.escape(f"<div><b>{label}</b><br>"),
        f"{_NOT_LT}*?",
        "</div>",
        prefix=f"<div><b>{label}</b><br>",
        closing="</div>",
        append=_concat("</div>" + trailing_break),
        prepare=prepare,
    )


def _html_sections() -> dict[str, _Section | _UserName]:
    sections: dict[str, _Section | _UserName] = {
        _NOTE: _Section(
            r"<b>Agent notes</b>",
            r"[\s\S]+?",
            r"Call details</b>",
            prefix="<b>Agent notes</b><br>",
            suffix="<br><br><b>",
            closing="Call details</b>",
            append=lambda body, exact: f"{exact}Call details</b><br>{body}",
        ),
        _USER_NAME: _UserName(
            rf"{_HTML_ITEM_OPEN}RingCentral user name</b>:{_WS}*([^<\n]+){_HTML_FIELD_TAIL}",
            "<li><b>RingCentral user name</b>: ",
            "</li>",
            _concat(""),
            re.I | re.A,
        ),
        _CONTACT: _html_field("Caller phone number"),
        _CONTACT_OUTBOUND: _html_field("Recipient phone number"),
        "Date/Time": _html_field("Date/time"),
    }
    labels = (*_FIELDS, "Duration", "Result", "Call score")
    sections.update((label, _html_field(label)) for label in labels)
    sections.update((label, _html_link(label)) for label in (*_RECORDINGS, "ACE recording link"))
    sections.update((label, _html_block(label)) for label in _BLOCK_STRIP)
    return sections


# ---------------------------------------------------------------- sections by format

_SECTIONS: Final = {
    PLAIN: _plain_sections(),
    HTML: _html_sections(),
    MARKDOWN: _markdown_sections(),
}


# ---------------------------------------------------------------- composeCallLog


class _Settings:
    """``user.userSettings``: ``{key: {value}}``; a null/absent value takes the default."""

    __slots__ = ("_settings",)

    def __init__(self, user: Any) -> None:
        settings = js.get(user, "userSettings")
        self._settings: Mapping[str, Any] = settings if js.is_object(settings) else {}

    def value(self, key: str) -> Any:
        return js.get(self._settings.get(key), "value")

    def on(self, key: str, default: bool) -> bool:
        entry = self._settings.get(key)
        if entry is None:  # the usual case: the user never changed the setting
            return default
        value = js.get(entry, "value")
        return default if value is None or value is js.UNDEFINED else js.truthy(value)


def compose_call_log(params: Mapping[str, Any]) -> str | None:
    """Compose (or update) a call-log body the way App Connect's ``composeCallLog`` does.

    ``params`` uses App Connect's key names: ``logFormat`` (default ``text/plain``),
    ``existingBody`` (default ``''``), ``callLog``, ``contactInfo``, ``user``
    (``userSettings``, ``timezoneOffset``), ``note``, ``subject``, ``startTime``,
    ``duration``, ``result``, ``recordingLink``, ``voicemailLink``, ``aiNote``,
    ``transcript`` and the ``ringSense*`` fields. Sections are written in App Connect's
    order and wording, each replaced in place when the body already has it.

    None means "no body: the connector composes": App Connect's result for a ``logFormat``
    other than the three composable ones, once any section would be written. Raises
    ComposeError where App Connect's composer throws (so its create/update fails).
    """
    fmt = params.get("logFormat", PLAIN)
    user = params.get("user")
    if js.is_nullish(user):
        raise ComposeError("no user (user.userSettings is read unguarded)")
    settings = _Settings(user)
    call_log = params.get("callLog")
    if js.is_nullish(call_log) and (
        js.truthy(settings.value("addRingCentralUserName"))
        or settings.on("addRingCentralNumber", False)
    ):
        raise ComposeError("no callLog with addRingCentralUserName/addRingCentralNumber on")
    if not is_composable(fmt):
        return _other_format(params, settings)
    sections = _SECTIONS[fmt]
    existing = params.get("existingBody", "")
    body = "" if js.is_nullish(existing) else js.to_string(existing)
    guards = _guards(sections, params, settings, body)
    settle: list[str] = []  # plain lines App Connect rewrites with the line breaks after them
    inbound = js.get(call_log, "direction") == "Inbound"

    # Most parameters are absent: `is not None` rules those out before the JS test.
    note = params.get("note")
    if note is not None and js.truthy(note) and settings.on("addCallLogNote", True):
        body = sections[_NOTE].write(body, js.to_string(note), guards)
        settle.append("- Note: " + js.to_string(note))

    session_id = js.get(call_log, "sessionId")
    if js.truthy(session_id) and settings.on("addCallSessionId", False):
        body = sections["Session Id"].write(body, js.to_string(session_id), guards)
        settle.append("- Session Id: " + js.to_string(session_id))

    if js.truthy(settings.value("addRingCentralUserName")):
        name = js.get(js.get(call_log, "to" if inbound else "from"), "name")
        if js.truthy(name):
            body = sections[_USER_NAME].write(body, js.to_string(name), guards)
            if js.js_trim(js.to_string(name)) == "(pending...)":  # rewritten every time
                settle.append("- RingCentral user name: " + js.to_string(name))

    if settings.on("addRingCentralNumber", False):
        number = js.get(js.get(call_log, "to" if inbound else "from"), "phoneNumber")
        if js.truthy(number):
            # App Connect pairs our number with the *other* party's extension (quirk 3).
            ext = js.get(js.get(call_log, "from" if inbound else "to"), "extensionNumber")
            ext_text = "" if js.is_nullish(ext) else js.to_string(ext)
            value = f"{js.to_string(number)} {ext_text}"
            body = sections["RingCentral number and extension"].write(body, value, guards)
            settle.append("- RingCentral number and extension: " + value)

    subject = params.get("subject")
    if subject is not None and js.truthy(subject) and settings.on("addCallLogSubject", True):
        body = sections["Summary"].write(body, js.to_string(subject), guards)
        settle.append("- Summary: " + js.to_string(subject))

    contact_phone = js.get(params.get("contactInfo"), "phoneNumber")
    if js.truthy(contact_phone) and settings.on("addCallLogContactNumber", False):
        outbound = js.get(call_log, "direction") == "Outbound"
        section = sections[_CONTACT_OUTBOUND if outbound else _CONTACT]
        body = section.write(body, js.to_string(contact_phone), guards)

    start_time = params.get("startTime")
    if start_time is None or not js.truthy(start_time):
        start_time = js.get(call_log, "startTime")
    if js.truthy(start_time) and settings.on("addCallLogDateTime", True):
        date_format = settings.value("logDateFormat")
        if js.is_nullish(date_format) or not js.truthy(date_format):
            date_format = DEFAULT_LOG_DATE_FORMAT
        offset = js.get(user, "timezoneOffset")
        text = format_start_time(start_time, offset, js.to_string(date_format))
        body = sections["Date/Time"].write(body, text, guards)

    ended: list[str] = []  # plain Duration/Result lines given a line break (_end_line)
    if "duration" in params and settings.on("addCallLogDuration", True):
        text = format_duration(params["duration"])
        body = sections["Duration"].write(body, text, guards)
        body = _end_line(body, fmt, "Duration", text, ended)

    result = params.get("result")
    if result is not None and js.truthy(result) and settings.on("addCallLogResult", True):
        text = js.to_string(result)
        body = sections["Result"].write(body, text, guards)
        body = _end_line(body, fmt, "Result", text, ended)

    for key, label in (("recordingLink", _RECORDINGS[0]), ("voicemailLink", _RECORDINGS[1])):
        link = params.get(key)
        if link is not None and js.truthy(link) and settings.on("addCallLogRecording", True):
            body = sections[label].write(body, js.to_string(link), guards)
            settle.append(f"- {label}: {js.to_string(link)}")

    legs = js.get(call_log, "legs")
    # App Connect's test is JS truthiness, under which an empty list still counts; it
    # then skips empty lists itself.
    journey = isinstance(legs, list | tuple) and legs and settings.on("addCallLogLegs", True)
    body = _compose_ai_sections(body, sections, params, settings, guards, bool(journey))
    if journey:
        body = sections["Call journey"].write(body, _legs_journey(legs), guards)
    for line in ended:  # nothing was appended after it: App Connect's own unterminated line
        if body.endswith(line):
            body = body[:-1]
    return _settle_plain(body, settle) if fmt == PLAIN and settle else body


def _end_line(body: str, fmt: str, label: str, value: str, ended: list[str]) -> str:
    """A plain Duration/Result line this compose wrote as the unterminated last line gets a
    line break: App Connect glues the next appended section onto it and then no longer
    finds that line (its value stops before `-`), so it appends a second one on the next
    compose. Removed again when nothing follows (issue 14)."""
    line = f"- {label}: {value}"
    if fmt == PLAIN and body.endswith(line):
        ended.append(line + "\n")
        return body + "\n"
    return body


def _settle_plain(body: str, lines: Sequence[str]) -> str:
    """App Connect's next compose, done now: a plain line it rewrites with the line breaks
    after it (a field's `\\n*`, the note's lazy end) loses the blank line that a block
    appended below it brought (``- Summary: S``, blank, ``- AI Note:``). Writing that
    settled form at once makes ours byte-identical to App Connect wherever its result is
    a fixpoint, and idempotent from the first compose (issue 14, class 4).
    """
    for line in lines:
        note = line.startswith("- Note: ")
        if note and line.endswith("\n"):
            body = _settle_note_end(body, line)
        at = body.find(line + "\n")
        if at < 0:
            continue
        start = end = at + len(line) + 1
        while end < len(body) and body[end] == "\n":
            end += 1
        if end > start and (not note or _PLAIN_SECTION_AT_START.match(body, end)):
            body = body[:start] + body[end:]
    return body


def _settle_note_end(body: str, line: str) -> str:
    """A note ending in a line break, directly followed by a section line or the end of
    the body: App Connect's lazy note ends before that last line break, so its next
    compose adds a blank line there, and then keeps it. We add it at once."""
    at = body.find(line)
    after = at + len(line)
    if at >= 0 and (after == len(body) or _PLAIN_SECTION_AT_START.match(body, after)):
        return body[:after] + "\n" + body[after:]
    return body


def _other_format(params: Mapping[str, Any], settings: _Settings) -> str | None:
    """App Connect on a format it does not compose: the existing body passes through the
    upserts that keep their input, until one that returns nothing for an unknown format
    (note, session id, user name, number, subject) makes the whole result undefined.
    """
    call_log = params.get("callLog")
    mine = js.get(call_log, "to" if js.get(call_log, "direction") == "Inbound" else "from")
    writes = (
        js.truthy(params.get("note")) and settings.on("addCallLogNote", True),
        js.truthy(js.get(call_log, "sessionId")) and settings.on("addCallSessionId", False),
        js.truthy(settings.value("addRingCentralUserName")) and js.truthy(js.get(mine, "name")),
        settings.on("addRingCentralNumber", False) and js.truthy(js.get(mine, "phoneNumber")),
        js.truthy(params.get("subject")) and settings.on("addCallLogSubject", True),
    )
    legs = js.get(call_log, "legs")
    if isinstance(legs, list | tuple) and legs and settings.on("addCallLogLegs", True):
        _legs_journey(legs)  # App Connect builds the journey (and may throw) before its switch
    if any(writes):
        return None
    existing = params.get("existingBody", "")
    return "" if js.is_nullish(existing) else js.to_string(existing)


# (parameter, setting, section), in App Connect's order
_RS = "addCallLogRingSenseRecording"
_AI_SECTIONS: Final = (
    ("aiNote", "addCallLogAiNote", "AI Note"),
    ("transcript", "addCallLogTranscript", "Transcript"),
    ("ringSenseTranscript", _RS + "Transcript", "ACE transcript"),
    ("ringSenseSummary", _RS + "Summary", "ACE summary"),
    ("ringSenseAIScore", _RS + "AIScore", "Call score"),
    ("ringSenseBulletedSummary", _RS + "BulletedSummary", "ACE bulleted summary"),
    ("ringSenseLink", _RS + "Link", "ACE recording link"),
)


def _compose_ai_sections(
    body: str,
    sections: Mapping[str, _Section | _UserName],
    params: Mapping[str, Any],
    settings: _Settings,
    guards: Sequence[str],
    journey: bool,
) -> str:
    """The AI sections, in App Connect's order; `journey`: the Call journey follows."""
    written = []
    for key, setting, label in _AI_SECTIONS:
        value = params.get(key)
        if value is not None and js.truthy(value) and settings.on(setting, True):
            written.append((label, js.to_string(value)))
    ai_sections = len(written)
    if journey:
        written.append(("Call journey", ""))  # only read by _md_later_heads
    for index, (label, value) in enumerate(written[:ai_sections]):
        section = sections[label]
        if isinstance(section, _MarkdownBlock):
            later = _md_later_heads(body, sections, written, index)
            body = section.write(body, value, guards, later)
        else:
            body = section.write(body, value, guards)
    return body


def _is_md_block(section: _Section | _UserName) -> bool:
    return isinstance(section, _MarkdownBlock)


def _md_later_heads(
    body: str,
    sections: Mapping[str, _Section | _UserName],
    written: Sequence[tuple[str, str]],
    index: int,
) -> list[re.Pattern[str]]:
    """The fields written after block `index` that App Connect moves to the end of the
    body when that block swallows them (_MarkdownBlock): only where they stay there, i.e.
    no block written after them runs to the end of the body (it would swallow them
    again, and App Connect drifts; then we keep them in place)."""
    heads = []
    for position in range(index + 1, len(written)):
        field = sections[written[position][0]]
        if not isinstance(field, _Section) or _is_md_block(field):
            continue
        # A block appended before the field's upsert ends up after any block in the body.
        between = [name for name, _ in written[index + 1 : position]]
        if any(_is_md_block(sections[name]) and f"### {name}\n" not in body for name in between):
            heads.append(field.head)
            continue
        after = [name for name, _ in written[position + 1 :] if _is_md_block(sections[name])]
        if not any(_md_block_runs_to_end(body, name) for name in after):
            heads.append(field.head)
    return heads


def _md_block_runs_to_end(body: str, label: str) -> bool:
    """App Connect's pattern for this block, found here, runs to the end of the body."""
    heading = f"### {label}\n"
    at = body.find(heading)
    return at >= 0 and body.find("\n### ", at + len(heading)) < 0


def owned_sections(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(parameter, exact text) of the note and blocks composing `params` writes, the
    parameter being ``legs`` for the Call journey: text a user or RingCentral wrote, which
    the differential (tests/fidelity) checks App Connect keeps."""
    fmt = params.get("logFormat", PLAIN)
    user = params.get("user")
    if not is_composable(fmt) or js.is_nullish(user):
        return []
    return [(key, exact) for key, _, exact in _owned(_SECTIONS[fmt], params, _Settings(user))]


def _owned(
    sections: Mapping[str, _Section | _UserName], params: Mapping[str, Any], settings: _Settings
) -> list[tuple[str, _Section, str]]:
    """(parameter, section, exact text) of the note and blocks this compose writes."""
    wanted: list[tuple[str, str, Any]] = []
    note = params.get("note")
    if js.truthy(note) and settings.on("addCallLogNote", True):
        wanted.append(("note", _NOTE, note))
    for key, setting, label in _AI_SECTIONS:
        value = params.get(key)
        if label in _BLOCK_STRIP and js.truthy(value) and settings.on(setting, True):
            wanted.append((key, label, value))
    legs = js.get(params.get("callLog"), "legs")
    if isinstance(legs, list | tuple) and legs and settings.on("addCallLogLegs", True):
        wanted.append(("legs", "Call journey", _legs_journey(legs)))
    owned = []
    for key, label, value in wanted:
        section = sections[label]
        if isinstance(section, _Section):
            owned.append((key, section, section.exact(js.to_string(value))))
    return owned


def _guards(
    sections: Mapping[str, _Section | _UserName],
    params: Mapping[str, Any],
    settings: _Settings,
    body: str,
) -> tuple[str, ...]:
    """The note and blocks as this compose writes them and as `body` holds them: text
    inside them that looks like a section label (a note holding `- Summary:` or
    `--- END`) belongs to them (issue 14)."""
    owned = _owned(sections, params, settings)
    texts = [exact for _, _, exact in owned]
    # A label inside the old text of a block this compose replaces would be rewritten
    # there and then deleted with the block; inside a note or block it leaves alone, it
    # would overwrite what a user or RingCentral wrote (App Connect does both).
    writes = {id(section) for _, section, _ in owned}
    found_spans = [section.find(body, exact, texts) for _, section, exact in owned]
    for label in (_NOTE, *_BLOCK_STRIP):
        section = sections[label]
        if isinstance(section, _Section) and id(section) not in writes:
            found_spans.append(section.find(body, None, texts))
    for found in found_spans:
        if found is not None and found[1] > found[0]:
            texts.append(body[found[0] : found[1]])
    return tuple(texts)
