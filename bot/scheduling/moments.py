"""One point in time from text: "in 2h30m", "tomorrow at 9am", "dec 25 at 7", "at noon".

The grammar here handles the common forms itself (fast, and right for scheduling); whatever date it
does not know is offered to dateparser, whose answer is then checked.  dateparser 1.5.0 gets these
wrong for scheduling, so they never reach it: "noon" after midday (a past time), "tonight at 8"
(now), "at 5" (May next year), "in half an hour", "this weekend" and "end of month" (nothing), and
"PST" (a fixed UTC-8 even in summer; zones are read by :mod:`bot.scheduling.zones`).

Rules: a time of day without a date is its next occurrence; a bare hour ("at 5") is the next time
the clock shows it (05:00 or 17:00); a date without a time keeps the current time of day; an
explicit date that has passed is an error, never a silent "now".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling import phrases
from bot.scheduling.phrases import Duration, TimeOfDay
from bot.scheduling.wallclock import add_months, clamped_date, days_in_month, resolve_wall_time

EXAMPLES = "'in 2 hours' or 'tomorrow at 9am'"
DefaultTime = Literal["now", "start", "end"]


@dataclass(frozen=True)
class Moment:
    """A parsed point in time: aware, in the zone it was read in; ``has_time`` if one was typed."""

    instant: datetime
    has_time: bool


@dataclass(frozen=True)
class DateChoice:
    """Dates a phrase may mean, in order; ``strict`` when it names exactly one (a past one errs)."""

    dates: list[date]
    strict: bool
    dateless: bool = False


def not_understood(part: str, text: str, examples: str = EXAMPLES) -> ParseError:
    """The error for text we could not read: which part, and two examples that work."""
    where = "" if part.strip() == text.strip() else f" in {text.strip()!r}"
    return ParseError(
        f"I could not understand {part.strip()!r}{where}. Try for example {examples}."
    )


def _relative(text: str) -> Duration | None:
    """'in 5 minutes', '2 hours from now', '3 days later', 'after 10 min' -> a duration."""
    found = re.fullmatch(
        r"(?:in|after) (.+?)(?: from now)?|(.+?) (?:from now|later|from today)", text
    )
    if found is None:
        return None
    return phrases.parse_duration(found.group(1) or found.group(2))


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


def _weekday_dates(today: date, weekday: int, skip_today: bool) -> list[date]:
    start = today + timedelta(days=1 if skip_today else 0)
    first = start + timedelta(days=(weekday - start.weekday()) % 7)
    return [first, first + timedelta(days=7)]


def _month_end_dates(today: date) -> list[date]:
    following = add_months(today.year, today.month, 1)
    return [
        today.replace(day=days_in_month(today.year, today.month)),
        date(following[0], following[1], days_in_month(*following)),
    ]


def _date_choice(rest: str, now: datetime, zone: ZoneInfo, text: str) -> DateChoice:
    """The dates ``rest`` (text with the time of day removed) may mean."""
    today = now.date()
    rest = re.sub(r"^(?:on|at|@|for) |(?: on| at)$", "", rest).strip()
    if rest == "":
        return DateChoice(
            [today + timedelta(days=n) for n in range(3)], strict=False, dateless=True
        )
    if rest == "today":
        return DateChoice([today], strict=True)
    if rest in ("tomorrow", "tmrw", "tmr", "tomorow"):
        return DateChoice([today + timedelta(days=1)], strict=True)
    if rest in ("day after tomorrow", "the day after tomorrow", "overmorrow"):
        return DateChoice([today + timedelta(days=2)], strict=True)
    if rest in ("next week", "a week from today"):
        return DateChoice([today + timedelta(days=7)], strict=True)
    if rest in ("next month", "next year"):
        year, month = add_months(today.year, today.month, 1 if rest == "next month" else 12)
        return DateChoice([clamped_date(year, month, today.day)], strict=True)
    if rest in ("end of month", "end of the month", "the end of the month", "end of this month",
                "month end", "the last day of the month", "last day of the month"):  # fmt: skip
        return DateChoice(_month_end_dates(today), strict=False)
    if rest in ("end of next month", "the end of next month"):
        return DateChoice(_month_end_dates(today)[1:], strict=True)
    if rest in ("end of year", "end of the year", "the end of the year", "end of this year"):
        return DateChoice([date(today.year, 12, 31), date(today.year + 1, 12, 31)], strict=False)
    if rest in ("this weekend", "weekend", "the weekend", "this coming weekend"):
        days = [today + timedelta(days=n) for n in range(14)]
        return DateChoice([d for d in days if d.weekday() >= 5], strict=False)
    if rest == "next weekend":
        saturday = today - timedelta(days=today.weekday()) + timedelta(days=12)
        return DateChoice([saturday, saturday + timedelta(days=1)], strict=False)
    found = re.fullmatch(r"(?:(this|next|coming|this coming) )?(\w+)(?: next week)?", rest)
    if found is not None and phrases.parse_weekday(found.group(2)) is not None:
        weekday = phrases.parse_weekday(found.group(2))
        assert weekday is not None
        skip_today = found.group(1) == "next" or rest.endswith("next week")
        dates = _weekday_dates(today, weekday, skip_today)
        if rest.endswith("next week"):  # "friday next week": the Friday of next calendar week
            monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
            dates = [monday + timedelta(days=weekday)]
        return DateChoice(dates, strict=rest.endswith("next week"))
    return _calendar_date(rest, now, zone, text)


def _calendar_date(rest: str, now: datetime, zone: ZoneInfo, text: str) -> DateChoice:
    """Month names, ordinals, ISO dates, "in 3 days", then dateparser for the rest."""
    weekday_first = re.fullmatch(r"(\w+) (.+)", rest)
    named_weekday: int | None = None
    if weekday_first and phrases.parse_weekday(weekday_first.group(1)) is not None:
        named_weekday = phrases.parse_weekday(weekday_first.group(1))
        rest = weekday_first.group(2)
    choice = _plain_calendar_date(rest, now, zone, text)
    if named_weekday is None:
        return choice
    # "friday dec 25": the weekday must agree with the date, or the text contradicts itself.
    dates = [d for d in choice.dates if d.weekday() == named_weekday]
    if not dates:
        first = choice.dates[0]
        raise ParseError(
            f"{first:%d %B %Y} is a {first:%A}, not a {date(2024, 1, 1 + named_weekday):%A}. "
            f"Try for example {EXAMPLES}."
        )
    return DateChoice(dates, strict=choice.strict)


def _plain_calendar_date(rest: str, now: datetime, zone: ZoneInfo, text: str) -> DateChoice:
    today = now.date()
    month_day = phrases.parse_month_day(rest)
    if month_day is not None:
        month, day, year = month_day
        if year is not None:
            return DateChoice([_real_date(year, month, day, text)], strict=True)
        _real_date(2000, month, day, text)  # 2000 is a leap year: rejects only impossible days
        dates = [date(y, month, day) for y in range(today.year, today.year + 9)
                 if day <= days_in_month(y, month)]  # fmt: skip
        return DateChoice(dates[:2], strict=False)
    iso = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", rest)
    if iso is not None:
        year, month, day = (int(part) for part in iso.groups())
        return DateChoice([_real_date(year, month, day, text)], strict=True)
    if re.fullmatch(r"(?:the )?\d{1,2}(?:st|nd|rd|th)|the \d{1,2}", rest):
        number = int(re.sub(r"\D", "", rest))
        if not 1 <= number <= 31:
            raise not_understood(rest, text)
        months = [add_months(today.year, today.month, n) for n in range(4)]
        dates = [date(y, m, number) for y, m in months if number <= days_in_month(y, m)]
        return DateChoice(dates, strict=False)
    relative = _relative(rest)
    if relative is not None:
        if relative.has_clock_part:
            raise ParseError(
                f"{rest!r} already says the time, so it cannot take a time of day as well. "
                f"Try for example {EXAMPLES}."
            )
        moved = add_duration(now, relative, zone)
        return DateChoice([moved.date()], strict=True)
    parsed = _dateparser_date(rest, now)
    if parsed is None:
        raise not_understood(rest, text)
    return DateChoice([parsed], strict=True)


def _real_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError(
            f"{text.strip()!r} names a day that does not exist ({year:04d}-{month:02d}-{day:02d}). "
            f"Try for example {EXAMPLES}."
        ) from None


def _dateparser_date(rest: str, now: datetime) -> date | None:
    """dateparser's reading of a date we do not know ourselves, or ``None``.

    Only text with a word or a separated number goes to it: on a bare number it invents months
    ("5" -> May), and its answers keep only their date (its times of day are what it gets wrong).
    """
    if not re.search(r"[a-z]{3}|\d+[/.]\d+", rest):
        return None
    import dateparser  # loaded on first use (~200 ms); warm_up() does it off the event loop

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        parsed = dateparser.parse(rest, languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted internal errors on odd text; it is a fallback
        return None
    return None if parsed is None else parsed.date()


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
    value: TimeOfDay | None, period: str | None, now: datetime, default: DefaultTime
) -> list[time]:
    if value is not None:
        return [time(h, m, s) for h, m, s in value.choices(phrases.PERIODS.get(period or ""))]
    if period is not None:
        return [time(phrases.PERIOD_DEFAULT_HOUR[period])]
    if default == "start":
        return [time(0)]
    if default == "end":
        return [time(23, 59, 59)]
    return [now.time().replace(microsecond=0, tzinfo=None, fold=0)]


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


def parse_moment(
    text: str, now: datetime, zone: ZoneInfo, *, default: DefaultTime = "now", future: bool = True
) -> Moment:
    """Read one point in time from ``text`` relative to ``now`` (aware) in ``zone``.

    ``default`` is the time of day for a date typed without one: the current time ("now"), the
    start of that day (for "starting ...") or its end (for "until ...").  With ``future`` a result
    that is not after ``now`` is an error.  Raises :class:`ParseError` for anything else.
    """
    local_now = now.astimezone(zone)
    normal = phrases.normalise(text)
    if not normal:
        raise ParseError(f"Say when, for example {EXAMPLES}.")
    if normal in ("now", "right now", "immediately", "asap"):
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
    choice = _date_choice(rest, local_now, zone, text)
    if choice.dateless and value is None and period is None:
        raise not_understood(text, text)
    typed_time = value is not None or period is not None
    candidates = [
        resolve_wall_time(day, clock, zone)
        for day in choice.dates
        for clock in _clock_times(value, period, local_now, default)
    ]
    for instant in candidates:
        if not future or instant > local_now:
            return Moment(instant, typed_time)
    if not candidates:
        raise not_understood(text, text)
    return _checked(Moment(candidates[-1], typed_time), local_now, text, future)


def _checked(moment: Moment, now: datetime, text: str, future: bool) -> Moment:
    if future and moment.instant <= now:
        raise ParseError(
            f"{text.strip()!r} is in the past ({moment.instant:%Y-%m-%d %H:%M %Z}); "
            f"a schedule needs a time in the future. Try for example {EXAMPLES}."
        )
    return moment
