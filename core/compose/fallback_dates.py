"""Start times that are not ISO 8601: moment's RFC 2822 parser, then its `new Date(text)`.

moment(text) tries ISO 8601 (dates.py), then RFC 2822, then hands the text to the JS
engine's Date parser (V8's legacy parser under Node). This module reads the forms a
RingCentral payload or a connector plausibly passes (docs/compatibility.md lists them):

- RFC 2822: ``[Mon, ]15 Jan 2024 10:30[:00] GMT|UT|EST…PDT|Z|±hhmm`` (a wrong weekday
  is an invalid date, as in moment);
- JS ``Date#toString``/``toUTCString``: ``Mon Jan 15 2024 10:30:00 GMT+0000 (…)``;
- month names: ``Jan 15, 2024``, ``January 15, 2024 10:30 PM``, ``15 January 2024 UTC``;
- slashes: ``2024/01/15 10:30:00``, ``01/15/2024``, ``1/5/2024 9:05 AM``; dashes where
  ISO 8601 wants two digits: ``2024-1-5``, ``2024-1-5 10:30``.

A text with no zone is server-local time. Anything else is None (``Invalid date``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

_MONTHS: Final = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                  "nov", "dec")  # fmt: skip
_WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# North American zone names both parsers know, in minutes east of UTC.
_ZONES: Final = {"ut": 0, "utc": 0, "gmt": 0, "z": 0, "edt": -240, "est": -300, "cdt": -300,
                 "cst": -360, "mdt": -360, "mst": -420, "pdt": -420, "pst": -480}  # fmt: skip

_RFC_2822 = re.compile(
    r"(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
    r"|Nov|Dec) (\d{2,4}) (\d\d):(\d\d)(?::(\d\d))? (?:(UT|GMT|[ECMP][SD]T)|([Zz])|([+-]\d{4}))"
)
_COMMENT = re.compile(r"\([^()]*\)")
_SPACES = re.compile(r"[\t\n\v\f\r ]+")

# (days from civil date, local wall ms -> epoch ms), given by dates.py to avoid a cycle.
DaysFromCivil = Callable[[int, int, int], int]
LocalToEpoch = Callable[[int], int]
_MS_PER_DAY: Final = 86_400_000


def parse_rfc_2822(text: str, days: DaysFromCivil) -> float | None:
    """moment's configFromRFC2822: epoch ms, or None when the text is not RFC 2822."""
    match = _RFC_2822.fullmatch(_SPACES.sub(" ", _COMMENT.sub(" ", text)).strip())
    if match is None:
        return None
    weekday, day, month, year_text, hour, minute, second, named, military, numeric = match.groups()
    year = int(year_text)
    year += 2000 if year <= 49 else 1900 if year <= 999 else 0
    month_number = _MONTHS.index(month.lower()) + 1
    day_count = days(year, month_number, int(day))  # Date.UTC rolls a day 31 over
    if weekday and (day_count + 3) % 7 != _WEEKDAYS.index(weekday.lower()):
        return float("nan")  # moment flags the weekday mismatch: an invalid date
    if named:
        offset = _ZONES[named.lower()]
    elif military:
        offset = 0
    else:
        hm = int(numeric)
        offset = int(hm / 100) * 60 + int(hm % 100 if hm >= 0 else -(-hm % 100))
    clock = (int(hour) * 60 + int(minute)) * 60 + int(second or 0)
    return day_count * _MS_PER_DAY + clock * 1000 - offset * 60_000


_TOKEN = re.compile(
    r"(?P<time>\d{1,2}:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?)|(?P<num>\d+)|(?P<word>[A-Za-z]+)"
    r"|(?P<sign>[+-]\d{1,2}(?::?\d\d)?)|(?P<sep>[/\-,. ])|(?P<comment>\([^)]*\))"
)


class _Parts:
    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.month: int | None = None
        self.clock: tuple[int, int, int, int] | None = None
        self.meridiem = ""
        self.offset: int | None = None
        self.zone_word = False
        self.slash_or_dash = False
        self.dashed = False  # numbers joined by `-` (`2024-1-5`)


def _read(text: str) -> _Parts | None:
    parts = _Parts()
    at = 0
    while at < len(text):
        token = _TOKEN.match(text, at)
        if token is None:
            return None
        at = token.end()
        kind, value = token.lastgroup, token.group()
        if kind == "time":
            if parts.clock is not None:
                return None
            clock, _, fraction = value.partition(".")
            hms = [int(piece) for piece in clock.split(":")] + [0]
            parts.clock = (hms[0], hms[1], hms[2], int((fraction + "00")[:3]) if fraction else 0)
        elif kind == "num":
            parts.numbers.append(int(value))
        elif kind == "word" and not _word(parts, value.lower()):
            return None
        elif kind == "sign" and parts.clock is None and not parts.zone_word:
            if value[0] != "-" or not value[1:].isdigit():
                return None
            parts.numbers.append(int(value[1:]))  # `2024-1-5`: a dash and a number
            parts.slash_or_dash = parts.dashed = True
        elif kind == "sign":
            parts.offset = _signed_offset(value)
        elif kind == "sep" and value in "/-" and parts.clock is None:
            parts.slash_or_dash = True
    return parts


def _word(parts: _Parts, word: str) -> bool:
    """Read a word; False when V8 rejects the text because of it."""
    if word in ("am", "pm"):
        parts.meridiem = word
    elif word in _ZONES:
        parts.offset, parts.zone_word = _ZONES[word], True
    elif word == "t" and parts.clock is None:
        return not parts.dashed  # V8 rejects ISO-like text its ISO parser refused
    elif len(word) >= 3 and word[:3] in _MONTHS:
        parts.month = _MONTHS.index(word[:3]) + 1
    elif parts.numbers or parts.month is not None:
        return False  # V8 ignores unknown words only before the date starts (weekdays)
    return True


def _signed_offset(text: str) -> int:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = (int(digits[:-2] or 0), int(digits[-2:])) if len(digits) > 2 else (
        int(digits), 0)  # fmt: skip
    return sign * (hours * 60 + minutes)


def _ymd(parts: _Parts) -> tuple[int, int, int] | None:
    """V8's DayComposer on the numbers read (a month name counts as the month)."""
    numbers = parts.numbers
    if parts.month is None:
        if len(numbers) != 3:
            return None
        if not 1 <= numbers[0] <= 31:
            year, month, day = numbers
        else:
            month, day, year = numbers
    else:
        if len(numbers) != 2:
            return None  # no year: V8 picks one we do not model
        month = parts.month
        year, day = numbers if not 1 <= numbers[0] <= 31 else numbers[::-1]
    if 0 <= year <= 49:
        year += 2000
    elif 50 <= year <= 99:
        year += 1900
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    return year, month, day


def parse_date_fallback(text: str, days: DaysFromCivil, local: LocalToEpoch) -> float | None:
    """V8's legacy `new Date(text)` on the forms listed above: epoch ms, or None."""
    parts = _read(text.strip())
    if parts is None:
        return None
    ymd = _ymd(parts)
    if ymd is None:
        return None
    hour, minute, second, millis = parts.clock or (0, 0, 0, 0)
    if parts.meridiem:
        if hour > 12:
            return None
        hour = hour % 12 + (12 if parts.meridiem == "pm" else 0)
    if hour > 24 or minute > 59 or second > 59 or (hour == 24 and (minute or second or millis)):
        return None
    wall = days(*ymd) * _MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis
    if parts.offset is None:
        return float(local(wall))
    return float(wall - parts.offset * 60_000)
