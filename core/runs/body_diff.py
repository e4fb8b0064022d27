"""What a flow changed in the CRM body, as a diff a person reads.

Bodies are compared as the units `body_units` reads (lines; an HTML body's lines once its
tags are read), and the changes are grouped by the composed section they stand in (`note`,
`duration`, `call recording link`, ...), so a one-line HTML body diffs line by line and
section by section instead of as one changed line.

The body before an update is the one the flow recomposed from (getCallLog's answer); a create
starts from nothing. Both come from the flow's interface trace, so showing a diff costs no
extra CRM request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal

from appconnect.core.flows.pipeline import FlowResult
from appconnect.core.flows.trace import InterfaceCall, redact
from appconnect.core.runs.body_units import body_units, unit_label

Op = Literal["-", "+"]
#: The section of lines that come before any composed label (a user's own text at the top).
TOP = "body"


@dataclass(frozen=True, slots=True)
class SectionDiff:
    """The changed lines of one composed section, removed (`-`) before added (`+`)."""

    section: str
    lines: list[tuple[Op, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BodyDiff:
    before: str
    after: str
    sections: list[SectionDiff] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.sections)

    def as_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "sections": [
                {"section": s.section, "lines": [f"{op} {text}" for op, text in s.lines]}
                for s in self.sections
            ],
        }

    def text(self) -> str:
        """The diff as plain text: `@@ section` then `- old` / `+ new` lines."""
        if not self.changed:
            return "(body unchanged)\n"
        out: list[str] = []
        for diff in self.sections:
            out.append(f"@@ {diff.section}")
            out.extend(f"{op} {text}" for op, text in diff.lines)
        return "\n".join(out) + "\n"


def body_diff(before: str, after: str) -> BodyDiff:
    old, new = _labelled(before), _labelled(after)
    matcher = SequenceMatcher(a=[u for _, u in old], b=[u for _, u in new], autojunk=False)
    changes: list[tuple[str, Op, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        changes.extend((section, "-", unit) for section, unit in old[i1:i2])
        changes.extend((section, "+", unit) for section, unit in new[j1:j2])
    return BodyDiff(before, after, _grouped(changes))


def _labelled(body: str) -> list[tuple[str, str]]:
    """(section, unit) for every unit of the body, in order."""
    current = TOP
    units: list[tuple[str, str]] = []
    for unit in body_units(body):
        current = unit_label(unit) or current
        units.append((current, unit))
    return units


def _grouped(changes: list[tuple[str, Op, str]]) -> list[SectionDiff]:
    """Changes per section, sections in the order they first changed; within a section the
    removed lines before the added ones, as a reader compares them."""
    sections: dict[str, SectionDiff] = {}
    for section, op, unit in changes:
        sections.setdefault(section, SectionDiff(section)).lines.append((op, unit))
    for diff in sections.values():
        diff.lines.sort(key=lambda line: line[0] == "+")  # stable: keeps each side's order
    return list(sections.values())


def flow_body_change(calls: Sequence[InterfaceCall], flow: FlowResult | None) -> BodyDiff | None:
    """What the flow's write changed in the CRM body, or None when it wrote no composed body
    (a disposition, a connector that composes its own) or the body before is not known (a
    server's trace holds its routes, not getCallLog's answer)."""
    if flow is None or not flow.composed_log_details:
        return None
    names = [call.interface for call in calls]
    read = [c for c in calls if c.interface == "getCallLog" and c.ok]
    if read:
        before = _full_body(read[-1].result)
    elif "createCallLog" in names:
        before = ""
    else:
        return None
    return body_diff(before, flow.composed_log_details)


def _full_body(result: Any) -> str:
    data = redact(result)
    info = data.get("callLogInfo") if isinstance(data, dict) else None
    if not isinstance(info, dict):
        return ""
    return str(info.get("fullBody") or info.get("note") or "")
