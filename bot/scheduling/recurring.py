"""The recurrence grammar: "every weekday at 9am", "every 2 weeks on monday", "hourly".

dateparser reads none of these, so this small grammar does.  Forms:

* ``every [N|other] minutes|hours|days|weeks|months|years [on ...] [at TIME]``
* ``hourly|daily|weekly|monthly|yearly|annually [on ...] [at TIME]``
* ``every|on <days>`` ("every monday and wednesday", "every weekday", "on mondays", "weekdays")
* ``every <month> <day>`` and ``on the 1st of every month``
* ``every morning|afternoon|evening|night [at TIME]``

A bare hour is read as written ("every day at 9" is 09:00), since "whichever comes first" would
make a repeating schedule depend on the moment it was typed.  Without a time of day the schedule
keeps the current one (to the minute), as a one-shot date does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling import phrases
from bot.scheduling.cron import cron_next_after
from bot.scheduling.recurrence import Recurrence, RecurrenceType, first_calendar_occurrence

EXAMPLES = "'every weekday at 9am' or 'every 2 weeks on monday at 18:30'"
_ADVERBS = {
    "hourly": "hour",
    "daily": "day",
    "nightly": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annually": "year",
}
_UNIT_WORDS = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second",
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "day": "day", "days": "day",
    "week": "week", "weeks": "week", "fortnight": "fortnight", "month": "month",
    "months": "month", "year": "year", "years": "year",
}  # fmt: skip
_STARTS = re.compile(
    r"^(?:every|each|hourly|daily|nightly|weekly|monthly|yearly|annually)\b"
    r"|^(?:on )?(?:the )?\S+ (?:day )?of (?:every|each) month$"
)
MINUTE_DIVISORS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
_TICK = timedelta(microseconds=1)


def is_recurring(text: str) -> bool:
    """Whether normalised ``text`` is a recurrence phrase (rather than one point in time)."""
    without_time = _strip_time(text)
    if _STARTS.search(text) or _STARTS.search(without_time):
        return True
    rest = re.sub(r"^on ", "", without_time)
    words = rest.split()
    # "weekdays at 9", "on mondays and fridays": plural day names repeat by themselves.
    plural = any(w.endswith("s") and phrases.parse_weekday(w) is not None for w in words)
    plural = plural or any(w in ("weekdays", "weekends") for w in words)
    return plural and phrases.parse_day_set(rest) is not None


def _strip_time(text: str) -> str:
    found = phrases.find_time(text)
    return text if found is None else found[1]


def _interval(word: str | None, text: str) -> int:
    if word is None:
        return 1
    number = phrases.parse_number(re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", word))
    if number is None or number != int(number) or not 1 <= number <= 1000:
        raise ParseError(
            f"{word!r} in {text.strip()!r} is not a whole number of at least 1. "
            f"Try for example {EXAMPLES}."
        )
    return int(number)


def _split(rest: str, text: str) -> tuple[str, int, str | None]:
    """(unit, interval, 'on' clause) of a recurrence phrase, or a ParseError for the part."""
    rest = re.sub(r"^(?:every|each) (half an?|half) hour$", "every 30 minutes", rest)
    rest = re.sub(r"^(?:every|each) quarter (?:of an )?hour$", "every 15 minutes", rest)
    found = re.fullmatch(r"(\w+)(?: (?:on|in|every) (.+))?", rest)
    if found and found.group(1) in _ADVERBS:
        return _ADVERBS[found.group(1)], 1, found.group(2)
    found = re.fullmatch(r"(?:every|each) (?:(\S+) )?(\w+)(?: (?:on|in) (.+))?", rest)
    if found and found.group(2) in _UNIT_WORDS:
        unit = _UNIT_WORDS[found.group(2)]
        interval = _interval(found.group(1), text)
        if unit == "fortnight":
            unit, interval = "week", 2 * interval
        return unit, interval, found.group(3)
    found = re.fullmatch(r"(?:on )?(?:the )?(\S+(?: day)?) of (?:every|each) month", rest)
    if found:
        return "month", 1, found.group(1)
    found = re.fullmatch(r"(?:every|each|on) (.+)", rest)
    body = found.group(1) if found else rest
    if phrases.parse_day_set(body) is not None:
        return "week", 1, body
    if phrases.parse_month_day(body) is not None:
        return "year", 1, body
    raise _not_understood(rest, text)


def _not_understood(part: str, text: str) -> ParseError:
    where = "" if part.strip() == text.strip() else f" in {text.strip()!r}"
    return ParseError(
        f"I could not understand {part.strip()!r}{where}. Try for example {EXAMPLES}."
    )


def _time_of_day(text: str, period: str | None) -> tuple[time | None, str]:
    found = phrases.find_time(text)
    if found is None:
        if period is not None:
            return time(phrases.PERIOD_DEFAULT_HOUR[period]), text
        return None, text
    value, rest = found
    if not phrases.valid_time(value):
        raise ParseError(f"{text.strip()!r} has no valid time of day. Try for example {EXAMPLES}.")
    hour = value.hour
    if period is not None and value.ambiguous:
        hour = value.choices(phrases.PERIODS[period])[0][0]
    return time(hour, value.minute), rest


def parse_recurrence(
    text: str, now: datetime, zone: ZoneInfo, start: datetime | None, start_time: time | None
) -> Recurrence:
    """Read a recurrence phrase (normalised, bounds removed) into a :class:`Recurrence`.

    ``start`` is the "starting ..." bound (aware) if any; the first run is the first one at or
    after it and after ``now``.  ``start_time`` is the time of day the bound named, used when the
    phrase itself names none ("every day starting tomorrow at 10").
    """
    period_match = re.search(r"\b(?:every |each |in the |at )?(morning|afternoon|evening|night)\b",
                             text)  # fmt: skip
    period = period_match.group(1) if period_match else None
    rest = text
    if period_match is not None:
        daily = period_match.group(0).startswith(("every", "each"))
        rest = phrases.squeeze(text[: period_match.start()] + (" every day" if daily else "")
                               + text[period_match.end() :])  # fmt: skip
    local_now = now.astimezone(zone)
    not_before = max(local_now, start.astimezone(zone)) if start is not None else local_now
    fallback = start_time or local_now.time().replace(second=0, microsecond=0, tzinfo=None)
    at, rest = _time_of_day(rest, period)
    rest = re.sub(r"^(?:at |on )|(?: at| on)$", "", rest).strip()
    rest = re.sub(r"^(?:on )?(every|each) ", r"\1 ", rest)
    unit, interval, on = _split(rest, text)
    if unit in ("second", "minute", "hour"):
        return _elapsed(unit, interval, on, at, zone, local_now, not_before, start, text)
    at = at or fallback
    threshold = not_before if start is None else max(local_now, start.astimezone(zone) - _TICK)
    timezone = zone.key
    base = threshold.astimezone(zone).date()
    if unit == "day":
        if on is not None:
            raise _not_understood(f"on {on}", text)
        kind = RecurrenceType.DAILY
        anchor = first_calendar_occurrence(kind, at, zone, threshold)
        return Recurrence(kind, anchor, timezone, interval, time_of_day=at)
    if unit == "week":
        days = (base.weekday(),) if on is None else phrases.parse_day_set(on)
        if days is None:
            raise _not_understood(f"on {on}", text)
        kind = RecurrenceType.WEEKLY
        anchor = first_calendar_occurrence(kind, at, zone, threshold, weekdays=days)
        return Recurrence(kind, anchor, timezone, interval, time_of_day=at, weekdays=days)
    if unit == "month":
        day = base.day if on is None else phrases.parse_ordinal_day(on)
        if day is None:
            raise _not_understood(f"on {on}", text)
        kind = RecurrenceType.MONTHLY
        anchor = first_calendar_occurrence(kind, at, zone, threshold, day_of_month=day)
        return Recurrence(kind, anchor, timezone, interval, time_of_day=at, day_of_month=day)
    month_day = (base.month, base.day, None) if on is None else phrases.parse_month_day(on)
    if month_day is None or month_day[2] is not None:
        raise _not_understood(f"on {on}", text)
    month, day, _ = month_day
    try:
        date(2000, month, day)  # a leap year, so only impossible days fail
    except ValueError:
        raise ParseError(
            f"{text.strip()!r} names a day that no year has. Try for example {EXAMPLES}."
        ) from None
    kind = RecurrenceType.YEARLY
    anchor = first_calendar_occurrence(kind, at, zone, threshold, day_of_month=day, month=month)
    return Recurrence(kind, anchor, timezone, interval, time_of_day=at, day_of_month=day)


def _elapsed(
    unit: str,
    interval: int,
    on: str | None,
    at: time | None,
    zone: ZoneInfo,
    now: datetime,
    not_before: datetime,
    start: datetime | None,
    text: str,
) -> Recurrence:
    """'every N minutes' (cron */N, real time) and 'every N hours' / 'hourly' (elapsed)."""
    if on is not None:
        raise _not_understood(f"on {on}", text)
    if unit == "second":
        raise ParseError(f"The shortest repeat is every minute. Try for example {EXAMPLES}.")
    minutes = interval if unit == "minute" else interval * 60
    if minutes % 60 and 60 % minutes:
        raise ParseError(
            f"Every {minutes} minutes does not divide the hour; use "
            f"{', '.join(map(str, MINUTE_DIVISORS))} minutes, or whole hours. "
            f"Try for example 'every 15 minutes' or 'every 2 hours'."
        )
    if minutes < 60:
        if at is not None:
            raise _not_understood(text, text)
        expression = "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
        threshold = not_before - _TICK if start is not None and not_before > now else now
        anchor = cron_next_after(expression, threshold, zone)
        assert anchor is not None  # */N fires every hour
        return Recurrence(RecurrenceType.CRON, anchor, zone.key, cron=expression)
    hours = minutes // 60
    if at is not None:
        # "every 2 hours at 10:30": the first run is the next 10:30, then real time from there.
        after = not_before - _TICK if start is not None and not_before > now else now
        anchor = first_calendar_occurrence(RecurrenceType.DAILY, at, zone, after)
    elif start is not None and not_before > now:
        anchor = not_before
    else:
        # "hourly" starts on the next full hour of the local clock, like cron's @hourly.  The
        # step is real time (UTC), since aware arithmetic in one zone would add wall-clock hours.
        anchor = not_before.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        while anchor <= now:
            anchor += timedelta(hours=1)
    return Recurrence(RecurrenceType.HOURLY, anchor, zone.key, hours)
