"""The cron engine: field sets, cronie's DST rules at every kind of transition, bounds and budget.

Transitions used: New York 2026-03-08 02:00->03:00 and 2026-11-01 02:00->01:00; Lord Howe
2026-04-05 02:00->01:30 and 2026-10-04 02:00->02:30 (30-minute shifts); Chatham 2026-04-05
03:45->02:45 and 2026-09-27 02:45->03:45; Santiago 2026-04-05 00:00->23:00 (the day before) and
2026-09-06 00:00->01:00 (midnight does not exist); Apia skipped 2011-12-30 whole.
"""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ParseError
from bot.scheduling.cron import (
    cron_next_after,
    matches_wall_time,
    normalise_cron,
    uses_wall_clock,
)

NY = "America/New_York"
LORD_HOWE = "Australia/Lord_Howe"
CHATHAM = "Pacific/Chatham"
SANTIAGO = "America/Santiago"


def chain(expression: str, zone: str, start: str, count: int) -> list[str]:
    """The next ``count`` runs after ``start`` (ISO with offset), as ISO strings in ``zone``."""
    tz = ZoneInfo(zone)
    moment: datetime | None = datetime.fromisoformat(start)
    found: list[str] = []
    for _ in range(count):
        assert moment is not None
        moment = cron_next_after(normalise_cron(expression), moment, tz)
        if moment is None:
            break
        found.append(moment.isoformat(timespec="minutes"))
    return found


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("*/61 * * * *", "minute field '*/61': a step of 61 is larger than the field's span"),
        ("*/60 * * * *", "use a step from 1 to 59"),
        ("0 */24 * * *", "hour field '*/24'"),
        ("0 0 */32 * *", "day-of-month field '*/32'"),
        ("0 0 */31 * *", "day-of-month field '*/31'"),
        ("0 0 1 */13 *", "month field '*/13'"),
        ("0 0 1 */12 *", "use a step from 1 to 11"),
        ("0 0 * * */8", "day-of-week field '*/8'"),
        ("5/61 * * * *", "minute field '5/61'"),
        ("0-59/99 * * * *", "minute field '0-59/99'"),
        ("*/0 * * * *", "must be a whole number of at least 1"),
        ("0 0 31 2 *", "never matches in month field '2'"),
        ("61 * * * *", "61 is out of range (0-59)"),
        ("0 0 l * *", "extensions"),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, message: str) -> None:
    """A refused expression names its field, says what is allowed and shows examples."""
    with pytest.raises(ParseError) as caught:
        normalise_cron(expression)
    assert message in caught.value.message
    assert "Examples:" in caught.value.message


@pytest.mark.parametrize(
    ("expression", "normal"),
    [
        ("*/59 * * * *", "*/59 * * * *"),
        ("0 */23 * * *", "0 */23 * * *"),
        ("0 0 */30 * *", "0 0 */30 * *"),
        ("0 0 1 */11 *", "0 0 1 */11 *"),
        ("0 0 * * */7", "0 0 * * */7"),
        ("0 9-9/2 * * *", "0 9-9/2 * * *"),
        ("@Daily", "0 0 * * *"),
        ("0 0 31 2 MON", "0 0 31 2 mon"),
    ],
)
def test_valid_expressions_normalise(expression: str, normal: str) -> None:
    """Steps up to the field's span, one-value ranges with a step and macros are accepted."""
    assert normalise_cron(expression) == normal


@pytest.mark.parametrize(
    ("expression", "wall", "expected"),
    [
        ("0 9-9/2 * * *", "2026-06-15T09:00", True),
        ("0 9-9/2 * * *", "2026-06-15T11:00", False),
        ("0 9 * * 7", "2026-06-14T09:00", True),  # 7 is Sunday
        ("0 9 13 * mon", "2026-06-15T09:00", True),  # both restricted: either day matches
        ("0 9 13 * mon", "2026-06-13T09:00", True),
        ("0 9 13 * mon", "2026-06-16T09:00", False),
        ("0 9 */2 * mon", "2026-06-22T09:00", False),  # '*/2' is unrestricted: both must match
        ("0 9 */2 * mon", "2026-06-29T09:00", True),
        ("0 9 * jun-jul sat,sun", "2026-06-14T09:00", True),
    ],
)
def test_matches_wall_time(expression: str, wall: str, expected: bool) -> None:
    """Field sets as cronie reads them: a-b/s stays within a-b, 7 is Sunday, the OR rule."""
    assert matches_wall_time(expression, datetime.fromisoformat(wall)) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [("30 2 * * *", True), ("0-59 0-23 * * *", True), ("*/5 2 * * *", False), ("5 * * * *", False)],
)
def test_uses_wall_clock(expression: str, expected: bool) -> None:
    """Fixed-time means neither the minute nor the hour field starts with '*'."""
    assert uses_wall_clock(expression) is expected


FIXED_CASES = [
    ("0 9-9/2 * * *", "UTC", "2026-04-04T11:00+00:00", 2,
     ["2026-04-05T09:00+00:00", "2026-04-06T09:00+00:00"]),
    # spring forward: gap times fire at the transition, several of them only once
    ("30 2 * * *", NY, "2026-03-07T12:00-05:00", 2,
     ["2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00"]),
    ("0,15,30,45 2,3 * * *", NY, "2026-03-08T01:50-05:00", 4,
     ["2026-03-08T03:00-04:00", "2026-03-08T03:15-04:00", "2026-03-08T03:30-04:00",
      "2026-03-08T03:45-04:00"]),
    ("15 2 * * *", LORD_HOWE, "2026-10-03T12:00+10:30", 2,
     ["2026-10-04T02:30+11:00", "2026-10-05T02:15+11:00"]),
    ("45 2 * * *", LORD_HOWE, "2026-10-03T12:00+10:30", 1, ["2026-10-04T02:45+11:00"]),
    ("0 3 * * *", CHATHAM, "2026-09-26T12:00+12:45", 2,
     ["2026-09-27T03:45+13:45", "2026-09-28T03:00+13:45"]),
    ("0 0 * * *", SANTIAGO, "2026-09-05T00:00-04:00", 2,
     ["2026-09-06T01:00-03:00", "2026-09-07T00:00-03:00"]),
    # fall back: a repeated time fires once, on its first pass, even from the second pass
    ("30 1 * * *", NY, "2026-11-01T01:15-05:00", 1, ["2026-11-02T01:30-05:00"]),
    ("30 1 * * *", NY, "2026-10-31T12:00-04:00", 2,
     ["2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"]),
    ("45 1 * * *", LORD_HOWE, "2026-04-04T12:00+11:00", 2,
     ["2026-04-05T01:45+11:00", "2026-04-06T01:45+10:30"]),
    ("0 3 * * *", CHATHAM, "2026-04-04T12:00+13:45", 2,
     ["2026-04-05T03:00+13:45", "2026-04-06T03:00+12:45"]),
    ("30 23 * * *", SANTIAGO, "2026-04-04T12:00-03:00", 2,
     ["2026-04-04T23:30-03:00", "2026-04-05T23:30-04:00"]),
    # a whole day that does not exist (Samoa crossed the date line) fires once, at the jump
    ("0 9,17 * * *", "Pacific/Apia", "2011-12-29T12:00-10:00", 3,
     ["2011-12-29T17:00-10:00", "2011-12-31T00:00+14:00", "2011-12-31T09:00+14:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "zone", "start", "count", "expected"), FIXED_CASES)
def test_fixed_time_schedules(
    expression: str, zone: str, start: str, count: int, expected: list[str]
) -> None:
    """Fixed-time cron follows cronie: gap times at the jump, repeated times on the first pass."""
    assert chain(expression, zone, start, count) == expected


WILDCARD_CASES = [
    # Lord Howe springs forward 30 minutes at 02:00: 02:45 exists, 02:15 does not
    ("45 * * * *", LORD_HOWE, "2026-10-04T00:50+10:30", 3,
     ["2026-10-04T01:45+10:30", "2026-10-04T02:45+11:00", "2026-10-04T03:45+11:00"]),
    ("15 * * * *", LORD_HOWE, "2026-10-04T00:50+10:30", 2,
     ["2026-10-04T01:15+10:30", "2026-10-04T03:15+11:00"]),
    # Lord Howe falls back 30 minutes at 02:00: 01:30-01:59 happen twice
    ("30 * * * *", LORD_HOWE, "2026-04-05T00:50+11:00", 4,
     ["2026-04-05T01:30+11:00", "2026-04-05T01:30+10:30", "2026-04-05T02:30+10:30",
      "2026-04-05T03:30+10:30"]),
    # Chatham falls back at 03:45 to 02:45
    ("45 */3 * * *", CHATHAM, "2026-04-04T11:00+00:00", 3,
     ["2026-04-05T03:45+12:45", "2026-04-05T06:45+12:45", "2026-04-05T09:45+12:45"]),
    # from 03:44+13:45, one minute before the change: 03:49+13:45 never happens
    ("*/7 3 * * *", CHATHAM, "2026-04-04T13:59+00:00", 3,
     ["2026-04-05T03:00+12:45", "2026-04-05T03:07+12:45", "2026-04-05T03:14+12:45"]),
    ("*/10 */3 * * *", CHATHAM, "2030-04-06T13:19:30+00:00", 8,
     ["2030-04-07T03:10+13:45", "2030-04-07T03:20+13:45", "2030-04-07T03:30+13:45",
      "2030-04-07T03:40+13:45", "2030-04-07T03:00+12:45", "2030-04-07T03:10+12:45",
      "2030-04-07T03:20+12:45", "2030-04-07T03:30+12:45"]),
    # Chatham springs forward at 02:45: 02:45-03:44 do not exist
    ("*/30 * * * *", CHATHAM, "2026-09-27T02:00+12:45", 3,
     ["2026-09-27T02:30+12:45", "2026-09-27T04:00+13:45", "2026-09-27T04:30+13:45"]),
    # Santiago: midnight does not exist in September, 23:00-23:59 repeat in April
    ("*/20 0 * * *", SANTIAGO, "2026-09-05T23:50-04:00", 2,
     ["2026-09-07T00:00-03:00", "2026-09-07T00:20-03:00"]),
    ("0 * * * *", SANTIAGO, "2026-04-04T22:30-03:00", 3,
     ["2026-04-04T23:00-03:00", "2026-04-04T23:00-04:00", "2026-04-05T00:00-04:00"]),
    # New York: both passes of 01:00-01:59
    ("*/30 1 * * *", NY, "2026-11-01T00:50-04:00", 5,
     ["2026-11-01T01:00-04:00", "2026-11-01T01:30-04:00", "2026-11-01T01:00-05:00",
      "2026-11-01T01:30-05:00", "2026-11-02T01:00-05:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "zone", "start", "count", "expected"), WILDCARD_CASES)
def test_wildcard_schedules(
    expression: str, zone: str, start: str, count: int, expected: list[str]
) -> None:
    """Wildcard minute or hour: every real minute whose wall time matches, at any offset shift."""
    assert chain(expression, zone, start, count) == expected


@pytest.mark.parametrize(
    ("expression", "start", "expected"),
    [
        ("0 0 29 2 *", "2096-03-01T00:00+00:00", ["2104-02-29T00:00+00:00"]),
        ("* * 29 2 *", "2096-03-01T00:00+00:00", ["2104-02-29T00:00+00:00"]),
        ("59 23 31 12 *", "2026-12-31T23:59+00:00", ["2027-12-31T23:59+00:00"]),
        ("0 0 30 * 1", "2026-06-15T00:00+00:00", ["2026-06-22T00:00+00:00"]),
        # Feb 1 falls on a Monday in 2027, then not again until 2038: beyond the horizon
        ("0 0 */28 2 1", "2027-02-02T00:00+00:00", []),
        ("* 0 */28 2 1", "2027-02-02T00:00+00:00", []),
        ("0 0 */28 2 1", "2026-06-01T00:00+00:00", ["2027-02-01T00:00+00:00"]),
    ],
)
def test_rare_schedules_and_the_horizon(expression: str, start: str, expected: list[str]) -> None:
    """Runs years apart are found (29 Feb across 2100); beyond ten years there is none."""
    assert chain(expression, "UTC", start, 1) == expected


@pytest.mark.parametrize(
    ("expression", "zone", "start"),
    [
        ("0 0 29 2 *", "UTC", "2096-03-01T00:00+00:00"),
        ("59 23 31 12 *", CHATHAM, "2026-01-01T00:00+00:00"),
        ("0 0 30 * 1", SANTIAGO, "2026-09-05T00:00+00:00"),
        ("* * 29 2 *", LORD_HOWE, "2028-03-01T00:00+00:00"),
        ("* 0 */28 2 1", CHATHAM, "2027-02-02T00:00+00:00"),
        ("0 0 */28 2 1", CHATHAM, "2027-02-02T00:00+00:00"),
        ("45 */3 * * *", CHATHAM, "2026-04-04T11:00+00:00"),
        ("*/10 */3 * * *", CHATHAM, "2030-04-06T13:19:30+00:00"),
        ("0-59 0-23 * * *", NY, "2026-11-01T05:59+00:00"),
        ("* * * * *", "Pacific/Apia", "2011-12-30T09:59+00:00"),
    ],
)
def test_pathological_expressions_answer_quickly(expression: str, zone: str, start: str) -> None:
    """Rare, dense or DST-crossing schedules answer within a generous 50 ms budget."""
    normal, tz = normalise_cron(expression), ZoneInfo(zone)
    cron_next_after(normal, datetime.fromisoformat(start), tz)  # warm the field-set cache
    began = time.perf_counter()
    cron_next_after(normal, datetime.fromisoformat(start), tz)
    assert time.perf_counter() - began < 0.05


def test_results_are_strictly_after_the_start() -> None:
    """From a run itself, or from a start with seconds, the next run is strictly later."""
    zone = ZoneInfo(NY)
    run = datetime(2026, 6, 15, 9, tzinfo=zone)
    assert cron_next_after("0 9 * * *", run, zone) == datetime(2026, 6, 16, 9, tzinfo=zone)
    assert cron_next_after("*/5 * * * *", run.replace(second=1), zone) == run.replace(minute=5)
