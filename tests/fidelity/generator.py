"""Seeded generator of composeCallLog inputs for the differential (tests/fidelity/).

Each case is a parameter object plus a *kind* (what it exercises) and the fragments of
its existing body that no parameter rewrites (user text, Call score / ACE recording link
lines): the differential checks that ours keeps those. Bodies are built from fragments
of every format, with and without blank lines, legacy labels, user text between
sections and an unterminated last line, so they are not only bodies the composer wrote.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from appconnect.core.compose.composer import compose_call_log, owned_sections

FORMATS = ("text/plain", "text/html", "text/markdown")
SETTINGS = (
    "addCallLogNote", "addCallSessionId", "addRingCentralUserName", "addRingCentralNumber",
    "addCallLogSubject", "addCallLogContactNumber", "addCallLogDateTime", "addCallLogDuration",
    "addCallLogResult", "addCallLogRecording", "addCallLogAiNote", "addCallLogTranscript",
    "addCallLogRingSenseRecordingTranscript", "addCallLogRingSenseRecordingSummary",
    "addCallLogRingSenseRecordingAIScore", "addCallLogRingSenseRecordingBulletedSummary",
    "addCallLogRingSenseRecordingLink", "addCallLogLegs",
)  # fmt: skip
TEXTS = (
    "hello", "Quote sent by email.", "line one\nline two", "Call-back", "a - b",
    "first\n\nafter a blank line", "trailing newline\n", "  padded  ", "$& and $1", "<i>x</i>",
    "**bold**", "tab\there", "ünïcødé ✓",
)  # fmt: skip
# Text that holds a section label of some format (class 5 of issue 14).
LABEL_TEXTS = (
    "ask about --- END of contract", "x\n--- END\ny", "see - AI Note: inside", "- Todo: call back",
    "note\n- Summary: fake", "### heading inside", "## Call details inside", "**Duration**: 9",
    "a <b>Summary</b>: b", "x\n--- JOURNEY END",
)  # fmt: skip
RESULTS = ("Completed", "Call-back", "Missed - Voicemail", "Busy", "No Answer", "Voicemail")
DATES = (
    "2024-01-15T10:30:00Z", "2024-01-15T10:30:00.000Z", "2024-01-15 10:30", "2024-01-15",
    "2024-03-10T02:30:00", "2023-11-05T01:30:00-05:00", 1705314600000, 1705314600123.5,
)  # fmt: skip
# What moment reads through RFC 2822 and through its `new Date(string)` fallback.
FALLBACK_DATES = (
    "Mon, 15 Jan 2024 10:30:00 GMT", "Mon, 15 Jan 2024 10:30:00 +0000",
    "Tue, 16 Jan 2024 09:05:07 -0800", "15 Jan 2024 10:30 GMT", "Mon, 15 Jan 24 10:30:00 EST",
    "Mon, 15 Jan 2024 10:30:00 PDT", "Fri, 15 Jan 2024 10:30:00 GMT",
    "Mon Jan 15 2024 10:30:00 GMT+0000 (Coordinated Universal Time)",
    "Mon Jan 15 2024 18:30:00 GMT+0800", "Mon Jan 15 2024", "Jan 15, 2024 10:30:00",
    "January 15, 2024", "January 15, 2024 10:30 PM", "2024/01/15 10:30:00", "2024/01/15",
    "01/15/2024", "01/15/2024 10:30:00", "1/5/2024 9:05 AM", "15 January 2024 10:30:00 UTC",
    "2024-01-15T10:30:00+0530", "2024-01-15T10:30:00 GMT", "not a date", "Monday", "",
    # ISO forms a payload may carry (moment's ISO parser), and near-misses
    "2024-01-15T10:30:00.123456Z", "20240115T103000Z", "2024-W03-1", "2024-015",
    "2024-01-15T10:30", "2024-1-5", "2024-1-5 10:30", "1-5-2024", "2024-02-30", "1705314600000",
    # more Date#toString / RFC 2822 / month-name forms, DST gap in the server zone
    "Mon, 15 Jan 2024 10:30:00 UT", "Mon Jan 15 2024 10:30:00 GMT-0800 (Pacific Standard Time)",
    "Jan 15 2024", "15 Jan 2024", "Monday, January 15, 2024 10:30 AM", "03/10/2024 02:30",
)  # fmt: skip

PLAIN_FIELDS = {
    "Session Id": "- Session Id: {v}\n", "Summary": "- Summary: {v}\n",
    "RingCentral user name": "- RingCentral user name: {v}\n",
    "RingCentral number and extension": "- RingCentral number and extension: {v}\n",
    "Contact Number": "- Contact Number: {v}\n", "Date/Time": "- Date/Time: {v}\n",
    "Duration": "- Duration: {v}\n", "Result": "- Result: {v}\n",
    "Call recording link": "- Call recording link: {v}\n",
    "Voicemail recording link": "- Voicemail recording link: {v}\n",
    "Call score": "- Call score: {v}\n", "ACE recording link": "- ACE recording link: {v}\n",
}  # fmt: skip
MD_FIELDS = {label: f"**{label}**: {{v}}\n" for label in PLAIN_FIELDS}
HTML_FIELDS = {label: f"<li><b>{label}</b>: {{v}}</li>" for label in PLAIN_FIELDS}
HTML_FIELDS["Contact Number"] = "<li><b>Caller phone number</b>: {v}</li>"
HTML_FIELDS["Date/Time"] = "<li><b>Date/time</b>: {v}</li>"
BLOCKS = ("AI Note", "Transcript", "ACE transcript", "ACE summary", "ACE bulleted summary",
          "Call journey")  # fmt: skip
# The parameter that rewrites each block (`legs`: callLog.legs).
BLOCK_PARAMS = {
    "AI Note": "aiNote", "Transcript": "transcript", "ACE transcript": "ringSenseTranscript",
    "ACE summary": "ringSenseSummary", "ACE bulleted summary": "ringSenseBulletedSummary",
    "Call journey": "legs",
}  # fmt: skip
OWNED_PARAMS = ("note", *BLOCK_PARAMS.values())
FIELD_VALUES = {
    "Date/Time": "2024-01-15 10:30:00 AM", "Duration": "5 seconds", "Result": "Completed",
    "Call recording link": "https://media.example/rec/1", "Call score": "87",
    "ACE recording link": "https://ace.example/r/1", "Contact Number": "+16505550199",
}  # fmt: skip
USER_LINES = ("Customer asked for a quote.", "TODO follow up on Friday", "Spoke with Dana")
# Parameters that rewrite a field: a kept line is only required when it is not set.
FIELD_PARAMS = {"Call score": "ringSenseAIScore", "ACE recording link": "ringSenseLink"}


@dataclass
class Case:
    kind: str
    params: dict[str, Any]
    keep: list[str] = field(default_factory=list)  # text ours must still hold


def _text(rng: random.Random, labels: bool = False) -> str:
    return rng.choice(LABEL_TEXTS if labels else TEXTS)


def _party(rng: random.Random) -> dict[str, Any]:
    party: dict[str, Any] = {}
    if rng.random() < 0.8:
        party["phoneNumber"] = rng.choice(("+16505550100", "+16505550101", "+442071234567"))
    if rng.random() < 0.4:
        party["extensionNumber"] = rng.choice(("101", "2002"))
    if rng.random() < 0.6:
        party["name"] = rng.choice(("Alice", "Bob Lee", "(pending...)"))
    return party


def _legs(rng: random.Random, broken: bool) -> list[dict[str, Any]]:
    legs = []
    for index in range(rng.randint(1, 3)):
        leg: dict[str, Any] = {
            "direction": rng.choice(("Inbound", "Outbound")),
            "from": _party(rng), "to": _party(rng), "duration": rng.choice((1, 12, 0)),
        }  # fmt: skip
        if index and rng.random() < 0.3:
            leg["legType"] = "PstnToSip"
        legs.append(leg)
    if broken:
        leg = legs[rng.randrange(len(legs))]
        side = rng.choice(("from", "to"))
        if rng.random() < 0.7:
            del leg[side]
        else:
            leg[side] = None
    return legs


def _call_log(rng: random.Random, broken_legs: bool) -> dict[str, Any]:
    call: dict[str, Any] = {"sessionId": f"s-{rng.randint(1, 999)}"}
    if rng.random() < 0.9:
        call["direction"] = rng.choice(("Inbound", "Outbound"))
    for side in ("from", "to"):
        if rng.random() < 0.9:
            call[side] = _party(rng)
    if rng.random() < 0.5:
        call["startTime"] = rng.choice(DATES)
    if broken_legs or rng.random() < 0.3:
        call["legs"] = _legs(rng, broken_legs)
    return call


def _user(rng: random.Random) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key in SETTINGS:
        roll = rng.random()
        if roll < 0.5:
            continue
        settings[key] = {"value": True if roll < 0.8 else (False if roll < 0.93 else None)}
    if rng.random() < 0.2:
        settings["logDateFormat"] = {"value": rng.choice(("YYYY-MM-DD hh:mm:ss A", "LLLL", "x"))}
    user: dict[str, Any] = {"userSettings": settings}
    if rng.random() < 0.3:
        user["timezoneOffset"] = rng.choice(("-08:00", "+05:30", 2, "0", ""))
    return user


def _fields(fmt: str) -> dict[str, str]:
    return {"text/plain": PLAIN_FIELDS, "text/html": HTML_FIELDS}.get(fmt, MD_FIELDS)


def _block(fmt: str, label: str, value: str) -> str:
    if fmt == "text/html":
        return f"<div><b>{label}</b><br>{value.replace(chr(10), '<br>')}</div><br>"
    if fmt == "text/markdown":
        return f"### {label}\n{value}\n"
    end = "--- JOURNEY END" if label == "Call journey" else "--- END"
    return f"\n- {label}:\n{value}\n{end}\n"


def _note(fmt: str, value: str, legacy: bool) -> str:
    if fmt == "text/html":
        return f"<b>Agent notes</b><br>{value}<br><br><b>Call details</b><br>"
    if fmt == "text/markdown":
        return f"## Agent notes\n{value}\n\n## Call details\n"
    return f"- {'Agent notes' if legacy else 'Note'}: {value}\n"


def existing_body(rng: random.Random, fmt: str, keep: list[str]) -> str:
    """A body of fragments: mostly `fmt`, sometimes another format's, with user text."""
    parts = []
    if rng.random() < 0.5:
        parts.append(_note(fmt, _text(rng, rng.random() < 0.3), rng.random() < 0.3))
        keep.append("note|" + _as_read(fmt, parts[-1].strip("\n")))
    fields = _fields(fmt)
    for label in rng.sample(sorted(fields), rng.randint(1, 6)):
        value = FIELD_VALUES.get(label, "Call-back" if label == "Result" else "x-1")
        parts.append(fields[label].format(v=value))
        if label in FIELD_PARAMS:
            keep.append(FIELD_PARAMS[label] + "|" + fields[label].format(v=value).strip())
    for label in rng.sample(BLOCKS, rng.randint(0, 3)):
        parts.append(_block(fmt, label, _text(rng, rng.random() < 0.2)))
        keep.append(BLOCK_PARAMS[label] + "|" + _as_read(fmt, parts[-1].strip("\n")))
    if rng.random() < 0.3:
        line = rng.choice(USER_LINES)
        keep.append("|" + line)
        parts.insert(rng.randrange(len(parts) + 1), line + ("<br>" if fmt == "text/html" else "\n"))
    if rng.random() < 0.15:  # a fragment of another format (a CRM that changed format)
        other = rng.choice([f for f in FORMATS if f != fmt])
        parts.append(_fields(other)["Summary"].format(v="old"))
    rng.shuffle(parts) if rng.random() < 0.3 else None
    body = "".join(part + ("\n" if rng.random() < 0.15 else "") for part in parts)
    return body.rstrip("\n") if rng.random() < 0.2 else body


# A plain note ends before the next `- X:` line, a plain block at its first `--- END`.
_PLAIN_NOTE_END = re.compile(r"\n- [A-Z][a-zA-Z\s/]*:")


def _as_read(fmt: str, fragment: str) -> str:
    """The part of a note or block fragment that its format reads as that note or block."""
    if fmt != "text/plain":
        return fragment
    if fragment.startswith("- Note:") or fragment.startswith("- Agent notes:"):
        end = _PLAIN_NOTE_END.search(fragment)
        return fragment if end is None else fragment[: end.start()]
    end = fragment.find("--- END")
    return fragment if end < 0 else fragment[: end + len("--- END")]


KINDS = ("fresh", "foreign-body", "own-body", "date", "throws", "unknown-format", "labels-in-note")


def case(rng: random.Random) -> Case:
    kind = rng.choices(KINDS, weights=(20, 30, 20, 10, 7, 5, 8))[0]
    fmt = rng.choice(FORMATS)
    params: dict[str, Any] = {"logFormat": fmt}
    if kind == "unknown-format":
        params["logFormat"] = rng.choice(
            ("text/x-custom", "application/json", "", None, "TEXT/PLAIN", "text/html; q=1")
        )
    elif rng.random() < 0.03:
        del params["logFormat"]
    throws = rng.choice(("user", "callLog", "legs")) if kind == "throws" else ""
    if throws != "user":
        params["user"] = _user(rng)
    elif rng.random() < 0.5:
        params["user"] = None
    if throws == "callLog":
        settings = params["user"]["userSettings"]
        settings[rng.choice(("addRingCentralUserName", "addRingCentralNumber"))] = {"value": True}
    else:
        params["callLog"] = _call_log(rng, throws == "legs")
    if throws == "legs":
        params["user"]["userSettings"].pop("addCallLogLegs", None)
    labels = kind == "labels-in-note"
    for key in ("note", "subject", "aiNote", "transcript", "ringSenseTranscript",
                "ringSenseSummary", "ringSenseBulletedSummary"):  # fmt: skip
        if rng.random() < (0.7 if key == "note" else 0.35):
            params[key] = _text(rng, labels and rng.random() < 0.7)
    if rng.random() < 0.3:
        params["ringSenseAIScore"] = rng.choice(("87", 92))
    if rng.random() < 0.3:
        params["ringSenseLink"] = "https://ace.example/r/2"
    if rng.random() < 0.6:
        params["duration"] = rng.choice((0, 1, 59, 61, 3661, 1.5, "pending", None))
    if rng.random() < 0.5:
        params["result"] = rng.choice(RESULTS)
    if rng.random() < 0.3:
        params["recordingLink"] = rng.choice(("https://media.example/rec/2", "pending"))
    if rng.random() < 0.15:
        params["voicemailLink"] = "https://media.example/vm/2"
    if rng.random() < 0.2:
        params["contactInfo"] = {"phoneNumber": "+16505550199"}
    if kind == "date" and rng.random() < 0.3 and "callLog" in params:  # callLog's own
        params["callLog"]["startTime"] = rng.choice(FALLBACK_DATES)
    elif kind == "date" or rng.random() < 0.4:
        params["startTime"] = rng.choice(FALLBACK_DATES if kind == "date" else DATES)
    keep: list[str] = []
    if kind in ("foreign-body", "labels-in-note", "date") and rng.random() < 0.8:
        params["existingBody"] = existing_body(rng, fmt, keep)
    elif kind == "own-body":  # a body App Connect composed (fresh) for other parameters
        earlier = case(rng)
        while earlier.kind in ("throws", "unknown-format") or "existingBody" in earlier.params:
            earlier = case(rng)
        body = compose_call_log({**earlier.params, "logFormat": fmt}) or ""
        params["existingBody"] = body if rng.random() < 0.8 else body.rstrip("\n")
        # Its note and blocks are text a user or RingCentral wrote.
        written = owned_sections({**earlier.params, "logFormat": fmt})
        texts = [(key, _as_read(fmt, text)) for key, text in written]
        keep += [f"{key}|{text}" for key, text in texts if text in params["existingBody"]]
    if params.get("logFormat", "text/plain") != fmt:
        # A body in another format: its lines are not that format's sections here (a plain
        # `- Summary:` inside an HTML line legitimately runs to the line's end).
        keep = []
    return Case(kind, params, keep)


def cases(seed: int, count: int) -> list[Case]:
    rng = random.Random(seed)
    return [case(rng) for _ in range(count)]
