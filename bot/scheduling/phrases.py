"""The words of the time language: numbers, units, durations, times of day, day and month names.

Small, regex-based readers shared by the one-shot and the recurrence grammars.  They work on text
already normalised by :func:`normalise` (lower case, single spaces, no commas) and either return a
value or ``None``; deciding what is an error is left to the grammars, which know the context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
    "couple": 2, "few": 3, "other": 2, "second": 2, "third": 3, "fourth": 4,
}  # fmt: skip
# Unit -> (field, size): "seconds" counts real time; "days" and "months" count the calendar.
UNITS = {
    "s": ("seconds", 1), "sec": ("seconds", 1), "secs": ("seconds", 1), "second": ("seconds", 1),
    "seconds": ("seconds", 1), "m": ("seconds", 60), "min": ("seconds", 60),
    "mins": ("seconds", 60), "minute": ("seconds", 60), "minutes": ("seconds", 60),
    "h": ("seconds", 3600), "hr": ("seconds", 3600), "hrs": ("seconds", 3600),
    "hour": ("seconds", 3600), "hours": ("seconds", 3600), "d": ("days", 1), "day": ("days", 1),
    "days": ("days", 1), "w": ("days", 7), "wk": ("days", 7), "wks": ("days", 7),
    "week": ("days", 7), "weeks": ("days", 7), "fortnight": ("days", 14),
    "fortnights": ("days", 14), "mo": ("months", 1), "month": ("months", 1),
    "months": ("months", 1), "y": ("months", 12), "yr": ("months", 12), "yrs": ("months", 12),
    "year": ("months", 12), "years": ("months", 12),
}  # fmt: skip
PERIODS = {"morning": "am", "afternoon": "pm", "evening": "pm", "night": "pm", "tonight": "pm"}
PERIOD_DEFAULT_HOUR = {"morning": 9, "afternoon": 15, "evening": 19, "night": 20, "tonight": 20}

_TIME = re.compile(
    r"(?<![\w:/.-])(?:(?:at|@)\s+)?(?:"
    r"(?P<word>noon|midday|midnight)"
    r"|(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?(?P<ampm>\s*[ap]m|[ap])(?![\w])"
    r"|(?P<h2>\d{1,2}):(?P<m2>\d{2})(?::(?P<s2>\d{2}))?(?![\w:])"
    r"|(?P<h3>\d{1,2})\s*o'?clock(?![\w])"
    r")"
    r"|(?<![\w:/.-])(?:at|@)\s+(?P<h4>\d{1,2})(?![\w:/.-])"
)


@dataclass(frozen=True)
class TimeOfDay:
    """A time of day as typed.  ``ambiguous`` when the text did not say am or pm ("at 5")."""

    hour: int
    minute: int
    second: int = 0
    ambiguous: bool = False

    def choices(self, period: str | None = None) -> list[tuple[int, int, int]]:
        """The (hour, minute, second) readings in the order a clock would show them.

        An ambiguous 1-12 hour is both the morning and the evening reading (5 -> 05:00, 17:00);
        a period word ("tonight", "morning") picks one.
        """
        if not self.ambiguous or not 1 <= self.hour <= 12:
            return [(self.hour, self.minute, self.second)]
        morning, evening = self.hour % 12, self.hour % 12 + 12
        if period == "am":
            return [(morning, self.minute, self.second)]
        if period == "pm":
            return [(evening, self.minute, self.second)]
        return [(morning, self.minute, self.second), (evening, self.minute, self.second)]


def normalise(text: str) -> str:
    """Lower case, "a.m." -> "am", trailing punctuation to spaces, single spaces."""
    text = text.strip().lower()
    text = re.sub(r"\b([ap])\.m\.?", r"\1m", text)
    # Commas inside a word stay ("mon,wed", cron "1,15"); a comma before a space is punctuation.
    text = re.sub(r"[,;!?.]+(?=\s|$)|(?<=\s)-(?=\s)", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def squeeze(text: str) -> str:
    """Collapse the spaces left behind after a phrase was cut out of ``text``."""
    return re.sub(r"\s+", " ", text).strip()


def find_time(text: str) -> tuple[TimeOfDay, str] | None:
    """The one time of day in ``text`` and the text without it, or ``None``.

    Times: "9am", "9:30 pm", "18:00", "noon", "midnight", "5 o'clock" and a bare "at 5".  A bare
    number without "at" is never a time, so "dec 25" keeps its 25.  Invalid clocks ("25:00")
    are returned as out-of-range values for the caller to reject.
    """
    matches = list(_TIME.finditer(text))
    if not matches:
        return None
    found = matches[0]
    groups = found.groupdict()
    word = groups["word"]
    if word is not None:
        value = TimeOfDay(12 if word in ("noon", "midday") else 0, 0)
    elif groups["h1"] is not None:
        hour = int(groups["h1"])
        minute = int(groups["m1"] or 0)
        if not 1 <= hour <= 12:
            value = TimeOfDay(99, minute)  # "13pm" is not a time; flagged as out of range
        else:
            pm = groups["ampm"].strip().startswith("p")
            value = TimeOfDay(hour % 12 + (12 if pm else 0), minute)
    elif groups["h2"] is not None:
        hour_text = groups["h2"]
        hour = int(hour_text)
        # "9:30" could be morning or evening; "09:30" and "21:30" say which.
        ambiguous = 1 <= hour <= 12 and not hour_text.startswith("0")
        value = TimeOfDay(hour, int(groups["m2"]), int(groups["s2"] or 0), ambiguous)
    else:
        hour = int(groups["h3"] or groups["h4"])
        value = TimeOfDay(hour, 0, 0, ambiguous=1 <= hour <= 12)
    rest = text[: found.start()] + " " + text[found.end() :]
    if len(matches) > 1 and find_time(rest) is not None:
        return None  # two times of day: let the grammar report the text as not understood
    return value, squeeze(rest)


def valid_time(value: TimeOfDay) -> bool:
    """Whether the clock reading exists (hour 0-23, minute and second 0-59)."""
    return 0 <= value.hour <= 23 and 0 <= value.minute <= 59 and 0 <= value.second <= 59


def parse_number(word: str) -> float | None:
    """'3' -> 3, '1.5' -> 1.5, 'an' -> 1, 'couple' -> 2; ``None`` for anything else."""
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    return None


@dataclass(frozen=True)
class Duration:
    """A length of time as typed: calendar months and days, and elapsed seconds."""

    months: int = 0
    days: int = 0
    seconds: float = 0.0

    @property
    def has_clock_part(self) -> bool:
        """Whether it includes hours, minutes or seconds (then no time of day may be added)."""
        return self.seconds != 0

    @property
    def elapsed(self) -> timedelta:
        """The hours, minutes and seconds part."""
        return timedelta(seconds=self.seconds)


def parse_duration(text: str) -> Duration | None:
    """'2h30m', '1 hour and 30 minutes', 'half an hour', 'an hour and a half', '3 days'."""
    text = re.sub(
        r"\ba quarter of an? hour\b|\bquarter of an? hour\b|\bquarter hour\b", "15 m", text
    )
    text = re.sub(r"\bhalf an? (hour|day|minute|week|month|year)\b", r"0.5 \1", text)
    text = re.sub(r"\b(?:a )?(couple|few)(?: of)?\b", r"\1", text)
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text)
    text = re.sub(r"([a-z])(\d)", r"\1 \2", text)
    words = [w for w in text.split() if w not in ("and", "&", "+")]
    if not words:
        return None
    totals = {"months": 0.0, "days": 0.0, "seconds": 0.0}
    index = 0
    last_unit: tuple[str, int] | None = None
    while index < len(words):
        word = words[index]
        if word == "a" and index + 1 < len(words) and words[index + 1] == "half" and last_unit:
            totals[last_unit[0]] += 0.5 * last_unit[1]  # "an hour and a half"
            index += 2
            continue
        number = parse_number(word)
        if number is None or index + 1 >= len(words) or words[index + 1] not in UNITS:
            return None
        field, size = UNITS[words[index + 1]]
        totals[field] += number * size
        last_unit = (field, size)
        index += 2
    months = totals["months"]
    days = totals["days"]
    if months != int(months):
        return None  # "1.5 months" has no calendar meaning
    seconds = totals["seconds"] + (days - int(days)) * 86400
    return Duration(int(months), int(days), seconds)


def parse_weekday(word: str) -> int | None:
    """'monday', 'mon', 'mondays' -> 0; ``None`` for other words."""
    if word in WEEKDAYS:
        return WEEKDAYS[word]
    if word.endswith("s") and word[:-1] in WEEKDAYS:
        return WEEKDAYS[word[:-1]]
    return None


def parse_day_set(text: str) -> tuple[int, ...] | None:
    """'monday and wednesday', 'mon-fri', 'weekdays', 'tuesday through thursday' -> day numbers."""
    text = re.sub(r"\s*(?:-|–|to|through|thru|until)\s*", "-", text)
    days: set[int] = set()
    for word in re.split(r"\s+|&|/|\+|,", text):
        if word in ("", "and", "or", "on", "every", "each"):
            continue
        if word in ("weekday", "weekdays"):
            days.update(range(5))
        elif word in ("weekend", "weekends"):
            days.update((5, 6))
        elif word in ("day", "days"):
            days.update(range(7))
        elif "-" in word:
            first, _, last = word.partition("-")
            start, end = parse_weekday(first), parse_weekday(last)
            if start is None or end is None:
                return None
            day = start
            days.add(day)
            while day != end:  # "fri-mon" wraps over the weekend
                day = (day + 1) % 7
                days.add(day)
        else:
            weekday = parse_weekday(word)
            if weekday is None:
                return None
            days.add(weekday)
    return tuple(sorted(days)) or None


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


_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_DAY = re.compile(
    rf"^(?:on )?(?:the )?(?:(?P<m1>{_MONTH_NAMES}) (?:the )?(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)? (?:of )?(?P<m2>{_MONTH_NAMES}))"
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
