"""One point in time from text: "in 2h30m", "tomorrow at 9am", "dec 25 at 7", "at noon".

:func:`parse_moment` takes the parts off one at a time: a relative duration ("in 2 hours"), the
time of day (:func:`bot.scheduling.phrases.find_time`), a day part ("tonight", "in the morning"),
then the date (:mod:`bot.scheduling.dates`, which falls back to Duckling for phrases it does not
know).  Every word must be read by one of them; otherwise the error names what was not understood.

Rules: a time of day without a date is its next occurrence; a bare hour ("at 5", "9 tomorrow") is
the next time the clock shows it (05:00 or 17:00); a named day without a time of day is at
:data:`DEFAULT_TIME` (09:00, as "every morning" is); a relative day ("in 3 days", "next week")
keeps the current time of day; an explicit date that has passed is an error, never "now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling import fallback, phrases
from bot.scheduling.dates import DateChoice, date_choice
from bot.scheduling.lexicon import not_understood
from bot.scheduling.limits import check_duration, typed_year
from bot.scheduling.phrases import Duration, TimeOfDay
from bot.scheduling.wallclock import (
    add_months,
    clamped_date,
    is_ambiguous,
    resolve_wall_time,
    to_utc,
)

EXAMPLES = "'in 2 hours' or 'tomorrow at 9am'"
DEFAULT_TIME = time(9, 0)
DefaultTime = Literal["now", "start", "end"]
_NUMBER_HOURS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip


@dataclass(frozen=True)
class Moment:
    """A parsed point in time: aware, in the zone it was read in; ``has_time`` if one was typed."""

    instant: datetime
    has_time: bool


_RELATIVE = re.compile(
    r"(?:in|after|within) (?P<a>.+?)(?:'?s? time)?"
    r"|(?P<b>.+?) (?:from now|later|from today|hence|on from now|from right now)"
)


def _relative(text: str) -> Duration | None:
    """'in 5 minutes', '2 hours from now', '5 days hence', 'a day from now' -> a duration."""
    found = _RELATIVE.fullmatch(text)
    if found is None:
        if re.fullmatch(r".+ ago", text) and phrases.parse_duration(text[:-4]) is not None:
            raise ParseError(f"{text!r} is in the past. Try for example {EXAMPLES}.")
        return None
    duration = phrases.parse_duration(found["a"] or found["b"])
    if duration is not None:
        check_duration(duration, text)
    return duration


def add_duration(now: datetime, duration: Duration, zone: ZoneInfo) -> datetime:
    """``now`` plus ``duration``: months and days on the wall clock, the rest in real time.

    "in 2 days" across a DST change keeps the clock time; "in 3 hours" is three real hours.
    """
    local = now.astimezone(zone)
    if duration.months or duration.days:
        year, month = add_months(local.year, local.month, duration.months)
        day = clamped_date(year, month, local.day) + timedelta(days=duration.days)
        local = resolve_wall_time(day, local.time().replace(tzinfo=None, fold=0), zone)
    # Real time is added in UTC: aware arithmetic within one zone would add wall-clock time.
    return (local.astimezone(UTC) + duration.elapsed).astimezone(zone)


def _take_period(rest: str) -> tuple[str, str | None]:
    """Remove 'tonight', 'this morning', 'in the evening'; return the text and the period word."""
    if re.search(r"\btonight\b", rest):
        return phrases.squeeze(re.sub(r"\btonight\b", "today", rest)), "tonight"
    found = re.search(r"\b(?:this |in the |at )?(morning|afternoon|evening|night)\b", rest)
    if found is None:
        return rest, None
    period = found.group(1)
    replacement = "today" if found.group(0).startswith("this ") else ""
    return phrases.squeeze(rest[: found.start()] + replacement + rest[found.end() :]), period


def _clock_times(
    value: TimeOfDay | None,
    period: str | None,
    now: datetime,
    default: DefaultTime,
    keeps_time: bool,
) -> list[time]:
    if value is not None:
        return [time(h, m, s) for h, m, s in value.choices(phrases.PERIODS.get(period or ""))]
    if period is not None:
        return [time(phrases.PERIOD_DEFAULT_HOUR[period])]
    if default == "start":
        return [time(0)]
    if default == "end":
        return [time(23, 59, 59)]
    if keeps_time:
        return [now.time().replace(microsecond=0, tzinfo=None, fold=0)]
    return [DEFAULT_TIME]


def _iso_instant(text: str, zone: ZoneInfo, today: date) -> datetime | None:
    """'2026-12-01 10:00', '2026-12-01T10:00:00+02:00' (naive means local in ``zone``)."""
    if not re.fullmatch(r"\d{4,}-\d{2}-\d{2}[tT ]\d{1,2}:\d{2}\S*", text.strip()):
        return None
    typed_year(text.strip().split("-", 1)[0], today)
    try:
        parsed = datetime.fromisoformat(text.strip().upper().replace(" ", "T"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return resolve_wall_time(parsed.date(), parsed.time(), zone)
    return parsed.astimezone(zone)


def _bare_hour(rest: str) -> tuple[TimeOfDay, str] | None:
    """A lone hour next to a date: '9 tomorrow', 'tomorrow 9', 'friday 5', 'nine tonight'."""
    words = rest.split()
    if len(words) < 2:
        return None
    for index in (0, len(words) - 1):
        word = words[index]
        hour = int(word) if word.isdigit() and len(word) <= 2 else _NUMBER_HOURS.get(word)
        if hour is None or not 0 <= hour <= 24:
            continue
        remaining = " ".join(words[:index] + words[index + 1 :])
        return TimeOfDay(hour % 24, 0, 0, ambiguous=1 <= hour <= 12), remaining
    return None


def _read_date(
    rest: str, value: TimeOfDay | None, now: datetime, zone: ZoneInfo, text: str
) -> tuple[DateChoice, TimeOfDay | None]:
    """The date part of a one-shot, and the time of day if the date part also carried one."""
    stripped = re.sub(r"^(?:on|for) ", "", rest)
    relative = _relative(stripped)
    if relative is not None:
        if relative.has_clock_part:
            raise ParseError(
                f"{stripped!r} already says the time, so it cannot take a time of day as well. "
                f"Try for example {EXAMPLES}."
            )
        moved = add_duration(now, relative, zone)
        return DateChoice([moved.date()], strict=True, keeps_time=True), value
    choice = date_choice(rest, now, zone, text, use_fallback=False)
    if choice is not None:
        return choice, value
    if value is None:
        bare = _bare_hour(rest)
        if bare is not None:
            choice = date_choice(bare[1], now, zone, text, use_fallback=False)
            if choice is not None and not choice.dateless:
                return choice, bare[0]
    reading = fallback.read_date(stripped, now, zone)
    if reading is not None:
        if reading.at is not None:
            if value is not None:
                raise not_understood(rest, text, EXAMPLES)  # two times of day
            value = TimeOfDay(reading.at.hour, reading.at.minute, reading.at.second)
        return DateChoice(list(reading.days), strict=len(reading.days) == 1), value
    raise not_understood(rest, text, EXAMPLES)


_PERIOD_HOURS = {
    "morning": range(0, 12),
    "afternoon": range(12, 18),
    "evening": range(16, 24),
    "night": (*range(18, 24), *range(0, 6)),
    "tonight": (*range(18, 24), *range(0, 6)),
}
NIGHT = ("night", "tonight")


def night_clock(value: TimeOfDay) -> TimeOfDay:
    """An hour said at night: 'tonight at 1' is 01:00 (after midnight), 'at 12' is midnight."""
    if not value.ambiguous:
        return value
    hour = 0 if value.hour == 12 else value.hour if value.hour < 6 else value.hour + 12
    return TimeOfDay(hour, value.minute, value.second)


def check_period(value: TimeOfDay | None, period: str | None, text: str) -> None:
    """'tomorrow morning at 9pm' contradicts itself: say so rather than pick one."""
    if value is None or period is None:
        return
    hour = value.hour
    if value.ambiguous and value.hour == 12 and period == "morning":
        raise ParseError(
            f"{text.strip()!r}: 12 in the morning could be midnight or noon. Say '00:00' or 'noon'."
        )
    if value.ambiguous:
        hour = value.choices(phrases.PERIODS[period])[0][0]  # "evening at 12" is 12:00: refused
    if hour not in _PERIOD_HOURS[period]:
        where = "tonight" if period == "tonight" else f"in the {period}"
        raise ParseError(
            f"{text.strip()!r}: {hour:02d}:{value.minute:02d} is not {where}. Keep one of the "
            "two, for example 'at 9am' or 'in the evening at 9'."
        )


def midnight_on_a_day(text: str) -> ParseError:
    """The error for 'friday at midnight': the start of that day, or its end?"""
    return ParseError(
        f"{text.strip()!r}: midnight on a named day could be the start of that day or its end. "
        "Say '00:00' for the start of the day, or name the next day at 00:00 for its end."
    )


def parse_moment(
    text: str,
    now: datetime,
    zone: ZoneInfo,
    *,
    default: DefaultTime = "now",
    future: bool = True,
    calendar_zone: ZoneInfo | None = None,
) -> Moment:
    """Read one point in time from ``text`` relative to ``now`` (aware) in ``zone``.

    ``default`` is the time of day for a date typed without one: :data:`DEFAULT_TIME` ("now"),
    the start of that day (for "starting ...") or its end (for "until ...").  With ``future`` a
    result that is not after ``now`` is an error.  ``calendar_zone`` is the zone whose calendar
    says which day "today" and "tomorrow" are, when the text named another zone for its clock
    ("tomorrow at 9am UTC", typed in New York at 22:00, is Wednesday 09:00 UTC: the typist's
    tomorrow).  Raises :class:`ParseError` for anything else.
    """
    local_now = now.astimezone(zone)
    calendar_now = now.astimezone(calendar_zone or zone)
    normal = phrases.normalise(text)
    if not normal:
        raise ParseError(f"Say when, for example {EXAMPLES}.")
    if normal in ("now", "right now", "immediately", "asap", "right away"):
        raise ParseError(f"{normal!r} is not a time in the future. Try for example {EXAMPLES}.")
    iso = _iso_instant(text, zone, local_now.date())
    if iso is not None:
        return _checked(Moment(iso.replace(microsecond=0), True), local_now, text, future)
    vague = re.search(r"\b(?:a few|few|several|some|a while|a bit|soon|later on)\b", normal)
    if vague:
        raise ParseError(
            f"{vague.group(0)!r} is not a number, so I would have to guess. Say how long, for "
            "example 'in 5 minutes' or 'in 2 hours'."
        )
    dotted = re.fullmatch(r"(\d{1,2})\.(\d{2})", normal)
    if dotted and int(dotted[1]) <= 23 and not text.strip().endswith("."):
        first, second = int(dotted[1]), int(dotted[2])
        if 1 <= second <= 12 or (1 <= first <= 12 and 1 <= second <= 31):
            raise ParseError(
                f"{normal!r} could be {dotted[1]}:{dotted[2]} or a date. Write "
                f"'at {dotted[1]}:{dotted[2]}', or the month as a word."
            )
        normal = f"at {dotted[1]}:{dotted[2]}"  # "17.00", "21.15": a clock, never a date
    found = phrases.find_time(normal)
    if found is None and phrases.parse_duration(normal) is not None:
        raise ParseError(f"Did you mean 'in {normal}'? A length alone is not a time.")
    unitless = re.fullmatch(r"(?:in|after) (.+)", normal)
    quantity = None if unitless is None else phrases.parse_quantity(unitless.group(1))
    if unitless and quantity is not None:
        one = quantity == 1
        count = "1" if one else unitless.group(1)
        unit = ("minute", "hour") if one else ("minutes", "hours")
        raise ParseError(
            f"{normal!r} says how many but not of what. Try 'in {count} {unit[0]}' or "
            f"'in {count} {unit[1]}'."
        )
    relative = _relative(normal)
    if relative is not None and (relative.has_clock_part or found is None):
        instant = add_duration(local_now, relative, zone).replace(microsecond=0)
        return _checked(Moment(instant, True), local_now, text, future)
    value, rest = found if found is not None else (None, normal)
    if value is not None and not phrases.valid_time(value):
        raise ParseError(f"{text.strip()!r} has no valid time of day. Try for example {EXAMPLES}.")
    rest, period = _take_period(rest)
    choice, value = _read_date(rest, value, calendar_now, zone, text)
    if choice.dateless and value is None and period is None:
        raise not_understood(normal, text, EXAMPLES)
    if period in NIGHT and value is not None:
        value = night_clock(value)
    check_period(value, period, text)
    if (
        value is not None
        and (value.hour, value.minute) == (0, 0)
        and re.search(r"\bmidnight\b", normal)
        and not choice.dateless
        and period not in NIGHT
    ):
        raise midnight_on_a_day(text)
    if (
        value is not None
        and value.ambiguous
        and value.hour == 12
        and not choice.dateless
        and period is None
    ):
        # "tomorrow at 12" is noon: its other reading, the midnight that starts the day, is the
        # "midnight on a named day" that is never guessed.
        value = TimeOfDay(12, value.minute, value.second)
    typed_time = value is not None or period is not None
    clocks = _clock_times(value, period, local_now, default, choice.keeps_time)
    candidates = []
    for day in choice.dates:
        for clock in clocks:
            # At night, the small hours belong to the next date: "tonight at 1" is 01:00 tomorrow.
            when = day + timedelta(days=1) if period in NIGHT and clock.hour < 6 else day
            candidates.extend(_instants(when, clock, zone))
    threshold = to_utc(now)
    for instant in candidates:
        if not future or to_utc(instant) > threshold:
            return Moment(instant, typed_time)
    if not candidates:
        raise not_understood(normal, text, EXAMPLES)
    return _checked(Moment(candidates[-1], typed_time), local_now, text, future)


def _instants(day: date, clock: time, zone: ZoneInfo) -> list[datetime]:
    """The instants a wall time names: one, or both passes of a repeated hour (first first).

    A one-shot is the next time the clock shows the time, so at 01:10 in the second pass of a
    repeated hour "at 1:30am" is 01:30 of that second pass, twenty minutes away.
    """
    first = resolve_wall_time(day, clock, zone)
    wall = datetime.combine(day, clock)
    if is_ambiguous(wall, zone):
        return [first, wall.replace(tzinfo=zone, fold=1)]
    return [first]


def _checked(moment: Moment, now: datetime, text: str, future: bool) -> Moment:
    if future and to_utc(moment.instant) <= to_utc(now):
        raise ParseError(
            f"{text.strip()!r} is in the past ({moment.instant:%Y-%m-%d %H:%M %Z}); "
            f"a schedule needs a time in the future. Try for example {EXAMPLES}."
        )
    return moment
