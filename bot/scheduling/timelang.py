"""The time language: text, ``now`` and a zone in; one instant or a recurrence out.

:func:`parse_when` is the entry point.  It is pure (``now`` is passed in, the clock is never read)
and returns a :class:`~bot.scheduling.recurrence.Recurrence`: kind ``none`` for one point in time
(its ``anchor``), or a repeating rule.  The steps:

1. "N times" and the bounds ("starting ...", "from ...", "until ...") are cut off a repeating
   phrase;
2. a zone at the end ("9am PST", "in Europe/Paris", "tokyo time") becomes the schedule's zone;
3. the rest is a cron expression, a recurrence phrase (:mod:`bot.scheduling.recurring`) or one
   point in time (:mod:`bot.scheduling.moments`).

Text that is not understood raises :class:`~bot.errors.ParseError` saying which part and showing two
examples; nothing is ever read as "now", and a one-shot is always strictly after ``now``.

Duckling (the fallback for dates our grammar does not know, :mod:`bot.scheduling.fallback`) takes
~0.5 s to start; call :func:`warm_up` at start-up, in a thread, or use :func:`parse_when_async`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling import fallback, holidays, phrases, zones
from bot.scheduling.cron import cron_next_after, looks_like_cron, normalise_cron
from bot.scheduling.dates import period_span, weekend_span
from bot.scheduling.lexicon import NotUnderstood, unknown_words
from bot.scheduling.limits import (
    check_duration,
    check_reach,
    count_problem,
    day_of_month_problem,
    typed_year,
)
from bot.scheduling.moments import Moment, add_duration, parse_moment
from bot.scheduling.recurrence import Recurrence, RecurrenceType
from bot.scheduling.recurring import is_recurring, parse_recurrence
from bot.scheduling.wallclock import days_in_month, resolve_wall_time, to_utc

EXAMPLES = "'tomorrow at 9am' or 'every weekday at 18:30'"
MAX_LENGTH = 300
_COUNT_WORDS = {"once": 1, "one": 1, "twice": 2, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
                "twenty": 20}  # fmt: skip
_COUNT = re.compile(
    r"(?:^| )(?:for )?(?:(\d+|[a-z]+) times|(1|one)(?= time(?: |$)) time|(twice|once))(?= |$)"
    r"(?! (?:a|per|every|each) | ?(?:daily|weekly|monthly|yearly|hourly)\b)"
)
_BOUND = re.compile(
    r"(?:^| )(starting|beginning|from|until|till|til|ending|through|thru|for)"
    r"(?: (?:on|from))?(?= |$)"
)
# Words of the grammar that are never a zone, even where a city shares the name.
_GRAMMAR_WORDS = frozenset(
    "at on in the every each day days week weeks month months year years hour hours minute "
    "minutes times time now today tonight tomorrow noon midnight morning afternoon evening night "
    "am pm weekday weekdays weekend weekends later z".split()
)


_STARTS = ("starting", "beginning", "from")


def _take_count(text: str) -> tuple[int | None, str]:
    found = _COUNT.search(text)
    if found is None:
        return None, text
    word = found.group(1) or found.group(2) or found.group(3)
    if re.match(r" (?:at|on|in) ", text[found.end() :]) and not word.isdigit():
        raise ParseError(
            f"In {text.strip()!r}, {found.group(0).strip()!r} could be per day (or week) or in "
            f"all. Say 'twice a day at 9am and 5pm' for each day, or put the count at the end: "
            f"'every day at 9am, 2 times'."
        )
    if re.search(r"(?:^| )(?:at|@)$", text[: found.start()]):
        raise ParseError(
            f"In {text.strip()!r}, is {word} the time or the number of times? Say "
            f"'at {word}am, 10 times' or 'at 9am, {word} times'."
        )
    number = int(word) if word.isdigit() else _COUNT_WORDS.get(word)
    if number is None or number < 1:
        raise ParseError(
            f"{found.group(0).strip()!r} is not a number of times of at least 1. "
            "Try for example 'every day at 9 10 times' or 'every monday until dec 31'."
        )
    problem = count_problem(number)
    if problem is not None:
        raise ParseError(problem)
    return number, phrases.squeeze(text[: found.start()] + " " + text[found.end() :])


_OFFSET = re.compile(
    r"(?:^| )(?:utc|gmt)(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?(?= |$)"
)
# Abbreviations that are also English words: only ever read at the end of the text.
_WORDLIKE_ZONES = frozenset({"eat", "cat", "art", "west", "central", "eastern", "pacific"})
_AFTER_CLOCK = re.compile(r"(?:\d|am|pm|noon|midnight|o'clock) (?P<abbr>[a-z]{2,5})(?= )")


def _take_offset(text: str) -> tuple[str, str | None]:
    """'9am UTC+2' -> Etc/GMT-2 (IANA's Etc names invert the sign); half hours are refused."""
    found = _OFFSET.search(text)
    if found is None:
        return text, None
    hours = int(found["hours"])
    if (found["minutes"] not in (None, "00")) or hours > 14:
        raise ParseError(
            f"{found.group(0).strip()!r} is not a whole-hour offset I can keep through daylight "
            "saving. Name the zone instead, for example 'in Asia/Kolkata' or 'IST'."
        )
    sign = "-" if found["sign"] == "+" else "+"
    name = "UTC" if hours == 0 else f"Etc/GMT{sign}{hours}"
    return phrases.squeeze(text[: found.start()] + " " + text[found.end() :]), name


def _take_inner_zone(text: str) -> tuple[str, str | None]:
    """A zone abbreviation right after a clock time, not at the end: '9am BST tomorrow'."""
    for found in _AFTER_CLOCK.finditer(text):
        abbr = found["abbr"]
        if abbr in _WORDLIKE_ZONES or abbr in _GRAMMAR_WORDS or abbr not in zones.ABBREVIATIONS:
            continue
        cut = text[: found.start("abbr")] + text[found.end("abbr") :]
        return phrases.squeeze(cut), zones.ABBREVIATIONS[abbr]
    return text, None


def _take_zone(text: str) -> tuple[str, str | None]:
    """Cut a zone out of ``text``: '... PST', '... in Europe/Paris', '... tokyo time',
    '9am BST tomorrow' (an abbreviation right after the time), '9am UTC+2'."""
    text, offset = _take_offset(text)
    if offset is not None:
        return text, offset
    text, inner = _take_inner_zone(text)
    if inner is not None:
        return text, inner
    words = text.split()
    if words and words[-1] == "time" and len(words) > 1:
        words = words[:-1]
    for size in (3, 2, 1):
        if len(words) <= size:
            continue
        tail = words[-size:]
        if any(word in _GRAMMAR_WORDS for word in tail) or tail[0].isdigit():
            continue
        if holidays.find_holiday(" ".join(tail)) is not None:
            continue  # holidays, not Indian/Christmas or Pacific/Easter
        name = zones.lookup_zone_name(" ".join(tail))
        if name is not None:
            head = words[:-size]
            if head and head[-1] == "in":
                head = head[:-1]
            return " ".join(head), name
    return text, None


def _joins_weekdays(text: str, mark: re.Match[str]) -> bool:
    """'monday through friday' is a range of days, not an end bound."""
    before = text[: mark.start()].split()
    after = text[mark.end() :].split()
    return (
        mark.group(1) in ("through", "thru")
        and bool(before and after)
        and phrases.parse_weekday(before[-1]) is not None
        and phrases.parse_weekday(after[0]) is not None
    )


def _split_bounds(text: str) -> tuple[str, dict[str, str]]:
    """Split 'every day at 9 starting monday until dec 31' into the rule and its bounds."""
    marks = [mark for mark in _BOUND.finditer(text) if not _joins_weekdays(text, mark)]
    if not marks:
        return text, {}
    bounds: dict[str, str] = {}
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        word = mark.group(1)
        key = (
            "for" if word == "for"
            else "starting" if word in _STARTS
            else "through" if word in ("through", "thru")
            else "until"
        )  # fmt: skip
        if key in bounds:
            raise ParseError(f"{text!r} gives two '{key}' bounds. Try for example {EXAMPLES}.")
        bounds[key] = text[mark.end() : end].strip()
    return text[: marks[0].start()].strip(), bounds


def parse_when(text: str, now: datetime, zone: ZoneInfo | str) -> Recurrence:
    """Parse ``text`` typed by a user at ``now`` (aware) whose default zone is ``zone``.

    Returns a :class:`Recurrence`; ``kind`` ``none`` means one point in time, ``anchor``.  A zone
    named in the text replaces ``zone`` and becomes the schedule's zone.  Raises
    :class:`ParseError` (and nothing else) for text that is not understood.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    default_zone = zone if isinstance(zone, ZoneInfo) else zones.resolve_zone(zone)
    if len(text) > MAX_LENGTH:
        raise ParseError(f"That is too long to be a time ({len(text)} characters, at most "
                         f"{MAX_LENGTH}). Try for example {EXAMPLES}.")  # fmt: skip
    try:
        recurrence = _parse(text, now, default_zone)
    except (OverflowError, ValueError) as error:
        # The limits (bot.scheduling.limits) keep typed numbers inside datetime's range; this is
        # the net under them, should a phrase still reach past it.
        raise ParseError(
            f"{text.strip()!r} is out of the range of dates I can schedule. "
            f"Try for example {EXAMPLES}."
        ) from error
    check_reach(recurrence.anchor, now, text, "first runs")
    check_reach(recurrence.until, now, text, "ends")
    return recurrence


_NOON_AMPM = re.compile(r"\b(?:noon|midday|midnight) ?[ap]m\b")
_HOUR_RANGE = re.compile(r"\b\d{1,2}(?::\d{2})? ?(?:[ap]m)? (?:to|till|til|-) \d{1,2}(?::\d{2})?\b")
_DANGLING = re.compile(
    r" (at|on|and|or|every|each|from|until|till|starting|the|of|in|for|except|through|thru|,)$"
)


def _parse(text: str, now: datetime, default_zone: ZoneInfo) -> Recurrence:
    normal = phrases.normalise(text)
    if not normal:
        raise ParseError(f"Say when, for example {EXAMPLES}.")
    if _NOON_AMPM.search(normal):
        raise ParseError(
            f"{text.strip()!r}: noon and midnight are neither am nor pm. Say 'noon', "
            "'midnight', '12pm' or '12am'."
        )
    if re.search(r"\b(?:eod|cob|end of (?:the )?(?:business )?day|close of business)\b", normal):
        raise ParseError(
            f"{text.strip()!r}: the end of the day is a different time for everyone. Say the "
            "time, for example 'friday at 5pm' or 'tomorrow at 23:59'."
        )
    dangling = _DANGLING.search(normal)
    if dangling:
        raise ParseError(
            f"{text.strip()!r} stops after {dangling.group(1)!r}: say what comes next, for "
            f"example {EXAMPLES}."
        )
    try:
        return _parse_normal(text, normal, now, default_zone)
    except ParseError as error:
        # What a phrase that was not read asked for may be plain impossible: say that instead.
        impossible = day_of_month_problem(normal) if isinstance(error, NotUnderstood) else None
        if impossible is not None:
            raise impossible from None
        hours = _HOUR_RANGE.search(normal)
        if hours is None or unknown_words(normal):
            raise
        raise ParseError(
            f"{hours.group(0)!r} reads as a range of hours (or as minutes to an hour, like "
            "'ten to six'). Carillon plays at times: say 'at 9am', or repeat within bounds, "
            "e.g. 'every hour starting at 9am until 5pm'."
        ) from None


def _parse_normal(text: str, normal: str, now: datetime, default_zone: ZoneInfo) -> Recurrence:
    normal, text_zone = _take_zone(normal)
    count, body = _take_count(normal)
    main, bounds = _split_bounds(body)
    main, main_zone = _take_zone(main)
    if text_zone and main_zone and text_zone != main_zone:
        raise ParseError(f"{text.strip()!r} names two time zones. Try for example {EXAMPLES}.")
    named = text_zone or main_zone
    zone = ZoneInfo(named) if named else default_zone
    repeating = looks_like_cron(main) or is_recurring(main)
    if not repeating:
        if count is not None or bounds:
            # "3 days from now" uses "from" without being a bound: read the whole text first, and
            # if it is not a time either, report only what it cannot read ("from purple now").
            try:
                return _once(normal, text, now, zone, default_zone)
            except ParseError as whole:
                try:
                    _once(main, text, now, zone, default_zone)
                except ParseError:
                    raise whole from None
            raise ParseError(
                f"'starting', 'until' and 'N times' only apply to a repeating schedule, and "
                f"{main!r} is one point in time. Try for example 'every day at 9 until dec 31' "
                "or 'every monday at 18:00 10 times'."
            )
        return _once(normal, text, now, zone, default_zone)
    start = until = None
    start_time = None
    if "starting" in bounds:
        moment = _bound(bounds["starting"], now, zone, "start", text, default_zone)
        start = moment.instant
        start_time = moment.instant.time().replace(tzinfo=None) if moment.has_time else None
    if len({"until", "through", "for"} & set(bounds)) > 1:
        raise ParseError(f"{text.strip()!r} gives two ends: keep one of them.")
    for key in ("until", "through"):
        if key in bounds:
            # "until june" stops when June begins; "through june" runs to its end. A day is
            # included either way ("until friday" keeps Friday's runs).
            kind = "end" if key == "through" else "before"
            until = _bound(bounds[key], now, zone, kind, text, default_zone).instant
    if "for" in bounds:
        until = _length_bound(bounds["for"], now if start is None else max(now, start), zone, text)
    if looks_like_cron(main):
        expression = normalise_cron(main)
        after = now if start is None else max(now, start - timedelta(microseconds=1))
        anchor = cron_next_after(expression, after, zone)
        if anchor is None:
            raise ParseError(f"The cron expression {main!r} never fires. Try for example "
                             "'0 9 * * 1-5' or '*/15 * * * *'.")  # fmt: skip
        rule = Recurrence(RecurrenceType.CRON, anchor, zone.key, cron=expression)
    else:
        rule = parse_recurrence(main, now, zone, start, start_time)
    end_key = next((key for key in ("until", "through") if key in bounds), None)
    if until is not None and until < rule.anchor and end_key is not None:
        if (
            re.fullmatch(r"(?:on )?[a-z]+", bounds[end_key])
            and phrases.parse_weekday(bounds[end_key].split()[-1]) is not None
        ):
            # "every day at 9 until tuesday", typed on a Tuesday after 9: the coming Tuesday
            kind = "end" if end_key == "through" else "before"
            later = rule.anchor - timedelta(microseconds=1)
            until = _bound(bounds[end_key], later, zone, kind, text, default_zone).instant
    if until is not None and until < rule.anchor:
        end = bounds.get("until") or bounds.get("through") or f"for {bounds.get('for')}"
        begun = ""
        started = _period_bound(end, now, zone, "start")
        if end_key == "until" and started is not None and to_utc(started.instant) <= to_utc(now):
            begun = f" ({end!r} has begun already: 'through {end}' runs to its end)"
        elif start is not None and until < start:
            begun = " (the start comes after the end)"
        raise ParseError(
            f"The end {end!r} comes before the first run "
            f"({rule.local_anchor:%Y-%m-%d %H:%M %Z}){begun}. "
            "Try for example 'every day at 9 until dec 31'."
        )
    return dataclasses.replace(rule, count=count, until=until)


def _once(normal: str, text: str, now: datetime, zone: ZoneInfo, calendar: ZoneInfo) -> Recurrence:
    moment = parse_moment(normal, now, zone, calendar_zone=calendar)
    return Recurrence.once(moment.instant, zone.key)


def _period_bound(part: str, now: datetime, zone: ZoneInfo, default: str) -> Moment | None:
    """A whole week, month or year as a bound: 'starting next week' is next Monday 00:00;
    'until next month' and 'until june' stop when it begins ("before"); 'through june' and
    'until the end of next month' run to its last day ("end"); 'starting 2027' its first moment."""
    today = now.astimezone(zone).date()
    edge = re.match(r"(?:the )?(end|start|beginning) of (?!the month$|the year$|the week$)", part)
    if edge is not None and _month_or_year_bound(part[edge.end() :], today) is not None:
        # "until the end of june" runs to its last day; "until the start of june" stops before it
        part = part[edge.end() :]
        default = "end" if edge.group(1) == "end" else ("before" if default != "start" else "start")
    whole = _month_or_year_bound(part, today) or _weekend_bound(part, today)
    if whole is not None:
        first, last = whole
        if default == "before":
            return Moment(resolve_wall_time(first, time(0), zone) - _TICK, False)
        day, clock = (last, time(23, 59, 59)) if default == "end" else (first, time(0))
        return Moment(resolve_wall_time(day, clock, zone), False)
    found = re.fullmatch(
        r"(?:the )?(?:(start|beginning|end) of )?(next|this) (week|month|year)", part
    )
    if found is None or (found[2] == "this" and found[1] is None):
        return None
    first, last = period_span(today, found[3], 1 if found[2] == "next" else 0)
    if found[1] is None and default == "before":
        return Moment(resolve_wall_time(first, time(0), zone) - _TICK, False)
    at_end = found[1] == "end" or (found[1] is None and default == "end")
    day, clock = (last, time(23, 59, 59)) if at_end else (first, time(0))
    return Moment(resolve_wall_time(day, clock, zone), False)


def _weekend_bound(part: str, today: date) -> tuple[date, date] | None:
    """'the weekend', 'this weekend', 'next weekend' -> its Saturday and Sunday."""
    if part not in ("the weekend", "this weekend", "weekend", "next weekend"):
        return None
    return weekend_span(today, following=part == "next weekend")


def _month_or_year_bound(part: str, today: date) -> tuple[date, date] | None:
    """'june', 'june 2027', '2027' -> the first and last day they name (the coming June)."""
    if re.fullmatch(r"\d{4,}", part):
        year = typed_year(part, today)
        return date(year, 1, 1), date(year, 12, 31)
    found = re.fullmatch(r"([a-z]+)(?: (\d{4,}))?", part)
    if found is None or found[1] not in phrases.MONTHS:
        return None
    month = phrases.MONTHS[found[1]]
    if found[2]:
        year = typed_year(found[2], today)
    else:
        year = today.year + (1 if month < today.month else 0)
    return date(year, month, 1), date(year, month, days_in_month(year, month))


def _length_bound(part: str, start: datetime, zone: ZoneInfo, text: str) -> datetime:
    """'for 3 days' after the start: runs up to and including start + 3 days (3 daily runs)."""
    length = phrases.parse_duration(part)
    if length is None:
        raise ParseError(
            f"{part!r} in {text.strip()!r} is not a length of time. Try for example "
            "'every day at 9 for 2 weeks' or 'every hour for 3 hours'."
        )
    check_duration(length, f"for {part}")
    return add_duration(start, length, zone)


def _bound(
    part: str, now: datetime, zone: ZoneInfo, default: str, text: str, calendar: ZoneInfo
) -> Moment:
    """One bound's moment; ``part`` is already normalised (cut out of the normalised text)."""
    if not part:
        raise ParseError(
            f"{text.strip()!r} ends without saying when. Try for example "
            "'every day at 9 starting tomorrow' or 'every day at 9 until dec 31'."
        )
    period = _period_bound(part, now, calendar, default)
    if period is not None:
        return period
    if re.fullmatch(r"\d{1,2}", part):
        part = f"at {part}"  # "until 5", "starting 9": a bare hour after a bound
    if default == "start":
        if part in ("now", "right now"):
            # From the next whole minute: the first run must be after now.
            following = now.astimezone(zone).replace(second=0, microsecond=0)
            return Moment(following + timedelta(minutes=1), True)
        # "starting at 10am" is the next 10:00; "starting today" may begin in the past (00:00).
        try:
            return parse_moment(part, now, zone, default="start", calendar_zone=calendar)
        except ParseError:
            return parse_moment(
                part, now, zone, default="start", future=False, calendar_zone=calendar
            )
    return parse_moment(part, now, zone, default="end", calendar_zone=calendar)


_TICK = timedelta(microseconds=1)


async def parse_when_async(text: str, now: datetime, zone: ZoneInfo | str) -> Recurrence:
    """:func:`parse_when` in a worker thread, so a cold Duckling never stalls the event loop."""
    return await asyncio.to_thread(parse_when, text, now, zone)


def warm_up() -> None:
    """Load the zone lists and start Duckling now (~0.6 s, once).

    Call it at start-up from a thread (``asyncio.to_thread(warm_up)``) so that no user waits for it.
    """
    zones.warm_up()
    fallback.warm_up()
