"""The recurrence shapes of issue 10: several times a day, nth weekdays, any minutes step.

Built directly as :class:`Recurrence` values (not through the time language), with their first run
from :func:`first_calendar_occurrence`; expected runs are written out with their UTC offsets, so
a moved (DST gap) or first-pass (repeated hour) run shows in the table.
"""

from __future__ import annotations

import calendar
import itertools
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.describe import describe, preview
from bot.scheduling.recurrence import (
    MAX_STEP_MINUTES,
    MAX_TIMES_PER_DAY,
    Recurrence,
    RecurrenceType,
    first_calendar_occurrence,
    nth_weekday,
)
from tests.scheduling.conftest import at

DAILY, WEEKLY = RecurrenceType.DAILY, RecurrenceType.WEEKLY
MONTHLY, YEARLY, HOURLY = RecurrenceType.MONTHLY, RecurrenceType.YEARLY, RecurrenceType.HOURLY
NY, LH, LONDON = "America/New_York", "Australia/Lord_Howe", "Europe/London"
MON, TUE, THU, FRI, SUN = 0, 1, 3, 4, 6


def hm(*texts: str) -> tuple[time, ...]:
    return tuple(time.fromisoformat(t) for t in texts)


def calendar_rule(
    kind: RecurrenceType,
    zone: str,
    after: str,
    times: tuple[time, ...],
    *,
    interval: int = 1,
    weekdays: tuple[int, ...] = (),
    day: int | None = None,
    month: int | None = None,
    ordinal: int | None = None,
) -> Recurrence:
    """A calendar rule whose first run is the first one after local ``after`` in ``zone``."""
    anchor = first_calendar_occurrence(
        kind,
        times[0],
        ZoneInfo(zone),
        at(after, ZoneInfo(zone)),
        weekdays=weekdays,
        day_of_month=day,
        month=month,
        more_times=times[1:],
        ordinal=ordinal,
    )
    return Recurrence(
        kind,
        anchor,
        zone,
        interval,
        time_of_day=times[0],
        weekdays=weekdays,
        day_of_month=day,
        more_times=times[1:],
        ordinal=ordinal,
    )


def elapsed_rule(anchor: str, zone: str, minutes: int) -> Recurrence:
    return Recurrence(HOURLY, datetime.fromisoformat(anchor), zone, step_minutes=minutes)


def runs(rule: Recurrence, count: int) -> list[str]:
    return [t.isoformat(timespec="minutes") for t in itertools.islice(rule.occurrences(), count)]


# --- several times a day -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "zone", "after", "times", "extra", "expected"),
    [
        (DAILY, NY, "2026-06-15 14:30", hm("09:00", "17:00"), {},
         ["2026-06-15T17:00-04:00", "2026-06-16T09:00-04:00", "2026-06-16T17:00-04:00",
          "2026-06-17T09:00-04:00"]),
        # spring forward in New York: 02:30 moves to 03:00, 14:00 is untouched
        (DAILY, NY, "2026-03-07 12:00", hm("02:30", "14:00"), {},
         ["2026-03-07T14:00-05:00", "2026-03-08T03:00-04:00", "2026-03-08T14:00-04:00",
          "2026-03-09T02:30-04:00"]),
        # two times in the same gap land on the same instant, which runs once
        (DAILY, NY, "2026-03-07 12:00", hm("02:15", "02:45"), {},
         ["2026-03-08T03:00-04:00", "2026-03-09T02:15-04:00", "2026-03-09T02:45-04:00"]),
        # fall back in New York: both times in the repeated hour run on the first pass
        (DAILY, NY, "2026-10-31 12:00", hm("01:30", "01:45"), {},
         ["2026-11-01T01:30-04:00", "2026-11-01T01:45-04:00", "2026-11-02T01:30-05:00"]),
        # Lord Howe springs forward 30 minutes at 02:00: 02:15 runs at 02:30, 02:45 stays
        (DAILY, LH, "2026-10-03 12:00", hm("02:15", "02:45"), {},
         ["2026-10-04T02:30+11:00", "2026-10-04T02:45+11:00", "2026-10-05T02:15+11:00"]),
        # Lord Howe falls back 30 minutes at 02:00: 01:40 and 01:50 run on the first pass
        (DAILY, LH, "2026-04-04 12:00", hm("01:40", "01:50"), {},
         ["2026-04-05T01:40+11:00", "2026-04-05T01:50+11:00", "2026-04-06T01:40+10:30"]),
        (WEEKLY, NY, "2026-06-15 14:30", hm("09:00", "18:30"),
         {"interval": 2, "weekdays": (MON, FRI)},
         ["2026-06-15T18:30-04:00", "2026-06-19T09:00-04:00", "2026-06-19T18:30-04:00",
          "2026-06-29T09:00-04:00", "2026-06-29T18:30-04:00"]),
        (MONTHLY, NY, "2026-01-31 12:00", hm("08:00", "20:00"), {"day": 31},
         ["2026-01-31T20:00-05:00", "2026-02-28T08:00-05:00", "2026-02-28T20:00-05:00",
          "2026-03-31T08:00-04:00"]),
        (YEARLY, NY, "2027-03-01 12:00", hm("08:00", "21:00"), {"day": 29, "month": 2},
         ["2028-02-29T08:00-05:00", "2028-02-29T21:00-05:00", "2029-02-28T08:00-05:00"]),
    ],
)  # fmt: skip
def test_several_times_a_day(
    kind: RecurrenceType,
    zone: str,
    after: str,
    times: tuple[time, ...],
    extra: dict[str, object],
    expected: list[str],
) -> None:
    """A calendar rule fires at each of its times on each of its days, each with the DST rules."""
    rule = calendar_rule(kind, zone, after, times, **extra)  # type: ignore[arg-type]
    assert runs(rule, len(expected)) == expected


def test_times_are_sorted_unique_and_the_earliest_is_time_of_day() -> None:
    """Times are normalised: sorted, unique, time_of_day the earliest."""
    rule = Recurrence(
        DAILY,
        at("2026-06-16 09:00"),
        NY,
        time_of_day=time(17),
        more_times=(time(9), time(17), time(12)),
    )
    assert rule.time_of_day == time(9)
    assert rule.more_times == (time(12), time(17))
    assert rule.times == (time(9), time(12), time(17))


def test_times_is_empty_for_elapsed_and_cron_kinds() -> None:
    """Only calendar kinds have times of day."""
    assert Recurrence(HOURLY, at("2026-06-16 09:00"), NY).times == ()
    assert Recurrence.once(at("2026-06-16 09:00"), NY).times == ()


def test_at_most_24_times_a_day() -> None:
    """24 times of day are accepted; 25 are refused."""
    every_hour = tuple(time(hour) for hour in range(24))
    rule = Recurrence(DAILY, at("2026-06-16 00:00"), NY, time_of_day=time(0), more_times=every_hour)
    assert len(rule.times) == MAX_TIMES_PER_DAY
    with pytest.raises(ValueError, match="24"):
        Recurrence(
            DAILY, at("2026-06-16 00:00"), NY, time_of_day=time(0, 30), more_times=every_hour
        )


# --- nth weekday of the month --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "zone", "after", "at_", "extra", "expected"),
    [
        # every first monday of the month
        (MONTHLY, NY, "2026-06-15 14:30", "09:00", {"weekdays": (MON,), "ordinal": 1},
         ["2026-07-06T09:00-04:00", "2026-08-03T09:00-04:00", "2026-09-07T09:00-04:00",
          "2026-10-05T09:00-04:00", "2026-11-02T09:00-05:00", "2026-12-07T09:00-05:00"]),
        # the last friday of every month
        (MONTHLY, NY, "2026-06-15 14:30", "09:00", {"weekdays": (FRI,), "ordinal": -1},
         ["2026-06-26T09:00-04:00", "2026-07-31T09:00-04:00", "2026-08-28T09:00-04:00",
          "2026-09-25T09:00-04:00", "2026-10-30T09:00-04:00", "2026-11-27T09:00-05:00",
          "2026-12-25T09:00-05:00"]),
        # the fifth friday: months without one are skipped, never clamped
        (MONTHLY, NY, "2026-06-15 14:30", "09:00", {"weekdays": (FRI,), "ordinal": 5},
         ["2026-07-31T09:00-04:00", "2026-10-30T09:00-04:00", "2027-01-29T09:00-05:00",
          "2027-04-30T09:00-04:00", "2027-07-30T09:00-04:00"]),
        # every 2 months on the last sunday, counted from the first run's month
        (MONTHLY, NY, "2026-06-15 14:30", "09:00",
         {"weekdays": (SUN,), "ordinal": -1, "interval": 2},
         ["2026-06-28T09:00-04:00", "2026-08-30T09:00-04:00", "2026-10-25T09:00-04:00",
          "2026-12-27T09:00-05:00"]),
        # every year on thanksgiving (the fourth thursday of november)
        (YEARLY, NY, "2026-06-15 14:30", "08:00", {"weekdays": (THU,), "ordinal": 4, "month": 11},
         ["2026-11-26T08:00-05:00", "2027-11-25T08:00-05:00", "2028-11-23T08:00-05:00",
          "2029-11-22T08:00-05:00"]),
        # leap years: the last tuesday of february is the 29th in 2028
        (YEARLY, NY, "2026-06-15 14:30", "09:00", {"weekdays": (TUE,), "ordinal": -1, "month": 2},
         ["2027-02-23T09:00-05:00", "2028-02-29T09:00-05:00", "2029-02-27T09:00-05:00",
          "2030-02-26T09:00-05:00"]),
        # a fifth monday of february needs a leap year starting on a monday: 28 years apart
        (YEARLY, NY, "2026-06-15 14:30", "09:00", {"weekdays": (MON,), "ordinal": 5, "month": 2},
         ["2044-02-29T09:00-05:00", "2072-02-29T09:00-05:00"]),
        # DST days: New York springs forward on the second sunday of march ...
        (YEARLY, NY, "2026-01-01 12:00", "02:30", {"weekdays": (SUN,), "ordinal": 2, "month": 3},
         ["2026-03-08T03:00-04:00", "2027-03-14T03:00-04:00"]),
        # ... and falls back on the first sunday of november (first pass)
        (YEARLY, NY, "2026-01-01 12:00", "01:30", {"weekdays": (SUN,), "ordinal": 1, "month": 11},
         ["2026-11-01T01:30-04:00", "2027-11-07T01:30-04:00"]),
        (YEARLY, LONDON, "2026-01-01 12:00", "01:30",
         {"weekdays": (SUN,), "ordinal": -1, "month": 3},
         ["2026-03-29T02:00+01:00", "2027-03-28T02:00+01:00"]),
        # Lord Howe: half-hour jumps on the first sundays of october and april
        (YEARLY, LH, "2026-01-01 12:00", "02:15", {"weekdays": (SUN,), "ordinal": 1, "month": 10},
         ["2026-10-04T02:30+11:00", "2027-10-03T02:30+11:00"]),
        (YEARLY, LH, "2026-01-01 12:00", "01:45", {"weekdays": (SUN,), "ordinal": 1, "month": 4},
         ["2026-04-05T01:45+11:00", "2027-04-04T01:45+11:00"]),
        (MONTHLY, LH, "2026-09-15 12:00", "02:15", {"weekdays": (SUN,), "ordinal": 1},
         ["2026-10-04T02:30+11:00", "2026-11-01T02:15+11:00"]),
    ],
)  # fmt: skip
def test_nth_weekday(
    kind: RecurrenceType,
    zone: str,
    after: str,
    at_: str,
    extra: dict[str, object],
    expected: list[str],
) -> None:
    """Monthly/yearly on the nth (or last) weekday of the month, skipping months without one."""
    rule = calendar_rule(kind, zone, after, hm(at_), **extra)  # type: ignore[arg-type]
    assert runs(rule, len(expected)) == expected


def test_nth_weekday_with_several_times() -> None:
    """An nth-weekday rule fires at each of its times on its day."""
    rule = calendar_rule(
        MONTHLY, NY, "2026-06-15 14:30", hm("09:00", "17:00"), weekdays=(MON,), ordinal=1
    )
    assert runs(rule, 3) == [
        "2026-07-06T09:00-04:00",
        "2026-07-06T17:00-04:00",
        "2026-08-03T09:00-04:00",
    ]


def _brute_nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date | None:
    days = [
        date(year, month, d)
        for d in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, d).weekday() == weekday
    ]
    if ordinal == -1:
        return days[-1]
    return days[ordinal - 1] if ordinal <= len(days) else None


def test_nth_weekday_matches_counting_the_days() -> None:
    """nth_weekday agrees with listing the month's days, for every month of 2024-2030."""
    for year, month, weekday in itertools.product(range(2024, 2031), range(1, 13), range(7)):
        for ordinal in (1, 2, 3, 4, 5, -1):
            expected = _brute_nth_weekday(year, month, weekday, ordinal)
            assert nth_weekday(year, month, weekday, ordinal) == expected


def _last_year_with_a_fifth_monday_in_february() -> int:
    return max(
        year
        for year in range(9000, 10000)
        if calendar.isleap(year) and date(year, 2, 29).weekday() == MON
    )


def test_a_rule_with_no_later_run_before_year_9999_ends() -> None:
    """The month search is bounded: no run left before year 9999 is None, not a hang."""
    year = _last_year_with_a_fifth_monday_in_february()
    anchor = datetime(year, 2, 29, 9, tzinfo=UTC)
    rule = Recurrence(YEARLY, anchor, "UTC", time_of_day=time(9), weekdays=(MON,), ordinal=5)
    assert rule.next_after(anchor) is None
    monthly = Recurrence(
        MONTHLY, anchor, "UTC", interval=12, time_of_day=time(9), weekdays=(MON,), ordinal=5
    )
    assert monthly.next_after(anchor) is None


def test_first_occurrence_of_a_rule_that_never_fires_again_is_an_error() -> None:
    """first_calendar_occurrence raises rather than assume a run within three periods."""
    year = _last_year_with_a_fifth_monday_in_february()
    with pytest.raises(ValueError, match="never fires"):
        first_calendar_occurrence(
            YEARLY,
            time(9),
            ZoneInfo("UTC"),
            datetime(year, 3, 1, tzinfo=UTC),
            weekdays=(MON,),
            month=2,
            ordinal=5,
        )


@pytest.mark.parametrize(
    ("after", "kwargs", "expected"),
    [
        ("2026-06-15 14:30", {"more_times": hm("17:00")}, "2026-06-15T17:00-04:00"),
        ("2026-06-15 17:00", {"more_times": hm("17:00")}, "2026-06-16T09:00-04:00"),
        ("2026-06-15 08:00", {"more_times": hm("17:00")}, "2026-06-15T09:00-04:00"),
    ],
)
def test_first_calendar_occurrence_with_several_times(
    after: str, kwargs: dict[str, object], expected: str
) -> None:
    """The first run is the first of the times strictly after ``after``."""
    found = first_calendar_occurrence(
        DAILY,
        time(9),
        ZoneInfo(NY),
        at(after),
        **kwargs,  # type: ignore[arg-type]
    )
    assert found.isoformat(timespec="minutes") == expected


def test_first_fifth_weekday_skips_months_without_one() -> None:
    """From August 2026 the first fifth Friday is 30 October (August and September have none)."""
    found = first_calendar_occurrence(
        MONTHLY, time(9), ZoneInfo(NY), at("2026-08-01 00:00"), weekdays=(FRI,), ordinal=5
    )
    assert found.isoformat(timespec="minutes") == "2026-10-30T09:00-04:00"


# --- every N minutes, in real time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "zone", "minutes", "expected"),
    [
        # Lord Howe springs forward 30 minutes: 20 real minutes apart, 50 on the clock
        ("2026-10-04T01:20+10:30", LH, 20,
         ["2026-10-04T01:20+10:30", "2026-10-04T01:40+10:30", "2026-10-04T02:30+11:00",
          "2026-10-04T02:50+11:00", "2026-10-04T03:10+11:00"]),
        # Lord Howe falls back 30 minutes: 20 real minutes apart, -10 on the clock
        ("2026-04-05T01:20+11:00", LH, 20,
         ["2026-04-05T01:20+11:00", "2026-04-05T01:40+11:00", "2026-04-05T01:30+10:30",
          "2026-04-05T01:50+10:30", "2026-04-05T02:10+10:30"]),
        ("2026-03-08T00:00-05:00", NY, 90,
         ["2026-03-08T00:00-05:00", "2026-03-08T01:30-05:00", "2026-03-08T04:00-04:00",
          "2026-03-08T05:30-04:00"]),
        # "every 45 minutes" runs in both passes of the repeated hour
        ("2026-11-01T00:30-04:00", NY, 45,
         ["2026-11-01T00:30-04:00", "2026-11-01T01:15-04:00", "2026-11-01T01:00-05:00",
          "2026-11-01T01:45-05:00", "2026-11-01T02:30-05:00"]),
        # "every 1440 minutes" is 24 real hours, not the same clock time
        ("2026-10-31T09:00-04:00", NY, 1440,
         ["2026-10-31T09:00-04:00", "2026-11-01T08:00-05:00", "2026-11-02T08:00-05:00"]),
        ("2026-06-15T10:00+00:00", "UTC", 7,
         ["2026-06-15T10:00+00:00", "2026-06-15T10:07+00:00", "2026-06-15T10:14+00:00",
          "2026-06-15T10:21+00:00"]),
    ],
)  # fmt: skip
def test_every_n_minutes(anchor: str, zone: str, minutes: int, expected: list[str]) -> None:
    """Hourly with step_minutes runs N minutes of real time apart, whatever the clocks do."""
    assert runs(elapsed_rule(anchor, zone, minutes), len(expected)) == expected


@pytest.mark.parametrize(
    ("rule", "period"),
    [
        (Recurrence(HOURLY, at("2026-06-15 15:00"), NY, step_minutes=45), timedelta(minutes=45)),
        (Recurrence(HOURLY, at("2026-06-15 15:00"), NY, 3), timedelta(hours=3)),
        (Recurrence(HOURLY, at("2026-06-15 15:00"), NY), timedelta(hours=1)),
        (Recurrence(DAILY, at("2026-06-15 15:00"), NY, time_of_day=time(15)), None),
        (Recurrence.once(at("2026-06-15 15:00"), NY), None),
    ],
)
def test_period(rule: Recurrence, period: timedelta | None) -> None:
    """period is the real time between runs of an elapsed kind, None for the others."""
    assert rule.period == period


def test_step_minutes_limits() -> None:
    """Steps run from 1 minute to 366 days."""
    start = at("2026-06-15 15:00")
    assert Recurrence(HOURLY, start, NY, step_minutes=1).period == timedelta(minutes=1)
    assert Recurrence(HOURLY, start, NY, step_minutes=MAX_STEP_MINUTES).period == timedelta(
        days=366
    )
    for bad in (0, -5, MAX_STEP_MINUTES + 1):
        with pytest.raises(ValueError, match="step_minutes"):
            Recurrence(HOURLY, start, NY, step_minutes=bad)


ZONES = [NY, LONDON, LH, "Pacific/Chatham", "America/Santiago", "Asia/Kolkata", "UTC"]


def _reference_next(anchor: datetime, period: timedelta, threshold: datetime) -> datetime:
    """The first of anchor, anchor + period, anchor + 2 * period, ... strictly after threshold."""
    found = anchor
    while found <= threshold:
        found += period
    return found


def test_elapsed_schedules_match_anchor_plus_k_periods() -> None:
    """Brute force: next_after is the first anchor + k * period after the threshold, any N."""
    rng = random.Random(20261201)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(400):
        minutes = rng.choice([rng.randint(1, 59), rng.randint(60, 3000), rng.randint(1, 527_040)])
        period = timedelta(minutes=minutes)
        anchor = start + timedelta(seconds=rng.randrange(5 * 365 * 86_400))
        zone = rng.choice(ZONES)
        rule = Recurrence(HOURLY, anchor, zone, step_minutes=minutes)
        offset = rng.randrange(-3 * minutes * 60, 200 * minutes * 60)
        threshold = (anchor + timedelta(seconds=offset)).astimezone(ZoneInfo(rng.choice(ZONES)))
        found = rule.next_after(threshold)
        assert found == _reference_next(anchor, period, threshold), (zone, minutes, anchor)
        assert found is not None and found.tzinfo == ZoneInfo(zone)
        on_a_run = anchor + rng.randrange(50) * period
        assert rule.next_after(on_a_run) == on_a_run + period


def test_elapsed_runs_are_exactly_one_period_apart() -> None:
    """Consecutive runs are one period of real time apart, across every DST change."""
    rng = random.Random(7)
    for zone in ZONES:
        minutes = rng.randint(1, 200)
        # from a month before the southern or northern spring change, enough runs to cross it
        anchor = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(1440))
        rule = Recurrence(HOURLY, anchor, zone, step_minutes=minutes)
        series = [
            t.astimezone(UTC) for t in itertools.islice(rule.occurrences(), 45 * 1440 // minutes)
        ]
        # in UTC: subtracting two datetimes of one zone would give the wall-clock difference
        assert {b - a for a, b in itertools.pairwise(series)} == {timedelta(minutes=minutes)}


# --- the stored form -----------------------------------------------------------------------------

SHAPES = [
    calendar_rule(DAILY, NY, "2026-06-15 14:30", hm("09:00", "17:00")),
    calendar_rule(DAILY, NY, "2026-06-15 14:30", hm("07:00", "12:30", "21:45")),
    calendar_rule(MONTHLY, NY, "2026-06-15 14:30", hm("09:00"), weekdays=(MON,), ordinal=1),
    calendar_rule(MONTHLY, NY, "2026-06-15 14:30", hm("09:00"), weekdays=(FRI,), ordinal=-1),
    calendar_rule(
        YEARLY, NY, "2026-06-15 14:30", hm("08:00"), weekdays=(THU,), ordinal=4, month=11
    ),
    elapsed_rule("2026-06-15T15:00-04:00", NY, 45),
    elapsed_rule("2026-06-15T15:00-04:00", LH, 90),
]


@pytest.mark.parametrize("rule", SHAPES, ids=lambda rule: describe(rule))
def test_new_shapes_round_trip(rule: Recurrence) -> None:
    """to_fields/from_fields keep every new shape."""
    assert Recurrence.from_fields(rule.to_fields()) == rule


def test_stored_form_of_the_new_fields() -> None:
    """The new fields are stored as primitives: times as 'HH:MM', the ordinal, the step."""
    several = SHAPES[1].to_fields()
    assert (several["time_of_day"], several["more_times"]) == ("07:00", "12:30,21:45")
    nth = SHAPES[4].to_fields()
    assert (nth["weekdays"], nth["weekday_ordinal"], nth["day_of_month"]) == ("thu", 4, None)
    step = SHAPES[5].to_fields()
    assert (step["recurrence_type"], step["step_minutes"], step["time_of_day"]) == (
        "hourly",
        45,
        None,
    )


def test_rows_without_the_new_fields_read_as_before() -> None:
    """A stored schedule from before the new columns (all NULL) keeps its meaning."""
    rule = Recurrence(HOURLY, at("2026-06-15 15:00"), NY, 2)
    fields = rule.to_fields()
    assert (fields["more_times"], fields["weekday_ordinal"], fields["step_minutes"]) == (
        None,
        None,
        None,
    )
    assert Recurrence.from_fields(fields).period == timedelta(hours=2)


# --- descriptions and warnings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (SHAPES[0], "Every day at 09:00 and 17:00"),
        (SHAPES[1], "Every day at 07:00, 12:30 and 21:45"),
        (SHAPES[2], "Every month on the first Monday at 09:00"),
        (SHAPES[3], "Every month on the last Friday at 09:00"),
        (SHAPES[4], "Every year on the fourth Thursday of November at 08:00"),
        (calendar_rule(MONTHLY, NY, "2026-06-15 14:30", hm("09:00"), weekdays=(FRI,), ordinal=5),
         "Every month on the fifth Friday at 09:00 (skipped in months without one)"),
        (calendar_rule(MONTHLY, NY, "2026-06-15 14:30", hm("09:00"), weekdays=(SUN,), ordinal=-1,
                       interval=3),
         "Every 3 months on the last Sunday at 09:00"),
        (calendar_rule(WEEKLY, NY, "2026-06-15 14:30", hm("17:00"), weekdays=(FRI,), interval=2),
         "Every 2 weeks on Friday at 17:00"),
        (calendar_rule(WEEKLY, NY, "2026-06-15 14:30", hm("09:00", "17:00"),
                       weekdays=(0, 1, 2, 3, 4)),
         "Every weekday at 09:00 and 17:00"),
        (elapsed_rule("2026-06-15T15:00-04:00", NY, 45),
         "Every 45 minutes (real time), from Mon 15 Jun 2026 15:00 EDT"),
        (elapsed_rule("2026-06-15T15:00-04:00", NY, 90),
         "Every 90 minutes (real time), from Mon 15 Jun 2026 15:00 EDT"),
        (elapsed_rule("2026-06-15T15:00-04:00", NY, 1),
         "Every minute (real time), from Mon 15 Jun 2026 15:00 EDT"),
        (elapsed_rule("2026-06-15T15:00-04:00", NY, 60),
         "Every hour (real time), from Mon 15 Jun 2026 15:00 EDT"),
        (elapsed_rule("2026-06-15T15:00-04:00", NY, 1440),
         "Every 24 hours (real time), from Mon 15 Jun 2026 15:00 EDT"),
    ],
)  # fmt: skip
def test_descriptions(rule: Recurrence, text: str) -> None:
    """Each new shape has a plain one-line description."""
    assert describe(rule) == text


@pytest.mark.parametrize(
    ("zone", "after", "times", "warning"),
    [
        (NY, "2026-03-07 12:00", hm("01:00", "02:30"),
         "Sun 8 Mar 2026: 02:30 does not exist in America/New_York (clocks spring forward), "
         "so it runs at 03:00 EDT, right after the jump."),
        (NY, "2026-10-31 12:00", hm("01:30", "09:00"),
         "Sun 1 Nov 2026: 01:30 happens twice in America/New_York (clocks fall back); "
         "it runs once, on the first pass (01:30 EDT)."),
        (LH, "2026-10-03 12:00", hm("02:15", "20:00"),
         "Sun 4 Oct 2026: 02:15 does not exist in Australia/Lord_Howe (clocks spring forward), "
         "so it runs at 02:30 +11, right after the jump."),
        (LH, "2026-04-04 12:00", hm("08:00", "01:45"),
         "Sun 5 Apr 2026: 01:45 happens twice in Australia/Lord_Howe (clocks fall back); "
         "it runs once, on the first pass (01:45 +11)."),
    ],
)  # fmt: skip
def test_dst_warnings_for_every_time(
    zone: str, after: str, times: tuple[time, ...], warning: str
) -> None:
    """A multi-time rule warns for whichever of its times falls in a gap or repeated hour."""
    rule = calendar_rule(DAILY, zone, after, times)
    shown = preview(rule, at(after, ZoneInfo(zone)), count=4)
    assert shown.warnings == [warning]


# --- impossible shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    [
        {"kind": MONTHLY, "weekdays": (MON, FRI), "ordinal": 1},
        {"kind": MONTHLY, "weekdays": (MON,), "ordinal": 6},
        {"kind": MONTHLY, "weekdays": (MON,), "ordinal": 0},
        {"kind": MONTHLY, "weekdays": (MON,), "ordinal": -2},
        {"kind": MONTHLY, "weekdays": (MON,), "ordinal": 1, "day_of_month": 1},
        {"kind": MONTHLY, "weekdays": (MON,), "day_of_month": 1},
        {"kind": MONTHLY, "ordinal": 1},
        {"kind": DAILY, "weekdays": (MON,), "ordinal": 1},
        {"kind": WEEKLY, "weekdays": (MON,), "ordinal": 1},
        {"kind": HOURLY, "time_of_day": None, "more_times": (time(9),)},
        {"kind": HOURLY, "time_of_day": None, "step_minutes": 30, "interval": 2},
        {"kind": DAILY, "step_minutes": 30},
    ],
)
def test_impossible_new_shapes_are_rejected(shape: dict[str, object]) -> None:
    """Ordinals need monthly/yearly and one weekday; steps need hourly with interval 1."""
    base: dict[str, object] = {"anchor": at("2026-06-15 18:00"), "timezone": NY}
    base["time_of_day"] = time(18)
    with pytest.raises(ValueError):
        Recurrence(**(base | shape))  # type: ignore[arg-type]
