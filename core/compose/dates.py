"""The Date/Time value of a call log, as App Connect renders it with moment.js.

App Connect calls ``moment(startTime)``, optionally ``.utcOffset(user.timezoneOffset)``,
then ``.format(logDateFormat)`` with the English locale. This module reproduces the parts
of moment 2.30 that path reaches: ISO 8601 and epoch-millisecond inputs, its offset
rules, and every format token.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from appconnect.connectors import js
from appconnect.core.compose.fallback_dates import parse_date_fallback, parse_rfc_2822

DEFAULT_LOG_DATE_FORMAT = "YYYY-MM-DD hh:mm:ss A"
INVALID_DATE = "Invalid date"

_MS_PER_DAY = 86_400_000
_MAX_TIME_MS = 8.64e15  # the range of a JS Date

# ---------------------------------------------------------------- calendar arithmetic


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year; month 1-12)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


# datetime.date counts the same proleptic Gregorian days, in C, for years 1-9999.
_ORDINAL_1970 = date(1970, 1, 1).toordinal()
_DATE_DAYS = range(date.min.toordinal() - _ORDINAL_1970, date.max.toordinal() - _ORDINAL_1970 + 1)


def _civil_from_days(z: int) -> tuple[int, int, int]:
    if z in _DATE_DAYS:
        civil = date.fromordinal(z + _ORDINAL_1970)
        return civil.year, civil.month, civil.day
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


# ---------------------------------------------------------------- the server's zone


def _local_offset_ms(epoch_ms: float) -> int:
    """The server zone's UTC offset at an instant (follows TZ after time.tzset())."""
    try:
        return time.localtime(math.floor(epoch_ms / 1000)).tm_gmtoff * 1000
    except (OverflowError, OSError, ValueError):
        return 0


def _local_wall_to_epoch(wall_ms: int) -> int:
    """A server-local wall-clock time to an instant, the way a JS ``Date`` resolves it.

    A time repeated by a backward shift takes its earlier instant; a time skipped by a
    forward shift is read with the offset in force before the shift.
    """
    before = _local_offset_ms(wall_ms - _MS_PER_DAY)
    after = _local_offset_ms(wall_ms + _MS_PER_DAY)
    here = _local_offset_ms(wall_ms)
    if before == after == here:
        return wall_ms - here  # the usual case: no shift nearby, one candidate
    candidates = [
        wall_ms - off for off in {before, after, here} if _local_offset_ms(wall_ms - off) == off
    ]
    return min(candidates) if candidates else wall_ms - before


# ---------------------------------------------------------------- parsing (moment(input))

_D = "[0-9]"
_EXTENDED_ISO = re.compile(
    rf"^{js.WS}*((?:[+-]{_D}{{6}}|{_D}{{4}})-(?:{_D}{{2}}-{_D}{{2}}|W{_D}{{2}}-{_D}|W{_D}{{2}}"
    rf"|{_D}{{3}}|{_D}{{2}}))(?:(T| )({_D}{{2}}(?::{_D}{{2}}(?::{_D}{{2}}(?:[.,]{_D}+)?)?)?)"
    rf"([+-]{_D}{{2}}(?::?{_D}{{2}})?|{js.WS}*Z)?)?\Z"
)
_BASIC_ISO = re.compile(
    rf"^{js.WS}*((?:[+-]{_D}{{6}}|{_D}{{4}})(?:{_D}{{4}}|W{_D}{{3}}|W{_D}{{2}}|{_D}{{3}}|{_D}{{2}}|))"
    rf"(?:(T| )({_D}{{2}}(?:{_D}{{2}}(?:{_D}{{2}}(?:[.,]{_D}+)?)?)?)"
    rf"([+-]{_D}{{2}}(?::?{_D}{{2}})?|{js.WS}*Z)?)?\Z"
)
# (date shape, allows a time); order matters, as in moment's table.
_ISO_DATES: tuple[tuple[str, re.Pattern[str], bool], ...] = tuple(
    (name, re.compile(rx), allow_time)
    for name, rx, allow_time in (
        ("ymd", r"[+-][0-9]{6}-[0-9]{2}-[0-9]{2}", True),
        ("ymd", r"[0-9]{4}-[0-9]{2}-[0-9]{2}", True),
        ("gwe", r"[0-9]{4}-W[0-9]{2}-[0-9]", True),
        ("gw", r"[0-9]{4}-W[0-9]{2}", False),
        ("yddd", r"[0-9]{4}-[0-9]{3}", True),
        ("ym", r"[0-9]{4}-[0-9]{2}", False),
        ("ymd", r"[+-][0-9]{10}", True),
        ("ymd", r"[0-9]{8}", True),
        ("gwe", r"[0-9]{4}W[0-9]{3}", True),
        ("gw", r"[0-9]{4}W[0-9]{2}", False),
        ("yddd", r"[0-9]{7}", True),
        ("ym", r"[0-9]{6}", False),
        ("y", r"[0-9]{4}", False),
    )
)
# The usual input, YYYY-MM-DD[(T| )HH:mm[:ss[.SSS]][zone]]: a subset of _EXTENDED_ISO with
# the ymd shape, read in one step (any other text goes through moment's full table).
_COMMON_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?\Z"
)
_OFFSET_IN_STRING = re.compile(r"Z|[+-][0-9]{2}(?::?[0-9]{2})?", re.IGNORECASE)
_OFFSET_PARTS = re.compile(r"[+-]|[0-9]{2}")
# A date part reduced to its form (every digit a 0), all the shape patterns look at.
_DATE_FORM = str.maketrans("0123456789", "0000000000")


@lru_cache(maxsize=64)
def _iso_date_shape(form: str) -> tuple[str, bool] | None:
    """(shape, allows a time) of the first entry of moment's table that matches."""
    for shape, pattern, allows_time in _ISO_DATES:
        if pattern.search(form):
            return shape, allows_time
    return None


def _iso_date_days(shape: str, text: str) -> int | None:
    """Days since epoch of the date part, or None when moment flags an overflow."""
    sign = -1 if text.startswith("-") else 1
    digits = text.replace("-", "").replace("+", "")  # digits and W
    year_len = 6 if text[0] in "+-" else 4
    year = sign * int(digits[:year_len])
    rest = digits[year_len:]
    if shape == "y":
        return _days_from_civil(year, 1, 1)
    if shape in ("ym", "ymd"):
        return _ymd_days(year, int(rest[:2]), int(rest[2:4]) if shape == "ymd" else 1)
    if shape == "yddd":
        day_of_year = int(rest[:3])
        if not 1 <= day_of_year <= (366 if _is_leap(year) else 365):
            return None
        return _days_from_civil(year, 1, 1) + day_of_year - 1
    # ISO week dates: GGGG-[W]WW[-E], weekday defaulting to Monday.
    week, weekday = int(rest[1:3]), int(rest[3:4] or "1")
    if not 1 <= week <= _iso_weeks_in_year(year) or not 1 <= weekday <= 7:
        return None
    jan4 = _days_from_civil(year, 1, 4)
    week1_monday = jan4 - (jan4 + 3) % 7  # 1970-01-01 was a Thursday
    return week1_monday + (week - 1) * 7 + weekday - 1


def _ymd_days(year: int, month: int, day: int) -> int | None:
    """Days since epoch of a calendar date, or None when it does not exist."""
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return None
    if 1 <= year <= 9999:  # datetime.date's range: it counts in C
        return date(year, month, day).toordinal() - _ORDINAL_1970
    return _days_from_civil(year, month, day)


def _iso_weeks_in_year(year: int) -> int:
    return _weeks_in_year(year, 1, 4)


def _iso_time_ms(text: str) -> int | None:
    clock, _, fraction = text.replace(",", ".").partition(".")
    digits = clock.replace(":", "")
    return _clock_ms(int(digits[:2]), int(digits[2:4] or 0), int(digits[4:6] or 0), fraction)


def _clock_ms(hour: int, minute: int, second: int, fraction: str | None) -> int | None:
    """Milliseconds into the day, or None when moment flags an overflow."""
    # moment keeps milliseconds as toInt(Number('0.' + digits) * 1000)
    millis = int(float("0." + fraction) * 1000) if fraction else 0
    if minute > 59 or second > 59 or hour > 24:
        return None
    if hour == 24 and (minute or second or millis):
        return None
    return ((hour * 60 + minute) * 60 + second) * 1000 + millis


def _parse_iso(text: str) -> float | None:
    common = _COMMON_ISO.match(text)
    if common is not None:
        year, month, day, hour, minute, second, fraction, zone_text = common.groups()
        days = _ymd_days(int(year), int(month), int(day))
        time_ms = _clock_ms(int(hour), int(minute), int(second or 0), fraction) if hour else 0
        return _iso_instant(days, time_ms, zone_text)
    match = _EXTENDED_ISO.match(text) or _BASIC_ISO.match(text)
    if match is None:
        return None
    date_text, _sep, time_text, zone_text = match.groups()
    shape = _iso_date_shape(date_text.translate(_DATE_FORM))
    if shape is None or (time_text and not shape[1]):
        return None
    days = _iso_date_days(shape[0], date_text)
    time_ms = _iso_time_ms(time_text) if time_text else 0
    return _iso_instant(days, time_ms, zone_text)


def _iso_instant(days: int | None, time_ms: int | None, zone_text: str | None) -> float | None:
    if days is None or time_ms is None:
        return float("nan")  # an overflow: moment's date is invalid, no further parser
    wall_ms = days * _MS_PER_DAY + time_ms
    if zone_text:
        return wall_ms - (_offset_from_string(zone_text) or 0) * 60_000
    return _local_wall_to_epoch(wall_ms)


def _time_clip(value: float) -> float | None:
    if not math.isfinite(value) or abs(value) > _MAX_TIME_MS:
        return None
    return float(math.trunc(value))


def parse_start_time(value: Any) -> float | None:
    """``moment(value).valueOf()``: epoch ms, or None for an invalid date.

    Supports what App Connect receives: ISO 8601 strings (a string without a zone is
    server-local time), epoch milliseconds, and the RFC 2822 / JS Date forms of
    fallback_dates.py.
    """
    if isinstance(value, str):
        parsed = _parse_iso(value)
        if parsed is None:  # moment's next parsers: RFC 2822, then the JS Date fallback
            parsed = parse_rfc_2822(value, _days_from_civil)
            if parsed is None:
                parsed = parse_date_fallback(value, _days_from_civil, _local_wall_to_epoch)
        return None if parsed is None or parsed != parsed else _time_clip(parsed)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _time_clip(float(value))
    return None


# ---------------------------------------------------------------- utcOffset(...)


@lru_cache(maxsize=128)  # zones and offsets: few distinct values
def _offset_from_string(text: str) -> int | None:
    """moment's offsetFromString: the last ``Z``/``±hh[:mm]`` in the text, in minutes."""
    chunks = _OFFSET_IN_STRING.findall(text)
    if not chunks:
        return None
    parts = _OFFSET_PARTS.findall(chunks[-1])
    if len(parts) < 2:
        return 0
    minutes = int(parts[1]) * 60 + (int(parts[2]) if len(parts) > 2 else 0)
    return -minutes if parts[0] == "-" else minutes


def resolve_offset_minutes(timezone_offset: Any) -> float | None:
    """The fixed offset App Connect applies, or None for the server's local zone.

    Falsy → local zone; a string with ':' → parsed as ``±hh:mm`` (no match → local);
    anything else → ``Number(v)``, read as hours when |n| < 16, else minutes. NaN (from
    non-numeric text) leaves the instant unshifted, i.e. renders UTC.
    """
    if not js.truthy(timezone_offset):
        return None
    if isinstance(timezone_offset, str):
        return _string_offset_minutes(timezone_offset)
    return _number_offset_minutes(js.to_number(timezone_offset))


@lru_cache(maxsize=128)  # a user setting: few distinct values
def _string_offset_minutes(timezone_offset: str) -> float | None:
    if ":" in timezone_offset:
        minutes = _offset_from_string(timezone_offset)
        return None if minutes is None else float(minutes)
    return _number_offset_minutes(js.to_number(timezone_offset))


def _number_offset_minutes(number: float) -> float:
    if number != number:
        return 0.0
    return number * 60 if abs(number) < 16 else number


# ---------------------------------------------------------------- the rendered moment


class _Moment(NamedTuple):
    epoch_ms: float
    offset_min: float  # minutes east of UTC used for display
    is_utc: bool  # moment's UTC mode: set by utcOffset()
    year: int
    month: int  # 1-12
    day: int
    weekday: int  # 0 = Sunday
    hour: int
    minute: int
    second: int
    millisecond: int
    day_number: int  # days since epoch of the displayed date

    @property
    def day_of_year(self) -> int:
        return self.day_number - _days_from_civil(self.year, 1, 1) + 1


def _make_moment(epoch_ms: float, offset_min: float | None) -> _Moment | None:
    if offset_min is None:
        local_ms = _local_offset_ms(epoch_ms)
        display_ms, offset, is_utc = epoch_ms + local_ms, local_ms / 60_000, False
    else:
        # moment shifts its clock by the offset, truncating to whole milliseconds
        shifted = _time_clip(epoch_ms + offset_min * 60_000)
        if shifted is None:
            return None
        display_ms, offset, is_utc = shifted, offset_min, True
    days, ms_of_day = divmod(int(display_ms), _MS_PER_DAY)
    year, month, day = _civil_from_days(days)
    return _Moment(
        epoch_ms,
        offset,
        is_utc,
        year,
        month,
        day,
        (days + 4) % 7,  # weekday
        ms_of_day // 3_600_000,  # hour
        ms_of_day // 60_000 % 60,  # minute
        ms_of_day // 1000 % 60,  # second
        ms_of_day % 1000,  # millisecond
        days,  # day_number
    )


# ---------------------------------------------------------------- format(...)

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_LONG_FORMATS = {
    "LTS": "h:mm:ss A",
    "LT": "h:mm A",
    "L": "MM/DD/YYYY",
    "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A",
    "LLLL": "dddd, MMMM D, YYYY h:mm A",
    "l": "M/D/YYYY",
    "ll": "MMM D, YYYY",
    "lll": "MMM D, YYYY h:mm A",
    "llll": "ddd, MMM D, YYYY h:mm A",
}
_NOT_LT = "[^" + js.LINE_TERMINATORS + "]"  # JS `.`
_LOCAL_TOKENS = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")
_TOKENS = re.compile(
    r"(\[[^\[]*\])|(\\)?([Hh]mm(ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?"
    r"|Qo?|N{1,5}|YYYYYY|YYYYY|YYYY|YY|y{2,4}|yo?|gg(ggg?)?|GG(GGG?)?|e|E|a|A|hh?|HH?|kk?"
    rf"|mm?|ss?|S{{1,9}}|x|X|zz?|ZZ?|{_NOT_LT})"
)


def _zero_fill(number: int, width: int, force_sign: bool = False) -> str:
    if number >= 0 and not force_sign:
        return str(number).rjust(width, "0")
    sign = ("+" if force_sign else "") if number >= 0 else "-"
    return sign + str(abs(number)).rjust(width, "0")


def _ordinal(number: int) -> str:
    last = number % 10
    tens = math.trunc(math.fmod(number, 100) / 10)
    suffix = "th" if tens == 1 else {1: "st", 2: "nd", 3: "rd"}.get(last, "th")
    return f"{number}{suffix}"


def _first_week_offset(year: int, dow: int, doy: int) -> int:
    fwd = 7 + dow - doy
    fwd_weekday = (_days_from_civil(year, 1, fwd) + 4) % 7
    return -((7 + fwd_weekday - dow) % 7) + fwd - 1


def _weeks_in_year(year: int, dow: int, doy: int) -> int:
    days = 366 if _is_leap(year) else 365
    offset = _first_week_offset(year, dow, doy)
    return (days - offset + _first_week_offset(year + 1, dow, doy)) // 7


def _week_of_year(m: _Moment, dow: int, doy: int) -> tuple[int, int]:
    """(week, week-year) as moment's weekOfYear computes them."""
    week = (m.day_of_year - _first_week_offset(m.year, dow, doy) - 1) // 7 + 1
    if week < 1:
        return week + _weeks_in_year(m.year - 1, dow, doy), m.year - 1
    if week > _weeks_in_year(m.year, dow, doy):
        return week - _weeks_in_year(m.year, dow, doy), m.year + 1
    return week, m.year


def _offset_text(m: _Moment, separator: str) -> str:
    offset = m.offset_min
    sign = "-" if offset < 0 else "+"
    offset = abs(offset)
    return f"{sign}{_zero_fill(math.trunc(offset / 60), 2)}{separator}" + _zero_fill(
        math.trunc(offset) % 60, 2
    )


def _era_year(m: _Moment) -> int:
    return m.year if m.year >= 1 else 1 - m.year


def _hour12(m: _Moment) -> int:
    return m.hour % 12 or 12


_Formatter = Callable[[_Moment], str]


def _build_token_table() -> dict[str, _Formatter]:
    def week(m: _Moment) -> int:
        return _week_of_year(m, 0, 6)[0]

    def iso_week(m: _Moment) -> int:
        return _week_of_year(m, 1, 4)[0]

    def week_year(m: _Moment) -> int:
        return _week_of_year(m, 0, 6)[1]

    def iso_week_year(m: _Moment) -> int:
        return _week_of_year(m, 1, 4)[1]

    def quarter(m: _Moment) -> int:
        return (m.month + 2) // 3

    def js_rem(a: int, b: int) -> int:
        return int(math.fmod(a, b))

    # Month, day and clock fields are never negative: plain `:02` padding is _zero_fill's.
    table: dict[str, _Formatter] = {
        "M": lambda m: str(m.month),
        "MM": lambda m: f"{m.month:02}",
        "Mo": lambda m: _ordinal(m.month),
        "MMM": lambda m: _MONTHS[m.month - 1][:3],
        "MMMM": lambda m: _MONTHS[m.month - 1],
        "Q": lambda m: str(quarter(m)),
        "Qo": lambda m: _ordinal(quarter(m)),
        "D": lambda m: str(m.day),
        "DD": lambda m: f"{m.day:02}",
        "Do": lambda m: _ordinal(m.day),
        "DDD": lambda m: str(m.day_of_year),
        "DDDD": lambda m: _zero_fill(m.day_of_year, 3),
        "DDDo": lambda m: _ordinal(m.day_of_year),
        "d": lambda m: str(m.weekday),
        "do": lambda m: _ordinal(m.weekday),
        "dd": lambda m: _WEEKDAYS[m.weekday][:2],
        "ddd": lambda m: _WEEKDAYS[m.weekday][:3],
        "dddd": lambda m: _WEEKDAYS[m.weekday],
        "e": lambda m: str(m.weekday),  # the en locale's week starts on Sunday
        "E": lambda m: str(m.weekday or 7),
        "w": lambda m: str(week(m)),
        "ww": lambda m: _zero_fill(week(m), 2),
        "wo": lambda m: _ordinal(week(m)),
        "W": lambda m: str(iso_week(m)),
        "WW": lambda m: _zero_fill(iso_week(m), 2),
        "Wo": lambda m: _ordinal(iso_week(m)),
        "Y": lambda m: _zero_fill(m.year, 4) if m.year <= 9999 else f"+{m.year}",
        "YY": lambda m: _zero_fill(js_rem(m.year, 100), 2),
        "YYYY": lambda m: _zero_fill(m.year, 4),
        "YYYYY": lambda m: _zero_fill(m.year, 5),
        "YYYYYY": lambda m: _zero_fill(m.year, 6, force_sign=True),
        "y": lambda m: str(_era_year(m)),
        "yo": lambda m: _ordinal(_era_year(m)),
        "yy": lambda m: _zero_fill(_era_year(m), 2),
        "yyy": lambda m: _zero_fill(_era_year(m), 3),
        "yyyy": lambda m: _zero_fill(_era_year(m), 4),
        "N": lambda m: "AD" if m.year >= 1 else "BC",
        "NN": lambda m: "AD" if m.year >= 1 else "BC",
        "NNN": lambda m: "AD" if m.year >= 1 else "BC",
        "NNNN": lambda m: "Anno Domini" if m.year >= 1 else "Before Christ",
        "NNNNN": lambda m: "AD" if m.year >= 1 else "BC",
        "gg": lambda m: _zero_fill(js_rem(week_year(m), 100), 2),
        "gggg": lambda m: _zero_fill(week_year(m), 4),
        "ggggg": lambda m: _zero_fill(week_year(m), 5),
        "GG": lambda m: _zero_fill(js_rem(iso_week_year(m), 100), 2),
        "GGGG": lambda m: _zero_fill(iso_week_year(m), 4),
        "GGGGG": lambda m: _zero_fill(iso_week_year(m), 5),
        "a": lambda m: "pm" if m.hour > 11 else "am",
        "A": lambda m: "PM" if m.hour > 11 else "AM",
        "H": lambda m: str(m.hour),
        "HH": lambda m: f"{m.hour:02}",
        "h": lambda m: str(_hour12(m)),
        "hh": lambda m: f"{m.hour % 12 or 12:02}",
        "k": lambda m: str(m.hour or 24),
        "kk": lambda m: _zero_fill(m.hour or 24, 2),
        "hmm": lambda m: f"{_hour12(m)}{_zero_fill(m.minute, 2)}",
        "hmmss": lambda m: f"{_hour12(m)}{_zero_fill(m.minute, 2)}{_zero_fill(m.second, 2)}",
        "Hmm": lambda m: f"{m.hour}{_zero_fill(m.minute, 2)}",
        "Hmmss": lambda m: f"{m.hour}{_zero_fill(m.minute, 2)}{_zero_fill(m.second, 2)}",
        "m": lambda m: str(m.minute),
        "mm": lambda m: f"{m.minute:02}",
        "s": lambda m: str(m.second),
        "ss": lambda m: f"{m.second:02}",
        "S": lambda m: str(m.millisecond // 100),
        "SS": lambda m: _zero_fill(m.millisecond // 10, 2),
        "x": lambda m: js.to_string(m.epoch_ms),
        "X": lambda m: js.to_string(math.floor(m.epoch_ms / 1000)),
        "z": lambda m: "UTC" if m.is_utc else "",
        "zz": lambda m: "UTC" if m.is_utc else "",
        "Z": lambda m: _offset_text(m, ":"),
        "ZZ": lambda m: _offset_text(m, ""),
    }
    for width in range(3, 10):
        table["S" * width] = _fraction_formatter(width)
    return table


def _fraction_formatter(width: int) -> _Formatter:
    """SSS…: milliseconds, right-padded with zeros to ``width`` digits."""
    return lambda m: _zero_fill(m.millisecond * 10 ** (width - 3), width)


_TOKEN_TABLE = _build_token_table()


def _expand_long_formats(fmt: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return _LONG_FORMATS.get(match.group(0), match.group(0))

    for _ in range(6):  # moment expands nested long formats at most six times
        if not _LOCAL_TOKENS.search(fmt):
            break
        fmt = _LOCAL_TOKENS.sub(replace, fmt)
    return fmt


def _literal(token: str) -> str:
    if re.match(r"\[[\s\S]", token):
        return re.sub(r"^\[|\]$", "", token)
    return token.replace("\\", "")


def _format_default(m: _Moment) -> str:
    """DEFAULT_LOG_DATE_FORMAT, ``YYYY-MM-DD hh:mm:ss A``, the usual one, in a single step."""
    return (
        f"{_zero_fill(m.year, 4)}-{m.month:02}-{m.day:02} "
        f"{m.hour % 12 or 12:02}:{m.minute:02}:{m.second:02} {'PM' if m.hour > 11 else 'AM'}"
    )


@lru_cache(maxsize=256)
def _compile_format(fmt: str) -> _Formatter:
    """A format string as one formatter: its token formatters and literal text, joined."""
    if fmt == DEFAULT_LOG_DATE_FORMAT:
        return _format_default
    parts: list[_Formatter | str] = []
    # Characters no alternative matches (line terminators) are dropped, as in moment.
    for match in _TOKENS.finditer(_expand_long_formats(fmt)):
        token = match.group(0)
        part = _TOKEN_TABLE.get(token) or _literal(token)
        if isinstance(part, str) and parts and isinstance(parts[-1], str):
            parts[-1] += part
        else:
            parts.append(part)
    plan = tuple(parts)
    return lambda m: "".join([part if isinstance(part, str) else part(m) for part in plan])


def format_moment(m: _Moment, fmt: str) -> str:
    return _compile_format(fmt)(m)


def format_start_time(start_time: Any, timezone_offset: Any, log_date_format: str) -> str:
    """The Date/Time value: ``moment(start).utcOffset(tz?).format(fmt)``."""
    epoch_ms = parse_start_time(start_time)
    if epoch_ms is None:
        return INVALID_DATE
    moment = _make_moment(epoch_ms, resolve_offset_minutes(timezone_offset))
    if moment is None:
        return INVALID_DATE
    return _compile_format(log_date_format or DEFAULT_LOG_DATE_FORMAT)(moment)
