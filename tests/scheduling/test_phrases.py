"""The time language on one-shot phrases: each text, at a fixed now, gives one exact instant."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.errors import ParseError
from bot.scheduling.recurrence import RecurrenceType
from bot.scheduling.timelang import parse_when
from tests.scheduling.conftest import NEW_YORK, NOW

# (text, expected local time in the result's zone, expected zone).  NOW is Mon 2026-06-15 14:30
# in New York.  Times without seconds mean ":00".
ONE_SHOTS: list[tuple[str, str, str]] = [
    # relative: hours and minutes are real time, days and months keep the clock
    ("in 5 minutes", "2026-06-15 14:35", "America/New_York"),
    ("in 5 mins", "2026-06-15 14:35", "America/New_York"),
    ("in 1 minute", "2026-06-15 14:31", "America/New_York"),
    ("in a minute", "2026-06-15 14:31", "America/New_York"),
    ("in 2 hours", "2026-06-15 16:30", "America/New_York"),
    ("in 2h", "2026-06-15 16:30", "America/New_York"),
    ("in 2h30m", "2026-06-15 17:00", "America/New_York"),
    ("in 2 hours 30 minutes", "2026-06-15 17:00", "America/New_York"),
    ("in 2 hours and 30 minutes", "2026-06-15 17:00", "America/New_York"),
    ("in an hour and a half", "2026-06-15 16:00", "America/New_York"),
    ("in half an hour", "2026-06-15 15:00", "America/New_York"),
    ("in a quarter of an hour", "2026-06-15 14:45", "America/New_York"),
    ("in 90 minutes", "2026-06-15 16:00", "America/New_York"),
    ("in 45 min", "2026-06-15 15:15", "America/New_York"),
    ("in 1.5 hours", "2026-06-15 16:00", "America/New_York"),
    ("in 3 days", "2026-06-18 14:30", "America/New_York"),
    ("in a week", "2026-06-22 14:30", "America/New_York"),
    ("in 2 weeks", "2026-06-29 14:30", "America/New_York"),
    ("in a month", "2026-07-15 14:30", "America/New_York"),
    ("in 1 year", "2027-06-15 14:30", "America/New_York"),
    ("in a fortnight", "2026-06-29 14:30", "America/New_York"),
    ("5 minutes from now", "2026-06-15 14:35", "America/New_York"),
    ("2 hours later", "2026-06-15 16:30", "America/New_York"),
    ("after 10 minutes", "2026-06-15 14:40", "America/New_York"),
    ("in 30s", "2026-06-15 14:30:30", "America/New_York"),
    ("in 1 hour", "2026-06-15 15:30", "America/New_York"),
    ("in an hour", "2026-06-15 15:30", "America/New_York"),
    ("in 10 seconds", "2026-06-15 14:30:10", "America/New_York"),
    ("in 3 days at 9am", "2026-06-18 09:00", "America/New_York"),
    ("in 2 days at noon", "2026-06-17 12:00", "America/New_York"),
    ("in 1 day", "2026-06-16 14:30", "America/New_York"),
    ("in 36 hours", "2026-06-17 02:30", "America/New_York"),
    ("in 2 months", "2026-08-15 14:30", "America/New_York"),
    ("in two hours", "2026-06-15 16:30", "America/New_York"),
    ("in ten minutes", "2026-06-15 14:40", "America/New_York"),
    ("in a couple of hours", "2026-06-15 16:30", "America/New_York"),
    ("in 1d 2h", "2026-06-16 16:30", "America/New_York"),
    ("in 1 week at 10am", "2026-06-22 10:00", "America/New_York"),
    ("a week from today", "2026-06-22 14:30", "America/New_York"),
    # a time of day alone is its next occurrence; a bare hour is 05:00 or 17:00, whichever is first
    ("at 5", "2026-06-15 17:00", "America/New_York"),
    ("at 3", "2026-06-15 15:00", "America/New_York"),
    ("at 2", "2026-06-16 02:00", "America/New_York"),
    ("at 9", "2026-06-15 21:00", "America/New_York"),
    ("at 12", "2026-06-16 00:00", "America/New_York"),
    ("at 5pm", "2026-06-15 17:00", "America/New_York"),
    ("5pm", "2026-06-15 17:00", "America/New_York"),
    ("at 9am", "2026-06-16 09:00", "America/New_York"),
    ("9am", "2026-06-16 09:00", "America/New_York"),
    ("at 9:30", "2026-06-15 21:30", "America/New_York"),
    ("at 09:30", "2026-06-16 09:30", "America/New_York"),
    ("at 21:30", "2026-06-15 21:30", "America/New_York"),
    ("18:00", "2026-06-15 18:00", "America/New_York"),
    ("at 14:00", "2026-06-16 14:00", "America/New_York"),
    ("at 14:30", "2026-06-16 14:30", "America/New_York"),
    ("noon", "2026-06-16 12:00", "America/New_York"),
    ("at noon", "2026-06-16 12:00", "America/New_York"),
    ("midnight", "2026-06-16 00:00", "America/New_York"),
    ("at midnight", "2026-06-16 00:00", "America/New_York"),
    ("at 6 o'clock", "2026-06-15 18:00", "America/New_York"),
    ("7 oclock", "2026-06-15 19:00", "America/New_York"),
    ("at 11:59pm", "2026-06-15 23:59", "America/New_York"),
    ("at 12am", "2026-06-16 00:00", "America/New_York"),
    ("at 12pm", "2026-06-16 12:00", "America/New_York"),
    ("at 3 p.m.", "2026-06-15 15:00", "America/New_York"),
    ("at 4:15 PM", "2026-06-15 16:15", "America/New_York"),
    ("at 10a", "2026-06-16 10:00", "America/New_York"),
    ("at 7 in the evening", "2026-06-15 19:00", "America/New_York"),
    ("at 8 in the morning", "2026-06-16 08:00", "America/New_York"),
    ("in the morning", "2026-06-16 09:00", "America/New_York"),
    # tonight and the other parts of the day
    ("tonight at 8", "2026-06-15 20:00", "America/New_York"),
    ("tonight at 11", "2026-06-15 23:00", "America/New_York"),
    ("tonight at 8:30", "2026-06-15 20:30", "America/New_York"),
    ("tonight", "2026-06-15 20:00", "America/New_York"),
    ("this evening", "2026-06-15 19:00", "America/New_York"),
    ("this evening at 6", "2026-06-15 18:00", "America/New_York"),
    ("this afternoon at 4", "2026-06-15 16:00", "America/New_York"),
    # days by name: a date without a time keeps the current time of day
    ("tomorrow", "2026-06-16 09:00", "America/New_York"),
    ("tomorrow at 9", "2026-06-16 09:00", "America/New_York"),
    ("tomorrow at 9am", "2026-06-16 09:00", "America/New_York"),
    ("tomorrow at 9pm", "2026-06-16 21:00", "America/New_York"),
    ("tomorrow 9am", "2026-06-16 09:00", "America/New_York"),
    ("9am tomorrow", "2026-06-16 09:00", "America/New_York"),
    ("tomorrow at noon", "2026-06-16 12:00", "America/New_York"),
    ("tomorrow morning", "2026-06-16 09:00", "America/New_York"),
    ("tomorrow evening", "2026-06-16 19:00", "America/New_York"),
    ("tomorrow night", "2026-06-16 20:00", "America/New_York"),
    ("tomorrow afternoon", "2026-06-16 15:00", "America/New_York"),
    ("tomorrow morning at 7", "2026-06-16 07:00", "America/New_York"),
    ("tomorrow at 5", "2026-06-16 05:00", "America/New_York"),
    ("tomorrow at 18:45", "2026-06-16 18:45", "America/New_York"),
    ("tomorrow at 9:30 am", "2026-06-16 09:30", "America/New_York"),
    ("Tomorrow At 9AM", "2026-06-16 09:00", "America/New_York"),
    ("today at 5pm", "2026-06-15 17:00", "America/New_York"),
    ("today at 16:00", "2026-06-15 16:00", "America/New_York"),
    ("day after tomorrow", "2026-06-17 09:00", "America/New_York"),
    ("the day after tomorrow at 10am", "2026-06-17 10:00", "America/New_York"),
    ("friday", "2026-06-19 09:00", "America/New_York"),
    ("on friday", "2026-06-19 09:00", "America/New_York"),
    ("friday at 6pm", "2026-06-19 18:00", "America/New_York"),
    ("next friday 6pm", "2026-06-19 18:00", "America/New_York"),
    ("this friday at 9am", "2026-06-19 09:00", "America/New_York"),
    ("fri 9am", "2026-06-19 09:00", "America/New_York"),
    ("monday", "2026-06-22 09:00", "America/New_York"),
    ("monday at 5pm", "2026-06-15 17:00", "America/New_York"),
    ("next monday", "2026-06-22 09:00", "America/New_York"),
    ("next monday at 9", "2026-06-22 09:00", "America/New_York"),
    ("on tuesday at noon", "2026-06-16 12:00", "America/New_York"),
    ("wednesday evening", "2026-06-17 19:00", "America/New_York"),
    ("sunday at 10am", "2026-06-21 10:00", "America/New_York"),
    ("saturday", "2026-06-20 09:00", "America/New_York"),
    ("sat at 11", "2026-06-20 11:00", "America/New_York"),
    ("next tue at 8am", "2026-06-16 08:00", "America/New_York"),
    ("thursday at 7:45pm", "2026-06-18 19:45", "America/New_York"),
    ("friday next week", "2026-06-26 09:00", "America/New_York"),
    ("next week", "2026-06-22 14:30", "America/New_York"),
    ("next month", "2026-07-15 14:30", "America/New_York"),
    ("next year", "2027-06-15 14:30", "America/New_York"),
    # calendar dates: the next one that is still ahead
    ("dec 25", "2026-12-25 09:00", "America/New_York"),
    ("dec 25 at 7am", "2026-12-25 07:00", "America/New_York"),
    ("december 25th at 7am", "2026-12-25 07:00", "America/New_York"),
    ("25 december at 7", "2026-12-25 07:00", "America/New_York"),
    ("25th of december at 19:00", "2026-12-25 19:00", "America/New_York"),
    ("on december 25 2027 at 8am", "2027-12-25 08:00", "America/New_York"),
    ("dec 25, 2026 at 7am", "2026-12-25 07:00", "America/New_York"),
    ("friday dec 25 at 7am", "2026-12-25 07:00", "America/New_York"),
    ("jan 1", "2027-01-01 09:00", "America/New_York"),
    ("1 jan 2027 at 00:00", "2027-01-01 00:00", "America/New_York"),
    ("june 1", "2027-06-01 09:00", "America/New_York"),
    ("june 15", "2027-06-15 09:00", "America/New_York"),
    ("june 15 at 6pm", "2026-06-15 18:00", "America/New_York"),
    ("march 3rd at 8am", "2027-03-03 08:00", "America/New_York"),
    ("feb 29", "2028-02-29 09:00", "America/New_York"),
    ("july 4th at noon", "2026-07-04 12:00", "America/New_York"),
    ("the 3rd", "2026-07-03 09:00", "America/New_York"),
    ("on the 20th", "2026-06-20 09:00", "America/New_York"),
    ("the 15th at 3pm", "2026-06-15 15:00", "America/New_York"),
    ("the 31st", "2026-07-31 09:00", "America/New_York"),
    ("2026-12-01", "2026-12-01 09:00", "America/New_York"),
    ("2026-12-01 10:00", "2026-12-01 10:00", "America/New_York"),
    ("2026-12-01T10:00", "2026-12-01 10:00", "America/New_York"),
    ("2026-12-01 at 10am", "2026-12-01 10:00", "America/New_York"),
    ("2026-06-20T08:00:00+02:00", "2026-06-20 02:00", "America/New_York"),
    ("2026-06-15T19:00:00Z", "2026-06-15 15:00", "America/New_York"),
    ("12/25", "2026-12-25 09:00", "America/New_York"),
    ("3rd of next month", "2026-07-03 09:00", "America/New_York"),
    ("end of month", "2026-06-30 09:00", "America/New_York"),
    ("end of the month at 5pm", "2026-06-30 17:00", "America/New_York"),
    ("end of next month", "2026-07-31 09:00", "America/New_York"),
    ("end of year", "2026-12-31 09:00", "America/New_York"),
    ("this weekend", "2026-06-20 09:00", "America/New_York"),
    ("this weekend at 10am", "2026-06-20 10:00", "America/New_York"),
    ("next weekend", "2026-06-20 09:00", "America/New_York"),
    ("the weekend at noon", "2026-06-20 12:00", "America/New_York"),
    # zones named in the text are regions, not fixed offsets: PST in June is PDT
    ("tomorrow at 9am PST", "2026-06-16 09:00", "America/Los_Angeles"),
    ("tomorrow at 9am in Europe/Paris", "2026-06-16 09:00", "Europe/Paris"),
    ("at 5pm tokyo time", "2026-06-16 17:00", "Asia/Tokyo"),
    ("dec 25 at 7am EST", "2026-12-25 07:00", "America/New_York"),
    ("tomorrow at noon CET", "2026-06-16 12:00", "Europe/Paris"),
    ("at 9am IST", "2026-06-16 09:00", "Asia/Kolkata"),
    ("friday at 6pm london", "2026-06-19 18:00", "Europe/London"),
    ("in 2 hours utc", "2026-06-15 20:30", "UTC"),
    ("tomorrow at 8am in new york", "2026-06-16 08:00", "America/New_York"),
    ("  in   5   minutes  ", "2026-06-15 14:35", "America/New_York"),
]


@pytest.mark.parametrize(("text", "expected", "zone"), ONE_SHOTS)
def test_one_shot_phrase(text: str, expected: str, zone: str) -> None:
    """The phrase reads as exactly the expected local instant, in the expected zone."""
    result = parse_when(text, NOW, NEW_YORK)
    assert result.kind is RecurrenceType.NONE
    assert result.timezone == zone
    local = result.local_anchor
    wanted = expected if expected.count(":") == 2 else expected + ":00"
    assert local.strftime("%Y-%m-%d %H:%M:%S") == wanted
    assert result.anchor > NOW


def test_at_least_150_phrases() -> None:
    """The issue asks for at least 150 English phrases (recurring ones are in test_recurring)."""
    from tests.scheduling.test_recurring import RECURRING

    assert len(ONE_SHOTS) + len(RECURRING) >= 150


def test_pst_in_summer_is_pacific_daylight_time() -> None:
    """'9am PST' in June is 16:00 UTC (PDT), not 17:00 UTC as a fixed UTC-8 would give."""
    result = parse_when("tomorrow at 9am PST", NOW, NEW_YORK)
    assert result.anchor.isoformat() == "2026-06-16T16:00:00+00:00"


def test_noon_after_midday_is_tomorrow() -> None:
    """dateparser returns today's (past) noon at 14:30; we return tomorrow's."""
    assert parse_when("noon", NOW, "America/New_York").local_anchor.day == 16


def test_one_shot_in_kolkata_half_hour_offset() -> None:
    """Asia/Kolkata is UTC+05:30 all year."""
    result = parse_when("tomorrow at 9am", NOW, ZoneInfo("Asia/Kolkata"))
    assert result.local_anchor.isoformat() == "2026-06-17T09:00:00+05:30"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("banana", "'banana'"),
        ("", "Say when"),
        ("   ", "Say when"),
        ("now", "'now' is not a time in the future"),
        ("this morning at 9", "in the past"),
        ("today at 9am", "in the past"),
        ("2026-01-01", "in the past"),
        ("2026-06-15T18:00:00Z", "in the past"),
        ("feb 30", "has no day 30"),
        ("2026-02-30", "does not exist"),
        ("at 25:00", "no valid time"),
        ("13pm", "no valid time"),
        ("in 2 hours at 5pm", "already says the time"),
        ("monday dec 25 2026", "not a Monday"),
        ("tomorrow banana", "the word 'banana'"),
        ("xyz 5", "the word 'xyz'"),
        ("tomorrow at 9am until friday", "only apply to a repeating schedule"),
        ("in 2 hours 3 times", "only apply to a repeating schedule"),
        ("in 99999999 years", "100 years ahead is the furthest I schedule"),
        ("in 0 minutes", "in the past"),
        ("x" * 400, "too long"),
    ],
)
def test_not_understood(text: str, fragment: str) -> None:
    """Text that is not a future time is a ParseError that says why and shows examples."""
    with pytest.raises(ParseError) as caught:
        parse_when(text, NOW, NEW_YORK)
    assert fragment in caught.value.message
    if fragment not in ("too long",):
        assert "for example" in caught.value.message or "Try" in caught.value.message


def test_error_names_the_word_not_understood() -> None:
    """The message names the word no reader knows, and quotes the whole text."""
    with pytest.raises(ParseError) as caught:
        parse_when("every blursday at 9", NOW, NEW_YORK)
    assert "the word 'blursday'" in caught.value.message
    assert "'every blursday at 9'" in caught.value.message


def test_weekday_picks_the_year_a_date_falls_on_it() -> None:
    """'monday dec 25' is the next 25 December that is a Monday, not this year's Friday."""
    result = parse_when("monday dec 25", NOW, NEW_YORK)
    assert result.local_anchor.strftime("%Y-%m-%d %H:%M") == "2028-12-25 09:00"


def test_naive_now_is_a_programming_error() -> None:
    """The engine never guesses a zone for now."""
    with pytest.raises(ValueError, match="aware"):
        parse_when("in 5 minutes", NOW.replace(tzinfo=None), NEW_YORK)
