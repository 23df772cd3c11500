"""Holidays: names found in text, their dates each year, and the rule a yearly schedule follows."""

from __future__ import annotations

from datetime import date

import pytest

from bot.scheduling.holidays import (
    HOLIDAYS,
    FixedDate,
    NthWeekday,
    easter_sunday,
    find_holiday,
)
from bot.scheduling.phrases import normalise

# (text as typed, display name, date in 2026)
NAMES: list[tuple[str, str, date]] = [
    ("christmas", "Christmas Day", date(2026, 12, 25)),
    ("Christmas Day", "Christmas Day", date(2026, 12, 25)),
    ("xmas", "Christmas Day", date(2026, 12, 25)),
    ("christmas eve", "Christmas Eve", date(2026, 12, 24)),
    ("xmas eve", "Christmas Eve", date(2026, 12, 24)),
    ("boxing day", "Boxing Day", date(2026, 12, 26)),
    ("new year's day", "New Year's Day", date(2026, 1, 1)),
    ("New Year\u2019s Day", "New Year's Day", date(2026, 1, 1)),
    ("new years day", "New Year's Day", date(2026, 1, 1)),
    ("new year", "New Year's Day", date(2026, 1, 1)),
    ("new year's eve", "New Year's Eve", date(2026, 12, 31)),
    ("new years eve", "New Year's Eve", date(2026, 12, 31)),
    ("NYE", "New Year's Eve", date(2026, 12, 31)),
    ("halloween", "Halloween", date(2026, 10, 31)),
    ("hallowe'en", "Halloween", date(2026, 10, 31)),
    ("valentine's day", "Valentine's Day", date(2026, 2, 14)),
    ("valentines day", "Valentine's Day", date(2026, 2, 14)),
    ("valentines", "Valentine's Day", date(2026, 2, 14)),
    ("easter", "Easter Sunday", date(2026, 4, 5)),
    ("easter sunday", "Easter Sunday", date(2026, 4, 5)),
    ("easter monday", "Easter Monday", date(2026, 4, 6)),
    ("good friday", "Good Friday", date(2026, 4, 3)),
    ("thanksgiving", "Thanksgiving", date(2026, 11, 26)),
    ("black friday", "Black Friday", date(2026, 11, 27)),
    ("mother's day", "Mother's Day", date(2026, 5, 10)),
    ("mothers day", "Mother's Day", date(2026, 5, 10)),
    ("father's day", "Father's Day", date(2026, 6, 21)),
    ("mlk day", "Martin Luther King Jr. Day", date(2026, 1, 19)),
    ("martin luther king day", "Martin Luther King Jr. Day", date(2026, 1, 19)),
    ("Martin Luther King Jr. Day", "Martin Luther King Jr. Day", date(2026, 1, 19)),
    ("memorial day", "Memorial Day", date(2026, 5, 25)),
    ("labor day", "Labor Day", date(2026, 9, 7)),
    ("labour day", "Labor Day", date(2026, 9, 7)),
    ("st patrick's day", "St. Patrick's Day", date(2026, 3, 17)),
    ("St. Patrick's Day", "St. Patrick's Day", date(2026, 3, 17)),
    ("saint patrick's day", "St. Patrick's Day", date(2026, 3, 17)),
    ("st paddy's day", "St. Patrick's Day", date(2026, 3, 17)),
    ("st. patrick's", "St. Patrick's Day", date(2026, 3, 17)),
    ("independence day", "Independence Day", date(2026, 7, 4)),
    ("fourth of july", "Independence Day", date(2026, 7, 4)),
    ("the 4th of july", "Independence Day", date(2026, 7, 4)),
    ("presidents day", "Presidents' Day", date(2026, 2, 16)),
    ("presidents' day", "Presidents' Day", date(2026, 2, 16)),
    ("columbus day", "Columbus Day", date(2026, 10, 12)),
    ("veterans day", "Veterans Day", date(2026, 11, 11)),
    ("groundhog day", "Groundhog Day", date(2026, 2, 2)),
    ("earth day", "Earth Day", date(2026, 4, 22)),
    ("may day", "May Day", date(2026, 5, 1)),
    ("juneteenth", "Juneteenth", date(2026, 6, 19)),
    ("cinco de mayo", "Cinco de Mayo", date(2026, 5, 5)),
    ("all saints' day", "All Saints' Day", date(2026, 11, 1)),
    ("all saints day", "All Saints' Day", date(2026, 11, 1)),
    ("guy fawkes", "Guy Fawkes Night", date(2026, 11, 5)),
    ("guy fawkes night", "Guy Fawkes Night", date(2026, 11, 5)),
    ("bonfire night", "Guy Fawkes Night", date(2026, 11, 5)),
    ("canada day", "Canada Day", date(2026, 7, 1)),
    ("australia day", "Australia Day", date(2026, 1, 26)),
    ("anzac day", "Anzac Day", date(2026, 4, 25)),
]


@pytest.mark.parametrize(("text", "name", "day"), NAMES, ids=[c[0] for c in NAMES])
def test_holiday_name_and_date(text: str, name: str, day: date) -> None:
    """Each name and variant finds its holiday, consumed whole, with its 2026 date."""
    found = find_holiday(normalise(text))
    assert found is not None
    holiday, rest = found
    assert (holiday.name, rest, holiday.date_in(2026)) == (name, "", day)


@pytest.mark.parametrize(
    ("text", "name", "rest"),
    [
        ("christmas eve at 9", "Christmas Eve", "at 9"),
        ("every year on thanksgiving at 8am", "Thanksgiving", "every year on at 8am"),
        ("easter monday 10am", "Easter Monday", "10am"),
        ("until new year's eve", "New Year's Eve", "until"),
        ("halloween next year", "Halloween", "next year"),
    ],
)
def test_holiday_in_a_phrase(text: str, name: str, rest: str) -> None:
    """The longest name is taken out and the rest of the text is kept for the grammar."""
    found = find_holiday(normalise(text))
    assert found is not None
    assert (found[0].name, found[1]) == (name, rest)


@pytest.mark.parametrize(
    "text", ["", "blorp", "may 5", "every day", "christmassy", "a new yearly thing", "easterly"]
)
def test_no_holiday(text: str) -> None:
    """Text without a holiday name, or with one inside a longer word, is None."""
    assert find_holiday(normalise(text)) is None


EASTER = {
    2024: date(2024, 3, 31), 2025: date(2025, 4, 20), 2026: date(2026, 4, 5),
    2027: date(2027, 3, 28), 2028: date(2028, 4, 16), 2029: date(2029, 4, 1),
    2030: date(2030, 4, 21), 2031: date(2031, 4, 13), 2032: date(2032, 3, 28),
    2033: date(2033, 4, 17), 2034: date(2034, 4, 9), 2035: date(2035, 3, 25),
}  # fmt: skip


@pytest.mark.parametrize(("year", "day"), EASTER.items())
def test_easter_sunday_matches_published_dates(year: int, day: date) -> None:
    """The Anonymous Gregorian algorithm gives the published Easter dates for 2024-2035."""
    assert easter_sunday(year) == day


@pytest.mark.parametrize(
    ("year", "thanksgiving", "black_friday"),
    [
        (2024, date(2024, 11, 28), date(2024, 11, 29)),
        (2025, date(2025, 11, 27), date(2025, 11, 28)),
        (2029, date(2029, 11, 22), date(2029, 11, 23)),
    ],
)
def test_black_friday_is_the_day_after_thanksgiving(
    year: int, thanksgiving: date, black_friday: date
) -> None:
    """Thanksgiving is the 4th Thursday of November; Black Friday the day after it."""
    days = [found[0].date_in(year) for found in map(find_holiday, ["thanksgiving", "black friday"])
            if found is not None]  # fmt: skip
    assert days == [thanksgiving, black_friday]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("christmas", FixedDate(12, 25)),
        ("st patrick's day", FixedDate(3, 17)),
        ("thanksgiving", NthWeekday(11, 4, 3)),
        ("mother's day", NthWeekday(5, 2, 6)),
        ("memorial day", NthWeekday(5, -1, 0)),
        ("labor day", NthWeekday(9, 1, 0)),
        ("mlk day", NthWeekday(1, 3, 0)),
        ("easter", None),
        ("good friday", None),
        ("easter monday", None),
        ("black friday", None),
    ],
)
def test_yearly_rule(text: str, rule: FixedDate | NthWeekday | None) -> None:
    """Fixed and nth-weekday holidays have a yearly rule; Easter-based and Black Friday do not."""
    found = find_holiday(text)
    assert found is not None
    assert found[0].yearly_rule == rule


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 6, 15), date(2026, 12, 25)),
        (date(2026, 12, 25), date(2026, 12, 25)),
        (date(2026, 12, 26), date(2027, 12, 25)),
    ],
)
def test_next_christmas_on_or_after(today: date, expected: date) -> None:
    """The next occurrence is this year's when not yet past (the day itself counts)."""
    found = find_holiday("christmas")
    assert found is not None
    assert found[0].next_on_or_after(today) == expected


def test_next_easter_follows_the_moon() -> None:
    """After Easter 2026 the next Easter is 28 March 2027."""
    found = find_holiday("easter")
    assert found is not None
    assert found[0].next_on_or_after(date(2026, 4, 6)) == date(2027, 3, 28)


def test_every_holiday_has_a_date_each_year() -> None:
    """No rule fails for any year in a wide range (nth weekdays stay inside their month)."""
    for holiday in HOLIDAYS:
        for year in range(2000, 2101):
            assert holiday.date_in(year).year == year
