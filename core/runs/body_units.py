"""A CRM body as the units a person reads, in any log format: plain-text and Markdown lines,
and an HTML body's lines once its tags are read (`<br>`, `<li>`, `<p>` end a line; `<b>`
is kept as Markdown's `**`, so a label reads the same in every format).

Smoke judges "an update kept what it was not meant to change" on these units, grouped by
the composed section they belong to, so a one-line HTML body is checked section by section;
and on the CRM record's own fields, where an update must not move the call's date.
"""

from __future__ import annotations

import html
import re
from typing import Any

_BREAKS = re.compile(r"<\s*(?:br|/p|/li|/div|/h\d|/tr|hr)\b[^>]*>", re.IGNORECASE)
_OPENERS = re.compile(r"<\s*(?:p|li|div|h\d|tr|ul|ol)\b[^>]*>", re.IGNORECASE)
_BOLD = re.compile(r"<\s*(?:b|strong)\s*>(.*?)<\s*/\s*(?:b|strong)\s*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
#: A link reads as where it goes (the composer writes `<a href="…">open</a>`).
_ANCHOR = re.compile(r"<\s*a\b[^>]*\bhref=\"([^\"]*)\"[^>]*>.*?<\s*/\s*a\s*>", re.IGNORECASE | re.S)
#: A composed label: plain text's `- Note: …`, Markdown's and HTML's `**Summary**: …`. (A
#: user's own `Called back: yes` is a line of the section it stands in, not a label.)
_LABEL = re.compile(r"^(?:- (?P<plain>[A-Za-z][^:]{0,40}):|\*\*(?P<bold>[^*]{1,60})\*\*\s*:)")
#: `## Agent notes`, or a bold line alone (`**Agent notes**`, HTML's `<b>Agent notes</b>`)
_HEADING = re.compile(r"^(?:#{1,6}\s+(?P<h>.+?)|\*\*(?P<b>[^*]{1,60})\*\*)\s*$")
#: The same section under the names the three formats give it.
_ALIASES = {"agent notes": "note", "notes": "note"}


def body_units(body: str) -> list[str]:
    """The body's non-empty lines, with HTML turned into text first."""
    text = body
    if _TAGS.search(body):
        text = _ANCHOR.sub(lambda m: html.unescape(m.group(1)), body)
        text = _BOLD.sub(r"**\1**", text)
        text = _OPENERS.sub("\n", _BREAKS.sub("\n", text))
        text = html.unescape(_TAGS.sub("", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def section(label: str) -> str:
    """A label as one name across formats (`Agent notes` and `Note` are the note)."""
    name = label.strip().lower()
    return _ALIASES.get(name, name)


def unit_label(unit: str) -> str | None:
    """The section a unit opens (`note` for `- Note: …`, `**Agent notes**` or `## Agent
    notes`; `date/time` for `**Date/Time**: …`), or None for a line inside a section."""
    heading = _HEADING.match(unit)
    if heading:
        return section(heading["h"] or heading["b"])
    match = _LABEL.match(unit)
    return section(match["plain"] or match["bold"]) if match else None


def section_text(body: str, label: str) -> str | None:
    """What a section holds (its labelled line's value and the lines under it, joined by
    newlines), or None when the body has no such section."""
    wanted = section(label)
    lines: list[str] = []
    found = False
    current = ""
    for unit in body_units(body):
        name = unit_label(unit)
        if name is not None:
            current = name
            if name == wanted:
                found = True
                value = _LABEL.sub("", unit, count=1).strip()
                if value and not _HEADING.match(unit):
                    lines.append(value)
                continue
        if current == wanted:
            lines.append(unit)
    return "\n".join(lines) if found else None


def dropped_units(before: str, after: str, changing: tuple[str, ...]) -> list[tuple[str, str]]:
    """(section, unit) of `before` missing from `after`, except in the sections `changing`
    (a labelled unit and the unlabelled lines under it, up to the next label)."""
    kept = set(body_units(after))
    rewritten = {section(name) for name in changing}
    missing: list[tuple[str, str]] = []
    current = ""
    for unit in body_units(before):
        label = unit_label(unit)
        if label is not None:
            current = label
        if current not in rewritten and unit not in kept:
            missing.append((current or "body", unit))
    return missing


def moved_dates(before: dict[str, Any], after: dict[str, Any], day: str) -> str:
    """A field of the CRM record that held the call's date before an update and another
    value after it (`FIELD 'old' -> 'new'`), or "". The date lives in record fields the
    composed body does not show; an update that sends "now" there moves the call."""
    if not day:
        return ""
    for key, value in before.items():
        is_call_date = isinstance(value, str) and _DATE.match(value) and value.startswith(day)
        if is_call_date and after.get(key, value) != value:
            return f"{key} {value!r} -> {after.get(key)!r}"
    return ""


#: A date or date-time field's value (`2024-01-15`, `2024-01-15T10:30:00Z`, `… 10:30:00`).
_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
