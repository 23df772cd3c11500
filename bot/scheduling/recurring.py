"""The recurrence grammar: "every weekday at 9am", "every 2 weeks on monday", "hourly".

Forms (after the bounds and "N times" were cut off by :mod:`bot.scheduling.timelang`):

* ``every [N|other] minutes|hours|days|weeks|months|years [on ...] [at TIMES]``, ``every 90m``
* ``hourly|daily|weekly|monthly|yearly|annually [on ...] [at TIMES]``
* ``every|on <days> [except <days>]`` ("every monday and wednesday", "every weekday except friday")
* ``every other friday``, ``every 3rd tuesday`` (weekly with an interval)
* ``every first monday of the month``, ``the last friday of every month`` (nth weekday)
* ``every <month> <day>``, ``on the 1st of every month``, ``every year on christmas``
* ``every morning|afternoon|evening|night [at TIME]``, ``every hour on the half hour``
* ``twice a week on tuesday and thursday``, ``three times a day at 8, 12 and 18``

Times of day: one or several ("at 9am and 5pm").  A named day without a time is at 09:00 (as
"every morning" is); an interval alone ("every 2 weeks", "daily") counts from now, so its first run
is one interval from now at the current minute.  "every N minutes/hours" and "hourly" are elapsed
real time for any N; they start at the next multiple of gcd(N, 60) minutes past the hour (N < 60)
or the next full hour, unless a start or a minute ("on the half hour") is given.

Every word must be read; anything left over is reported.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling import phrases
from bot.scheduling.cron import cron_next_after, normalise_cron
from bot.scheduling.lexicon import not_understood
from bot.scheduling.limits import times_per_day_problem
from bot.scheduling.moments import (
    DEFAULT_TIME,
    NIGHT,
    add_duration,
    check_period,
    midnight_on_a_day,
    night_clock,
)
from bot.scheduling.recurrence import Recurrence, RecurrenceType, first_calendar_occurrence
from bot.scheduling.shapes import EXAMPLES, Shape, elapsed_minutes, read_shape
from bot.scheduling.shapes import is_recurring as is_recurring
from bot.scheduling.wallclock import is_gap, to_utc

_TICK = timedelta(microseconds=1)

_MINUTE_MARK = re.compile(
    r"(?:^| )(?:on the (?P<half>half )?hour|at (?::(?P<colon>\d{2})|(?P<past>\d{1,2}) "
    r"(?:minutes )?past(?: the hour)?|half past(?: the hour)?|(?:a )?quarter (?P<qto>past|to)"
    r"(?: the hour)?))(?= |$)(?! (?:\d|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|noon|midnight)\b)"
)


def _minute_mark(text: str) -> tuple[int | None, str]:
    """'on the half hour' -> 30, 'at :15' -> 15, 'at quarter to' -> 45; and the rest."""
    found = _MINUTE_MARK.search(text)
    if found is None:
        return None, text
    if found["colon"] is not None:
        minute = int(found["colon"])
    elif found["past"] is not None:
        minute = int(found["past"])
    elif found["qto"] is not None:
        minute = 15 if found["qto"] == "past" else 45
    elif "half past" in found.group(0) or found["half"]:
        minute = 30
    else:
        minute = 0
    if not 0 <= minute <= 59:
        raise ParseError(f"{found.group(0).strip()!r} is not a minute of the hour (0-59).")
    return minute, phrases.squeeze(text[: found.start()] + " " + text[found.end() :])


_FREQUENCY = re.compile(
    r"^(?P<n>once|twice|thrice|\S+ times) (?:(?:a|per|every|each) (?P<unit>day|week|month|year)"
    r"|(?P<adverb>daily|weekly|monthly|yearly))\b"
)


def _frequency(text: str) -> tuple[int | None, str]:
    """'twice a week on tuesday and thursday' -> (2, 'every week on tuesday and thursday')."""
    found = _FREQUENCY.search(text)
    if found is None:
        return None, text
    word = found["n"]
    words = {"once": 1, "twice": 2, "thrice": 3}
    number = words.get(word)
    if number is None:
        quantity = phrases.parse_quantity(word[: -len(" times")])
        number = int(quantity) if quantity is not None and quantity == int(quantity) else None
    if number is None or number < 1:
        raise ParseError(f"{word!r} is not a number of times. Try 'twice a week on tuesday and "
                         "thursday'.")  # fmt: skip
    unit = found["unit"] or {"daily": "day", "weekly": "week", "monthly": "month"}.get(
        found["adverb"], "year"
    )  # "twice daily" is "twice a day"
    return number, f"every {unit}{text[found.end() :]}"


def parse_recurrence(
    text: str, now: datetime, zone: ZoneInfo, start: datetime | None, start_time: time | None
) -> Recurrence:
    """Read a recurrence phrase (normalised, bounds removed) into a :class:`Recurrence`.

    ``start`` is the "starting ..." bound (aware) if any; the first run is the first one at or
    after it and after ``now``.  ``start_time`` is the time of day the bound named, used when the
    phrase itself names none ("every day starting tomorrow at 10").
    """
    frequency, rest = _frequency(text)
    period_match = re.search(
        r"\b(?:every |each |in the |at )?(morning|afternoon|evening|night)s?\b", rest
    )
    period = period_match.group(1) if period_match else None
    if period_match is not None:
        daily = period_match.group(0).startswith(("every", "each"))
        rest = phrases.squeeze(rest[: period_match.start()] + (" every day" if daily else "")
                               + rest[period_match.end() :])  # fmt: skip
    local_now = now.astimezone(zone)
    minute_mark, rest = _minute_mark(rest)
    times, rest = _times_of_day(rest, period, text)
    rest = re.sub(r"^(?:at |on )", "", rest).strip()
    rest = re.sub(r"^(?:on )?(every|each) ", r"\1 ", rest)
    shape = read_shape(rest, text)
    if frequency is not None:
        _check_frequency(frequency, shape, times, text)
    if shape.unit in ("second", "minute", "hour", "elapsed"):
        if shape.unit == "second":
            raise ParseError(f"The shortest repeat is every minute. Try for example {EXAMPLES}.")
        minutes = shape.interval
        if shape.unit != "elapsed":
            seconds = shape.interval * (3600.0 if shape.unit == "hour" else 60.0)
            minutes = elapsed_minutes(seconds, text, f"{shape.interval} {shape.unit}s")
        return _elapsed(minutes, times, minute_mark, zone, local_now, start, text)
    if minute_mark is not None:
        raise not_understood(text, text, EXAMPLES)
    if (
        shape.named_day
        and time(0) in times
        and re.search(r"\bmidnight\b", text)
        and shape.unit != "day"
    ):
        raise midnight_on_a_day(text)  # "every friday at midnight": which night?
    if shape.days_of_month:
        return _several_days(shape, times or [DEFAULT_TIME], zone, local_now, start, text)
    if not times:
        if start_time is not None:
            times = [start_time]
        elif shape.named_day or start is not None or period is not None:
            times = [DEFAULT_TIME]
    return _calendar(shape, times, zone, local_now, start, text)


def _check_frequency(count: int, shape: Shape, times: list[time], text: str) -> None:
    """'twice a week' must name two days, 'three times a day' three times: never a guess."""
    if count == 1 and not times and not shape.days and not shape.days_of_month:
        return  # "once a week", "once daily": the same as "weekly", "daily"
    if shape.days_of_month:
        named, what = len(shape.days_of_month), "days"
    elif shape.unit == "week" and shape.ordinal is None:
        named, what = (len(shape.days) if shape.named_day else 0), "days"
    elif shape.unit == "day":
        named, what = len(times), "times of day"
    else:
        named, what = (len(times) if len(times) > 1 else 1), "days"
        if named != count:
            raise ParseError(
                f"{text.strip()!r}: name the {count} days, for example 'every month on the 1st "
                "and 15th at 9am' ('twice a year' needs two tasks, one per date)."
            )
    if named != count:
        what = (
            what if named != 1 else {"days": "day", "times of day": "time of day"}.get(what, "time")
        )
        raise ParseError(
            f"{text.strip()!r} says {count} time{'s' if count > 1 else ''} but names {named} "
            f"{what}. Try for example 'twice a week on tuesday and thursday at 6pm' or "
            "'twice a day at 9am and 5pm'."
        )


def _times_of_day(text: str, period: str | None, whole: str) -> tuple[list[time], str]:
    found = phrases.find_times(text)
    if found is None:
        if period is not None:
            return [time(phrases.PERIOD_DEFAULT_HOUR[period])], text
        return [], text
    values, rest = found
    times: list[time] = []
    for value in values:
        if not phrases.valid_time(value):
            raise ParseError(
                f"{whole.strip()!r} has no valid time of day. Try for example {EXAMPLES}."
            )
        if period in NIGHT:
            value = night_clock(value)  # "every night at 1" is 01:00
        check_period(value, period, whole)
        hour = value.hour
        if period is not None and value.ambiguous:
            hour = value.choices(phrases.PERIODS[period])[0][0]
        times.append(time(hour, value.minute))
    problem = times_per_day_problem(len(set(times)))
    if problem is not None:
        raise ParseError(problem)
    return sorted(set(times)), rest


def _calendar(
    shape: Shape,
    times: list[time],
    zone: ZoneInfo,
    now: datetime,
    start: datetime | None,
    text: str,
) -> Recurrence:
    kinds = {
        "day": RecurrenceType.DAILY,
        "week": RecurrenceType.WEEKLY,
        "month": RecurrenceType.MONTHLY,
        "year": RecurrenceType.YEARLY,
    }
    kind = kinds[shape.unit]
    if shape.unit == "day" and (shape.days or shape.day_of_month):
        raise not_understood(text, text, EXAMPLES)
    base = now if start is None else start.astimezone(zone)
    # With a start the series counts its interval from the start, even one already passed
    # ("every 2 weeks starting today" after today's run: two weeks from today, not one).
    threshold = now if start is None else start.astimezone(zone) - _TICK
    from_now = not times
    if from_now:
        # An interval alone ("every 2 weeks", "daily"): one interval from now, at this minute.
        times = [now.time().replace(second=0, microsecond=0, tzinfo=None, fold=0)]
        skipped = shape.interval - 1  # periods before the first run; the search adds the last
        months = {"month": skipped, "year": 12 * skipped}.get(shape.unit, 0)
        days = {"day": skipped, "week": 7 * skipped}.get(shape.unit, 0)
        threshold = add_duration(now, phrases.Duration(months, days), zone)
    local = base.astimezone(zone).date()
    weekdays = shape.days or ((local.weekday(),) if shape.unit == "week" else ())
    day_of_month = shape.day_of_month
    month = shape.month
    if shape.unit in ("month", "year") and shape.ordinal is None and day_of_month is None:
        day_of_month = local.day
    if shape.unit == "year" and month is None:
        month = local.month
    if shape.unit == "year" and day_of_month is not None:
        try:
            date(2000, month or 1, day_of_month)  # a leap year, so only impossible days fail
        except ValueError:
            raise ParseError(
                f"{text.strip()!r} names a day that no year has. Try for example {EXAMPLES}."
            ) from None
        if (month, day_of_month) == (2, 29) and shape.interval > 1:
            # "every 4 years on feb 29": start in a leap year, or it would never see the 29th.
            year = threshold.astimezone(zone).year
            while not calendar.isleap(year) or datetime(year, 3, 1, tzinfo=zone) <= threshold:
                year += 1
            threshold = max(threshold, datetime(year, 1, 1, tzinfo=zone))
    first, *more = times
    uses_days = kind is RecurrenceType.WEEKLY or shape.ordinal is not None
    anchor = first_calendar_occurrence(
        kind,
        first,
        zone,
        threshold,
        weekdays=weekdays if uses_days else (),
        day_of_month=day_of_month,
        month=month,
        more_times=tuple(more),
        ordinal=shape.ordinal,
    )
    rule = Recurrence(
        kind,
        anchor,
        zone.key,
        shape.interval,
        time_of_day=first,
        more_times=tuple(more),
        weekdays=weekdays if uses_days else (),
        day_of_month=None if shape.ordinal else day_of_month,
        ordinal=shape.ordinal,
    )
    if to_utc(anchor) > to_utc(now):
        return rule
    # The series began at a start already passed: its first run still ahead, in step with it.
    following = rule.next_after(now)
    if following is None:
        raise ParseError(f"{text.strip()!r} has no run after now. Try for example {EXAMPLES}.")
    return dataclasses.replace(rule, anchor=following)


def _several_days(
    shape: Shape,
    times: list[time],
    zone: ZoneInfo,
    now: datetime,
    start: datetime | None,
    text: str,
) -> Recurrence:
    """'every month on the 1st and 15th at 9': a cron rule, which keeps the DST rules too."""
    if shape.interval != 1 or len({at.minute for at in times}) != 1:
        raise ParseError(
            f"{text.strip()!r}: several days of the month need an interval of one month and "
            "times on the same minute (e.g. 'every month on the 1st and 15th at 9:00 and 17:00')."
        )
    hours = ",".join(str(at.hour) for at in times)
    days = ",".join(str(day) for day in shape.days_of_month)
    expression = normalise_cron(f"{times[0].minute} {hours} {days} * *")
    after = now if start is None else max(now, start - _TICK)
    anchor = cron_next_after(expression, after, zone)
    assert anchor is not None  # days up to the 28th come every month
    return Recurrence(RecurrenceType.CRON, anchor, zone.key, cron=expression)


def _elapsed(
    minutes: int,
    times: list[time],
    minute_mark: int | None,
    zone: ZoneInfo,
    now: datetime,
    start: datetime | None,
    text: str,
) -> Recurrence:
    """'every N minutes' / 'every N hours' / 'hourly': elapsed real time from the anchor."""
    if len(times) > 1 or (times and minute_mark is not None):
        raise not_understood(text, text, EXAMPLES)
    after = start - _TICK if start is not None and start > now else now
    if times:
        # "every 2 hours at 10:30": the first run is the next 10:30, then real time from there.
        anchor = first_calendar_occurrence(RecurrenceType.DAILY, times[0], zone, after)
    elif minute_mark is not None:
        anchor = _next_wall_mark(after, zone, 60, minute_mark)  # "on the half hour": :30
    elif start is not None and start > now:
        anchor = start.astimezone(zone)
    else:
        step = math.gcd(minutes, 60) if minutes < 60 else 60
        anchor = _next_wall_mark(now, zone, step, 0)
    if minutes % 60 == 0:
        return Recurrence(RecurrenceType.HOURLY, anchor, zone.key, minutes // 60)
    return Recurrence(RecurrenceType.HOURLY, anchor, zone.key, step_minutes=minutes)


def _next_wall_mark(after: datetime, zone: ZoneInfo, step: int, offset: int) -> datetime:
    """The first instant after ``after`` whose local clock shows a minute of ``offset`` plus a
    multiple of ``step`` (``step`` dividing 60): "the next full hour", "the next :15".

    Read on the wall clock, not stepped in UTC: across Lord Howe's 30-minute shift the next full
    hour is 03:00, not 02:30.  Wall times in a gap do not exist and are skipped; in a repeated
    hour both passes count.
    """
    threshold = to_utc(after)
    local = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0, fold=0)
    wall = local.replace(minute=0) + timedelta(minutes=offset % step)
    best: datetime | None = None
    for _ in range(2 * 24 * 60 // step + 2):  # two days of marks: a gap is at most a few hours
        if not is_gap(wall, zone):
            first, second = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
            for candidate in (first, second):
                if to_utc(candidate) > threshold and (best is None or to_utc(candidate) < best):
                    best = to_utc(candidate)
            if to_utc(first) > threshold:
                break  # later marks' first passes come later still; an earlier second pass won
        wall += timedelta(minutes=step)
    if best is None:
        raise AssertionError("a clock shows every minute mark within two days")
    return best.astimezone(zone)
