"""Recurrence values: when a task fires, as plain data with pure arithmetic.

A :class:`Recurrence` is a frozen value of primitives.  Its stored form
(:meth:`Recurrence.to_fields`) is what the task table keeps:

=================== ================================================================================
field               meaning
=================== ================================================================================
recurrence_type     :class:`RecurrenceType` value
recurrence_interval every N hours/days/weeks/months/years (1 for ``none`` and ``cron``)
cron_expression     normalised 5-field cron (``cron`` only)
anchor              aware UTC datetime: the first occurrence (the instant itself for ``none``)
timezone            IANA name the schedule is evaluated in
recurrence_count    total occurrences wanted, or ``None``
until               aware UTC datetime: no occurrence after it, or ``None``
time_of_day         ``"HH:MM"``: the local time a calendar kind names (daily/weekly/monthly/yearly)
weekdays            ``"mon,wed"``: the days a weekly schedule fires on
day_of_month        1-31: the day a monthly/yearly schedule names (month-end clamping needs it)
=================== ================================================================================

Why the three calendar fields rather than reading them off the anchor: the first occurrence can be a
*moved* one - "every day at 02:30" created on a spring-forward day first fires at 03:00, and "every
month on the 31st" created in April first fires on 30 April - so the anchor alone would forget
02:30 and the 31st.  Weekly schedules on several days ("every weekday at 9am") carry their day set
rather than becoming cron, so they keep the interval ("every 2 weeks on monday and friday") and a
readable description.

Rules (DESIGN.md section 2):

* ``hourly`` counts elapsed real time from the anchor (N hours apart whatever the clocks do);
  "every N minutes" is the cron ``*/N * * * *`` (N dividing 60), which also runs in real time;
* daily/weekly/monthly/yearly and cron are wall-clock schedules in ``timezone`` with cronie's DST
  rules (see :mod:`bot.scheduling.wallclock` and :mod:`bot.scheduling.cron`);
* monthly on the 29th-31st fires on the last day of shorter months and returns to its day; yearly on
  29 February fires on 28 February in common years; a cron day-of-month keeps cron's meaning.

Every datetime this module returns is aware and expressed in the schedule's zone.  ``count`` is
applied by :meth:`Recurrence.occurrences` (previews); :meth:`Recurrence.next_after` ignores it
because the task service counts *attempted* runs, which only it knows (missed runs do not count).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from bot.scheduling.cron import cron_next_after, normalise_cron
from bot.scheduling.wallclock import add_months, clamped_date, resolve_wall_time, to_utc

# One enum for the stored values, shared with the database layer (plain Python, no SQLAlchemy).
from storage.enums import RecurrenceType as RecurrenceType

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


CALENDAR_KINDS = frozenset(
    {RecurrenceType.DAILY, RecurrenceType.WEEKLY, RecurrenceType.MONTHLY, RecurrenceType.YEARLY}
)


class RecurrenceFields(TypedDict):
    """The stored form of a :class:`Recurrence`: primitives only."""

    recurrence_type: str
    recurrence_interval: int
    cron_expression: str | None
    anchor: datetime
    timezone: str
    recurrence_count: int | None
    until: datetime | None
    time_of_day: str | None
    weekdays: str | None
    day_of_month: int | None


@dataclass(frozen=True)
class Recurrence:
    """One schedule: a one-shot (``kind`` none) or a repeating rule from ``anchor`` on.

    Construct through the time language (:func:`bot.scheduling.timelang.parse_when`), :meth:`once`
    or :meth:`from_fields`; ``anchor`` must be the first occurrence of the rule.
    """

    kind: RecurrenceType
    anchor: datetime
    timezone: str
    interval: int = 1
    cron: str | None = None
    time_of_day: time | None = None
    weekdays: tuple[int, ...] = ()
    day_of_month: int | None = None
    count: int | None = None
    until: datetime | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RecurrenceType(self.kind))
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "anchor", to_utc(self.anchor))
        if self.until is not None:
            object.__setattr__(self, "until", to_utc(self.until))
        object.__setattr__(self, "weekdays", tuple(sorted(set(self.weekdays))))
        self._check()

    def _check(self) -> None:
        """Reject shapes the arithmetic cannot honour; these are programming errors."""
        kind = self.kind
        if self.interval < 1:
            raise ValueError("interval must be at least 1")
        if kind in (RecurrenceType.NONE, RecurrenceType.CRON) and self.interval != 1:
            raise ValueError(f"{kind} schedules have interval 1")
        if (kind is RecurrenceType.CRON) != (self.cron is not None):
            raise ValueError("cron expression is required for, and only for, cron schedules")
        if (kind in CALENDAR_KINDS) != (self.time_of_day is not None):
            raise ValueError("time_of_day is required for, and only for, calendar schedules")
        if (kind is RecurrenceType.WEEKLY) != bool(self.weekdays):
            raise ValueError("weekdays are required for, and only for, weekly schedules")
        if not all(0 <= day <= 6 for day in self.weekdays):
            raise ValueError("weekdays run from 0 (Monday) to 6 (Sunday)")
        wants_day = kind in (RecurrenceType.MONTHLY, RecurrenceType.YEARLY)
        if wants_day != (self.day_of_month is not None):
            raise ValueError("day_of_month is required for, and only for, monthly and yearly")
        if self.day_of_month is not None and not 1 <= self.day_of_month <= 31:
            raise ValueError("day_of_month runs from 1 to 31")
        if kind is RecurrenceType.YEARLY and self.day_of_month is not None:
            month = self.local_anchor.month
            date(2000, month, self.day_of_month)  # 2000 is a leap year: only impossible days fail
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1")

    @classmethod
    def once(cls, instant: datetime, timezone: str) -> Recurrence:
        """A one-shot at ``instant`` (aware), shown in ``timezone``."""
        return cls(RecurrenceType.NONE, instant, timezone)

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's zone."""
        return self._zone

    @property
    def local_anchor(self) -> datetime:
        """The first occurrence in the schedule's zone."""
        return self.anchor.astimezone(self._zone)

    @property
    def is_once(self) -> bool:
        """Whether this is a one-shot (kind ``none``)."""
        return self.kind is RecurrenceType.NONE

    def next_after(self, instant: datetime) -> datetime | None:
        """The first occurrence strictly after ``instant``, or ``None`` when there is none.

        Honours ``until`` but not ``count`` (see the module docstring).  Aware, in the zone.
        """
        threshold = to_utc(instant)
        if threshold < self.anchor:
            found: datetime | None = self.anchor
        elif self.kind is RecurrenceType.NONE:
            found = None
        elif self.kind is RecurrenceType.HOURLY:
            period = timedelta(hours=self.interval)
            steps = (threshold - self.anchor) // period + 1
            found = self.anchor + steps * period
        elif self.kind is RecurrenceType.CRON:
            assert self.cron is not None
            found = cron_next_after(self.cron, threshold, self._zone)
        else:
            found = self._next_calendar(threshold)
        if found is None or (self.until is not None and found > self.until):
            return None
        return found.astimezone(self._zone)

    def occurrences(self, after: datetime | None = None) -> Iterator[datetime]:
        """Occurrences in order from the anchor, honouring ``count`` and ``until``.

        With ``after``, only those strictly after it are yielded (the count still runs from the
        anchor).  The iterator can be endless: take what you need with :func:`itertools.islice`.
        """
        # Compare in UTC: two datetimes in the same zone compare by wall time and ignore ``fold``,
        # which would confuse the two passes of a repeated hour.
        floor = None if after is None else to_utc(after)
        current: datetime | None = self.local_anchor
        index = 1
        if floor is not None and self.count is None and floor >= self.anchor:
            current, index = self.next_after(floor), 2
        while current is not None and (self.count is None or index <= self.count):
            if self.until is not None and to_utc(current) > self.until:
                return
            if floor is None or to_utc(current) > floor:
                yield current
            current = self.next_after(current)
            index += 1

    def _next_calendar(self, threshold: datetime) -> datetime | None:
        """Next daily/weekly/monthly/yearly occurrence after ``threshold`` (at or after anchor)."""
        local_day = threshold.astimezone(self._zone).date()
        for day in itertools.islice(self._candidate_days(local_day), 400):
            assert self.time_of_day is not None
            candidate = resolve_wall_time(day, self.time_of_day, self._zone)
            if candidate > threshold and candidate >= self.anchor:
                return candidate
        return None

    def _candidate_days(self, start: date) -> Iterator[date]:
        """Days the rule names, in order, from the period containing ``start`` (one back).

        Starting one period early costs little and covers a wall time that resolves just after
        midnight, or a threshold that is late on the previous local day.
        """
        anchor = self.local_anchor.date()
        step = self.interval
        if self.kind is RecurrenceType.DAILY:
            first = max(0, (start - anchor).days // step - 1)
            for period in itertools.count(first):
                yield anchor + timedelta(days=period * step)
        elif self.kind is RecurrenceType.WEEKLY:
            week0 = anchor - timedelta(days=anchor.weekday())
            first = max(0, (start - week0).days // 7 // step - 1)
            for period in itertools.count(first):
                monday = week0 + timedelta(weeks=period * step)
                for weekday in self.weekdays:
                    yield monday + timedelta(days=weekday)
        else:
            assert self.day_of_month is not None
            months = 12 * step if self.kind is RecurrenceType.YEARLY else step
            elapsed = (start.year - anchor.year) * 12 + start.month - anchor.month
            first = max(0, elapsed // months - 1)
            for period in itertools.count(first):
                year, month = add_months(anchor.year, anchor.month, period * months)
                yield clamped_date(year, month, self.day_of_month)

    def to_fields(self) -> RecurrenceFields:
        """The stored form (see the module docstring)."""
        return RecurrenceFields(
            recurrence_type=self.kind.value,
            recurrence_interval=self.interval,
            cron_expression=self.cron,
            anchor=self.anchor,
            timezone=self.timezone,
            recurrence_count=self.count,
            until=self.until,
            time_of_day=None if self.time_of_day is None else self.time_of_day.strftime("%H:%M"),
            weekdays=",".join(WEEKDAY_NAMES[d] for d in self.weekdays) or None,
            day_of_month=self.day_of_month,
        )

    @classmethod
    def from_fields(cls, fields: RecurrenceFields) -> Recurrence:
        """Rebuild a recurrence from its stored form; raises ValueError on an impossible shape."""
        stored_time = fields["time_of_day"]
        stored_days = fields["weekdays"]
        cron = fields["cron_expression"]
        anchor = fields["anchor"]
        until = fields["until"]
        # SQLite can hand back naive datetimes; the stored convention is UTC.
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=UTC)
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return cls(
            kind=RecurrenceType(fields["recurrence_type"]),
            anchor=anchor,
            timezone=fields["timezone"],
            interval=fields["recurrence_interval"],
            cron=None if cron is None else normalise_cron(cron),
            time_of_day=None if stored_time is None else time.fromisoformat(stored_time),
            weekdays=tuple(WEEKDAY_NAMES.index(d) for d in stored_days.split(","))
            if stored_days
            else (),
            day_of_month=fields["day_of_month"],
            count=fields["recurrence_count"],
            until=until,
        )


def first_calendar_occurrence(
    kind: RecurrenceType,
    at: time,
    zone: ZoneInfo,
    after: datetime,
    *,
    weekdays: tuple[int, ...] = (),
    day_of_month: int | None = None,
    month: int | None = None,
) -> datetime:
    """The first instant strictly after ``after`` that a calendar rule names (aware, in ``zone``).

    This is the anchor of a new daily/weekly/monthly/yearly schedule: the interval counts from the
    period of its first run, so "every 2 weeks on monday" starts on the coming Monday.
    """
    today = after.astimezone(zone).date()
    days: list[date]
    if kind is RecurrenceType.DAILY:
        days = [today + timedelta(days=n) for n in range(3)]
    elif kind is RecurrenceType.WEEKLY:
        days = [today + timedelta(days=n) for n in range(15)]
        days = [day for day in days if day.weekday() in weekdays]
    elif kind is RecurrenceType.MONTHLY:
        assert day_of_month is not None
        months = [add_months(today.year, today.month, n) for n in range(3)]
        days = [clamped_date(year, number, day_of_month) for year, number in months]
    elif kind is RecurrenceType.YEARLY:
        assert day_of_month is not None and month is not None
        days = [clamped_date(today.year + n, month, day_of_month) for n in range(3)]
    else:
        raise ValueError(f"{kind} is not a calendar kind")
    threshold = to_utc(after)
    for day in days:
        candidate = resolve_wall_time(day, at, zone)
        if candidate > threshold:
            return candidate
    raise AssertionError("a calendar rule always fires within three periods")
