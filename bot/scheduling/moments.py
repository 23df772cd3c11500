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
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling import fallback, phrases
from bot.scheduling.dates import DateChoice, date_choice
from bot.scheduling.lexicon import not_understood
from bot.scheduling.phrases import Duration, TimeOfDay
from bot.scheduling.wallclock import add_months, clamped_date, resolve_wall_time

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
    return phrases.parse_duration(found["a"] or found["b"])


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


def _iso_instant(text: str, zone: ZoneInfo) -> datetime | None:
    """'2026-12-01 10:00', '2026-12-01T10:00:00+02:00' (naive means local in ``zone``)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[tT ]\d{1,2}:\d{2}\S*", text.strip()):
        return None
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
    stripped = re.sub(r"^(?:on|for|by) ", "", rest)
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


def parse_moment(
    text: str, now: datetime, zone: ZoneInfo, *, default: DefaultTime = "now", future: bool = True
) -> Moment:
    """Read one point in time from ``text`` relative to ``now`` (aware) in ``zone``.

    ``default`` is the time of day for a date typed without one: :data:`DEFAULT_TIME` ("now"),
    the start of that day (for "starting ...") or its end (for "until ...").  With ``future`` a
    result that is not after ``now`` is an error.  Raises :class:`ParseError` for anything else.
    """
    local_now = now.astimezone(zone)
    normal = phrases.normalise(text)
    if not normal:
        raise ParseError(f"Say when, for example {EXAMPLES}.")
    if normal in ("now", "right now", "immediately", "asap", "right away"):
        raise ParseError(f"'now' is not a time in the future. Try for example {EXAMPLES}.")
    iso = _iso_instant(text, zone)
    if iso is not None:
        return _checked(Moment(iso.replace(microsecond=0), True), local_now, text, future)
    relative = _relative(normal)
    if relative is not None and (relative.has_clock_part or phrases.find_time(normal) is None):
        instant = add_duration(local_now, relative, zone).replace(microsecond=0)
        return _checked(Moment(instant, True), local_now, text, future)
    found = phrases.find_time(normal)
    value, rest = found if found is not None else (None, normal)
    if value is not None and not phrases.valid_time(value):
        raise ParseError(f"{text.strip()!r} has no valid time of day. Try for example {EXAMPLES}.")
    rest, period = _take_period(rest)
    if period == "tonight" and value is not None and value.hour in (0, 12) and value.minute == 0:
        # "midnight tonight", "12 tonight": the midnight that ends today, not the one that began it
        rest, value = re.sub(r"\btoday\b", "tomorrow", rest), TimeOfDay(0, 0)
    choice, value = _read_date(rest, value, local_now, zone, text)
    if choice.dateless and value is None and period is None:
        raise not_understood(normal, text, EXAMPLES)
    typed_time = value is not None or period is not None
    clocks = _clock_times(value, period, local_now, default, choice.keeps_time)
    candidates = [resolve_wall_time(day, clock, zone) for day in choice.dates for clock in clocks]
    for instant in candidates:
        if not future or instant > local_now:
            return Moment(instant, typed_time)
    if not candidates:
        raise not_understood(normal, text, EXAMPLES)
    return _checked(Moment(candidates[-1], typed_time), local_now, text, future)


def _checked(moment: Moment, now: datetime, text: str, future: bool) -> Moment:
    if future and moment.instant <= now:
        raise ParseError(
            f"{text.strip()!r} is in the past ({moment.instant:%Y-%m-%d %H:%M %Z}); "
            f"a schedule needs a time in the future. Try for example {EXAMPLES}."
        )
    return moment
