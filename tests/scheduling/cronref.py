"""An independent cron reference, written from DESIGN.md §2 alone, for the differential test.

It shares nothing with ``bot.scheduling.cron``: it parses the fields itself and finds runs by
brute force, looking at every UTC minute of a window and at every offset change in it.

* Fields (standard cron): ``*``, numbers, ``a-b``, ``a-b/s`` (from a to b), ``*/s``, ``a/s`` (a to
  the end of the field), lists, names (jan-dec, sun-sat); day-of-week 7 is Sunday.  When both day
  fields are restricted (neither starts with ``*``) a day matches if either matches, otherwise
  both must.
* A schedule whose minute or hour starts with ``*`` fires at every real minute whose local wall
  time matches (both passes of a repeated interval; wall times that never happen do not fire).
* Otherwise (fixed time) each matching wall time fires once: at the first pass if it happens, and
  at the instant of the jump if a spring-forward gap swallowed it (once per jump, however many
  matching wall times the gap swallowed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_BOUNDS = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
_NAMES = [
    {},
    {},
    {},
    {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    {d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
]


def _number(token: str, field: int) -> int:
    names = _NAMES[field]
    return names[token] if token in names else int(token)


def _parse_field(text: str, field: int) -> set[int]:
    low, high = _BOUNDS[field]
    allowed: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = int(step_text) if slash else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-")
            first, last = _number(a, field), _number(b, field)
        else:
            first = _number(base, field)
            last = high if slash else first
        value = first
        while value <= last:
            allowed.add(value)
            value += step
    if field == 4 and 7 in allowed:
        allowed.add(0)
    return allowed


@dataclass(frozen=True)
class Fields:
    """The five field sets of an expression and whether the OR rule of the day fields applies."""

    minutes: set[int]
    hours: set[int]
    days: set[int]
    months: set[int]
    weekdays: set[int]
    either: bool

    def day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        by_day = day.day in self.days
        by_weekday = (day.weekday() + 1) % 7 in self.weekdays  # Python: Monday 0; cron: 1
        return (by_day or by_weekday) if self.either else (by_day and by_weekday)

    def matches(self, wall: datetime) -> bool:
        return wall.minute in self.minutes and wall.hour in self.hours and self.day_matches(wall)


def parse(expression: str) -> Fields:
    texts = expression.split()
    minutes, hours, days, months, weekdays = (_parse_field(t, i) for i, t in enumerate(texts))
    either = not texts[2].startswith("*") and not texts[4].startswith("*")
    return Fields(minutes, hours, days, months, weekdays, either)


def is_wildcard(expression: str) -> bool:
    minute, hour = expression.split()[:2]
    return minute[0] == "*" or hour[0] == "*"


@dataclass(frozen=True)
class Jump:
    """A spring-forward change: at ``instant`` the wall clock skipped the ``skipped`` minutes."""

    instant: datetime
    skipped: list[datetime]


class Window:
    """Every UTC minute from ``start`` to ``end`` (both included) with its local reading."""

    def __init__(self, zone: ZoneInfo, start: datetime, end: datetime) -> None:
        self.zone = zone
        self.start, self.end = start, end
        # For each local date, its minutes: (utc, hour, minute, fold).
        self.dates: dict[date, list[tuple[datetime, int, int, int]]] = {}
        self.jumps: list[Jump] = []
        moment = start
        previous = self._offset(start - timedelta(minutes=1))
        while moment <= end:
            local = moment.astimezone(zone)
            entry = (moment, local.hour, local.minute, local.fold)
            self.dates.setdefault(local.date(), []).append(entry)
            offset = local.utcoffset() or timedelta()
            if offset > previous:
                self.jumps.append(self._jump(moment, previous, offset))
            previous = offset
            moment += timedelta(minutes=1)

    def _offset(self, moment: datetime) -> timedelta:
        return moment.astimezone(self.zone).utcoffset() or timedelta()

    def _jump(self, after: datetime, before: timedelta, offset: timedelta) -> Jump:
        # The change happened in the minute before ``after``: find its exact second.
        instant = after - timedelta(minutes=1)
        while self._offset(instant) == before:
            instant += timedelta(seconds=1)
        first_skipped = (instant + before).replace(tzinfo=None)
        first_kept = (instant + offset).replace(tzinfo=None)
        skipped = []
        wall = first_skipped.replace(second=0)
        if wall < first_skipped:
            wall += timedelta(minutes=1)
        while wall < first_kept:
            skipped.append(wall)
            wall += timedelta(minutes=1)
        return Jump(instant, skipped)

    def runs(self, expression: str) -> list[datetime]:
        """The runs of ``expression`` inside the window, in order, as aware UTC datetimes."""
        fields = parse(expression)
        wildcard = is_wildcard(expression)
        found = {
            utc
            for day, entries in self.dates.items()
            if fields.day_matches(day)
            for utc, hour, minute, fold in entries
            if hour in fields.hours and minute in fields.minutes and (wildcard or not fold)
        }
        if not wildcard:
            found.update(
                jump.instant
                for jump in self.jumps
                if self.start <= jump.instant <= self.end and any(map(fields.matches, jump.skipped))
            )
        return sorted(found)


def window_around(zone: ZoneInfo, centre: datetime, hours: int) -> Window:
    """A window of ``hours`` either side of ``centre`` (rounded down to the UTC minute)."""
    middle = centre.astimezone(UTC).replace(second=0, microsecond=0)
    return Window(zone, middle - timedelta(hours=hours), middle + timedelta(hours=hours))
