"""Differential test: the cron engine against the brute-force reference in ``cronref``.

For every offset change of 2026-2030 in six zones (found by scanning offsets; Kolkata has none, so
it is checked at New York's dates), random expressions (seeded) are evaluated in a window of a day
around the change: the chain of ``cron_next_after`` calls from the window's start, and the answer
from random starts inside it, must equal the reference's runs.  Every call is timed too.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ParseError
from bot.scheduling.cron import cron_next_after, normalise_cron
from tests.scheduling.cronref import Window, window_around

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "Asia/Kolkata",
]
EXPRESSIONS_PER_WINDOW = 50
STARTS_PER_EXPRESSION = 2
HALF_WINDOW_HOURS = 12
BUDGET_SECONDS = 0.05
_MONTH_NAMES = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_DAY_NAMES = "sun mon tue wed thu fri sat".split()


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """The UTC hours of 2026-2030 in which ``zone_name``'s offset changes.

    Scans every six hours (changes are months apart), then hour by hour where the offset moved.
    """
    zone = ZoneInfo(zone_name)

    def offset(moment: datetime) -> timedelta | None:
        return moment.astimezone(zone).utcoffset()

    found = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment < datetime(2031, 1, 1, tzinfo=UTC):
        later = moment + timedelta(hours=6)
        if offset(later) != offset(moment):
            hour = moment + timedelta(hours=1)
            while offset(hour) == offset(moment):
                hour += timedelta(hours=1)
            found.append(hour)
        moment = later
    return tuple(found)


def _pick(rng: random.Random, choices: list[str]) -> str:
    return rng.choice(choices)


def _minute_field(rng: random.Random) -> str:
    a, b = sorted(rng.sample(range(60), 2))
    step = rng.choice([2, 5, 7, 10, 15, 20, 30, 45])
    return _pick(
        rng,
        [
            str(rng.randrange(60)),
            rng.choice(["0", "15", "30", "45", "59"]),
            ",".join(str(m) for m in sorted(rng.sample(range(60), rng.randint(2, 4)))),
            f"{a}-{b}" if b - a < 15 else f"{a}-{b}/{step}",
            f"*/{step}",
            f"{a}/{step}",
            f"{a}-{a}/{step}",
            f"{a}-{b}/{step},{rng.randrange(60)}",
        ],
    )


def _hour_field(rng: random.Random, near: int, dense_minutes: bool) -> str:
    hours = [(near + d) % 24 for d in range(-2, 3)]
    h = rng.choice(hours)
    if dense_minutes:  # keep the number of runs in a window small
        return _pick(rng, [str(h), f"{h},{(h + 1) % 24}", f"{h}-{h}/3"])
    a, b = sorted(rng.sample(hours, 2))
    step = rng.choice([2, 3, 4, 6, 7])
    return _pick(
        rng,
        [
            str(h),
            f"{a},{b}",
            f"{a}-{b}",
            "*",
            f"*/{step}",
            f"{h}/{step}",
            f"{a}-{b}/{rng.choice([1, 2])}",
            f"{h}-{h}/2",
            "*",
        ],
    )


def _day_field(rng: random.Random, day: int) -> str:
    near = max(1, min(31, day + rng.choice([-1, 0, 0, 1])))
    return _pick(
        rng,
        [
            "*",
            "*",
            "*",
            str(near),
            f"{near},{rng.randint(1, 28)}",
            f"{max(1, near - 3)}-{min(31, near + 2)}",
            "*/2",
            "1-31/3",
            str(rng.randint(1, 28)),
        ],
    )


def _month_field(rng: random.Random, month: int) -> str:
    after = month % 12 + 1
    return _pick(
        rng,
        [
            "*",
            "*",
            "*",
            str(month),
            _MONTH_NAMES[month - 1],
            f"{_MONTH_NAMES[month - 1]},{_MONTH_NAMES[after - 1]}",
            f"{min(month, after)}-{max(month, after)}",
            "*/2",
        ],
    )


def _weekday_field(rng: random.Random, weekday: int) -> str:
    # weekday: 0 is Sunday; a Sunday may also be written 7.
    other = (weekday + rng.randint(1, 6)) % 7
    number = "7" if weekday == 0 and rng.random() < 0.5 else str(weekday)
    return _pick(
        rng,
        [
            "*",
            "*",
            "*",
            number,
            _DAY_NAMES[weekday],
            str(other),
            f"{_DAY_NAMES[min(weekday, other)]}-{_DAY_NAMES[max(weekday, other)]}",
            f"{number},{other}",
            "1-5",
            "sat,7",
            "*/2",
        ],
    )


def random_expression(rng: random.Random, local: datetime) -> str:
    """A random standard cron expression likely to fire near the local time ``local``."""
    while True:
        minute = "*" if rng.random() < 0.04 else _minute_field(rng)
        dense = minute == "*" or minute.startswith(("*/2", "*/5", "*/7"))
        expression = " ".join(
            [
                minute,
                _hour_field(rng, local.hour, dense),
                _day_field(rng, local.day),
                _month_field(rng, local.month),
                _weekday_field(rng, local.isoweekday() % 7),
            ]
        )
        try:
            return normalise_cron(expression)
        except ParseError:
            continue  # e.g. a day-of-month that never happens in the month: draw again


@dataclass
class Outcome:
    """What one zone's differential run found."""

    schedules: int = 0
    calls: int = 0
    slowest: float = 0.0
    slowest_call: str = ""
    mismatches: list[str] = field(default_factory=list)


def _timed_next(
    outcome: Outcome, expression: str, after: datetime, zone: ZoneInfo
) -> datetime | None:
    began = time.perf_counter()
    found = cron_next_after(expression, after, zone)
    spent = time.perf_counter() - began
    outcome.calls += 1
    for _ in range(2):
        # A loaded machine (or a garbage collection) can stall any one call: a call is slow only
        # if it is slow every time, so re-time it before counting it.
        if spent < BUDGET_SECONDS:
            break
        began = time.perf_counter()
        cron_next_after(expression, after, zone)
        spent = min(spent, time.perf_counter() - began)
    if spent > outcome.slowest:
        outcome.slowest, outcome.slowest_call = spent, f"{expression!r} after {after.isoformat()}"
    return None if found is None else found.astimezone(UTC)


def _compare(outcome: Outcome, window: Window, expression: str, rng: random.Random) -> None:
    expected = window.runs(expression)
    zone = window.zone
    chained: list[datetime] = []
    moment = _timed_next(outcome, expression, window.start - timedelta(seconds=1), zone)
    while moment is not None and moment <= window.end and len(chained) <= len(expected):
        chained.append(moment)
        moment = _timed_next(outcome, expression, moment, zone)
    if chained != expected:
        outcome.mismatches.append(
            f"{expression!r} in {zone.key} {window.start:%Y-%m-%dT%H:%M}Z..{window.end:%H:%M}Z: "
            f"engine {[t.isoformat() for t in chained]} reference "
            f"{[t.isoformat() for t in expected]}"
        )
    span = (window.end - window.start).total_seconds()
    for _ in range(STARTS_PER_EXPRESSION):
        start = window.start + timedelta(seconds=rng.uniform(0, span))
        index = bisect_right(expected, start)
        found = _timed_next(outcome, expression, start, zone)
        if index < len(expected):
            right = found == expected[index]
        else:
            right = found is None or found > window.end
        if not right:
            outcome.mismatches.append(
                f"{expression!r} in {zone.key} after {start.isoformat()}: engine "
                f"{found and found.isoformat()} reference "
                f"{expected[index].isoformat() if index < len(expected) else 'none in window'}"
            )


@cache
def differential(zone_name: str) -> Outcome:
    """Compare engine and reference around every change of 2026-2030 in ``zone_name``."""
    zone = ZoneInfo(zone_name)
    rng = random.Random(f"cron-differential {zone_name}")
    changes = transitions(zone_name) or transitions("America/New_York")
    outcome = Outcome()
    for change in changes:
        window = window_around(zone, change, HALF_WINDOW_HOURS)
        local = change.astimezone(zone)
        for _ in range(EXPRESSIONS_PER_WINDOW):
            _compare(outcome, window, random_expression(rng, local), rng)
            outcome.schedules += 1
    return outcome


@pytest.mark.parametrize(
    ("zone", "count"),
    [
        ("America/New_York", 10),
        ("Europe/London", 10),
        ("Australia/Lord_Howe", 10),
        ("Pacific/Chatham", 10),
        ("America/Santiago", 10),
        ("Asia/Kolkata", 0),
    ],
)
def test_transitions_are_found(zone: str, count: int) -> None:
    """The offset scan finds two changes a year (none in Kolkata)."""
    assert len(transitions(zone)) == count


@pytest.mark.parametrize("zone", ZONES)
def test_engine_matches_the_reference(zone: str) -> None:
    """Around every DST change, the engine's runs are exactly the reference's."""
    outcome = differential(zone)
    assert outcome.mismatches[:5] == []
    assert outcome.schedules >= 10 * EXPRESSIONS_PER_WINDOW


@pytest.mark.parametrize("zone", ZONES)
def test_every_evaluation_is_within_budget(zone: str) -> None:
    """No call of the differential run takes longer than 50 ms."""
    outcome = differential(zone)
    assert outcome.slowest < BUDGET_SECONDS, outcome.slowest_call


def test_thousands_of_schedules_are_compared() -> None:
    """Several thousand schedules and tens of thousands of calls are compared in total."""
    outcomes = [differential(zone) for zone in ZONES]
    assert sum(o.schedules for o in outcomes) >= 3000
    assert sum(o.calls for o in outcomes) >= 30000


REFERENCE_CASES = [
    # spring-forward gap: once, at the jump; a wildcard hour skips the missing times
    ("30 2 * * *", "America/New_York", "2026-03-08T07:00+00:00", ["2026-03-08T07:00+00:00"]),
    ("0,30 2,3 * * *", "America/New_York", "2026-03-08T07:00+00:00",
     ["2026-03-08T07:00+00:00", "2026-03-08T07:30+00:00"]),
    ("30 * * * *", "America/New_York", "2026-03-08T07:00+00:00",
     ["2026-03-08T06:30+00:00", "2026-03-08T07:30+00:00"]),
    # fall back: a fixed time fires on the first pass, a wildcard in both
    ("30 1 * * *", "America/New_York", "2026-11-01T06:00+00:00", ["2026-11-01T05:30+00:00"]),
    ("30 1 * * *", "America/New_York", "2026-11-01T06:00+00:00", ["2026-11-01T05:30+00:00"]),
    ("30 * * * *", "Australia/Lord_Howe", "2026-04-04T15:00+00:00",
     ["2026-04-04T14:30+00:00", "2026-04-04T15:00+00:00", "2026-04-04T16:00+00:00"]),
    # the OR rule and 7 as Sunday (2026-03-08 is a Sunday)
    ("0 12 1 3 7", "UTC", "2026-03-08T12:00+00:00", ["2026-03-08T12:00+00:00"]),
    ("0 12 */2 3 7", "UTC", "2026-03-08T12:00+00:00", []),
]  # fmt: skip


@pytest.mark.parametrize(("expression", "zone", "centre", "expected"), REFERENCE_CASES)
def test_reference_follows_the_design(
    expression: str, zone: str, centre: str, expected: list[str]
) -> None:
    """The reference itself gives the DESIGN's answers on hand-checked cases (a 1-hour window)."""
    window = window_around(ZoneInfo(zone), datetime.fromisoformat(centre), 1)
    assert [t.isoformat(timespec="minutes") for t in window.runs(expression)] == expected
