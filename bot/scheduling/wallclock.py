"""Wall-clock arithmetic in an IANA zone, with cronie's daylight-saving rules.

Calendar schedules name a local date and time; this module turns that into one real instant:

* a wall time inside a spring-forward gap (02:30 on 2026-03-08 in New York) does not exist, so it
  fires at the first instant after the jump (03:00 EDT), as cronie does;
* a wall time inside the repeated fall-back hour exists twice; a fixed-time schedule fires once, on
  the first pass (``fold=0``), again as cronie does.

Everything here is pure: dates, times and zones in, aware datetimes out.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def days_in_month(year: int, month: int) -> int:
    """Number of days in ``month`` of ``year`` (leap years included)."""
    return calendar.monthrange(year, month)[1]


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """The (year, month) that is ``months`` after ``year``-``month``."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date | None:
    """The ``ordinal``-th ``weekday`` (0 = Monday) of a month, -1 the last; None if it has none."""
    if ordinal == -1:
        last = date(year, month, days_in_month(year, month))
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    day = 1 + (weekday - date(year, month, 1).weekday()) % 7 + 7 * (ordinal - 1)
    return date(year, month, day) if day <= days_in_month(year, month) else None


def clamped_date(year: int, month: int, day: int) -> date:
    """``year``-``month``-``day``, moved back to the month's last day when the month is shorter.

    Monthly schedules anchored on the 29th-31st and yearly ones on 29 February use this, so they
    fire on the last day of a shorter month and return to the anchor day afterwards.
    """
    return date(year, month, min(day, days_in_month(year, month)))


def is_gap(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive local ``wall`` time does not exist in ``zone`` (a spring-forward gap)."""
    local = wall.replace(tzinfo=zone, fold=0)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall


def is_ambiguous(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive local ``wall`` time happens twice in ``zone`` (the repeated hour)."""
    first = wall.replace(tzinfo=zone, fold=0).utcoffset()
    second = wall.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second and not is_gap(wall, zone)


def _first_instant_after_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant that swallowed the non-existent ``wall`` time.

    ``fold=1`` reads the gap time with the offset after the jump and ``fold=0`` with the offset
    before it; the transition lies between the two readings, so a binary search on whole seconds
    finds it without knowing the zone's transition table (zoneinfo does not expose it).
    """
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    after = high.astimezone(zone).utcoffset()
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.astimezone(zone)


def resolve_wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant a calendar schedule fires for local ``day`` at ``at`` in ``zone``.

    Returns an aware datetime in ``zone``.  Gap times move to the first instant after the jump;
    repeated times take the first pass.
    """
    wall = datetime.combine(day, at)
    if is_gap(wall, zone):
        return _first_instant_after_gap(wall, zone)
    return wall.replace(tzinfo=zone, fold=0)


def to_utc(instant: datetime) -> datetime:
    """``instant`` (aware) as an aware UTC datetime; naive input is a bug, so it raises."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: every instant in Carillon must carry its zone")
    return instant.astimezone(UTC)
