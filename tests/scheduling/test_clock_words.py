"""Clock words: find_time and find_times on normalised text, one table per family of clocks."""

from __future__ import annotations

import pytest

from bot.scheduling.phrases import TimeOfDay, find_time, find_times, normalise, valid_time

# (text as typed, hour, minute, second, ambiguous, rest of the text)
Case = tuple[str, int, int, int, bool, str]

DIGITS: list[Case] = [
    ("9am", 9, 0, 0, False, ""),
    ("9 am", 9, 0, 0, False, ""),
    ("9:30pm", 21, 30, 0, False, ""),
    ("9:30 PM", 21, 30, 0, False, ""),
    ("at 3 p.m.", 15, 0, 0, False, ""),
    ("at 10a", 10, 0, 0, False, ""),
    ("12am", 0, 0, 0, False, ""),
    ("12pm", 12, 0, 0, False, ""),
    ("18:00", 18, 0, 0, False, ""),
    ("09:30", 9, 30, 0, False, ""),
    ("9:30", 9, 30, 0, True, ""),
    ("21:30:15", 21, 30, 15, False, ""),
    ("7.30pm", 19, 30, 0, False, ""),
    ("at 7.30", 7, 30, 0, True, ""),
    ("noon", 12, 0, 0, False, ""),
    ("midday", 12, 0, 0, False, ""),
    ("midnight", 0, 0, 0, False, ""),
    ("12 noon", 12, 0, 0, False, ""),
    ("at 5", 5, 0, 0, True, ""),
    ("@ 5", 5, 0, 0, True, ""),
    ("at 12", 12, 0, 0, True, ""),
    ("at 17", 17, 0, 0, False, ""),
    ("4 o'clock", 4, 0, 0, True, ""),
    ("4 o\u2019clock", 4, 0, 0, True, ""),
    ("4 o clock", 4, 0, 0, True, ""),
    ("at 4 oclock", 4, 0, 0, True, ""),
    ("tomorrow at 9am", 9, 0, 0, False, "tomorrow"),
    ("dec 25 at 7am", 7, 0, 0, False, "dec 25"),
    ("dec 12 10am", 10, 0, 0, False, "dec 12"),
    ("june 15 10:30", 10, 30, 0, True, "june 15"),
]

RELATIVE: list[Case] = [
    ("a quarter past six", 6, 15, 0, True, ""),
    ("quarter past 6", 6, 15, 0, True, ""),
    ("half past seven", 7, 30, 0, True, ""),
    ("twenty past four", 4, 20, 0, True, ""),
    ("twenty five past 4", 4, 25, 0, True, ""),
    ("ten minutes past six", 6, 10, 0, True, ""),
    ("ten to noon", 11, 50, 0, False, ""),
    ("a quarter to midnight", 23, 45, 0, False, ""),
    ("quarter past midnight", 0, 15, 0, False, ""),
    ("five to 6", 5, 55, 0, True, ""),
    ("25 to 3", 2, 35, 0, True, ""),
    ("a quarter to one", 12, 45, 0, True, ""),
    ("quarter to 13", 12, 45, 0, False, ""),
    ("a quarter past six pm", 18, 15, 0, False, ""),
    ("quarter to 7pm", 18, 45, 0, False, ""),
    ("friday at half past ten", 10, 30, 0, True, "friday"),
]

BRITISH_AND_H: list[Case] = [
    ("half seven", 7, 30, 0, True, ""),
    ("half 7", 7, 30, 0, True, ""),
    ("half twelve", 12, 30, 0, True, ""),
    ("19h45", 19, 45, 0, False, ""),
    ("19h", 19, 0, 0, False, ""),
    ("at 7h", 7, 0, 0, False, ""),
    ("7h30", 7, 30, 0, False, ""),
]

RUN_TOGETHER: list[Case] = [
    ("at 7 45", 7, 45, 0, True, ""),
    ("7 45 pm", 19, 45, 0, False, ""),
    ("745 pm", 19, 45, 0, False, ""),
    ("1030am", 10, 30, 0, False, ""),
    ("at 0930", 9, 30, 0, False, ""),
    ("at 745", 7, 45, 0, True, ""),
    ("at 1930", 19, 30, 0, False, ""),
]

NUMBER_WORDS: list[Case] = [
    ("seven forty five pm", 19, 45, 0, False, ""),
    ("seven forty five p.m.", 19, 45, 0, False, ""),
    ("at seven", 7, 0, 0, True, ""),
    ("at eleven thirty", 11, 30, 0, True, ""),
    ("twelve fifteen am", 0, 15, 0, False, ""),
    ("nine o'clock", 9, 0, 0, True, ""),
    ("six oh five pm", 18, 5, 0, False, ""),
    ("at ten twenty-five", 10, 25, 0, True, ""),
]

APPROXIMATIONS: list[Case] = [
    ("around 3pm", 15, 0, 0, False, ""),
    ("about 10:30", 10, 30, 0, True, ""),
    ("at around 5", 5, 0, 0, True, ""),
    ("at about half past four", 4, 30, 0, True, ""),
    ("approximately 4pm", 16, 0, 0, False, ""),
    ("roughly noon", 12, 0, 0, False, ""),
    ("around 9", 9, 0, 0, True, ""),
    ("5ish", 5, 0, 0, True, ""),
    ("5-ish", 5, 0, 0, True, ""),
    ("5 ish", 5, 0, 0, True, ""),
    ("sevenish", 7, 0, 0, True, ""),
    ("8pmish", 20, 0, 0, False, ""),
    ("~5pm", 17, 0, 0, False, ""),
    ("tomorrow around 7am", 7, 0, 0, False, "tomorrow"),
]

DAY_PARTS: list[Case] = [
    ("6 in the morning", 6, 0, 0, False, ""),
    ("12 in the morning", 0, 0, 0, False, ""),
    ("8 in the evening", 20, 0, 0, False, ""),
    ("at 8 in the evening", 20, 0, 0, False, ""),
    ("3 in the afternoon", 15, 0, 0, False, ""),
    ("10 at night", 22, 0, 0, False, ""),
    ("11 at night", 23, 0, 0, False, ""),
    ("12 at night", 0, 0, 0, False, ""),
    ("2 at night", 2, 0, 0, False, ""),
    ("a quarter past six in the evening", 18, 15, 0, False, ""),
    ("tomorrow at 7:30 in the morning", 7, 30, 0, False, "tomorrow"),
    ("9 tonight", 9, 0, 0, True, "tonight"),
    ("at 9 tonight", 9, 0, 0, True, "tonight"),
    ("tonight at 8", 8, 0, 0, True, "tonight"),
    ("18:00 in the evening", 18, 0, 0, False, "in the evening"),
    ("9pm in the evening", 21, 0, 0, False, "in the evening"),
]

OUT_OF_RANGE: list[Case] = [
    ("25:00", 25, 0, 0, False, ""),
    ("at 25:00", 25, 0, 0, False, ""),
    ("13pm", 99, 0, 0, False, ""),
    ("quarter past 13pm", 99, 15, 0, False, ""),
    ("9:75", 9, 75, 0, True, ""),
]

NOT_A_TIME = [
    "",
    "blorp",
    "quarter past",
    "half",
    "half past",
    "in the morning",
    "tonight",
    "dec 25",
    "the 3rd",
    "on the 20th",
    "in 5 minutes",
    "in about 5 minutes",
    "2 mondays",
    "3 times",
    "every 2 hours",
    "every 15 minutes",
    "in 2h",
    "in 2h30",
    "in 2h30m",
    "in 1.5 hours",
    "in 1.50 hours",
    "7.30",
    "in half an hour",
    "half an hour",
    "0930",
    "7h",
    "12/25",
    "eleven thirty",
    "9 tomorrow",
    "every day",
    "at 9am and 5pm",
    "at 5 5pm",
    "noon or midnight",
    "from 9 to 5",
    "between 9 and 5",
]


def _check(case: Case) -> None:
    text, hour, minute, second, ambiguous, rest = case
    found = find_time(normalise(text))
    assert found == (TimeOfDay(hour, minute, second, ambiguous), rest)


@pytest.mark.parametrize("case", DIGITS, ids=[c[0] for c in DIGITS])
def test_digits_and_named_clocks(case: Case) -> None:
    """'9am', '18:00', 'noon', 'at 5', "4 o'clock": the time and the rest of the text."""
    _check(case)


@pytest.mark.parametrize("case", RELATIVE, ids=[c[0] for c in RELATIVE])
def test_minutes_past_or_to_an_hour(case: Case) -> None:
    """'a quarter past six', 'ten to noon', '25 to 3': minutes after or before an hour."""
    _check(case)


@pytest.mark.parametrize("case", BRITISH_AND_H, ids=[c[0] for c in BRITISH_AND_H])
def test_half_seven_and_h_notation(case: Case) -> None:
    """'half seven' is 7:30 (either half of the day); '19h45' is a 24-hour clock."""
    _check(case)


@pytest.mark.parametrize("case", RUN_TOGETHER, ids=[c[0] for c in RUN_TOGETHER])
def test_hours_and_minutes_without_a_colon(case: Case) -> None:
    """'at 7 45', '745 pm', 'at 0930': an hour and minutes written without a colon."""
    _check(case)


@pytest.mark.parametrize("case", NUMBER_WORDS, ids=[c[0] for c in NUMBER_WORDS])
def test_number_words(case: Case) -> None:
    """'seven forty five pm', 'six oh five pm', 'at eleven thirty': clocks in words."""
    _check(case)


@pytest.mark.parametrize("case", APPROXIMATIONS, ids=[c[0] for c in APPROXIMATIONS])
def test_approximations_read_as_the_time(case: Case) -> None:
    """'around 3pm', '5ish', '~5pm': the time itself; the approximation word is consumed."""
    _check(case)


@pytest.mark.parametrize("case", DAY_PARTS, ids=[c[0] for c in DAY_PARTS])
def test_day_parts(case: Case) -> None:
    """An attached day part fixes am/pm and is consumed; 'tonight' stays for the grammar."""
    _check(case)


@pytest.mark.parametrize("case", OUT_OF_RANGE, ids=[c[0] for c in OUT_OF_RANGE])
def test_out_of_range_clocks_are_reported_as_values(case: Case) -> None:
    """'25:00' and '13pm' come back as invalid clocks, so the caller can say so."""
    _check(case)
    assert not valid_time(TimeOfDay(case[1], case[2], case[3]))


@pytest.mark.parametrize("text", NOT_A_TIME)
def test_not_a_time(text: str) -> None:
    """Bare numbers, durations, dates and junk are not a time of day (or are two of them)."""
    assert find_time(normalise(text)) is None


# (text, times as (hour, minute, ambiguous), rest)
LISTS: list[tuple[str, list[tuple[int, int, bool]], str]] = [
    ("at 9am and 5pm", [(9, 0, False), (17, 0, False)], ""),
    ("at 9, 12 and 17:00", [(9, 0, True), (12, 0, True), (17, 0, False)], ""),
    ("at 9am, noon and 6pm", [(9, 0, False), (12, 0, False), (18, 0, False)], ""),
    ("every day at 9 and 12", [(9, 0, True), (12, 0, True)], "every day"),
    ("at 9am & 5pm", [(9, 0, False), (17, 0, False)], ""),
    ("at 9am and at 5pm", [(9, 0, False), (17, 0, False)], ""),
    ("at 5pm and 9am", [(17, 0, False), (9, 0, False)], ""),
    ("at 9am and 9am", [(9, 0, False)], ""),
    ("every day at 9am", [(9, 0, False)], "every day"),
    (
        "every weekday at half past eight and 17:30",
        [(8, 30, True), (17, 30, False)],
        "every weekday",
    ),
    ("dec 25, 10am", [(10, 0, False)], "dec 25"),
]


@pytest.mark.parametrize(("text", "times", "rest"), LISTS, ids=[c[0] for c in LISTS])
def test_lists_of_times(text: str, times: list[tuple[int, int, bool]], rest: str) -> None:
    """Times joined by 'and', ',' or '&' keep their order, lose repeats, and leave the rest."""
    expected = [TimeOfDay(hour, minute, 0, ambiguous) for hour, minute, ambiguous in times]
    assert find_times(normalise(text)) == (expected, rest)


@pytest.mark.parametrize("text", ["", "blorp", "every day", "at 9am tomorrow and 5pm", "half"])
def test_no_list_of_times(text: str) -> None:
    """No time, or a second time apart from the list, is None."""
    assert find_times(normalise(text)) is None


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("At 3 P.M.", "at 3 pm"),
        ("at 9 a.m.", "at 9 am"),
        ("New Year\u2019s Day", "new year's day"),
        ("valentine's day!", "valentine's day"),
        ("St. Patrick's Day", "st patrick's day"),
        ("4 o' clock", "4 o'clock"),
        ("at 9, 12 and 17:00", "at 9 , 12 and 17:00"),
        ("dec 25, 2026 at 7am", "dec 25 2026 at 7am"),
        ("at 9, 10 times", "at 9 10 times"),
        ("every mon,wed", "every mon,wed"),
    ],
)
def test_normalise_keeps_what_the_readers_match(typed: str, normal: str) -> None:
    """Normalising keeps apostrophes, joins 'p.m.' and keeps the commas of a list of clocks."""
    assert normalise(typed) == normal


def test_the_12_is_a_day_not_minutes() -> None:
    """'dec 12 10am' is 10:00 on the 12th, not 12:10."""
    assert find_time("dec 12 10am") == (TimeOfDay(10, 0), "dec 12")


def test_a_bound_after_a_clock_is_left_alone() -> None:
    """'at 9, 10 times' is 9 o'clock and a count, not 9:10."""
    assert find_time(normalise("tomorrow at 9, 10 times")) == (
        TimeOfDay(9, 0, 0, True),
        "tomorrow 10 times",
    )
