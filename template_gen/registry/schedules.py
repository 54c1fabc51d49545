"""EventBridge schedule expressions: `rate(value unit)` and `cron(min hour day-of-month month day-of-week year)`.

CloudFormation accepts any string and EventBridge rejects a bad one at deploy time; checking here gives
the user the reason before anything is written.
"""

from __future__ import annotations

import re

_RATE = re.compile(r"^rate\((\d+) ([a-z]+)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# name, low, high, names allowed instead of numbers, extra tokens allowed in the field
_FIELDS = (
    ("minutes", 0, 59, (), ""),
    ("hours", 0, 23, (), ""),
    ("day-of-month", 1, 31, (), "?LW"),
    ("month", 1, 12, _MONTHS, ""),
    ("day-of-week", 1, 7, _DAYS, "?L#"),
    ("year", 1970, 2199, (), ""),
)


def check_schedule(expression: str) -> str | None:
    """None when EventBridge accepts the expression, else what is wrong with it."""
    if expression.startswith("rate("):
        return _check_rate(expression)
    if expression.startswith("cron("):
        return _check_cron(expression)
    return f"'{expression}' is not a schedule: use rate(5 minutes) or cron(0 2 * * ? *)"


def _check_rate(expression: str) -> str | None:
    match = _RATE.match(expression)
    if not match:
        return f"'{expression}' does not parse: write rate(<number> <unit>), e.g. rate(5 minutes)"
    value, unit = int(match.group(1)), match.group(2)
    if value < 1:
        return f"'{expression}': the rate must be at least 1"
    base = unit.removesuffix("s")
    if base not in ("minute", "hour", "day"):
        return f"'{expression}': the unit must be minute(s), hour(s) or day(s)"
    expected = base if value == 1 else base + "s"
    if unit != expected:
        return f"'{expression}': use '{expected}' with {value} (rate({value} {expected}))"
    return None


def _check_cron(expression: str) -> str | None:
    match = _CRON.match(expression)
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        return (
            f"'{expression}' has {len(fields)} fields; EventBridge cron expressions have 6: "
            "minutes hours day-of-month month day-of-week year"
        )
    for value, (name, low, high, names, extra) in zip(fields, _FIELDS, strict=True):
        problem = _check_field(value, low, high, names, extra)
        if problem:
            return f"'{expression}': {name}: {problem}"
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        return f"'{expression}': exactly one of day-of-month and day-of-week must be '?'"
    return None


def _number(token: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    if token.upper() in names:
        return None
    if not token.isdigit():
        return f"'{token}' is not a number" + (f" or one of {', '.join(names)}" if names else "")
    if not low <= int(token) <= high:
        return f"{token} is outside {low}..{high}"
    return None


def _check_field(value: str, low: int, high: int, names: tuple[str, ...], extra: str) -> str | None:
    if value == "?":
        return None if "?" in extra else "'?' is only allowed in day-of-month and day-of-week"
    for part in value.split(","):
        if part == "*" or (part == "L" and "L" in extra):
            continue
        if "/" in part:
            start, _, step = part.partition("/")
            if not step.isdigit() or int(step) < 1:
                return f"'/{step}' is not a valid step"
            part = start
            if part == "*":
                continue
        if "#" in part and "#" in extra:
            day, _, nth = part.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                return f"'#{nth}': the nth weekday must be 1..5"
            part = day
        if part.endswith(("W", "L")) and part[:-1].isdigit() and ("W" in extra or "L" in extra):
            part = part[:-1]
        bounds = part.split("-")
        if len(bounds) > 2 or not all(bounds):
            return f"'{part}' is not a valid range"
        for token in bounds:
            problem = _number(token, low, high, names)
            if problem:
                return problem
    return None
