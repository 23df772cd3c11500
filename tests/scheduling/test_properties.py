"""Property: any text gives a schedule after now or a clean ParseError, never another exception."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import ParseError
from bot.scheduling.timelang import parse_when

WORDS = [
    "every", "day", "at", "9", "9am", "5pm", "noon", "midnight", "tomorrow", "tonight", "in", "2",
    "hours", "minutes", "weekday", "monday", "and", "friday", "on", "the", "1st", "31st", "of",
    "month", "year", "march", "3", "feb", "29", "until", "dec", "starting", "next", "week", "times",
    "10", "*", "*/15", "0", "1-5", "pst", "europe/paris", "half", "an", "hour", "weekend", "end",
    "this", "a", "other", ":", "18:30", "2:30", "hourly", "daily", "from", "now", "later", "x",
]  # fmt: skip
ZONES = ["America/New_York", "Europe/Paris", "Australia/Sydney", "Asia/Kolkata", "UTC"]
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2090, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([ZoneInfo(z) for z in ZONES]),
)
phrases = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join),
)


def check(text: str, now: datetime) -> None:
    try:
        rule = parse_when(text, now, now.tzinfo)  # type: ignore[arg-type]
    except ParseError as error:
        assert error.message
        return
    assert rule.anchor > now
    runs = list(itertools.islice(rule.occurrences(after=now), 3))
    assert runs, "a schedule that never runs should have been an error"
    # In UTC: two datetimes of one zone compare by wall time and ignore ``fold``, so the second
    # pass of a repeated hour would look no later than the first.
    instants = [run.astimezone(UTC) for run in runs]
    assert all(instant > now for instant in instants)
    assert instants == sorted(instants)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=phrases, now=moments)
def test_any_text_gives_a_future_schedule_or_a_parse_error(text: str, now: datetime) -> None:
    """Never another exception; every result is after now."""
    check(text, now)


@settings(max_examples=150, deadline=None)
@given(now=moments, minutes=st.integers(min_value=1, max_value=60 * 24 * 400))
def test_relative_minutes_are_exact(now: datetime, minutes: int) -> None:
    """'in N minutes' is exactly N real minutes later, whatever the zone does."""
    rule = parse_when(f"in {minutes} minutes", now, now.tzinfo)  # type: ignore[arg-type]
    assert rule.anchor == (now.astimezone(UTC) + timedelta(minutes=minutes)).replace(microsecond=0)
