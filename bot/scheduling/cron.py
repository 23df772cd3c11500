"""Standard 5-field cron: checked field by field, evaluated by our own matcher.

Semantics (cronie's): minute, hour, day-of-month, month, day-of-week; names (``mon``, ``jan``),
lists, ranges and steps; day-of-week 0 and 7 are Sunday; ``a-b/s`` steps from ``a`` to ``b``
(so ``9-9/2`` is {9}) and ``a/s`` from ``a`` to the end of the field; when both day fields are
restricted (neither starts with ``*``) a day matches if *either* matches, otherwise both must.
Extensions (seconds, ``L``, ``W``, ``#``, ``?``) are not standard cron and are refused, as is a
step larger than its field's span (``*/61`` minutes would only ever mean minute 0).

Evaluation follows DESIGN.md §2 (cronie's daylight-saving rules) over the field sets:

* **Fixed-time schedules** (neither the minute nor the hour field starts with ``*``): every
  matching local date and matching wall time fires once - at its first pass (``fold=0``) when
  the wall time happens twice, at the transition instant when it falls in a spring-forward gap
  (several gap times collapse into that one instant).  Candidates are walked date by date,
  skipping months and days that do not match; within a date the instants grow with the wall time,
  so a binary search finds the first one after the start.
* **Wildcard schedules** (the minute or the hour starts with ``*``): every real minute whose local
  wall time matches fires, so they fire in both passes of a repeated interval and skip wall times
  that do not exist.  Real time is walked in stretches of constant UTC offset: within one, the
  next matching wall time minus the offset is the next run.  Offsets are read from zoneinfo, never
  assumed to be whole hours or to change at :00 (Lord Howe moves 30 minutes, Chatham at 02:45,
  Santiago at midnight).

Every search is bounded: nothing further than :data:`HORIZON` (about ten years, enough for
``0 0 29 2 *`` across 2100) is looked at, and ``None`` means no run within it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling.wallclock import days_in_month, resolve_wall_time

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
_CRON_TOKEN = re.compile(r"^(?:[0-9*/,\-#?lw]+|[a-z0-9*/,\-#?]*[a-z]{3}[a-z0-9*/,\-#?]*)$")
# Quartz-style extensions other cron libraries accept: L (last), W (weekday), # (nth) and ?.
_EXTENSION = re.compile(r"[#?]|(?:^|[,/\-])(?:l|lw)(?:$|[,/\-])|\d[lw]\b")
EXAMPLES = "'0 9 * * 1-5' (09:00 on weekdays) or '*/15 * * * *' (every 15 minutes)"

# How far ahead a run is looked for: ten years and a little, so "0 0 29 2 *" is found even across
# 2100 (not a leap year: eight years between runs).
HORIZON = timedelta(days=3660)
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)
# Wildcard evaluation probes the zone's offset this often.  No two offset changes in the tz
# database are closer than about four days (95 hours, Africa/Freetown 1939), so between two probes
# there is at most one change, and a bisection finds it.
_PROBE = timedelta(hours=1)
# Real time covered by one step of the wildcard walk before the matcher looks ahead again.
_STRETCH = timedelta(days=3)
# Each step of the wildcard walk advances by a stretch, to an offset change or to the next
# candidate date; ten years need far fewer steps than this.  A guard, never the limit in practice.
_MAX_STEPS = 10_000


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


def _step(field: int, step_text: str, whole: str) -> int:
    """The step after '/'; at least 1 and at most the field's span, or a ParseError."""
    name = FIELDS[field]
    low, high = _RANGES[field]
    if not step_text.isdigit() or int(step_text) == 0:
        raise ParseError(
            f"Cron {name} field {whole!r}: the step after '/' must be a whole number "
            f"of at least 1. Examples: {EXAMPLES}."
        )
    step = int(step_text)
    if step > high - low:
        # "*/61" would only ever mean minute 0 (it runs hourly, not every 61 minutes): refuse it
        # rather than let a description promise something the schedule does not do.
        raise ParseError(
            f"Cron {name} field {whole!r}: a step of {step} is larger than the field's span "
            f"({low}-{high}), so it would never repeat; use a step from 1 to {high - low}. "
            f"Examples: {EXAMPLES}."
        )
    return step


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
        step = _step(field, step_text, text) if "/" in item else 1
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
    return expression


def uses_wall_clock(expression: str) -> bool:
    """Whether ``expression`` has a fixed minute and hour (neither field starts with ``*``).

    Those schedules follow cronie's fixed-time DST rules; the others run in real time.
    """
    minute, hour = expression.split()[:2]
    return not minute.startswith("*") and not hour.startswith("*")


def matches_wall_time(expression: str, wall: datetime) -> bool:
    """Whether the naive local ``wall`` time matches ``expression`` field by field."""
    spec = _spec(expression)
    return (
        wall.minute in spec.minutes
        and wall.hour in spec.hours
        and wall.month in spec.months
        and _day_matches(spec, wall.date())
    )


@dataclass(frozen=True)
class _Spec:
    """One expression's field sets, sorted where the search walks them."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday
    either_day: bool  # both day fields restricted: cron's OR rule
    fixed_time: bool
    times: tuple[time, ...]  # every matching wall time of a day, in order


@lru_cache(maxsize=256)
def _spec(expression: str) -> _Spec:
    parts = expression.split()
    minutes, hours, days, months, weekdays = (_field_values(i, p) for i, p in enumerate(parts))
    ordered_minutes, ordered_hours = tuple(sorted(minutes)), tuple(sorted(hours))
    return _Spec(
        minutes=ordered_minutes,
        hours=ordered_hours,
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset(weekdays),
        either_day=not parts[2].startswith("*") and not parts[4].startswith("*"),
        fixed_time=uses_wall_clock(expression),
        times=tuple(time(h, m) for h in ordered_hours for m in ordered_minutes),
    )


def _day_matches(spec: _Spec, day: date) -> bool:
    by_date = day.day in spec.days
    by_weekday = day.isoweekday() % 7 in spec.weekdays
    return (by_date or by_weekday) if spec.either_day else (by_date and by_weekday)


def _matching_dates(spec: _Spec, first: date, last: date) -> Iterator[date]:
    """The local dates from ``first`` to ``last`` whose day fields match; months that do not
    match are skipped whole."""
    year, month, day = first.year, first.month, first.day
    while (year, month) <= (last.year, last.month):
        if month in spec.months:
            for number in range(day, days_in_month(year, month) + 1):
                candidate = date(year, month, number)
                if candidate > last:
                    return
                if _day_matches(spec, candidate):
                    yield candidate
        year, month, day = year + month // 12, month % 12 + 1, 1


def _next_wall(spec: _Spec, wall: datetime, last: date) -> datetime | None:
    """The first naive wall time at or after ``wall`` that matches every field, up to ``last``."""
    if wall.second or wall.microsecond:
        wall = wall.replace(second=0, microsecond=0) + _MINUTE
    for day in _matching_dates(spec, wall.date(), last):
        index = bisect_left(spec.times, wall.time()) if day == wall.date() else 0
        if index < len(spec.times):
            return datetime.combine(day, spec.times[index])
    return None


def _fixed_next(spec: _Spec, instant: datetime, zone: ZoneInfo) -> datetime | None:
    """cronie's fixed-time rule: each matching wall time fires once, at its first pass or, in a
    gap, at the transition instant."""
    # Compare in UTC: aware datetimes sharing a tzinfo compare by wall time, ignoring the pass.
    after = instant.astimezone(UTC)
    first = instant.astimezone(zone).date()
    for day in _matching_dates(spec, first, first + HORIZON):
        # Within one date the instants never decrease with the wall time (gap times all map to
        # the transition, repeated times to their first pass), so bisection applies.
        index = bisect_right(
            spec.times, after, key=lambda at: resolve_wall_time(day, at, zone).astimezone(UTC)
        )
        if index < len(spec.times):
            return resolve_wall_time(day, spec.times[index], zone)
    return None


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta()


def _first_change(start: datetime, end: datetime, zone: ZoneInfo) -> datetime | None:
    """The first instant in (``start``, ``end``] whose UTC offset differs from ``start``'s."""
    offset = _offset(start, zone)
    before = start
    while before < end:
        probe = min(before + _PROBE, end)
        if _offset(probe, zone) != offset:
            # One change at most between two probes (see _PROBE): bisect it to the second.
            low, high = before, probe
            while high - low > timedelta(seconds=1):
                middle = (low + (high - low) / 2).replace(microsecond=0)
                if _offset(middle, zone) == offset:
                    low = middle
                else:
                    high = middle
            return high
        before = probe
    return None


def _ceil_minute(instant: datetime) -> datetime:
    whole = instant.replace(second=0, microsecond=0)
    return whole if whole == instant else whole + _MINUTE


def _wildcard_next(spec: _Spec, instant: datetime, zone: ZoneInfo) -> datetime | None:
    """Real time: the first whole minute after ``instant`` whose local wall time matches."""
    start = instant.astimezone(UTC)
    limit = start + HORIZON
    last = (limit + _DAY).date()
    moment = start.replace(second=0, microsecond=0) + _MINUTE
    for _ in range(_MAX_STEPS):
        if moment > limit:
            return None
        offset = _offset(moment, zone)
        wall = moment.replace(tzinfo=None)
        target = _next_wall(spec, wall + offset, last)
        if target is None:
            return None
        candidate = (target - offset).replace(tzinfo=UTC)
        if candidate - moment > _STRETCH:
            # Far ahead (months without a matching date, say).  Offsets stay within a day of
            # UTC, so nothing before the first matching wall time from a day back, less a day,
            # can match: leap there rather than walk the stretch.
            lowest = _next_wall(spec, wall - _DAY, last) or target
            leap = lowest.replace(tzinfo=UTC) - _DAY
            if leap > moment:
                moment = leap
                continue
        reach = min(candidate, moment + _STRETCH)
        change = _first_change(moment, reach, zone)
        if change is not None:
            moment = _ceil_minute(change)  # a new offset from here on: look again
        elif candidate == reach:
            return candidate.astimezone(zone) if candidate <= limit else None
        else:
            moment = reach  # nothing matches in this stretch of constant offset
    return None


def cron_next_after(expression: str, instant: datetime, zone: ZoneInfo) -> datetime | None:
    """The first run of ``expression`` in ``zone`` strictly after ``instant``, or ``None``.

    ``expression`` must come from :func:`normalise_cron`; ``instant`` is aware.  Returns an aware
    datetime in ``zone``, or ``None`` when nothing runs within :data:`HORIZON`.
    """
    spec = _spec(expression)
    if spec.fixed_time:
        return _fixed_next(spec, instant, zone)
    return _wildcard_next(spec, instant, zone)
