"""Amounts in the time language: numbers in digits or words, fractions, durations and ordinals.

Every reader takes a whole phrase, already normalised, and returns ``None`` unless it understood
every word of it: "two and a half hours" is a duration, "two and a half blorps" is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
    "couple": 2, "other": 2, "second": 2, "third": 3, "fourth": 4,
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

ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_FRACTION_NOUNS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4}
# Words that name a count by themselves: "a couple", "a few", "a dozen".
# "a few" is vague (3? 5?): it is not a number, so "in a few minutes" asks for one.
_COUNT_NOUNS = {"couple": 2, "dozen": 12}

_ORDINAL_ONES = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}  # fmt: skip
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}


def _ordinal_words() -> dict[str, int]:
    words = dict(_ORDINAL_ONES) | _ORDINAL_TENS
    for tens_word, tens in (("twenty", 20), ("thirty", 30)):
        for ones_word, ones in _ORDINAL_ONES.items():
            if ones <= 9 and tens + ones <= 31:
                words[f"{tens_word}-{ones_word}"] = tens + ones
                words[f"{tens_word} {ones_word}"] = tens + ones
    words["last"] = -1
    return words


# "first" .. "thirty-first" (and "thirty first") -> 1..31; "last" -> -1.
ORDINAL_WORDS: dict[str, int] = _ordinal_words()
_SUFFIXES = {1: "st", 2: "nd", 3: "rd"}


def parse_number(word: str) -> float | None:
    """'3' -> 3, '1.5' -> 1.5, 'an' -> 1, 'couple' -> 2; ``None`` for anything else."""
    if re.fullmatch(r"\d+(?:\.\d+)?", word):
        return float(word)
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    return None


def _below_hundred(words: list[str]) -> int | None:
    if len(words) == 1:
        return ONES.get(words[0], TENS.get(words[0]))
    if len(words) == 2 and words[0] in TENS and words[1] in ONES and 1 <= ONES[words[1]] <= 9:
        return TENS[words[0]] + ONES[words[1]]
    return None


def _below_thousand(words: list[str]) -> int | None:
    if "hundred" not in words:
        return _below_hundred(words)
    at = words.index("hundred")
    head, tail = words[:at], words[at + 1 :]
    count = 1 if head in (["a"], ["one"]) else _below_hundred(head)
    if count is None or not 1 <= count <= 9:
        return None
    if tail[:1] == ["and"]:
        tail = tail[1:]
        if not tail:
            return None
    rest = _below_hundred(tail) if tail else 0
    return None if rest is None else count * 100 + rest


def parse_cardinal(text: str) -> int | None:
    """A whole number in digits or words: '25', 'twenty five', 'twenty-five', 'a hundred and
    one', 'two thousand' (up to 999,999); ``None`` for anything else, fractions included."""
    if re.fullmatch(r"\d+", text):
        return int(text)
    words = text.replace("-", " ").split()
    if not words or words[0] == "and":
        return None
    if "thousand" not in words:
        return _below_thousand(words)
    at = words.index("thousand")
    head, tail = words[:at], words[at + 1 :]
    count = 1 if head in (["a"], ["one"]) else _below_thousand(head)
    if count is None or count < 1:
        return None
    if tail[:1] == ["and"]:
        tail = tail[1:]
        if not tail:
            return None
    rest = _below_thousand(tail) if tail else 0
    return None if rest is None else count * 1000 + rest


def _fraction(words: list[str]) -> float | None:
    """'half', 'a half', 'a quarter', 'three quarters', '1/2', 'two thirds'."""
    if not words:
        return None
    if len(words) == 1:
        found = re.fullmatch(r"(\d+)/(\d+)", words[0])
        if found:
            top, bottom = int(found.group(1)), int(found.group(2))
            return top / bottom if bottom else None
        if words[0] in ("half", "quarter", "third"):
            return 1 / _FRACTION_NOUNS[words[0]]
        return None
    *count_words, noun = words
    if noun not in _FRACTION_NOUNS:
        return None
    count = 1 if count_words in (["a"], ["an"], ["one"]) else parse_cardinal(" ".join(count_words))
    if count is None or count < 1:
        return None
    plural = noun.endswith("s")
    if plural != (count > 1) or noun == "halves":
        return None  # "a quarters", "three quarter", "two halves" are not how amounts are said
    return count / _FRACTION_NOUNS[noun]


def parse_quantity(text: str) -> float | None:
    """An amount as a whole phrase: '2', '2.5', 'two', 'twenty-five', 'a', 'one and a half',
    '1/2', '1 1/2', 'half an', 'three quarters', 'a couple of', 'a few' (3), 'a dozen',
    'half a dozen', 'one hundred'; ``None`` unless every word is part of the amount.

    A trailing article or "of" belongs to what follows ("half an hour", "a couple of days") and
    is accepted after fractions and counting nouns only.
    """
    words = text.split()
    if not words:
        return None
    if words[-1] == "of" and len(words) > 1 and words[-2] in {*_FRACTION_NOUNS, *_COUNT_NOUNS}:
        words = words[:-1]
    if len(words) > 1 and words[-1] in ("a", "an") and words[-2] in _FRACTION_NOUNS:
        words = words[:-1]  # "half an", "a quarter of an" (the "of" went above)
    elif len(words) > 2 and words[-1] in ("a", "an") and words[-2] == "of":
        if words[-3] in _FRACTION_NOUNS:
            words = words[:-2]
    return _amount(words)


def _amount(words: list[str]) -> float | None:
    if len(words) == 1 and re.fullmatch(r"\d*\.\d+|\d+(?:\.\d+)?", words[0]):
        return float(words[0])
    if words in (["a"], ["an"]):
        return 1.0
    if words[-1] in _COUNT_NOUNS:
        head = words[:-1]
        if head in ([], ["a"]):
            return float(_COUNT_NOUNS[words[-1]])
        if words[-1] == "dozen":
            count = parse_quantity(" ".join(head))  # "two dozen", "half a dozen"
            return None if count is None else count * 12
        return None
    whole = parse_cardinal(" ".join(words))
    if whole is not None:
        return float(whole)
    if "and" in words:
        at = words.index("and")
        whole = parse_cardinal(" ".join(words[:at]))
        part = _fraction(words[at + 1 :])
        if whole is None or part is None or part >= 1:
            return None
        return whole + part
    if len(words) == 2 and re.fullmatch(r"\d+", words[0]) and "/" in words[1]:
        part = _fraction(words[1:])  # "1 1/2"
        return None if part is None or part >= 1 else int(words[0]) + part
    return _fraction(words)


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


_JOINERS = ("and", "&", "+", ",")


def _duration_words(text: str) -> list[str]:
    text = re.sub(r"\b(\d+)h(\d{1,2})$", r"\1h\2m", text.strip())  # "2h30" is 2 h 30 min
    text = text.replace(",", " , ")
    text = re.sub(r"(?<=\d)(?=[a-z])", " ", text)  # "2h30m" -> "2 h 30 m"; "1/2h" -> "1/2 h"
    text = re.sub(r"(?<=[a-z])(?=\d)", " ", text)
    return text.split()


def _unit_at(words: list[str], index: int, linked: bool = False) -> tuple[int, str] | None:
    """The unit at ``index`` (index after it, unit); with ``linked`` an "of" and an article may
    come first, as after "half" or "a couple" ("half an hour", "a couple of days")."""
    if linked and index < len(words) and words[index] == "of":
        index += 1
    if linked and index < len(words) and words[index] in ("a", "an"):
        index += 1
    if index < len(words) and words[index] in UNITS:
        return index + 1, words[index]
    return None


def parse_duration(text: str) -> Duration | None:
    """A length of time as a whole phrase: '2h30m', '1 hour and 30 minutes', 'half an hour',
    'an hour and a half', 'two and a half hours', 'a quarter of an hour', '1/2 hour', '3 days',
    'a week and a half', '1.5 days' (1 day and 12 elapsed hours).

    ``None`` for any word it does not know, and for fractions of months and years that are not
    whole months ("1.5 months"; "1.5 years" is 18 months).
    """
    words = _duration_words(text)
    totals = {"months": 0.0, "days": 0.0, "seconds": 0.0}
    index = 0
    while index < len(words):
        if index and words[index] in _JOINERS:
            index += 1
        segment = _segment(words, index)
        if segment is None:
            return None
        index, field, amount = segment
        totals[field] += amount
    if index == 0:
        return None
    months = totals["months"]
    days = totals["days"]
    if months != int(months):
        return None  # "1.5 months" has no calendar meaning
    seconds = totals["seconds"] + (days - int(days)) * 86400
    return Duration(int(months), int(days), seconds)


def _segment(words: list[str], start: int) -> tuple[int, str, float] | None:
    """One "<amount> <unit> [and a half]" from ``start``: (next index, field, amount in it)."""
    for end in range(len(words), start, -1):
        if words[end - 1] in _JOINERS and words[end - 1] != "and":
            continue
        amount = parse_quantity(" ".join(words[start:end]))
        last = words[end - 1]
        linked = last in {*_FRACTION_NOUNS, *_COUNT_NOUNS} or "/" in last  # "3/4 of an hour"
        unit = _unit_at(words, end, linked) if amount is not None else None
        if amount is None or unit is None:
            continue
        index, unit_word = unit
        field, size = UNITS[unit_word]
        total = amount * size
        if index < len(words) - 1 and words[index] == "and":  # "an hour and a half"
            for stop in range(len(words), index + 1, -1):
                part = _fraction(words[index + 1 : stop])
                if part is not None and part < 1 and _unit_at(words, stop) is None:
                    return stop, field, total + part * size
        return index, field, total
    return None


def parse_ordinal(text: str) -> int | None:
    """'1st', 'first', '3rd', 'twentieth', 'twenty-first', 'twenty first', '31st' -> 1..31;
    'last' -> -1; ``None`` otherwise (a wrong suffix such as '2st' too)."""
    if text in ORDINAL_WORDS:
        return ORDINAL_WORDS[text]
    found = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)", text)
    if found is None:
        return None
    number = int(found.group(1))
    suffix = "th" if 11 <= number % 100 <= 13 else _SUFFIXES.get(number % 10, "th")
    return number if 1 <= number <= 31 and found.group(2) == suffix else None
