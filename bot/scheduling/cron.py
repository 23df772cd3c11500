"""Standard 5-field cron, checked field by field and evaluated with cronsim.

Semantics (cronie's): minute, hour, day-of-month, month, day-of-week; names (``mon``, ``jan``),
lists, ranges and steps; day-of-week 0 and 7 are Sunday; when both day fields are restricted
(neither starts with ``*``) a day matches if *either* matches.  cronsim implements these; it also
accepts extensions (seconds, ``L``, ``W``, ``#``) that are not standard cron, so
:func:`normalise_cron` rejects them first, and gives errors that name the field, which
cronsim's "Bad minute" does not.

Daylight saving, checked against cronsim 2.8's source:

* times with a fixed minute and hour are computed on the naive wall clock; a result inside a gap is
  moved minute by minute to the first valid time after it (02:30 -> 03:00 EDT) and an ambiguous one
  takes the first pass (``fold=0``) - cronie's rules;
* if the minute or hour field starts with ``*`` cronsim steps through real (UTC) time and matches
  the local wall clock, so ``*/15 * * * *`` fires through both passes of a repeated hour - also
  cronie's rule.

One correction is needed: in naive mode cronsim forgets which pass of a repeated hour the start
instant was in, so from 01:15 EST (second pass) it can return 01:30 EDT, which is *earlier*.
:func:`cron_next_after` therefore skips any result that is not strictly after the start instant.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from bot.errors import ParseError

FIELDS = ("minute", "hour", "day-of-month", "month", "day-of-week")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_DAYS = "sun mon tue wed thu fri sat".split()
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# Digits and cron punctuation (with the L, W, # and ? extensions, so they get a clear error), or
# something with a three-letter name in it (mon-fri, jan,jul).
_CRON_TOKEN = re.compile(r"^(?:[0-9*/,\-#?lw]+|[a-z0-9*/,\-]*[a-z]{3}[a-z0-9*/,\-]*)$")
# Quartz-style extensions cronsim accepts: L (last), W (weekday), # (nth) and ?.
_EXTENSION = re.compile(r"[#?]|(?:^|[,/\-])(?:l|lw)(?:$|[,/\-])|\d[lw]\b")
EXAMPLES = "'0 9 * * 1-5' (09:00 on weekdays) or '*/15 * * * *' (every 15 minutes)"


def looks_like_cron(text: str) -> bool:
    """Whether ``text`` is meant as a cron expression (5 cron-like fields or an @macro)."""
    parts = text.strip().lower().split()
    if len(parts) == 1 and parts[0] in _MACROS:
        return True
    if not 5 <= len(parts) <= 6:
        return False
    if not all(_CRON_TOKEN.match(part) for part in parts):
        return False
    # Words made of letters alone are only cron if they are month or day names.
    words = [p for p in parts if p.isalpha()]
    return all(w in _MONTHS or w in _DAYS for w in words) and any(
        c.isdigit() or c == "*" for c in text
    )


def _value(field: int, token: str, whole: str) -> int:
    name = FIELDS[field]
    low, high = _RANGES[field]
    if field == 3 and token in _MONTHS:
        return _MONTHS.index(token) + 1
    if field == 4 and token in _DAYS:
        return _DAYS.index(token)
    if not token.isdigit():
        allowed = ""
        if field == 3:
            allowed = " or a month name (jan-dec)"
        elif field == 4:
            allowed = " or a day name (sun-sat)"
        raise ParseError(
            f"Cron {name} field {whole!r}: {token!r} is not a number{allowed}. "
            f"Examples: {EXAMPLES}."
        )
    value = int(token)
    if not low <= value <= high:
        raise ParseError(
            f"Cron {name} field {whole!r}: {value} is out of range ({low}-{high}). "
            f"Examples: {EXAMPLES}."
        )
    return value


def _field_values(field: int, text: str) -> set[int]:
    """The values one field allows; raises ParseError naming the field and the fault."""
    name = FIELDS[field]
    low, high = _RANGES[field]
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ParseError(
                f"Cron {name} field {text!r} has an empty list item. Examples: {EXAMPLES}."
            )
        base, _, step_text = item.partition("/")
        step = 1
        if "/" in item:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ParseError(
                    f"Cron {name} field {text!r}: the step after '/' must be a whole number "
                    f"of at least 1. Examples: {EXAMPLES}."
                )
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(field, first, text), _value(field, last, text)
            if end < start:
                raise ParseError(
                    f"Cron {name} field {text!r}: the range {base!r} runs backwards. "
                    f"Examples: {EXAMPLES}."
                )
        else:
            start = _value(field, base, text)
            # "5/15" means from 5 to the end of the range in steps of 15, as in cronie.
            end = high if "/" in item else start
        values.update(range(start, end + 1, step))
    if field == 4 and 7 in values:
        values.discard(7)
        values.add(0)
    return values


def normalise_cron(text: str) -> str:
    """The canonical form of a standard 5-field cron expression (lower case, single spaces).

    ``@daily`` and the other cronie macros become their 5-field form.  Raises :class:`ParseError`
    that names the field and says what is wrong with it.
    """
    expression = " ".join(text.strip().lower().split())
    expression = _MACROS.get(expression, expression)
    parts = expression.split()
    if len(parts) != 5:
        raise ParseError(
            f"A cron expression has 5 fields (minute hour day-of-month month day-of-week); "
            f"{text.strip()!r} has {len(parts)}. Examples: {EXAMPLES}."
        )
    for field, part in enumerate(parts):
        if _EXTENSION.search(part):
            raise ParseError(
                f"Cron {FIELDS[field]} field {part!r}: L, W, # and ? are extensions, not "
                f"standard cron. Examples: {EXAMPLES}."
            )
        _field_values(field, part)
    days = _field_values(2, parts[2])
    months = _field_values(3, parts[3])
    if not any(min(days) <= _DAYS_IN_MONTH[month - 1] for month in months):
        # With both day fields restricted a day-of-week can still match (the OR rule).
        if parts[2].startswith("*") or parts[4].startswith("*"):
            raise ParseError(
                f"Cron day-of-month field {parts[2]!r} never matches in month field "
                f"{parts[3]!r}. Examples: {EXAMPLES}."
            )
    try:
        CronSim(expression, datetime(2000, 1, 1, tzinfo=UTC))
    except CronSimError as error:  # a rule we did not anticipate; still name cronsim's field
        raise ParseError(
            f"Cron expression {text.strip()!r}: {error}. Examples: {EXAMPLES}."
        ) from error
    return expression


def uses_wall_clock(expression: str) -> bool:
    """Whether cronsim evaluates ``expression`` on the naive wall clock (fixed minute and hour).

    Those schedules follow cronie's fixed-time DST rules; the others run in real time.
    """
    minute, hour = expression.split()[:2]
    return not minute.startswith("*") and not hour.startswith("*")


def matches_wall_time(expression: str, wall: datetime) -> bool:
    """Whether the naive local ``wall`` time matches ``expression`` field by field."""
    parts = expression.split()
    minutes, hours, days, months, weekdays = (_field_values(i, p) for i, p in enumerate(parts))
    day_of_month = wall.day in days
    day_of_week = (wall.isoweekday() % 7) in weekdays
    if parts[2].startswith("*") or parts[4].startswith("*"):
        day_ok = day_of_month and day_of_week
    else:
        day_ok = day_of_month or day_of_week
    return wall.minute in minutes and wall.hour in hours and wall.month in months and day_ok


def cron_next_after(expression: str, instant: datetime, zone: ZoneInfo) -> datetime | None:
    """The first run of ``expression`` in ``zone`` strictly after ``instant``, or ``None``.

    ``expression`` must come from :func:`normalise_cron`.  Returns an aware datetime in ``zone``.
    """
    start = instant.astimezone(zone)
    runs = CronSim(expression, start)
    threshold = instant.astimezone(UTC)
    for _ in range(1000):
        try:
            candidate = next(runs)
        except StopIteration:  # cronsim gives up after 50 years without a match
            return None
        as_utc = candidate.astimezone(UTC)
        if as_utc > threshold:
            return as_utc.astimezone(zone)
    return None
