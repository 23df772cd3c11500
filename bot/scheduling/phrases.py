"""The words of the time language: numbers, units, durations, times of day, day and month names.

Small, regex-based readers shared by the one-shot and the recurrence grammars.  They work on text
already normalised by :func:`normalise` (lower case, single spaces, no punctuation but the commas
of a list of clocks) and either return a value or ``None``; deciding what is an error is left to
the grammars, which know the context.  The clock readers live in :mod:`bot.scheduling.clock`, the
amounts, durations and ordinals in :mod:`bot.scheduling.quantities`; both are re-exported here.
"""

from __future__ import annotations

import re

from bot.scheduling.clock import (
    HOUR_WORDS,
    MINUTE_WORDS,
    TimeOfDay,
    find_time,
    find_times,
    valid_time,
)
from bot.scheduling.quantities import (
    NUMBER_WORDS,
    ORDINAL_WORDS,
    UNITS,
    Duration,
    parse_cardinal,
    parse_duration,
    parse_number,
    parse_ordinal,
    parse_quantity,
)

__all__ = [
    "HOUR_WORDS", "MINUTE_WORDS", "MONTHS", "NUMBER_WORDS", "ORDINAL_WORDS", "PERIODS",
    "PERIOD_DEFAULT_HOUR", "UNITS", "WEEKDAYS", "Duration", "TimeOfDay", "find_time",
    "find_times", "normalise", "parse_cardinal", "parse_day_set", "parse_duration",
    "parse_month_day", "parse_number", "parse_ordinal", "parse_ordinal_day", "parse_quantity",
    "parse_weekday", "squeeze", "valid_time",
]  # fmt: skip

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "weds": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
PERIODS = {"morning": "am", "afternoon": "pm", "evening": "pm", "night": "pm", "tonight": "pm"}
PERIOD_DEFAULT_HOUR = {"morning": 9, "afternoon": 15, "evening": 19, "night": 20, "tonight": 20}

_LIST_ITEM = r"(?:\d{1,2}(?::\d{2})?(?: ?[ap]m)?|noon|midnight|midday)"
_TIME_LIST = re.compile(rf"(?<![\w:/.-])(?:at|@) ?{_LIST_ITEM}(?:, {_LIST_ITEM}(?![\w:/]))+")
_NOT_A_LIST_AFTER = {*UNITS, *MONTHS, "times", "x"}


def _mark_time_lists(text: str) -> str:
    """Keep the commas of "at 9, 12 and 17:00" (as " , "): without them it reads as 9:12."""

    def mark(found: re.Match[str]) -> str:
        after = text[found.end() :].split(" ", 2)
        if len(after) > 1 and after[0] == "" and after[1] in _NOT_A_LIST_AFTER:
            return found.group(0)  # "at 9, 10 times", "at 9, 25 dec": not a list of times
        return found.group(0).replace(", ", " \ue000 ")  # a mark that is not a space

    return _TIME_LIST.sub(mark, text)


def normalise(text: str) -> str:
    """Lower case, "a.m." -> "am", trailing punctuation to spaces, single spaces.

    Curly apostrophes become straight ones ("new year\u2019s" -> "new year's"), "o' clock" and
    "o clock" become "o'clock", and "st. patrick's" loses its full stop like any word before a
    space.  The commas of a list of bare clock numbers after "at" stay, spaced out ("at 9, 12 and
    17:00" -> "at 9 , 12 and 17:00"), because there they separate times.
    """
    text = text.strip().lower().replace("\u2019", "'").replace("\u2018", "'")
    text = text.strip("\"'`()[] ")  # pasted with quotes or brackets around it
    # Everyday spellings of the grammar's words.
    text = re.sub(r"\beveryday\b", "every day", text)
    text = re.sub(r"\b(?:(?:work|working|business|week) days?|workdays?)\b", "weekdays", text)
    text = re.sub(r"\bweekend ?days?\b", "weekends", text)
    # "same time tomorrow", "at the same time next week", "tomorrow same time": now plus a day/week
    later = {"tomorrow": "in 1 day", "next week": "in 1 week", "next month": "in 1 month",
             "next year": "in 1 year"}  # fmt: skip
    text = re.sub(
        r"\b(?:at )?(?:the )?(?:same|this) time (tomorrow|next week|next month|next year)\b",
        lambda m: later[m.group(1)],
        text,
    )
    text = re.sub(
        r"\b(tomorrow|next week|next month|next year) (?:at )?(?:the )?same time\b",
        lambda m: later[m.group(1)],
        text,
    )
    text = re.sub(r"(?<![a-z])([ap])\.m\.?", r"\1m", text)
    text = re.sub(r"\bo(?:' ?| )clock\b", "o'clock", text)
    text = _mark_time_lists(re.sub(r"\s+", " ", text))
    # Commas inside a word stay ("mon,wed", cron "1,15"); a comma before a space is punctuation.
    text = re.sub(r"[,;!?.]+(?=\s|$)|(?<=\s)-(?=\s)", " ", text)
    return re.sub(r"\s+", " ", text).strip().replace("\ue000", ",")


def squeeze(text: str) -> str:
    """Collapse the spaces left behind after a phrase was cut out of ``text``."""
    return re.sub(r"\s+", " ", text).strip()


def parse_weekday(word: str) -> int | None:
    """'monday', 'mon', 'mondays' -> 0; ``None`` for other words."""
    if word in WEEKDAYS:
        return WEEKDAYS[word]
    if word.endswith("s") and word[:-1] in WEEKDAYS:
        return WEEKDAYS[word[:-1]]
    return None


def parse_day_set(text: str) -> tuple[int, ...] | None:
    """'monday and wednesday', 'mon-fri', 'weekdays', 'tuesday through thursday' -> day numbers.

    Connectors ("and", "or", ",", "&", "/", "+") stand only between days, and "on", "every" or
    "each" only before the first: "every sunday or" and "monday and" are not day sets.
    """
    text = re.sub(r"\s*(?:-|–|to|through|thru|until)\s*", "-", text)
    text = re.sub(r"\s*([&/+,])\s*", r" \1 ", text).strip()
    days: set[int] = set()
    words = text.split()
    if words and words[0] in ("on", "every", "each"):
        words = words[1:]  # one of them: "every every monday" is not a day set
    expect_day = True
    for word in words:
        if word in ("and", "or", "&", "/", "+", ","):
            if expect_day:
                return None  # two connectors in a row, or one before any day
            expect_day = True
            continue
        found = _day_word(word)
        if found is None:
            return None
        days.update(found)
        expect_day = False
    if expect_day:
        return None  # empty, or a dangling connector at the end
    return tuple(sorted(days)) or None


def _day_word(word: str) -> set[int] | None:
    if word in ("weekday", "weekdays", "workday", "workdays"):
        return set(range(5))
    if word in ("weekend", "weekends"):
        return {5, 6}
    if word in ("day", "days"):
        return set(range(7))
    if "-" in word:
        first, _, last = word.partition("-")
        start, end = parse_weekday(first), parse_weekday(last)
        if start is None or end is None:
            return None
        days, day = {start}, start
        while day != end:  # "fri-mon" wraps over the weekend
            day = (day + 1) % 7
            days.add(day)
        return days
    weekday = parse_weekday(word)
    return None if weekday is None else {weekday}


def parse_ordinal_day(text: str) -> int | None:
    """'the 1st', '15th', 'day 15', 'the last day' -> 1..31 (last day -> 31); else ``None``."""
    text = re.sub(r"^(?:on )?(?:the )?", "", text)
    text = re.sub(r" (?:of|in) (?:the|every|each) month$", "", text)
    if text in ("last day", "last", "end", "last day of the month"):
        return 31
    found = re.fullmatch(r"(?:day )?(\d{1,2})(?:st|nd|rd|th)?", text)
    if found is None:
        return None
    day = int(found.group(1))
    return day if 1 <= day <= 31 else None


# Regex alternations for the grammars, longest first so "sept" wins over "sep".
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAY_PATTERN = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
# An ordinal: "3rd", "third", "twenty first", "twenty-first", "last" (checked by parse_ordinal).
ORDINAL_PATTERN = r"(?:\d{1,2}(?:st|nd|rd|th)|(?:twenty|thirty)[ -]\w+|\w+)"
_MONTH_DAY = re.compile(
    rf"^(?:on )?(?:the )?(?:(?P<m1>{MONTH_PATTERN}) (?:the )?(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<m2>{MONTH_PATTERN}))"
    r"(?: (?:of )?(?P<year>\d{4}))?$"
)


def parse_month_day(text: str) -> tuple[int, int, int | None] | None:
    """'dec 25', 'december 25th 2026', '25 dec', 'the 3rd of march' -> (month, day, year)."""
    found = _MONTH_DAY.match(text)
    if found is None:
        return None
    month = MONTHS[found.group("m1") or found.group("m2")]
    day = int(found.group("d1") or found.group("d2"))
    year = int(found.group("year")) if found.group("year") else None
    return month, day, year
