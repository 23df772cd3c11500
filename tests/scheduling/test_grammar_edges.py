"""The time language at its edges: readings once misread silently, refusals that never guess.

NOW is Tue 2026-12-01 14:30 in Paris.  Each expected value was worked out by hand from the rules in
the README's "Time language" section.
"""

from __future__ import annotations

import itertools
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ParseError
from bot.scheduling import fallback
from bot.scheduling.recurrence import Recurrence, RecurrenceType
from bot.scheduling.timelang import parse_when

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 14, 30, tzinfo=PARIS)

ONE_SHOTS = [
    # a duration or a weekday counted from a date
    ("two weeks from friday", "2026-12-18 09:00"),
    ("3 days before christmas", "2026-12-22 09:00"),
    ("the friday after christmas", "2027-01-01 09:00"),
    ("the monday before easter", "2027-03-22 09:00"),
    ("a week from tomorrow at 6pm", "2026-12-09 18:00"),
    # numeric dates: the number above 12 is the day
    ("25/12 at 5pm", "2026-12-25 17:00"),
    ("12/25", "2026-12-25 09:00"),
    ("4/4/2027 at 9", "2027-04-04 09:00"),
    # "tues"/"thurs" are abbreviations, not plurals: one Tuesday
    ("tues 3pm", "2026-12-01 15:00"),
    ("3pm thurs", "2026-12-03 15:00"),
    # the midnight that ends tonight
    ("midnight tonight", "2026-12-02 00:00"),
    ("12 tonight", "2026-12-02 00:00"),
    # a bare number beside a weekday is an hour, not a day of the month
    ("9 on monday", "2026-12-07 09:00"),
    ("friday 13", "2026-12-04 13:00"),
    ("friday the 13th", "2027-08-13 09:00"),
    ("the last day of june", "2027-06-30 09:00"),
    # an nth weekday without a month is of this month, or the next once it has passed
    ("the 2nd friday", "2026-12-11 09:00"),
    ("the 1st tuesday", "2027-01-05 09:00"),
    # at night the small hours belong to the next date
    ("tonight at 1", "2026-12-02 01:00"),
    ("tomorrow night at 2am", "2026-12-03 02:00"),
    # "tomorrow" is the typist's tomorrow, whatever zone names the clock
    ("tomorrow at 9am UTC", "2026-12-02 09:00"),
    ("9am BST tomorrow", "2026-12-02 09:00"),
    ("9am UTC+2", "2026-12-02 09:00"),
    ("next weekend", "2026-12-05 09:00"),
    ("same time tomorrow", "2026-12-02 14:30"),
    ('"tomorrow at 9"', "2026-12-02 09:00"),
    ("17.30", "2026-12-01 17:30"),
    ("tomorrow at 12", "2026-12-02 12:00"),
    ("at the same time tomorrow", "2026-12-02 14:30"),
    ("same time next week", "2026-12-08 14:30"),
    ("second tuesday january", "2027-01-12 09:00"),
]


@pytest.mark.parametrize(("text", "expected"), ONE_SHOTS)
def test_one_shot(text: str, expected: str) -> None:
    """The phrase is one instant, read as the README says."""
    rule = parse_when(text, NOW, PARIS)
    assert rule.kind is RecurrenceType.NONE
    assert rule.local_anchor.strftime("%Y-%m-%d %H:%M") == expected


RECURRING = [
    ("mon-fri 9am", RecurrenceType.WEEKLY, ["2026-12-02 09:00", "2026-12-03 09:00"]),
    ("every weekday at half past eight", RecurrenceType.WEEKLY,
     ["2026-12-02 08:30", "2026-12-03 08:30"]),
    ("every hour at quarter past", RecurrenceType.HOURLY, ["2026-12-01 15:15", "2026-12-01 16:15"]),
    ("every 7 minutes", RecurrenceType.HOURLY, ["2026-12-01 14:31", "2026-12-01 14:38"]),
    ("every 45 minutes", RecurrenceType.HOURLY, ["2026-12-01 14:45", "2026-12-01 15:30"]),
    ("every 1440 minutes", RecurrenceType.HOURLY, ["2026-12-01 15:00", "2026-12-02 15:00"]),
    ("every 2 weeks", RecurrenceType.WEEKLY, ["2026-12-15 14:30", "2026-12-29 14:30"]),
    ("every sunday", RecurrenceType.WEEKLY, ["2026-12-06 09:00", "2026-12-13 09:00"]),
    ("every first friday at 6pm", RecurrenceType.MONTHLY, ["2026-12-04 18:00", "2027-01-01 18:00"]),
    ("every year on thanksgiving at 8am", RecurrenceType.YEARLY,
     ["2027-11-25 08:00", "2028-11-23 08:00"]),
    ("three times a day at 8, 12 and 18:00", RecurrenceType.DAILY,
     ["2026-12-01 18:00", "2026-12-02 08:00", "2026-12-02 12:00"]),
    ("everyday at 9", RecurrenceType.DAILY, ["2026-12-02 09:00", "2026-12-03 09:00"]),
    ("twice daily at 9 and 5pm", RecurrenceType.DAILY,
     ["2026-12-01 17:00", "2026-12-02 09:00", "2026-12-02 17:00"]),
    ("every day at 9 until tuesday", RecurrenceType.DAILY,
     ["2026-12-02 09:00", "2026-12-03 09:00", "2026-12-04 09:00", "2026-12-05 09:00",
      "2026-12-06 09:00", "2026-12-07 09:00", "2026-12-08 09:00"]),
    ("every business day at 9", RecurrenceType.WEEKLY, ["2026-12-02 09:00", "2026-12-03 09:00"]),
    ("fortnightly on monday at 9", RecurrenceType.WEEKLY, ["2026-12-07 09:00", "2026-12-21 09:00"]),
    ("every night at 1", RecurrenceType.DAILY, ["2026-12-02 01:00", "2026-12-03 01:00"]),
    ("every hour starting now", RecurrenceType.HOURLY, ["2026-12-01 14:31", "2026-12-01 15:31"]),
    ("every monday through friday at 8", RecurrenceType.WEEKLY,
     ["2026-12-02 08:00", "2026-12-03 08:00"]),
    ("every day at 9 for 3 days", RecurrenceType.DAILY,
     ["2026-12-02 09:00", "2026-12-03 09:00", "2026-12-04 09:00"]),
    ("every day at noon except weekends", RecurrenceType.WEEKLY,
     ["2026-12-02 12:00", "2026-12-03 12:00", "2026-12-04 12:00", "2026-12-07 12:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "runs"), RECURRING)
def test_recurring(text: str, kind: RecurrenceType, runs: list[str]) -> None:
    """The phrase repeats as the README says, from the first run on."""
    rule = parse_when(text, NOW, PARIS)
    assert rule.kind is kind
    shown = [t.strftime("%Y-%m-%d %H:%M") for t in itertools.islice(rule.occurrences(), len(runs))]
    assert shown == runs


REFUSED = [
    ("3/4", "could be April 3 or March 4"),
    ("every second tuesday", "every other"),
    ("twice a week on monday", "names 1 day."),
    ("twice a day at 9am", "names 1 time of day."),
    ("every easter", "moves from year to year"),
    ("every day at 9 20000 times", "10,000 at most"),
    ("every 999999999 years", "longest repeat is every 10 years"),
    ("next fridya", "did you mean 'friday'"),
    ("tomorrow at 9 purple", "the word 'purple'"),
    ("\x00 tomorrow", "the word"),
    ("every day from 9 to 5", "'9 to 5'"),
    ("every day at 9 times", "the time or the number of times"),
    ("tomorrow morning at 9pm", "21:00 is not in the morning"),
    ("every night at 9am", "09:00 is not in the night"),
    ("at noon pm", "'at noon pm'"),
    ("friday at midnight", "midnight on a named day"),
    ("in 5", "says how many but not of what"),
    ("in a few minutes", "'a few' is not a number"),
    ("every weekday at", "'every weekday at'"),
    ("every sunday or", "'every sunday or'"),
    ("every third tuesday", "every 3 weeks or the third tuesday of each month"),
    ("june 31", "June has no day 31"),
    ("9am UTC+5:30", "not a whole-hour offset"),
    ("10.11", "could be 10:11 or a date"),
    ("3-4", "could be April 3 or March 4"),
    ("friday eod", "end of the day is a different time"),
    ("last friday", "in the past"),
    ("every first day at 9", "is not a repeat"),
    ("10 minutes", "Did you mean 'in 10 minutes'"),
    ("noon pm", "neither am nor pm"),
    ("every friday at midnight", "midnight on a named day"),
    ("blorp 25 to 3", "the word 'blorp'"),
    ("9x @daily", "the word '9x'"),
    ("12.25", "could be 12:25 or a date"),
    ("every day twice at 9 and 5pm", "could be per day (or week) or in all"),
    ("tomorrow morning at 12", "could be midnight or noon"),
    ("twice a month", "name the 2 days"),
    ("every day at 9 for", "stops after 'for'"),
]


@pytest.mark.parametrize(("text", "fragment"), REFUSED)
def test_refused_with_a_reason(text: str, fragment: str) -> None:
    """Text that would need a guess is a ParseError that says what to write instead."""
    with pytest.raises(ParseError) as caught:
        parse_when(text, NOW, PARIS)
    assert fragment in caught.value.message


def test_duckling_reading_that_ignores_words_is_refused() -> None:
    """Duckling covers 'two weeks from friday' but reads it as 'friday': that reading is refused."""
    assert fallback.read_date("friday", NOW, PARIS) is not None
    assert fallback.read_date("two weeks from friday", NOW, PARIS) is None


def test_duckling_reads_the_local_calendar_in_any_zone() -> None:
    """At 03:30 Wednesday in Auckland (14:30 Tuesday UTC) 'thursday after next' is 10 Dec."""
    now = datetime(2026, 12, 1, 14, 30, tzinfo=ZoneInfo("UTC"))
    reading = fallback.read_date("thursday after next", now, ZoneInfo("Pacific/Auckland"))
    assert reading is not None
    assert [day.isoformat() for day in reading.days] == ["2026-12-10"]


def test_duckling_never_sees_control_characters() -> None:
    """A NUL would panic Duckling's binding; such text is simply not a date."""
    assert fallback.read_date("tomorrow\x00", NOW, PARIS) is None


TUESDAY = datetime(2026, 5, 5, 14, 30, tzinfo=ZoneInfo("America/New_York"))

# (text, now, zone, first runs as local "YYYY-MM-DD HH:MM")
REPEATS_AT = [
    ("every third day at 9", TUESDAY, "America/New_York", ["2026-05-06 09:00", "2026-05-09 09:00"]),
    ("every third hour", TUESDAY, "America/New_York", ["2026-05-05 15:00", "2026-05-05 18:00"]),
    ("every first friday at 6pm", TUESDAY, "America/New_York",
     ["2026-06-05 18:00", "2026-07-03 18:00"]),
    ("every weekend day at 10", TUESDAY, "America/New_York",
     ["2026-05-09 10:00", "2026-05-10 10:00", "2026-05-16 10:00"]),
    ("every 4 years on feb 29", TUESDAY, "America/New_York",
     ["2028-02-29 09:00", "2032-02-29 09:00"]),
    # a start already passed still sets the series' step
    ("every 2 weeks starting today", TUESDAY.replace(hour=10), "America/New_York",
     ["2026-05-19 09:00", "2026-06-02 09:00"]),
    ("every hour on the half hour starting at 10", TUESDAY.replace(hour=8), "America/New_York",
     ["2026-05-05 10:30", "2026-05-05 11:30"]),
    # elapsed repeats start on the local clock's marks, across odd DST shifts too
    ("every hour", datetime(2026, 10, 4, 1, 5, tzinfo=ZoneInfo("Australia/Lord_Howe")),
     "Australia/Lord_Howe", ["2026-10-04 03:00", "2026-10-04 04:00"]),
    ("every minute", datetime(2026, 9, 27, 3, 50, tzinfo=ZoneInfo("Pacific/Chatham")),
     "Pacific/Chatham", ["2026-09-27 03:51", "2026-09-27 03:52"]),
    ("every 15 minutes", datetime(2026, 11, 1, 1, 20, tzinfo=ZoneInfo("America/New_York")),
     "America/New_York", ["2026-11-01 01:30", "2026-11-01 01:45", "2026-11-01 01:00"]),
    ("every month on the 1st and 15th at 9pm", TUESDAY, "America/New_York",
     ["2026-05-15 21:00", "2026-06-01 21:00"]),
    ("every month on the 15th starting july", TUESDAY, "America/New_York",
     ["2026-07-15 09:00", "2026-08-15 09:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "now", "zone", "runs"), REPEATS_AT)
def test_repeat_at_its_own_now(text: str, now: datetime, zone: str, runs: list[str]) -> None:
    """The first runs follow the README's rules at the given now and zone."""
    rule = parse_when(text, now, zone)
    shown = [t.strftime("%Y-%m-%d %H:%M") for t in itertools.islice(rule.occurrences(), len(runs))]
    assert shown == runs


def test_bounds_are_read_not_swallowed() -> None:
    """'until friday' after weekdays is an end; 'for 3 days' keeps three daily runs."""
    rule = parse_when("every monday and wednesday until friday", TUESDAY, "America/New_York")
    assert [t.strftime("%a %d") for t in rule.occurrences()] == ["Wed 06"]
    rule = parse_when("every day for 3 days", TUESDAY, "America/New_York")
    assert len(list(rule.occurrences())) == 3
    new_york = ZoneInfo("America/New_York")
    rule = parse_when("every monday until june", TUESDAY, "America/New_York")
    assert rule.until is not None
    assert rule.until.astimezone(new_york).strftime("%m-%d %H:%M") == "05-31 23:59"  # before June
    rule = parse_when("every monday until the end of june", TUESDAY, "America/New_York")
    assert rule.until is not None
    assert rule.until.astimezone(new_york).strftime("%m-%d %H:%M") == "06-30 23:59"
    rule = parse_when("every day at 9 through the weekend", TUESDAY, "America/New_York")
    assert rule.until is not None
    assert rule.until.astimezone(new_york).strftime("%a %H:%M") == "Sun 23:59"
    rule = parse_when("every monday through june", TUESDAY, "America/New_York")
    assert rule.until is not None
    assert rule.until.astimezone(new_york).strftime("%m-%d %H:%M") == "06-30 23:59"


@pytest.mark.parametrize("text", ["every hour for 30 minutes", "every week for a week"])
def test_length_shorter_than_the_first_gap_is_an_error_or_one_run(text: str) -> None:
    """A 'for' bound never crashes: one run, or an error saying the end comes first."""
    try:
        rule = parse_when(text, TUESDAY, "America/New_York")
    except ParseError as error:
        assert "comes before the first run" in error.message
    else:
        assert len(list(rule.occurrences())) <= 1


def test_a_schedule_at_the_end_of_time_simply_ends() -> None:
    """Past the year 9999 there is no next run: None, not an OverflowError."""
    zone = ZoneInfo("America/New_York")
    rule = Recurrence(
        RecurrenceType.DAILY,
        datetime(9999, 12, 31, 9, tzinfo=zone),
        "America/New_York",
        time_of_day=time(9),
    )
    assert len(list(rule.occurrences())) == 1


def test_the_time_language_does_not_reach_the_end_of_time() -> None:
    """Typed, the same schedule is refused by its year: 100 years ahead is the furthest."""
    with pytest.raises(ParseError, match="The year 9999 is more than 100 years ahead"):
        parse_when("every day at 9 starting 9999-12-31", TUESDAY, "America/New_York")


def test_cron_description_says_both_day_fields_must_match() -> None:
    """'0 9 */2 * 1' runs on odd-dated Mondays (cron's AND rule): the description says so."""
    from bot.scheduling.describe import describe

    rule = parse_when("0 9 */2 * 1", TUESDAY, "America/New_York")
    assert "both day fields must match" in describe(rule)
    assert [t.day for t in itertools.islice(rule.occurrences(), 2)] == [11, 25]
