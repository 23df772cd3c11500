"""Amounts, durations and ordinals: whole phrases in, a value or None out (never a skipped word)."""

from __future__ import annotations

import pytest

from bot.scheduling.phrases import (
    ORDINAL_WORDS,
    Duration,
    parse_duration,
    parse_ordinal,
    parse_quantity,
)

QUANTITIES: list[tuple[str, float]] = [
    ("2", 2),
    ("2.5", 2.5),
    ("0.5", 0.5),
    ("two", 2),
    ("twenty five", 25),
    ("twenty-five", 25),
    ("a", 1),
    ("an", 1),
    ("one and a half", 1.5),
    ("two and a half", 2.5),
    ("two and a quarter", 2.25),
    ("three and three quarters", 3.75),
    ("1/2", 0.5),
    ("3/4", 0.75),
    ("1 1/2", 1.5),
    ("half", 0.5),
    ("a half", 0.5),
    ("half an", 0.5),
    ("half a", 0.5),
    ("a quarter", 0.25),
    ("a quarter of an", 0.25),
    ("three quarters", 0.75),
    ("a third", 1 / 3),
    ("a couple", 2),
    ("a couple of", 2),
    ("couple", 2),
    ("a dozen", 12),
    ("two dozen", 24),
    ("half a dozen", 6),
    ("one hundred", 100),
    ("a hundred and one", 101),
    ("nine hundred and ninety nine", 999),
    ("nine hundred ninety-nine", 999),
    ("two thousand", 2000),
    ("zero", 0),
]

NOT_QUANTITIES = [
    "a few",  # vague: 3? 5? never a guess
    "",
    "blorp",
    "and",
    "two an",
    "one and",
    "and a half",
    "a hundred and",
    "a quarters",
    "three quarter",
    "twenty twenty",
    "five two",
    "1/0",
    "two of",
    "hundred hundred",
    "a couple few",
]


@pytest.mark.parametrize(("text", "value"), QUANTITIES, ids=[c[0] for c in QUANTITIES])
def test_quantity(text: str, value: float) -> None:
    """Digits, words, fractions and counting nouns read as the amount they say."""
    assert parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", NOT_QUANTITIES)
def test_not_a_quantity(text: str) -> None:
    """A phrase with a word that is not part of an amount is None."""
    assert parse_quantity(text) is None


HOUR = 3600.0
DURATIONS: list[tuple[str, Duration]] = [
    ("two hours", Duration(seconds=2 * HOUR)),
    ("a quarter of an hour", Duration(seconds=900)),
    ("quarter of an hour", Duration(seconds=900)),
    ("three quarters of an hour", Duration(seconds=2700)),
    ("3/4 of an hour", Duration(seconds=2700)),
    ("1/2 hour", Duration(seconds=1800)),
    ("half an hour", Duration(seconds=1800)),
    ("half hour", Duration(seconds=1800)),
    ("one and a half hours", Duration(seconds=1.5 * HOUR)),
    ("an hour and a half", Duration(seconds=1.5 * HOUR)),
    ("two and a half hours", Duration(seconds=2.5 * HOUR)),
    ("2h30m", Duration(seconds=2.5 * HOUR)),
    ("2h30", Duration(seconds=2.5 * HOUR)),
    ("2h", Duration(seconds=2 * HOUR)),
    ("1 hour and 30 minutes", Duration(seconds=1.5 * HOUR)),
    ("2 hours 30 minutes", Duration(seconds=2.5 * HOUR)),
    ("90 minutes", Duration(seconds=5400)),
    ("ninety minutes", Duration(seconds=5400)),
    ("forty-five minutes", Duration(seconds=2700)),
    ("30s", Duration(seconds=30)),
    ("a minute", Duration(seconds=60)),
    ("a couple of hours", Duration(seconds=2 * HOUR)),
    ("a day", Duration(days=1)),
    ("5 days", Duration(days=5)),
    ("1d 2h", Duration(days=1, seconds=2 * HOUR)),
    ("a fortnight", Duration(days=14)),
    ("a week and a half", Duration(days=10, seconds=12 * HOUR)),
    ("3 weeks", Duration(days=21)),
    ("1.5 days", Duration(days=1, seconds=12 * HOUR)),
    ("half a day", Duration(seconds=12 * HOUR)),
    ("a month", Duration(months=1)),
    ("4 months", Duration(months=4)),
    ("a year", Duration(months=12)),
    ("a year and a half", Duration(months=18)),
    ("1.5 years", Duration(months=18)),
    ("an hour and a half and 10 minutes", Duration(seconds=1.5 * HOUR + 600)),
    ("0 minutes", Duration()),
]

NOT_DURATIONS = [
    "a few minutes",  # vague
    "",
    "hour",
    "blorp",
    "2 hours blorp",
    "blorp 2 hours",
    "two hours and",
    "and 2 hours",
    "2 an hour",
    "2 of hours",
    "2 hours 30",
    "1.5 months",
    "half a month",
    "a month and a half",
    "an hour and a blorp",
    "two and a half",
]


@pytest.mark.parametrize(("text", "duration"), DURATIONS, ids=[c[0] for c in DURATIONS])
def test_duration(text: str, duration: Duration) -> None:
    """A whole phrase reads as calendar months and days and elapsed seconds."""
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", NOT_DURATIONS)
def test_not_a_duration(text: str) -> None:
    """An unknown word, a missing unit, or a fraction of a month is None."""
    assert parse_duration(text) is None


ORDINALS: list[tuple[str, int]] = [
    ("1st", 1),
    ("first", 1),
    ("2nd", 2),
    ("second", 2),
    ("3rd", 3),
    ("third", 3),
    ("11th", 11),
    ("12th", 12),
    ("13th", 13),
    ("twentieth", 20),
    ("21st", 21),
    ("twenty-first", 21),
    ("twenty first", 21),
    ("22nd", 22),
    ("thirtieth", 30),
    ("thirty-first", 31),
    ("31st", 31),
    ("last", -1),
]


@pytest.mark.parametrize(("text", "value"), ORDINALS, ids=[c[0] for c in ORDINALS])
def test_ordinal(text: str, value: int) -> None:
    """Ordinals in digits or words are 1..31; 'last' is -1."""
    assert parse_ordinal(text) == value


@pytest.mark.parametrize("text", ["", "0th", "32nd", "2st", "11st", "thirty second", "blorp", "3"])
def test_not_an_ordinal(text: str) -> None:
    """Out-of-range days, wrong suffixes and plain numbers are None."""
    assert parse_ordinal(text) is None


def test_ordinal_words_cover_every_day_of_a_month() -> None:
    """ORDINAL_WORDS names each of 1..31 (and 'last' as -1) for the grammar's patterns."""
    assert set(ORDINAL_WORDS.values()) == {*range(1, 32), -1}
