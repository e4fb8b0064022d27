"""A CRM body as the units a person reads, in any log format: plain-text and Markdown lines,
and an HTML body's lines once its tags are read (`<br>`, `<li>`, `<p>` end a line).

Smoke judges "an update kept what it was not meant to change" on these units, labelled by
the composed section they belong to, so a one-line HTML body is checked section by section.
"""

from __future__ import annotations

import html
import re

_BREAKS = re.compile(r"<\s*(?:br|/p|/li|/div|/h\d|/tr|hr)\b[^>]*>", re.IGNORECASE)
_OPENERS = re.compile(r"<\s*(?:p|li|div|h\d|tr|ul|ol)\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_LABEL = re.compile(r"^(?:[-*]\s+)?(?:\*\*)?(?P<label>[A-Za-z][\w /&.-]{0,40}?)(?:\*\*)?\s*:")
_HEADING = re.compile(r"^#{1,6}\s+(?P<label>.+?)\s*$")


def body_units(body: str) -> list[str]:
    """The body's non-empty lines, with HTML turned into text first."""
    text = body
    if "<" in body and _TAGS.search(body):
        text = _OPENERS.sub("\n", _BREAKS.sub("\n", body))
        text = html.unescape(_TAGS.sub("", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def unit_label(unit: str) -> str | None:
    """The section label a unit starts with (`Note` for `- Note: …`, `**Note**: …` or
    `<li><b>Note</b>: …`; `Transcript` for `### Transcript`), or None."""
    heading = _HEADING.match(unit)
    if heading:
        return heading["label"]
    match = _LABEL.match(unit)
    return match["label"].strip() if match else None


def dropped_units(before: str, after: str, changing: tuple[str, ...]) -> list[str]:
    """Units of `before` missing from `after`, except those of the sections in `changing`
    (and the lines that follow a changing label up to the next label)."""
    kept = set(body_units(after))
    missing: list[str] = []
    in_changing = False
    for unit in body_units(before):
        label = unit_label(unit)
        if label is not None:
            in_changing = label in changing
        if not in_changing and unit not in kept:
            missing.append(unit)
    return missing
