"""The largest numbers a schedule may hold, and the one wording that refuses larger ones.

The time language refuses them while it reads ("every 5000 days", "in 10000 years"), and the
task rules (:mod:`bot.tasks.rules`) refuse them again for every schedule a task is given, however
it was built: typed text, the original design's fields, an API call.  So both say the same thing,
each message is written here once.

Every limit is far inside the 32-bit columns that store it (``storage.columns.INTEGER_MAX``), and
far inside what :mod:`datetime` can count: a date 100 years ahead is always a date, so no typed
number can make the arithmetic overflow.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from bot.bounds import number_text
from bot.errors import ParseError
from bot.scheduling.quantities import Duration
from bot.scheduling.wallclock import add_months, clamped_date
from storage.enums import RecurrenceType

# "N times": total runs of one schedule (about 27 years of daily runs).
MAX_COUNT = 10_000
# "every day at 9am, 1pm and 5pm": times of day of one calendar rule (one an hour).
MAX_TIMES_PER_DAY = 24
# "every N minutes" / "every N hours": real time between runs, from a minute to a leap year.
MIN_STEP_MINUTES = 1
MAX_STEP_MINUTES = 366 * 24 * 60
# "every N days/weeks/months/years": the longest repeat of each calendar unit (about ten years);
# beyond these a schedule is a mistake, not a plan.
MAX_INTERVAL = {"day": 3660, "week": 520, "month": 120, "year": 10}
# How far ahead any time the language reads may be: a first run, an end, a start.  Longer than
# every server's one-shot horizon (at most ten years) and the longest repeat, so nothing a server
# allows is refused; short enough that "in 10000 years" is a message, not an overflow.
MAX_YEARS_AHEAD = 100
# The nth weekday of a month runs from the 1st to the 5th (or "the last").
MAX_WEEKDAY_ORDINAL = 5
MAX_DAY_OF_MONTH = 31

_UNIT_OF_KIND = {
    RecurrenceType.DAILY: "day",
    RecurrenceType.WEEKLY: "week",
    RecurrenceType.MONTHLY: "month",
    RecurrenceType.YEARLY: "year",
}
_DAYS_PER_YEAR = 365.2425
_FAR_EXAMPLE = "Pick a nearer time, for example 'in 2 years' or 'on 1 jan 2030'."


def count_problem(count: int) -> str | None:
    """Why ``count`` runs are refused ("2147483648 times"), or None."""
    if count < 1:
        return f"{number_text(count)} times is not a number of runs; give at least 1."
    if count > MAX_COUNT:
        return (
            f"{number_text(count)} times is more than a schedule may run ({MAX_COUNT:,} at most). "
            "Leave the count out to repeat without end, or give an end: "
            "'every day at 9 until dec 31'."
        )
    return None


def interval_problem(number: int, unit: str) -> str | None:
    """Why "every ``number`` ``unit``s" is refused (a calendar unit: day, week, month, year)."""
    limit = MAX_INTERVAL.get(unit)
    if limit is not None and number > limit:
        return (
            f"Every {number_text(number)} {unit}s is too far apart: the longest repeat is every "
            f"{limit:,} {unit}s."
        )
    return None


def step_problem(minutes: int, typed: str | None = None) -> str | None:
    """Why a repeat ``minutes`` apart in real time is refused; ``typed`` names it as typed."""
    if minutes > MAX_STEP_MINUTES:
        every = typed or f"{number_text(minutes)} minutes"
        return (
            f"Every {every} is too far apart for a repeat in real time (at most "
            f"{MAX_STEP_MINUTES:,} minutes, 366 days). Try 'every N days' or 'every N weeks'."
        )
    return None


def times_per_day_problem(count: int) -> str | None:
    """Why ``count`` times of day in one rule are refused."""
    if count > MAX_TIMES_PER_DAY:
        return (
            f"That names {count} times of day; a schedule runs at most {MAX_TIMES_PER_DAY} times "
            "a day. For more, repeat in real time: 'every 30 minutes'."
        )
    return None


def shape_problem(kind: RecurrenceType, interval: int, step_minutes: int | None) -> str | None:
    """Why a stored shape's interval is refused, for schedules not read from text."""
    if kind is RecurrenceType.HOURLY:
        return step_problem(step_minutes if step_minutes is not None else interval * 60)
    unit = _UNIT_OF_KIND.get(kind)
    return None if unit is None else interval_problem(interval, unit)


def furthest(now: datetime) -> datetime:
    """The furthest instant a schedule may name: :data:`MAX_YEARS_AHEAD` years after ``now``."""
    year, month = add_months(now.year, now.month, 12 * MAX_YEARS_AHEAD)
    return now.replace(year=year, month=month, day=clamped_date(year, month, now.day).day)


def check_duration(duration: Duration, typed: str) -> None:
    """Refuse a length of time ("in 10000 years", "for 2147483648 days") beyond the furthest.

    Checked before the length is added to a date, which would overflow for the absurd ones.
    """
    years = (
        duration.months / 12
        + duration.days / _DAYS_PER_YEAR
        + duration.seconds / (_DAYS_PER_YEAR * 86_400)
    )
    if years > MAX_YEARS_AHEAD:
        raise ParseError(
            f"{typed.strip()!r} is more than {MAX_YEARS_AHEAD} years, and {MAX_YEARS_AHEAD} "
            f"years ahead is the furthest I schedule. {_FAR_EXAMPLE}"
        )


def typed_year(text: str, today: date) -> int:
    """A year typed in a date ("dec 25 2030"), refused past :data:`MAX_YEARS_AHEAD` years."""
    year = int(text)
    last = today.year + MAX_YEARS_AHEAD
    if year > last:
        shown = text if len(text) <= 12 else number_text(year)
        raise ParseError(
            f"The year {shown} is more than {MAX_YEARS_AHEAD} years ahead; I schedule up to "
            f"{last}. {_FAR_EXAMPLE}"
        )
    return year


def check_reach(instant: datetime | None, now: datetime, text: str, what: str) -> None:
    """Refuse ``text`` when its ``instant`` (``what``: "first runs", "ends") is too far ahead."""
    if instant is not None and instant > furthest(now):
        raise ParseError(
            f"{text.strip()!r} {what} on {instant:%Y-%m-%d}, more than {MAX_YEARS_AHEAD} years "
            f"ahead: the furthest I schedule. {_FAR_EXAMPLE}"
        )


_ORDINAL_NUMBER = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")


def ordinal_number(word: str) -> int | None:
    """The number of a written ordinal of any size: '6th' -> 6, '2147483648th' -> 2147483648."""
    found = _ORDINAL_NUMBER.fullmatch(word)
    return None if found is None else int(found.group(1))


def nth_weekday_problem(word: str, weekday: str) -> ParseError | None:
    """'the 6th friday': a month has at most five of each weekday; None for 1st-5th and words."""
    number = ordinal_number(word)
    if number is None or 1 <= number <= MAX_WEEKDAY_ORDINAL:
        return None
    return ParseError(
        f"There is no {word} {weekday} in a month: a month has at most {MAX_WEEKDAY_ORDINAL} of "
        f"each weekday. Say 'the last {weekday}', one of the 1st to the 5th, or "
        f"'{weekday} the {word}' for a date."
    )


def day_of_month_problem(text: str) -> ParseError | None:
    """'the 32nd', 'on the 2147483648th': days of the month run from the 1st to the 31st."""
    for found in _ORDINAL_NUMBER.finditer(text):
        if int(found.group(1)) > MAX_DAY_OF_MONTH:
            return ParseError(
                f"There is no {found.group(0)} day of a month: days run from the 1st to the "
                f"{MAX_DAY_OF_MONTH}st. For the end of a month say 'the last day of the month'."
            )
    return None
