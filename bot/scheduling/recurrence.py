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
time_of_day         ``"HH:MM"``: the (earliest) local time a calendar kind names (daily/weekly/
                    monthly/yearly)
more_times          ``"17:00,21:00"``: its other times of day, or ``None``
weekdays            ``"mon,wed"``: the days a weekly schedule fires on, or the one day of an nth
                    weekday rule
day_of_month        1-31: the day a monthly/yearly schedule names (month-end clamping needs it)
weekday_ordinal     1-5 or -1 (last): monthly/yearly on the nth ``weekdays`` day of the month
step_minutes        hourly only: the period in minutes of real time (otherwise ``interval`` hours)
=================== ================================================================================

Why the calendar fields rather than reading them off the anchor: the first occurrence can be a
*moved* one - "every day at 02:30" created on a spring-forward day first fires at 03:00, and "every
month on the 31st" created in April first fires on 30 April - so the anchor alone would forget
02:30 and the 31st.  Weekly schedules on several days ("every weekday at 9am") carry their day set
rather than becoming cron, so they keep the interval ("every 2 weeks on monday and friday") and a
readable description.

Rules (DESIGN.md section 2):

* ``hourly`` counts elapsed real time from the anchor: ``interval`` hours, or ``step_minutes``
  minutes for any N ("every 45 minutes", "every 90 minutes"), whatever the clocks do;
* a calendar kind fires on each of its days at every one of its :attr:`Recurrence.times`, each
  with the DST rules below ("every day at 9am and 5pm");
* monthly/yearly with ``ordinal`` fire on the nth weekday of the month ("the last friday of every
  month"); a month without a 5th such weekday is skipped, never clamped;
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
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from bot.scheduling.cron import cron_next_after, normalise_cron
from bot.scheduling.limits import MAX_STEP_MINUTES as MAX_STEP_MINUTES
from bot.scheduling.limits import MAX_TIMES_PER_DAY as MAX_TIMES_PER_DAY
from bot.scheduling.limits import MIN_STEP_MINUTES as MIN_STEP_MINUTES
from bot.scheduling.wallclock import (
    add_months,
    clamped_date,
    resolve_wall_time,
    to_utc,
)
from bot.scheduling.wallclock import nth_weekday as nth_weekday

# One enum for the stored values, shared with the database layer (plain Python, no SQLAlchemy).
from storage.enums import RecurrenceType as RecurrenceType

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CALENDAR_KINDS = frozenset(
    {RecurrenceType.DAILY, RecurrenceType.WEEKLY, RecurrenceType.MONTHLY, RecurrenceType.YEARLY}
)
MONTH_KINDS = frozenset({RecurrenceType.MONTHLY, RecurrenceType.YEARLY})

# The shapes' limits are in bot.scheduling.limits (the time language reports them in words before
# building a value; these checks catch programming errors).
ORDINALS = (1, 2, 3, 4, 5, -1)

# The Gregorian calendar repeats every 400 years (4800 months), weekdays included: a month-based
# rule that fires once fires again within that many of its periods, or never.  This bounds every
# search that may skip months (a 5th Monday, a 5th Friday of February).
_CALENDAR_CYCLE_MONTHS = 400 * 12


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
    more_times: str | None
    weekday_ordinal: int | None
    step_minutes: int | None


@dataclass(frozen=True)
class Recurrence:
    """One schedule: a one-shot (``kind`` none) or a repeating rule from ``anchor`` on.

    Construct through the time language (:func:`bot.scheduling.timelang.parse_when`), :meth:`once`
    or :meth:`from_fields`; ``anchor`` must be the first occurrence of the rule.

    Calendar kinds fire at ``time_of_day`` and at each of ``more_times`` on every day they name;
    the times are kept sorted and unique with ``time_of_day`` the earliest.  Monthly and yearly
    name either ``day_of_month`` or, with ``ordinal``, the nth of the single day in ``weekdays``.
    Hourly runs every ``interval`` hours or, with ``step_minutes``, every that many minutes.
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
    more_times: tuple[time, ...] = ()
    ordinal: int | None = None
    step_minutes: int | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RecurrenceType(self.kind))
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        object.__setattr__(self, "anchor", to_utc(self.anchor))
        if self.until is not None:
            object.__setattr__(self, "until", to_utc(self.until))
        object.__setattr__(self, "weekdays", tuple(sorted(set(self.weekdays))))
        given = {*self.more_times} | ({self.time_of_day} if self.time_of_day is not None else set())
        if given:
            earliest, *rest = sorted(given)
            object.__setattr__(self, "time_of_day", earliest)
            object.__setattr__(self, "more_times", tuple(rest))
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
        if len(self.times) > MAX_TIMES_PER_DAY:
            raise ValueError(f"at most {MAX_TIMES_PER_DAY} times of day")
        if self.ordinal is not None:
            if kind not in MONTH_KINDS:
                raise ValueError("an ordinal weekday is for monthly and yearly schedules only")
            if self.ordinal not in ORDINALS:
                raise ValueError("the ordinal is 1 to 5, or -1 for the last")
            if len(self.weekdays) != 1:
                raise ValueError("an ordinal weekday names exactly one day")
        wants_weekdays = kind is RecurrenceType.WEEKLY or self.ordinal is not None
        if wants_weekdays != bool(self.weekdays):
            raise ValueError("weekdays are required for, and only for, weekly and nth weekdays")
        if not all(0 <= day <= 6 for day in self.weekdays):
            raise ValueError("weekdays run from 0 (Monday) to 6 (Sunday)")
        wants_day = kind in MONTH_KINDS and self.ordinal is None
        if wants_day != (self.day_of_month is not None):
            raise ValueError(
                "day_of_month is required for, and only for, monthly and yearly (without ordinal)"
            )
        if self.day_of_month is not None and not 1 <= self.day_of_month <= 31:
            raise ValueError("day_of_month runs from 1 to 31")
        if kind is RecurrenceType.YEARLY and self.day_of_month is not None:
            month = self.local_anchor.month
            date(2000, month, self.day_of_month)  # 2000 is a leap year: only impossible days fail
        if self.step_minutes is not None:
            if kind is not RecurrenceType.HOURLY or self.interval != 1:
                raise ValueError("step_minutes is for hourly schedules with interval 1 only")
            if not MIN_STEP_MINUTES <= self.step_minutes <= MAX_STEP_MINUTES:
                raise ValueError(f"step_minutes runs from 1 to {MAX_STEP_MINUTES} (366 days)")
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

    @property
    def times(self) -> tuple[time, ...]:
        """Every local time of day a calendar kind fires at, earliest first (empty otherwise)."""
        if self.time_of_day is None:
            return ()
        return (self.time_of_day, *self.more_times)

    @property
    def period(self) -> timedelta | None:
        """The real time between runs of an elapsed kind (hourly); None for the others."""
        if self.kind is not RecurrenceType.HOURLY:
            return None
        if self.step_minutes is not None:
            return timedelta(minutes=self.step_minutes)
        return timedelta(hours=self.interval)

    def next_after(self, instant: datetime) -> datetime | None:
        """The first occurrence strictly after ``instant``, or ``None`` when there is none.

        Honours ``until`` but not ``count`` (see the module docstring).  Aware, in the zone.
        A schedule that would run past the year 9999 has no next run (``None``), never an error.
        """
        try:
            return self._next_after(instant)
        except OverflowError:
            return None

    def _next_after(self, instant: datetime) -> datetime | None:
        threshold = to_utc(instant)
        if threshold < self.anchor:
            found: datetime | None = self.anchor
        elif self.kind is RecurrenceType.NONE:
            found = None
        elif self.kind is RecurrenceType.HOURLY:
            period = self.period
            assert period is not None
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
            # Times are sorted and wall-time resolution keeps their order (two gap times both
            # land on the jump, and the strict comparison then yields that instant once).
            for at in self.times:
                candidate = resolve_wall_time(day, at, self._zone)
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
            months = 12 * step if self.kind is RecurrenceType.YEARLY else step
            elapsed = (start.year - anchor.year) * 12 + start.month - anchor.month
            first = max(0, elapsed // months - 1)
            # Finite: an nth-weekday rule may skip periods, and skipping must not spin for ever.
            for period in range(first, first + _CALENDAR_CYCLE_MONTHS + 2):
                year, month = add_months(anchor.year, anchor.month, period * months)
                if year > MAXYEAR:
                    return
                day = self._day_in(year, month)
                if day is not None:
                    yield day

    def _day_in(self, year: int, month: int) -> date | None:
        """The day a monthly/yearly rule names in ``year``-``month``; None when it has none."""
        if self.ordinal is not None:
            return nth_weekday(year, month, self.weekdays[0], self.ordinal)
        assert self.day_of_month is not None
        return clamped_date(year, month, self.day_of_month)

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
            more_times=",".join(at.strftime("%H:%M") for at in self.more_times) or None,
            weekday_ordinal=self.ordinal,
            step_minutes=self.step_minutes,
        )

    @classmethod
    def from_fields(cls, fields: RecurrenceFields) -> Recurrence:
        """Rebuild a recurrence from its stored form; raises ValueError on an impossible shape."""
        stored_times = ",".join(filter(None, (fields["time_of_day"], fields["more_times"])))
        stored_days = fields["weekdays"]
        cron = fields["cron_expression"]
        anchor = fields["anchor"]
        until = fields["until"]
        # SQLite can hand back naive datetimes; the stored convention is UTC.
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=UTC)
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        times = [time.fromisoformat(t) for t in stored_times.split(",")] if stored_times else []
        return cls(
            kind=RecurrenceType(fields["recurrence_type"]),
            anchor=anchor,
            timezone=fields["timezone"],
            interval=fields["recurrence_interval"],
            cron=None if cron is None else normalise_cron(cron),
            time_of_day=times[0] if times else None,
            weekdays=tuple(WEEKDAY_NAMES.index(d) for d in stored_days.split(","))
            if stored_days
            else (),
            day_of_month=fields["day_of_month"],
            count=fields["recurrence_count"],
            until=until,
            more_times=tuple(times[1:]),
            ordinal=fields["weekday_ordinal"],
            step_minutes=fields["step_minutes"],
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
    more_times: tuple[time, ...] = (),
    ordinal: int | None = None,
) -> datetime:
    """The first instant strictly after ``after`` that a calendar rule names (aware, in ``zone``).

    This is the anchor of a new daily/weekly/monthly/yearly schedule: the interval counts from the
    period of its first run, so "every 2 weeks on monday" starts on the coming Monday.  The rule
    fires at ``at`` and each of ``more_times``; with ``ordinal`` (monthly/yearly) it names the nth
    of the one day in ``weekdays`` instead of ``day_of_month``.  Raises ValueError for a rule that
    never fires again before year 9999.
    """
    today = after.astimezone(zone).date()
    threshold = to_utc(after)
    times = sorted({at, *more_times})
    for day in _first_days(kind, today, weekdays, day_of_month, month, ordinal):
        for moment in times:
            candidate = resolve_wall_time(day, moment, zone)
            if candidate > threshold:
                return candidate
    raise ValueError("this calendar rule never fires again")


def _first_days(
    kind: RecurrenceType,
    today: date,
    weekdays: tuple[int, ...],
    day_of_month: int | None,
    month: int | None,
    ordinal: int | None,
) -> Iterator[date]:
    """The days a new calendar rule names from ``today`` on, as far as its first run can be.

    Three periods cover every rule that fires in each period (the first may already be past);
    an nth-weekday rule can skip months, so it searches a whole calendar cycle.
    """
    if kind is RecurrenceType.DAILY:
        yield from (today + timedelta(days=n) for n in range(3))
    elif kind is RecurrenceType.WEEKLY:
        days = (today + timedelta(days=n) for n in range(15))
        yield from (day for day in days if day.weekday() in weekdays)
    elif kind in MONTH_KINDS:
        if ordinal is None and day_of_month is None:
            raise ValueError("a monthly or yearly rule needs its day of the month or an ordinal")
        if ordinal is not None and len(weekdays) != 1:
            raise ValueError("an ordinal weekday names exactly one day")
        if kind is RecurrenceType.YEARLY and month is None:
            raise ValueError("a yearly rule needs its month")
        every = 1 if kind is RecurrenceType.MONTHLY else 12
        start = (today.year, month if kind is RecurrenceType.YEARLY and month else today.month)
        periods = 3 if ordinal is None else _CALENDAR_CYCLE_MONTHS // every + 1
        for n in range(periods):
            year, number = add_months(*start, n * every)
            if year > MAXYEAR:
                return
            if ordinal is None:
                assert day_of_month is not None
                yield clamped_date(year, number, day_of_month)
            elif (found := nth_weekday(year, number, weekdays[0], ordinal)) is not None:
                yield found
    else:
        raise ValueError(f"{kind} is not a calendar kind")
