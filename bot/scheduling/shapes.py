"""What a repeat phrase says: its unit, interval and days ("every other friday", "the last friday
of every month", "every weekday except friday", "every year on thanksgiving").

:func:`read_shape` reads a phrase whose times of day, day part and bounds were already taken
off (:mod:`bot.scheduling.recurring` does that and then computes the anchor).  It reads every
word or raises :class:`~bot.errors.ParseError` naming what it could not read, and refuses what
English leaves open ("every second tuesday": every other week, or the 2nd of the month?).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import ParseError
from bot.scheduling import holidays, phrases
from bot.scheduling.lexicon import not_understood
from bot.scheduling.limits import (
    MAX_WEEKDAY_ORDINAL,
    interval_problem,
    nth_weekday_problem,
    ordinal_number,
    step_problem,
)

EXAMPLES = "'every weekday at 9am' or 'every 2 weeks on monday at 18:30'"
_ADVERBS = {
    "hourly": "hour",
    "daily": "day",
    "nightly": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annually": "year",
    "fortnightly": "fortnight",
}
_UNIT_WORDS = {
    "second": "second", "seconds": "second", "sec": "second", "secs": "second",
    "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute", "m": "minute",
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour",
    "day": "day", "days": "day", "d": "day", "week": "week", "weeks": "week", "w": "week",
    "wk": "week", "wks": "week", "fortnight": "fortnight", "fortnights": "fortnight",
    "month": "month", "months": "month", "year": "year", "years": "year", "yr": "year",
    "yrs": "year",
}  # fmt: skip
_STARTS = re.compile(
    r"^(?:every|each|hourly|daily|nightly|weekly|fortnightly|monthly|yearly|annually)\b"
    r"|^(?:on )?(?:the )?.+ (?:of|in) (?:every|each) month$"
    r"|^(?:once|twice|thrice|\S+ times) (?:(?:a|per|every|each) (?:day|week|month|year)"
    r"|daily|weekly|monthly|yearly)\b"
)
_ORDINAL = phrases.ORDINAL_PATTERN
_WEEKDAY = phrases.WEEKDAY_PATTERN


@dataclass(frozen=True)
class Shape:
    """What a recurrence phrase says, before the anchor is computed."""

    unit: str
    interval: int = 1
    days: tuple[int, ...] = ()
    day_of_month: int | None = None
    month: int | None = None
    ordinal: int | None = None
    named_day: bool = False
    days_of_month: tuple[int, ...] = ()


def is_recurring(text: str) -> bool:
    """Whether normalised ``text`` is a recurrence phrase (rather than one point in time)."""
    without_time = _strip_times(text)
    if _STARTS.search(text) or _STARTS.search(without_time):
        return True
    rest = re.sub(r"^on ", "", without_time)
    words = rest.split()
    # "weekdays at 9", "on mondays and fridays", "mon-fri 9am": plural day names and day ranges
    # repeat by themselves ("tues" and "thurs" are abbreviations, not plurals).
    plural = any(
        w.endswith("s") and w not in phrases.WEEKDAYS and phrases.parse_weekday(w) is not None
        for w in words
    )
    plural = plural or any(w in ("weekdays", "weekends") for w in words)
    ranged = re.search(rf"\b(?:{_WEEKDAY})\s*(?:-|–|to|through|thru)\s*(?:{_WEEKDAY})\b", rest)
    return (plural or ranged is not None) and _day_set(rest) is not None


def _strip_times(text: str) -> str:
    found = phrases.find_times(text)
    return text if found is None else found[1]


def _interval(word: str | None, unit: str, text: str) -> int:
    if word is None:
        return 1
    ordinal = phrases.parse_ordinal(word)
    if word == "other":
        number: float | None = 2
    elif ordinal == 1 or ordinal == -1:
        raise ParseError(
            f"{text.strip()!r}: 'every {word} {unit}' is not a repeat. Say 'every {unit}', or "
            f"'every {word} day of the month'."
        )
    elif ordinal is not None and ordinal >= 2:
        number = ordinal  # "every third day" is every 3 days (never a third of a day)
    else:
        # "every 99999th day" is every 99999 days, however far apart (refused below, by size)
        number = ordinal_number(word) or phrases.parse_quantity(word)
    if number is None or number != int(number) or number < 1:
        raise ParseError(
            f"{word!r} in {text.strip()!r} is not a whole number of at least 1. "
            f"Try for example {EXAMPLES}."
        )
    problem = interval_problem(int(number), unit)
    if problem is not None:
        raise ParseError(f"{problem} Try for example {EXAMPLES}.")
    return int(number)


def _counts(word: str | None) -> bool:
    """Whether ``word`` can be the N of "every N days" (a number, "other", an ordinal)."""
    if word is None or word == "other":
        return True
    if word in ("a", "an"):
        return False  # "every a day" is not English; "once a day" was rewritten before this
    ordinal = phrases.parse_ordinal(word)
    if ordinal is not None and ordinal >= 1:
        return True
    bare = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", word)
    return phrases.parse_quantity(bare) is not None


def _day_set(text: str) -> tuple[int, ...] | None:
    """'monday and wednesday', 'weekdays except friday', 'every day but sunday' -> day numbers."""
    found = re.fullmatch(
        r"(.+?) (?:except|but|excluding|apart from|other than|not) (?:on )?(.+)", text
    )
    if found is None:
        return phrases.parse_day_set(text)
    include = phrases.parse_day_set(found.group(1))
    exclude = phrases.parse_day_set(found.group(2))
    if include is None or exclude is None:
        return None
    days = tuple(d for d in include if d not in exclude)
    if not days or len(days) == len(include):
        return None  # "every monday except friday" excludes nothing: say so rather than guess
    return days


def _nth_weekday(body: str) -> tuple[int, int, int | None] | None:
    """'first monday', 'the last friday of the month', 'second tuesday of may': (n, day, month)."""
    found = re.fullmatch(
        rf"(?:the )?(?P<n>{_ORDINAL}) (?P<wd>{_WEEKDAY})"
        rf"(?: (?:of|in) (?:(?:the|every|each) month|(?P<month>[a-z]+)))?",
        body,
    )
    if found is None:
        return None
    ordinal = phrases.parse_ordinal(found["n"].replace("-", " "))
    if ordinal is None or not (1 <= ordinal <= MAX_WEEKDAY_ORDINAL or ordinal == -1):
        problem = nth_weekday_problem(found["n"], found["wd"])
        if problem is not None:
            raise problem
        return None
    month = None
    if found["month"] is not None:
        month = phrases.MONTHS.get(found["month"])
        if month is None:
            return None
    return ordinal, phrases.WEEKDAYS[found["wd"]], month


def _holiday_shape(body: str, text: str) -> Shape | None:
    found = holidays.find_holiday(body)
    if found is None or found[1].strip():
        return None
    holiday = found[0]
    rule = holiday.yearly_rule
    if rule is None:
        raise ParseError(
            f"{holiday.name} moves from year to year in a way a yearly schedule cannot follow. "
            f"Schedule the next one instead (for example '{holiday.name.lower()} at 9am'), "
            "or use a fixed date such as 'every year on december 25 at 9am'."
        )
    if isinstance(rule, holidays.FixedDate):
        return Shape("year", day_of_month=rule.day, month=rule.month, named_day=True)
    return Shape("year", days=(rule.weekday,), ordinal=rule.ordinal, month=rule.month,
                 named_day=True)  # fmt: skip


def _on_clause(unit: str, interval: int, on: str | None, text: str) -> Shape:
    """The days an 'on ...' clause names for ``unit``; a ParseError naming what is not read."""
    if on is None:
        return Shape(unit, interval)
    on = re.sub(r"^(?:the )", "", on) if unit != "week" else on
    if unit == "week":
        days = _day_set(on)
        if days is None:
            raise not_understood(f"on {on}", text, EXAMPLES)
        return Shape(unit, interval, days=days, named_day=True)
    if unit == "month":
        several = _days_of_month(on, text)
        if several is not None:
            return Shape(unit, interval, days_of_month=several, named_day=True)
        nth = _nth_weekday(on)
        if nth is not None and nth[2] is None:
            return Shape(unit, interval, days=(nth[1],), ordinal=nth[0], named_day=True)
        day = phrases.parse_ordinal_day(on)
        if day is None:
            ordinal = phrases.parse_ordinal(re.sub(r"(?: day)?(?: of the month)?$", "", on))
            day = ordinal if ordinal is not None and ordinal >= 1 else None
            if re.sub(r"^(?:the )?", "", on) in ("last", "last day", "last day of the month"):
                day = 31
        if day is None:
            raise not_understood(f"on {on}", text, EXAMPLES)
        return Shape(unit, interval, day_of_month=day, named_day=True)
    if unit == "year":
        holiday = _holiday_shape(on, text)
        if holiday is not None:
            return Shape("year", interval, holiday.days, holiday.day_of_month, holiday.month,
                         holiday.ordinal, True)  # fmt: skip
        nth = _nth_weekday(on)
        if nth is not None and nth[2] is not None:
            return Shape(unit, interval, days=(nth[1],), ordinal=nth[0], month=nth[2],
                         named_day=True)  # fmt: skip
        month_day = _month_day(on)
        if month_day is None:
            raise not_understood(f"on {on}", text, EXAMPLES)
        return Shape(unit, interval, day_of_month=month_day[1], month=month_day[0],
                     named_day=True)  # fmt: skip
    raise not_understood(f"on {on}", text, EXAMPLES)


def _days_of_month(on: str, text: str) -> tuple[int, ...] | None:
    """'the 1st and 15th', '1st, 15th and 28th' -> (1, 15, 28); None for a single day."""
    parts = [p for p in re.split(r"\s*(?:,|\band\b|&)\s*", re.sub(r"^the ", "", on)) if p]
    if len(parts) < 2:
        return None
    days = []
    for part in parts:
        day = phrases.parse_ordinal_day(part)
        if day is None:
            return None
        days.append(day)
    if max(days) > 28:
        raise ParseError(
            f"{text.strip()!r}: several days of the month must be the 28th or earlier (a month "
            "without the 30th would skip it). For the end of the month add a separate "
            "'every month on the last day' task."
        )
    return tuple(sorted(set(days)))


def _month_day(body: str) -> tuple[int, int] | None:
    found = phrases.parse_month_day(body)
    if found is not None and found[2] is None:
        return found[0], found[1]
    words = re.fullmatch(
        rf"(?:the )?(?P<d1>{_ORDINAL}) (?:day )?(?:of )?(?P<m1>[a-z]+)"
        rf"|(?P<m2>[a-z]+) (?:the )?(?P<d2>{_ORDINAL})",
        body,
    )
    if words is None:
        return None
    month = phrases.MONTHS.get(words["m1"] or words["m2"] or "")
    day = phrases.parse_ordinal((words["d1"] or words["d2"]).replace("-", " "))
    if month is None or day is None or day < 1:
        return None
    return month, day


def read_shape(rest: str, text: str) -> Shape:
    """What the phrase (times of day already removed) says; a ParseError for the part not read."""
    rest = re.sub(r"^(?:every|each) (?:half an?|half) hour$", "every 30 minutes", rest)
    rest = re.sub(r"^(?:every|each) quarter (?:of an )?hour$", "every 15 minutes", rest)
    found = re.fullmatch(r"(\w+)(?: (?:on|in|every|each) (.+))?", rest)
    if found and found.group(1) in _ADVERBS:
        unit = _ADVERBS[found.group(1)]
        if unit == "fortnight":
            return _on_clause("week", 2, found.group(2), text)
        return _on_clause(unit, 1, found.group(2), text)
    # "every 90 minutes", "every 2h30m", "every 1.5 hours": a clock duration is elapsed time.
    found = re.fullmatch(r"(?:every|each) (.+)", rest)
    if found and phrases.parse_ordinal(found.group(1).split()[0]) is None:
        duration = phrases.parse_duration(found.group(1))
        if (
            duration is not None
            and duration.has_clock_part
            and not duration.months
            and not duration.days
        ):
            return Shape("elapsed", elapsed_minutes(duration.seconds, text, found.group(1)))
    found = re.fullmatch(r"(?:every|each) (?:(\S+) )?(\w+)(?: (?:on|in) (.+))?", rest)
    if found and found.group(2) in _UNIT_WORDS and _counts(found.group(1)):
        unit = _UNIT_WORDS[found.group(2)]
        if unit == "fortnight":
            unit, interval = "week", 2 * _interval(found.group(1), "week", text)
        else:
            interval = _interval(found.group(1), unit, text)
        return _on_clause(unit, interval, found.group(3), text)
    # "every other friday", "every 2 fridays"; "every second tuesday" is ambiguous (see below)
    found = re.fullmatch(r"(?:every|each) (\S+) (.+)", rest)
    days = (
        _day_set(found.group(2))
        if found and not re.match(r"(?:on|every|each) ", found.group(2))
        else None
    )
    if found and days is not None:
        word = found.group(1)
        ordinal = None if word.isdigit() else phrases.parse_ordinal(word)
        if ordinal is None and (word == "other" or (_counts(word) and word not in ("a", "an"))):
            return Shape("week", _interval(word, "week", text), days=days, named_day=True)
        if ordinal is not None and ordinal >= 2:
            # "every first/last friday" is of the month (below); "second" could be either.
            weeks = ordinal
            every = "every other week" if weeks == 2 else f"every {weeks} weeks"
            if ordinal > MAX_WEEKDAY_ORDINAL:
                raise ParseError(
                    f"{rest!r}: a month has at most {MAX_WEEKDAY_ORDINAL} of each weekday, so "
                    f"say '{every} on {found.group(2)}'."
                )
            raise ParseError(
                f"{rest!r} could mean {every} or the {word} {found.group(2)} of each month. Say "
                f"'{every} on {found.group(2)}' or 'every {word} {found.group(2)} of the month'."
            )
    found = re.fullmatch(
        r"(?:every|each|on) (?:the )?(.+?) (?:of|in) (?:every|each|the) month", rest
    ) or re.fullmatch(r"(?:on )?(?:the )?(.+?) (?:of|in) (?:every|each) month", rest)
    if found:
        return _on_clause("month", 1, found.group(1), text)
    found = re.fullmatch(r"(?:every|each|on) (.+)", rest)
    body = found.group(1) if found else rest
    if re.match(r"(?:on|every|each) ", body):
        raise not_understood(rest, text, EXAMPLES)
    nth = _nth_weekday(body)
    if nth is not None:
        # "every first monday" is of the month; "every first friday of may" once a year.
        unit = "month" if nth[2] is None else "year"
        return Shape(unit, 1, days=(nth[1],), ordinal=nth[0], month=nth[2], named_day=True)
    days = _day_set(body)
    if days is not None:
        return Shape("week", 1, days=days, named_day=True)
    holiday = _holiday_shape(body, text)
    if holiday is not None:
        return holiday
    month_day = _month_day(body)
    if month_day is not None:
        return Shape("year", 1, day_of_month=month_day[1], month=month_day[0], named_day=True)
    raise not_understood(rest, text, EXAMPLES)


def elapsed_minutes(seconds: float, text: str, typed: str | None = None) -> int:
    """Whole minutes of a real-time repeat; ``typed`` is its length as typed ("2 hours")."""
    minutes = seconds / 60
    if minutes < 1:
        raise ParseError(f"The shortest repeat is every minute. Try for example {EXAMPLES}.")
    if minutes != int(minutes):
        raise ParseError(
            f"{text.strip()!r} is not a whole number of minutes. "
            "Try for example 'every 90 minutes' or 'every 2h30m'."
        )
    problem = step_problem(int(minutes), typed)
    if problem is not None:
        raise ParseError(problem)
    return int(minutes)
