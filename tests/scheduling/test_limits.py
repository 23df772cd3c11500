"""Every number the time language reads, held to its limit: at it, one past it, and absurd.

Each refusal is a ParseError that names the number (or the phrase holding it) and the limit;
none is an OverflowError, a ValueError or the catch-all "out of the range of dates".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import ParseError
from bot.scheduling.limits import (
    MAX_COUNT,
    MAX_INTERVAL,
    MAX_STEP_MINUTES,
    MAX_YEARS_AHEAD,
    check_reach,
    count_problem,
    furthest,
    shape_problem,
)
from bot.scheduling.recurrence import RecurrenceType
from bot.scheduling.timelang import parse_when

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday
HUGE = "2147483648"  # one past a 32-bit column
ABSURD = "9" * 60

ACCEPTED = [
    (f"every day at 9 {MAX_COUNT} times", "count", MAX_COUNT),
    ("every day at 9 1 time", "count", 1),
    ("every 3660 days", "interval", MAX_INTERVAL["day"]),
    ("every 520 weeks", "interval", MAX_INTERVAL["week"]),
    ("every 120 months", "interval", MAX_INTERVAL["month"]),
    ("every 10 years", "interval", MAX_INTERVAL["year"]),
    (f"every {MAX_STEP_MINUTES} minutes", "period", timedelta(minutes=MAX_STEP_MINUTES)),
    ("every 8784 hours", "period", timedelta(hours=8784)),
    ("every 527039 minutes", "period", timedelta(minutes=527_039)),
]


@pytest.mark.parametrize(("text", "field", "value"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_numbers_at_their_limit_are_read(text: str, field: str, value: object) -> None:
    """The largest number of each kind is a schedule."""
    rule = parse_when(text, NOW, "UTC")
    assert getattr(rule, field) == value


REFUSED = [
    # "N times"
    (f"every day at 9 {MAX_COUNT + 1} times", "10,001 times is more than a schedule may run"),
    (f"every day at 9 {HUGE} times", "2,147,483,648 times is more than a schedule may run"),
    (f"every day at 9, {HUGE} times", "(10,000 at most)"),
    (f"every day at 9 {ABSURD} times", "a 60-digit number times is more than"),
    # every N days / weeks / months / years
    ("every 3661 days", "Every 3,661 days is too far apart: the longest repeat is every 3,660"),
    (f"every {HUGE} days", "Every 2,147,483,648 days is too far apart"),
    ("every 521 weeks", "the longest repeat is every 520 weeks"),
    (f"every {HUGE} weeks", "Every 2,147,483,648 weeks"),
    ("every 121 months", "the longest repeat is every 120 months"),
    ("every 11 years", "the longest repeat is every 10 years"),
    (f"every {ABSURD} years", "Every a 60-digit number years is too far apart"),
    ("every 99999th day", "Every 99,999 days is too far apart"),
    # every N minutes / hours (elapsed real time, the stored step)
    (f"every {MAX_STEP_MINUTES + 1} minutes", "at most 527,040 minutes, 366 days"),
    ("every 8785 hours", "Every 8785 hours is too far apart for a repeat in real time"),
    (f"every {HUGE} hours", f"Every {HUGE} hours is too far apart"),
    (f"every {HUGE} minutes", f"Every {HUGE} minutes is too far apart"),
    # for N days / weeks: the end of a repeat
    ("every day at 9 for 101 years", "'for 101 years' is more than 100 years"),
    (f"every day at 9 for {HUGE} days", f"'for {HUGE} days' is more than 100 years"),
    (f"every hour for {HUGE} weeks", "100 years ahead is the furthest I schedule"),
    # in N hours / days / years: a one-shot
    ("in 101 years", "'in 101 years' is more than 100 years"),
    ("in 36525 days", "'in 36525 days' is more than 100 years"),
    (f"in {HUGE} hours", f"'in {HUGE} hours' is more than 100 years"),
    ("in 10000 years", "100 years ahead is the furthest I schedule"),
    (f"{HUGE} days from now", "is more than 100 years"),
    (f"{HUGE} days before christmas", f"'{HUGE} days' is more than 100 years"),
    (f"every day starting in {HUGE} days", "is more than 100 years"),
    # years far in the future, in every way of writing a date
    ("on 1 jan 99999", "The year 99999 is more than 100 years ahead; I schedule up to 2126"),
    ("jan 1 99999", "The year 99999"),
    ("dec 25 10000", "The year 10000"),
    ("christmas 99999", "The year 99999"),
    ("12/25/99999", "The year 99999"),
    ("99999-12-01", "The year 99999"),
    ("99999-12-01 10:00", "The year 99999"),
    ("first friday of may 99999", "The year 99999"),
    ("the last day of june 99999", "The year 99999"),
    ("on 1 jan 2127", "The year 2127 is more than 100 years ahead"),
    ("every day until 99999", "The year 99999"),
    ("every day at 9 until 2200", "The year 2200"),
    ("every year on jan 1 starting 2500", "The year 2500"),
    (f"on 1 jan {ABSURD}", "The year a 60-digit number is more than 100 years ahead"),
    ("every day until june 2126", "ends on 2126-05-31, more than 100 years ahead"),
    # day of the month
    ("every month on the 32nd", "There is no 32nd day of a month: days run from the 1st"),
    ("on the 32nd", "There is no 32nd day of a month"),
    (f"every month on the {HUGE}th", f"There is no {HUGE}th day of a month"),
    ("the 32nd of may", "May has no day 32 (it has at most 31 days)"),
    ("may 32nd", "May has no day 32"),
    ("jan 32", "January has no day 32 (it has at most 31 days)"),
    ("feb 30", "February has no day 30 (it has at most 29 days)"),
    # nth weekday of a month
    ("the 6th friday of may", "There is no 6th friday in a month: a month has at most 5"),
    ("every 6th monday of the month", "There is no 6th monday in a month"),
    ("every year on the 6th monday of may", "There is no 6th monday in a month"),
    ("the 9th monday", "'monday the 9th' for a date"),
    ("every 9th friday", "a month has at most 5 of each weekday, so say 'every 9 weeks on"),
    # times of day in one rule
    (
        "every day at " + ", ".join(f"{h}:00" for h in range(24)) + " and 0:30",
        "That names 25 times of day; a schedule runs at most 24 times a day",
    ),
    # cron fields
    ("0 0 2147483648 * *", "day-of-month field '2147483648': 2147483648 is out of range (1-31)"),
    ("0 99 * * *", "hour field '99': 99 is out of range (0-23)"),
    (f"*/{ABSURD} * * * *", "larger than the field's span (0-59)"),
]


@pytest.mark.parametrize(("text", "expected"), REFUSED, ids=[c[0][:60] for c in REFUSED])
def test_numbers_past_their_limit_are_refused_by_name(text: str, expected: str) -> None:
    """One past the limit and absurdly large alike: a ParseError saying what and how much."""
    with pytest.raises(ParseError) as caught:
        parse_when(text, NOW, "UTC")
    message = caught.value.message
    assert expected in message
    assert "out of the range of dates" not in message
    assert len(message) < 400  # a pasted wall of digits does not make a wall of text


def test_the_furthest_instant_is_exactly_a_hundred_years() -> None:
    """In 100 years is read; a minute more is refused; the check names the text."""
    assert parse_when("in 100 years", NOW, "UTC").anchor == furthest(NOW)
    assert furthest(NOW) == datetime(2026 + MAX_YEARS_AHEAD, 3, 2, 12, 0, tzinfo=UTC)
    with pytest.raises(ParseError, match="'every day' first runs on 2126-03-03"):
        check_reach(furthest(NOW) + timedelta(days=1), NOW, "every day", "first runs")
    check_reach(furthest(NOW), NOW, "every day", "first runs")


def test_the_furthest_day_of_a_leap_day_is_clamped() -> None:
    """100 years after 29 February is 28 February (2124 is a leap year, 2128 too, 2126 not)."""
    leap = datetime(2028, 2, 29, 8, 0, tzinfo=UTC)
    assert furthest(leap) == datetime(2128, 2, 29, 8, 0, tzinfo=UTC)
    assert furthest(datetime(2024, 2, 29, tzinfo=UTC)) == datetime(2124, 2, 29, tzinfo=UTC)
    assert furthest(datetime(2020, 2, 29, tzinfo=UTC)) == datetime(2120, 2, 29, tzinfo=UTC)
    assert furthest(datetime(2026, 1, 31, tzinfo=UTC)) == datetime(2126, 1, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("count", "problem"),
    [
        (1, None),
        (MAX_COUNT, None),
        (MAX_COUNT + 1, "10,001 times is more than a schedule may run (10,000 at most)"),
        (2**31, "2,147,483,648 times"),
        (10**80, "a 81-digit number times"),
        (0, "0 times is not a number of runs; give at least 1"),
        (-5, "-5 times is not a number of runs"),
    ],
)
def test_count_problem(count: int, problem: str | None) -> None:
    """The one wording of "N times", for the time language and the task rules alike."""
    found = count_problem(count)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("kind", "interval", "step", "problem"),
    [
        (RecurrenceType.DAILY, 3660, None, None),
        (RecurrenceType.DAILY, 3661, None, "Every 3,661 days is too far apart"),
        (RecurrenceType.WEEKLY, 521, None, "every 520 weeks"),
        (RecurrenceType.MONTHLY, 2**31, None, "Every 2,147,483,648 months"),
        (RecurrenceType.YEARLY, 11, None, "every 10 years"),
        (RecurrenceType.HOURLY, 8784, None, None),
        (RecurrenceType.HOURLY, 8785, None, "Every 527,100 minutes is too far apart"),
        (RecurrenceType.HOURLY, 1, MAX_STEP_MINUTES, None),
        (RecurrenceType.HOURLY, 1, 2**31, "Every 2,147,483,648 minutes"),
        (RecurrenceType.CRON, 1, None, None),
        (RecurrenceType.NONE, 1, None, None),
    ],
)
def test_shape_problem(
    kind: RecurrenceType, interval: int, step: int | None, problem: str | None
) -> None:
    """A stored shape's interval is held to the same limits as a typed one."""
    found = shape_problem(kind, interval, step)
    assert (found is None) if problem is None else (found is not None and problem in found)
