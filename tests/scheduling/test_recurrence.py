"""The recurrence engine itself: month ends, leap years, bounds, and the stored form."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.scheduling.recurrence import Recurrence, RecurrenceType
from bot.scheduling.timelang import parse_when
from tests.scheduling.conftest import NEW_YORK, at


def first(rule: Recurrence, count: int) -> list[str]:
    return [t.strftime("%Y-%m-%d") for t in itertools.islice(rule.occurrences(), count)]


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("every month on the 31st at 10:00", "2026-01-15 12:00",
         ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]),
        ("every month on the 30th at 10:00", "2028-01-20 12:00",
         ["2028-01-30", "2028-02-29", "2028-03-30", "2028-04-30"]),
        ("every month on the 29th at 10:00", "2027-01-20 12:00",
         ["2027-01-29", "2027-02-28", "2027-03-29"]),
        ("every 2 months on the 31st at 10:00", "2026-01-15 12:00",
         ["2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31", "2026-09-30"]),
        ("every month on the 31st at 10:00", "2026-04-05 12:00",
         ["2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31"]),
        ("every year on feb 29 at 8", "2027-03-01 12:00",
         ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]),
        ("every year on feb 28 at 8", "2027-03-01 12:00", ["2028-02-28", "2029-02-28"]),
        ("0 10 31 * *", "2026-01-15 12:00",
         ["2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31", "2026-08-31"]),
        ("0 0 29 2 *", "2026-01-01 12:00", ["2028-02-29", "2032-02-29"]),
        ("0 0 28-31 * *", "2026-02-01 12:00",
         ["2026-02-28", "2026-03-28", "2026-03-29"]),
    ],
)  # fmt: skip
def test_month_ends_and_leap_years(text: str, now: str, expected: list[str]) -> None:
    """Monthly 29-31 clamps and returns; yearly Feb 29 -> Feb 28; cron keeps its own meaning."""
    rule = parse_when(text, at(now), NEW_YORK)
    assert first(rule, len(expected)) == expected


def test_fields_round_trip() -> None:
    """to_fields gives primitives; from_fields rebuilds an equal recurrence."""
    rule = parse_when(
        "every 2 weeks on monday and friday at 18:30 until dec 31 10 times",
        at("2026-06-15 14:30"),
        NEW_YORK,
    )
    fields = rule.to_fields()
    assert fields["recurrence_type"] == "weekly"
    assert fields["recurrence_interval"] == 2
    assert fields["weekdays"] == "mon,fri"
    assert fields["time_of_day"] == "18:30"
    assert fields["recurrence_count"] == 10
    assert fields["anchor"].tzinfo is UTC
    assert fields["anchor"] == datetime(2026, 6, 15, 22, 30, tzinfo=UTC)
    assert (fields["more_times"], fields["weekday_ordinal"], fields["step_minutes"]) == (
        None,
        None,
        None,
    )
    assert Recurrence.from_fields(fields) == rule


def test_from_fields_accepts_naive_utc_from_sqlite() -> None:
    """SQLite may hand back naive datetimes; the stored convention is UTC."""
    rule = parse_when("every day at 9", at("2026-06-15 14:30"), NEW_YORK)
    fields = rule.to_fields()
    fields["anchor"] = fields["anchor"].replace(tzinfo=None)
    assert Recurrence.from_fields(fields) == rule


def test_gap_anchor_keeps_its_time_of_day() -> None:
    """A first run moved out of the gap does not move later runs: time_of_day is stored."""
    rule = parse_when("every day at 2:30", at("2026-03-07 12:00"), NEW_YORK)
    again = Recurrence.from_fields(rule.to_fields())
    runs = [t.strftime("%H:%M") for t in itertools.islice(again.occurrences(), 3)]
    assert runs == ["03:00", "02:30", "02:30"]


def test_next_after() -> None:
    """next_after is strict, returns the anchor before it, and None for a past one-shot."""
    rule = parse_when("every day at 9", at("2026-06-15 14:30"), NEW_YORK)
    anchor = rule.local_anchor
    assert rule.next_after(anchor - timedelta(days=30)) == anchor
    assert rule.next_after(anchor) == anchor + timedelta(days=1)
    once = Recurrence.once(at("2026-06-16 09:00"), "America/New_York")
    assert once.next_after(at("2026-06-16 08:59")) == at("2026-06-16 09:00")
    assert once.next_after(at("2026-06-16 09:00")) is None
    assert list(once.occurrences()) == [at("2026-06-16 09:00")]


def test_until_stops_next_after_but_count_does_not() -> None:
    """until bounds next_after; count is the task service's to apply (attempted runs only)."""
    rule = parse_when("every day at 9 until jun 17 5 times", at("2026-06-15 14:30"), NEW_YORK)
    assert rule.next_after(at("2026-06-17 09:00")) is None
    counted = parse_when("every day at 9 2 times", at("2026-06-15 14:30"), NEW_YORK)
    assert len(list(counted.occurrences())) == 2
    assert counted.next_after(at("2026-06-20 10:00")) == at("2026-06-21 09:00")


def test_occurrences_after_honours_count_from_anchor() -> None:
    """With a count, occurrences(after) still counts from the anchor."""
    rule = parse_when("every day at 9 3 times", at("2026-06-15 14:30"), NEW_YORK)
    later = list(rule.occurrences(after=at("2026-06-16 10:00")))
    assert [t.day for t in later] == [17, 18]


def test_results_are_in_the_schedule_zone() -> None:
    """next_after answers in the schedule's zone, whatever zone the question was in."""
    rule = parse_when("every day at 9", at("2026-06-15 14:30"), NEW_YORK)
    found = rule.next_after(datetime(2026, 6, 20, tzinfo=UTC))
    assert found is not None and found.tzinfo == NEW_YORK


@pytest.mark.parametrize(
    "bad",
    [
        {"interval": 0},
        {"cron": "0 9 * * *"},
        {"time_of_day": None},
        {"weekdays": (7,)},
        {"count": 0},
        {"ordinal": 1},
        {"step_minutes": 30},
        {"more_times": tuple(time(hour, 30) for hour in range(24))},
    ],
)
def test_impossible_shapes_are_rejected(bad: dict[str, object]) -> None:
    """The value refuses shapes its arithmetic cannot honour."""
    base: dict[str, object] = {
        "kind": RecurrenceType.WEEKLY,
        "anchor": at("2026-06-15 18:00"),
        "timezone": "America/New_York",
        "time_of_day": time(18),
        "weekdays": (0,),
    }
    with pytest.raises(ValueError):
        Recurrence(**(base | bad))  # type: ignore[arg-type]


def test_naive_anchor_is_rejected() -> None:
    """Every instant carries its zone."""
    with pytest.raises(ValueError, match="naive"):
        Recurrence.once(datetime(2026, 6, 16, 9), "UTC")  # noqa: DTZ001


def test_existing_constructor_calls_are_unchanged() -> None:
    """Positional and keyword construction from before the new fields still builds the same rule."""
    start = at("2026-06-15 18:00")
    until = at("2026-12-31 23:00")
    positional = Recurrence(
        RecurrenceType.WEEKLY, start, "America/New_York", 2, None, time(18), (0,), None, 5, until
    )
    assert positional == Recurrence(
        kind=RecurrenceType.WEEKLY,
        anchor=start,
        timezone="America/New_York",
        interval=2,
        time_of_day=time(18),
        weekdays=(0,),
        count=5,
        until=until,
    )
    assert (positional.more_times, positional.ordinal, positional.step_minutes) == ((), None, None)
    assert positional.times == (time(18),)
