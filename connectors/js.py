"""JavaScript value semantics the App Connect composer relies on.

App Connect's composer is JavaScript: it tests values with JS truthiness, renders them
through template literals (``String(v)``) and coerces durations with ``Number(v)``.
Reproducing those rules here keeps our output byte-identical for the same JSON input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final


class _Undefined:
    """JS ``undefined``: a key that is absent, as opposed to one holding ``null``."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()

# JS `\s` (and String.prototype.trim): differs from Python's str `\s`, which also
# matches \x1c-\x1f and \x85 but not \ufeff.
WS_CHARS: Final = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
WS: Final = "[" + re.escape(WS_CHARS) + "]"
# JS line terminators: what `.` does not match and where multiline `^`/`$` anchor.
LINE_TERMINATORS: Final = "\n\r\u2028\u2029"


def get(obj: Any, key: str) -> Any:
    """``obj?.[key]``: UNDEFINED when ``obj`` is not an object or lacks the key."""
    # Plain dicts (all JSON input) and null first: the Mapping ABC check is slow.
    if type(obj) is dict:
        return obj.get(key, UNDEFINED)
    if obj is None or obj is UNDEFINED or not isinstance(obj, Mapping):
        return UNDEFINED
    return obj.get(key, UNDEFINED)


def is_object(value: Any) -> bool:
    """A JSON object (a Mapping); plain dicts are checked first, the ABC check is slow."""
    return type(value) is dict or isinstance(value, Mapping)


def is_nullish(value: Any) -> bool:
    """True for JS ``null``/``undefined`` (the cases ``??`` falls back on)."""
    return value is None or value is UNDEFINED


def truthy(value: Any) -> bool:
    """JS truthiness: empty lists and objects are truthy, NaN is not."""
    if type(value) is str:
        return value != ""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    return True


def js_trim(text: str) -> str:
    return text.strip(WS_CHARS)


def number_to_string(x: float) -> str:
    """``Number.prototype.toString()`` for a double (shortest round-trip digits)."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))  # exact, so its digits are the shortest round-trip digits
    sign = "-" if x < 0 else ""
    digits_tuple, exponent = Decimal(repr(abs(x))).as_tuple()[1:]
    assert isinstance(exponent, int)
    digits = "".join(map(str, digits_tuple)).rstrip("0") or "0"
    # value == 0.<digits> * 10**n
    n = exponent + len(digits_tuple)
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def to_string(value: Any) -> str:
    """``String(value)`` as a template literal renders it."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**21 else number_to_string(float(value))
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if is_nullish(v) else to_string(v) for v in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_RADIX = {"0x": 16, "0o": 8, "0b": 2}


def _string_to_number(text: str) -> float:
    text = js_trim(text)
    if text == "":
        return 0.0
    if text in ("Infinity", "+Infinity"):
        return math.inf
    if text == "-Infinity":
        return -math.inf
    radix = _RADIX.get(text[:2].lower())
    if radix is not None:
        try:
            return float(int(text[2:], radix))
        except ValueError:
            return math.nan
    if _DECIMAL.fullmatch(text):
        return float(text)
    return math.nan


def to_number(value: Any) -> float:
    """``Number(value)``: the coercion behind ``isNaN``, ``%`` and ``>``."""
    if value is None:
        return 0.0
    if value is UNDEFINED:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _string_to_number(value)
    if isinstance(value, list | tuple):
        return _string_to_number(to_string(value))
    return math.nan


def js_mod(a: float, b: float) -> float:
    """JS ``%``: sign of the dividend, NaN for infinite or NaN operands."""
    if math.isinf(a) or a != a or b != b or b == 0:
        return math.nan
    return math.fmod(a, b)


def js_floor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x
