"""Daylight saving: cronie's rules for calendar schedules and cron, real time for hourly.

Transitions used (2026): New York 8 Mar 02:00->03:00 and 1 Nov 02:00->01:00; Paris 29 Mar
02:00->03:00 and 25 Oct 03:00->02:00; Sydney 4 Oct 02:00->03:00 and 5 Apr 03:00->02:00 (southern
hemisphere); Kolkata has no DST (+05:30).
"""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.scheduling.cron import cron_next_after
from bot.scheduling.describe import dst_warnings
from bot.scheduling.timelang import parse_when

NY = "America/New_York"
PARIS = "Europe/Paris"
SYDNEY = "Australia/Sydney"
KOLKATA = "Asia/Kolkata"


def runs(text: str, zone: str, now: str, count: int = 3) -> list[str]:
    start = datetime.fromisoformat(now).replace(tzinfo=ZoneInfo(zone))
    rule = parse_when(text, start, zone)
    return [
        t.isoformat(timespec="minutes") for t in itertools.islice(rule.occurrences(start), count)
    ]


CALENDAR_CASES = [
    # spring forward: a time in the gap fires at the first instant after the jump
    ("every day at 2:30", NY, "2026-03-07T12:00",
     ["2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00", "2026-03-10T02:30-04:00"]),
    ("every day at 2:30", PARIS, "2026-03-28T12:00",
     ["2026-03-29T03:00+02:00", "2026-03-30T02:30+02:00", "2026-03-31T02:30+02:00"]),
    ("every day at 2:30", SYDNEY, "2026-10-03T12:00",
     ["2026-10-04T03:00+11:00", "2026-10-05T02:30+11:00", "2026-10-06T02:30+11:00"]),
    ("every day at 2:30", KOLKATA, "2026-03-07T12:00",
     ["2026-03-08T02:30+05:30", "2026-03-09T02:30+05:30", "2026-03-10T02:30+05:30"]),
    # fall back: a fixed time in the repeated hour fires once, on the first pass
    ("every day at 1:30", NY, "2026-10-31T12:00",
     ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00", "2026-11-03T01:30-05:00"]),
    ("every day at 2:30", PARIS, "2026-10-24T12:00",
     ["2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00", "2026-10-27T02:30+01:00"]),
    ("every day at 2:30", SYDNEY, "2026-04-04T12:00",
     ["2026-04-05T02:30+11:00", "2026-04-06T02:30+10:00", "2026-04-07T02:30+10:00"]),
    # weekly and monthly follow the same rules
    ("every sunday at 2:15", NY, "2026-03-01T12:00",
     ["2026-03-08T03:00-04:00", "2026-03-15T02:15-04:00", "2026-03-22T02:15-04:00"]),
    ("every month on the 8th at 2:30", NY, "2026-02-10T12:00",
     ["2026-03-08T03:00-04:00", "2026-04-08T02:30-04:00", "2026-05-08T02:30-04:00"]),
    # cron with a fixed hour and minute: the same cronie rules
    ("30 2 * * *", NY, "2026-03-07T12:00",
     ["2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00", "2026-03-10T02:30-04:00"]),
    ("30 1 * * *", NY, "2026-10-31T12:00",
     ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00", "2026-11-03T01:30-05:00"]),
    ("30 2 * * *", PARIS, "2026-10-24T12:00",
     ["2026-10-25T02:30+02:00", "2026-10-26T02:30+01:00", "2026-10-27T02:30+01:00"]),
    ("30 2 * * *", SYDNEY, "2026-10-03T12:00",
     ["2026-10-04T03:00+11:00", "2026-10-05T02:30+11:00", "2026-10-06T02:30+11:00"]),
    ("30 2 * * *", KOLKATA, "2026-10-03T12:00",
     ["2026-10-04T02:30+05:30", "2026-10-05T02:30+05:30", "2026-10-06T02:30+05:30"]),
]  # fmt: skip

WILDCARD_CASES = [
    # a wildcard hour keeps firing through both passes of the repeated hour
    ("*/15 * * * *", NY, "2026-11-01T00:50", 10,
     ["2026-11-01T01:00-04:00", "2026-11-01T01:15-04:00", "2026-11-01T01:30-04:00",
      "2026-11-01T01:45-04:00", "2026-11-01T01:00-05:00", "2026-11-01T01:15-05:00",
      "2026-11-01T01:30-05:00", "2026-11-01T01:45-05:00", "2026-11-01T02:00-05:00",
      "2026-11-01T02:15-05:00"]),
    ("*/30 * * * *", PARIS, "2026-10-25T01:50", 5,
     ["2026-10-25T02:00+02:00", "2026-10-25T02:30+02:00", "2026-10-25T02:00+01:00",
      "2026-10-25T02:30+01:00", "2026-10-25T03:00+01:00"]),
    ("*/30 * * * *", SYDNEY, "2026-04-05T01:50", 5,
     ["2026-04-05T02:00+11:00", "2026-04-05T02:30+11:00", "2026-04-05T02:00+10:00",
      "2026-04-05T02:30+10:00", "2026-04-05T03:00+10:00"]),
    # ... and skips the wall times that do not exist, staying on real time
    ("*/15 * * * *", NY, "2026-03-08T01:20", 4,
     ["2026-03-08T01:30-05:00", "2026-03-08T01:45-05:00", "2026-03-08T03:00-04:00",
      "2026-03-08T03:15-04:00"]),
    ("30 * * * *", NY, "2026-03-08T00:20", 3,
     ["2026-03-08T00:30-05:00", "2026-03-08T01:30-05:00", "2026-03-08T03:30-04:00"]),
    ("every 30 minutes", KOLKATA, "2026-03-08T01:20", 3,
     ["2026-03-08T01:30+05:30", "2026-03-08T02:00+05:30", "2026-03-08T02:30+05:30"]),
    # hourly and "every N hours" are elapsed real time
    ("every 2 hours", NY, "2026-03-07T23:10", 3,
     ["2026-03-08T00:00-05:00", "2026-03-08T03:00-04:00", "2026-03-08T05:00-04:00"]),
    ("hourly", NY, "2026-11-01T00:10", 4,
     ["2026-11-01T01:00-04:00", "2026-11-01T01:00-05:00", "2026-11-01T02:00-05:00",
      "2026-11-01T03:00-05:00"]),
    ("hourly", SYDNEY, "2026-04-05T01:10", 3,
     ["2026-04-05T02:00+11:00", "2026-04-05T02:00+10:00", "2026-04-05T03:00+10:00"]),
    ("every 3 hours", PARIS, "2026-03-28T23:10", 3,
     ["2026-03-29T00:00+01:00", "2026-03-29T04:00+02:00", "2026-03-29T07:00+02:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "zone", "now", "expected"), CALENDAR_CASES)
def test_calendar_schedules_follow_cronie(
    text: str, zone: str, now: str, expected: list[str]
) -> None:
    """Gap times move past the jump; repeated times fire once on the first pass."""
    assert runs(text, zone, now) == expected


@pytest.mark.parametrize(("text", "zone", "now", "count", "expected"), WILDCARD_CASES)
def test_real_time_schedules(
    text: str, zone: str, now: str, count: int, expected: list[str]
) -> None:
    """Wildcard-hour cron and hourly schedules keep real time through DST changes."""
    assert runs(text, zone, now, count) == expected


def test_cron_from_the_second_pass_does_not_go_back() -> None:
    """From the second pass of a repeated hour, the next run is never that day's (earlier) first."""
    zone = ZoneInfo(NY)
    second_pass = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=zone)
    found = cron_next_after("30 1 * * *", second_pass, zone)
    assert found is not None
    assert found.isoformat() == "2026-11-02T01:30:00-05:00"


def test_gap_warning() -> None:
    """A run moved out of the spring-forward gap is reported."""
    zone = ZoneInfo(NY)
    now = datetime(2026, 3, 7, 12, tzinfo=zone)
    rule = parse_when("every day at 2:30", now, zone)
    warnings = dst_warnings(rule, list(itertools.islice(rule.occurrences(now), 3)))
    assert warnings == [
        "Sun 8 Mar 2026: 02:30 does not exist in America/New_York (clocks spring forward), "
        "so it runs at 03:00 EDT, right after the jump."
    ]


def test_repeated_hour_warning_for_fixed_time() -> None:
    """A fixed time in the repeated hour is reported as running once, on the first pass."""
    zone = ZoneInfo(PARIS)
    now = datetime(2026, 10, 24, 12, tzinfo=zone)
    rule = parse_when("30 2 * * *", now, zone)
    warnings = dst_warnings(rule, list(itertools.islice(rule.occurrences(now), 2)))
    assert len(warnings) == 1
    assert "happens twice in Europe/Paris" in warnings[0]
    assert "first pass (02:30 CEST)" in warnings[0]


def test_cron_gap_warning() -> None:
    """A fixed-time cron run moved out of the gap is reported too."""
    zone = ZoneInfo(SYDNEY)
    now = datetime(2026, 10, 3, 12, tzinfo=zone)
    rule = parse_when("30 2 * * *", now, zone)
    warnings = dst_warnings(rule, list(itertools.islice(rule.occurrences(now), 2)))
    assert len(warnings) == 1
    assert "does not exist in Australia/Sydney" in warnings[0]


def test_real_time_warnings() -> None:
    """Wildcard runs in the repeated hour say they run in both passes; hourly notes the shift."""
    zone = ZoneInfo(NY)
    now = datetime(2026, 11, 1, 0, 50, tzinfo=zone)
    rule = parse_when("every 30 minutes", now, zone)
    warnings = dst_warnings(rule, list(itertools.islice(rule.occurrences(now), 5)))
    assert any("runs in both passes" in w for w in warnings)
    hourly = parse_when("every 2 hours", datetime(2026, 3, 7, 23, 10, tzinfo=zone), zone)
    hourly_runs = list(itertools.islice(hourly.occurrences(), 3))
    assert any("keeps real elapsed time" in w for w in dst_warnings(hourly, hourly_runs))


def test_no_warnings_without_dst() -> None:
    """Kolkata never changes its clocks, so nothing is reported."""
    zone = ZoneInfo(KOLKATA)
    now = datetime(2026, 3, 7, 12, tzinfo=zone)
    rule = parse_when("every day at 2:30", now, zone)
    assert dst_warnings(rule, list(itertools.islice(rule.occurrences(now), 30))) == []


def test_one_shot_in_the_gap_moves_past_the_jump() -> None:
    """'tomorrow at 2:30' on the spring-forward day is 03:00 EDT, not an invalid time."""
    zone = ZoneInfo(NY)
    rule = parse_when("tomorrow at 2:30am", datetime(2026, 3, 7, 12, tzinfo=zone), zone)
    assert rule.local_anchor.isoformat() == "2026-03-08T03:00:00-04:00"


def test_in_two_days_keeps_the_clock_across_dst() -> None:
    """Days count the calendar (same clock time), hours count real time."""
    zone = ZoneInfo(NY)
    now = datetime(2026, 3, 7, 12, tzinfo=zone)
    assert parse_when("in 2 days", now, zone).local_anchor.hour == 12
    assert parse_when("in 48 hours", now, zone).local_anchor.hour == 13
