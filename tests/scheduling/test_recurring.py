"""The time language on repeating phrases and cron: kind, description and the first runs."""

from __future__ import annotations

import itertools

import pytest

from bot.errors import ParseError
from bot.scheduling.describe import describe
from bot.scheduling.timelang import parse_when
from tests.scheduling.conftest import NEW_YORK, NOW

E = "-04:00"  # EDT, New York in summer
S = "-05:00"  # EST

# (text, kind, description, first runs after NOW = Mon 2026-06-15 14:30 EDT, at most 5)
RECURRING: list[tuple[str, str, str, list[str]]] = [
    ("every day at 9", "daily", "Every day at 09:00",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("every day at 9am", "daily", "Every day at 09:00",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("daily at 18:30", "daily", "Every day at 18:30",
     [f"2026-06-15T18:30{E}", f"2026-06-16T18:30{E}", f"2026-06-17T18:30{E}"]),
    ("every day", "daily", "Every day at 14:30",
     [f"2026-06-16T14:30{E}", f"2026-06-17T14:30{E}", f"2026-06-18T14:30{E}"]),
    ("every other day at 7pm", "daily", "Every 2 days at 19:00",
     [f"2026-06-15T19:00{E}", f"2026-06-17T19:00{E}", f"2026-06-19T19:00{E}"]),
    ("every 3 days at 8am", "daily", "Every 3 days at 08:00",
     [f"2026-06-16T08:00{E}", f"2026-06-19T08:00{E}", f"2026-06-22T08:00{E}"]),
    ("every weekday at 9am", "weekly", "Every weekday at 09:00",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("weekdays at 9", "weekly", "Every weekday at 09:00",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("every monday and wednesday at 18:00", "weekly", "Every Monday and Wednesday at 18:00",
     [f"2026-06-15T18:00{E}", f"2026-06-17T18:00{E}", f"2026-06-22T18:00{E}"]),
    ("every mon, wed and fri at 6pm", "weekly", "Every Monday, Wednesday and Friday at 18:00",
     [f"2026-06-15T18:00{E}", f"2026-06-17T18:00{E}", f"2026-06-19T18:00{E}"]),
    # a named day without a time of day is at 09:00, as "every morning" is
    ("every monday", "weekly", "Every Monday at 09:00",
     [f"2026-06-22T09:00{E}", f"2026-06-29T09:00{E}", f"2026-07-06T09:00{E}"]),
    ("on mondays at 6pm", "weekly", "Every Monday at 18:00",
     [f"2026-06-15T18:00{E}", f"2026-06-22T18:00{E}", f"2026-06-29T18:00{E}"]),
    ("every weekend at 10am", "weekly", "Every Saturday and Sunday at 10:00",
     [f"2026-06-20T10:00{E}", f"2026-06-21T10:00{E}", f"2026-06-27T10:00{E}"]),
    ("every 2 weeks on monday at 18:30", "weekly", "Every 2 weeks on Monday at 18:30",
     [f"2026-06-15T18:30{E}", f"2026-06-29T18:30{E}", f"2026-07-13T18:30{E}"]),
    ("every other week on tuesday and thursday at 7", "weekly",
     "Every 2 weeks on Tuesday and Thursday at 07:00",
     [f"2026-06-16T07:00{E}", f"2026-06-18T07:00{E}", f"2026-06-30T07:00{E}"]),
    ("weekly on friday at 5pm", "weekly", "Every Friday at 17:00",
     [f"2026-06-19T17:00{E}", f"2026-06-26T17:00{E}", f"2026-07-03T17:00{E}"]),
    ("every week", "weekly", "Every Monday at 14:30",
     [f"2026-06-22T14:30{E}", f"2026-06-29T14:30{E}", f"2026-07-06T14:30{E}"]),
    ("every monday through friday at 8", "weekly", "Every weekday at 08:00",
     [f"2026-06-16T08:00{E}", f"2026-06-17T08:00{E}", f"2026-06-18T08:00{E}"]),
    # every N minutes is elapsed real time from the next multiple of gcd(N, 60) past the hour
    ("every 15 minutes", "hourly", "Every 15 minutes (real time), from Mon 15 Jun 2026 14:45 EDT",
     [f"2026-06-15T14:45{E}", f"2026-06-15T15:00{E}", f"2026-06-15T15:15{E}"]),
    ("every 30 minutes", "hourly", "Every 30 minutes (real time), from Mon 15 Jun 2026 15:00 EDT",
     [f"2026-06-15T15:00{E}", f"2026-06-15T15:30{E}", f"2026-06-15T16:00{E}"]),
    ("every minute", "hourly", "Every minute (real time), from Mon 15 Jun 2026 14:31 EDT",
     [f"2026-06-15T14:31{E}", f"2026-06-15T14:32{E}", f"2026-06-15T14:33{E}"]),
    ("every half hour", "hourly", "Every 30 minutes (real time), from Mon 15 Jun 2026 15:00 EDT",
     [f"2026-06-15T15:00{E}", f"2026-06-15T15:30{E}", f"2026-06-15T16:00{E}"]),
    ("every 2 hours", "hourly", "Every 2 hours (real time), from Mon 15 Jun 2026 15:00 EDT",
     [f"2026-06-15T15:00{E}", f"2026-06-15T17:00{E}", f"2026-06-15T19:00{E}"]),
    ("every hour", "hourly", "Every hour (real time), from Mon 15 Jun 2026 15:00 EDT",
     [f"2026-06-15T15:00{E}", f"2026-06-15T16:00{E}", f"2026-06-15T17:00{E}"]),
    ("hourly", "hourly", "Every hour (real time), from Mon 15 Jun 2026 15:00 EDT",
     [f"2026-06-15T15:00{E}", f"2026-06-15T16:00{E}", f"2026-06-15T17:00{E}"]),
    ("every 120 minutes", "hourly", "Every 2 hours (real time), from Mon 15 Jun 2026 15:00 EDT",
     [f"2026-06-15T15:00{E}", f"2026-06-15T17:00{E}", f"2026-06-15T19:00{E}"]),
    ("every 2 hours starting at 10pm", "hourly",
     "Every 2 hours (real time), from Mon 15 Jun 2026 22:00 EDT",
     [f"2026-06-15T22:00{E}", f"2026-06-16T00:00{E}", f"2026-06-16T02:00{E}"]),
    ("every month on the 1st at 10:00", "monthly", "Every month on the 1st at 10:00",
     [f"2026-07-01T10:00{E}", f"2026-08-01T10:00{E}", f"2026-09-01T10:00{E}"]),
    ("monthly on the 15th at 9am", "monthly", "Every month on the 15th at 09:00",
     [f"2026-07-15T09:00{E}", f"2026-08-15T09:00{E}", f"2026-09-15T09:00{E}"]),
    ("every month on the 31st at 10:00", "monthly",
     "Every month on the 31st at 10:00 (the last day in shorter months)",
     [f"2026-06-30T10:00{E}", f"2026-07-31T10:00{E}", f"2026-08-31T10:00{E}"]),
    ("on the 1st of every month at noon", "monthly", "Every month on the 1st at 12:00",
     [f"2026-07-01T12:00{E}", f"2026-08-01T12:00{E}", f"2026-09-01T12:00{E}"]),
    ("every 3 months on the 20th at 8am", "monthly", "Every 3 months on the 20th at 08:00",
     [f"2026-06-20T08:00{E}", f"2026-09-20T08:00{E}", f"2026-12-20T08:00{S}"]),
    ("every month on the last day at 23:00", "monthly",
     "Every month on the 31st at 23:00 (the last day in shorter months)",
     [f"2026-06-30T23:00{E}", f"2026-07-31T23:00{E}", f"2026-08-31T23:00{E}"]),
    ("every year on march 3 at 8am", "yearly", "Every year on 3 March at 08:00",
     [f"2027-03-03T08:00{S}", f"2028-03-03T08:00{S}", f"2029-03-03T08:00{S}"]),
    ("every year on 25 december at 7am", "yearly", "Every year on 25 December at 07:00",
     [f"2026-12-25T07:00{S}", f"2027-12-25T07:00{S}", f"2028-12-25T07:00{S}"]),
    ("yearly on feb 29 at 8", "yearly",
     "Every year on 29 February at 08:00 (28 February in common years)",
     [f"2027-02-28T08:00{S}", f"2028-02-29T08:00{S}", f"2029-02-28T08:00{S}"]),
    ("every dec 25 at 7am", "yearly", "Every year on 25 December at 07:00",
     [f"2026-12-25T07:00{S}", f"2027-12-25T07:00{S}", f"2028-12-25T07:00{S}"]),
    ("annually on july 4 at noon", "yearly", "Every year on 4 July at 12:00",
     [f"2026-07-04T12:00{E}", f"2027-07-04T12:00{E}", f"2028-07-04T12:00{E}"]),
    ("every 2 years on jan 1 at 00:00", "yearly", "Every 2 years on 1 January at 00:00",
     [f"2027-01-01T00:00{S}", f"2029-01-01T00:00{S}", f"2031-01-01T00:00{S}"]),
    ("every morning", "daily", "Every day at 09:00",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("every evening at 7", "daily", "Every day at 19:00",
     [f"2026-06-15T19:00{E}", f"2026-06-16T19:00{E}", f"2026-06-17T19:00{E}"]),
    ("every night at 10", "daily", "Every day at 22:00",
     [f"2026-06-15T22:00{E}", f"2026-06-16T22:00{E}", f"2026-06-17T22:00{E}"]),
    # bounds and counts
    ("every day at 9 starting tomorrow", "daily", "Every day at 09:00",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("every day at 9 starting next monday", "daily", "Every day at 09:00",
     [f"2026-06-22T09:00{E}", f"2026-06-23T09:00{E}", f"2026-06-24T09:00{E}"]),
    ("every day at 9 starting dec 1", "daily", "Every day at 09:00",
     [f"2026-12-01T09:00{S}", f"2026-12-02T09:00{S}", f"2026-12-03T09:00{S}"]),
    ("every day starting tomorrow at 10", "daily", "Every day at 10:00",
     [f"2026-06-16T10:00{E}", f"2026-06-17T10:00{E}", f"2026-06-18T10:00{E}"]),
    ("every day at 9 until jun 17", "daily",
     "Every day at 09:00, until Wed 17 Jun 2026 23:59 EDT",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}"]),
    ("every day at 9 3 times", "daily", "Every day at 09:00, 3 times",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("every weekday at 9am until friday", "weekly",
     "Every weekday at 09:00, until Fri 19 Jun 2026 23:59 EDT",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}",
      f"2026-06-19T09:00{E}"]),
    ("every day at 9 twice", "daily", "Every day at 09:00, 2 times",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}"]),
    ("every 15 minutes 2 times", "hourly",
     "Every 15 minutes (real time), from Mon 15 Jun 2026 14:45 EDT, 2 times",
     [f"2026-06-15T14:45{E}", f"2026-06-15T15:00{E}"]),
    # cron, including the original design's examples
    ("0 9 * * *", "cron", "At 09:00",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("0 9 * * 1-5", "cron", "At 09:00, Monday through Friday",
     [f"2026-06-16T09:00{E}", f"2026-06-17T09:00{E}", f"2026-06-18T09:00{E}"]),
    ("30 14 1 * *", "cron", "At 14:30, on day 1 of the month",
     [f"2026-07-01T14:30{E}", f"2026-08-01T14:30{E}", f"2026-09-01T14:30{E}"]),
    ("0 0 * * 0", "cron", "At 00:00, only on Sunday",
     [f"2026-06-21T00:00{E}", f"2026-06-28T00:00{E}", f"2026-07-05T00:00{E}"]),
    ("*/15 * * * *", "cron", "Every 15 minutes",
     [f"2026-06-15T14:45{E}", f"2026-06-15T15:00{E}", f"2026-06-15T15:15{E}"]),
    ("0 0 * * 7", "cron", "At 00:00, only on Sunday",
     [f"2026-06-21T00:00{E}", f"2026-06-28T00:00{E}", f"2026-07-05T00:00{E}"]),
    ("0 9 1,15 * mon", "cron", "At 09:00, on day 1 and 15 of the month, or on Monday",
     [f"2026-06-22T09:00{E}", f"2026-06-29T09:00{E}", f"2026-07-01T09:00{E}"]),
    ("@daily", "cron", "At 00:00",
     [f"2026-06-16T00:00{E}", f"2026-06-17T00:00{E}", f"2026-06-18T00:00{E}"]),
    ("0 9 * * MON-FRI starting next week", "cron", "At 09:00, Monday through Friday",
     [f"2026-06-22T09:00{E}", f"2026-06-23T09:00{E}", f"2026-06-24T09:00{E}"]),
    ("0 18 * * 1,3 until jun 20", "cron",
     "At 18:00, only on Monday and Wednesday, until Sat 20 Jun 2026 23:59 EDT",
     [f"2026-06-15T18:00{E}", f"2026-06-17T18:00{E}"]),
    # a zone in the text becomes the schedule's zone
    ("every day at 9am PST", "daily", "Every day at 09:00",
     ["2026-06-16T09:00-07:00", "2026-06-17T09:00-07:00", "2026-06-18T09:00-07:00"]),
    ("every weekday at 9 in europe/paris", "weekly", "Every weekday at 09:00",
     ["2026-06-16T09:00+02:00", "2026-06-17T09:00+02:00", "2026-06-18T09:00+02:00"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "description", "runs"), RECURRING)
def test_recurring_phrase(text: str, kind: str, description: str, runs: list[str]) -> None:
    """The phrase gives the expected kind, description and first runs (and no more runs)."""
    rule = parse_when(text, NOW, NEW_YORK)
    assert rule.kind.value == kind
    assert describe(rule) == description
    shown = [t.isoformat(timespec="minutes") for t in itertools.islice(rule.occurrences(NOW), 5)]
    assert shown[: len(runs)] == runs
    if len(runs) < 3:  # bounded by count or until: nothing after the listed runs
        assert shown == runs
    assert rule.anchor > NOW
    assert rule.local_anchor.isoformat(timespec="minutes") == runs[0]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("every 1.5 minutes", "whole number of minutes"),
        ("every 600000 minutes", "too far apart"),
        ("every 11 years", "too far apart"),
        ("every 10 seconds", "shortest repeat"),
        ("every blursday", "the word 'blursday'"),
        ("every 0 days", "at least 1"),
        ("every day at 9 0 times", "at least 1"),
        ("every day at 9 until yesterday", "in the past"),
        ("every day at 9 until jun 10 2026", "in the past"),
        ("every day at 9 starting dec 1 until nov 1", "comes before the first run"),
        ("every year on feb 30", "no year has"),
        ("every month on the 32nd", "There is no 32nd day of a month"),
        ("every day at 9 starting", "stops after 'starting'"),
        ("every day at 9 starting monday starting tuesday", "two 'starting' bounds"),
        ("every day on monday", "'on monday'"),
        ("61 * * * *", "minute field '61'"),
        ("0 25 * * *", "hour field '25'"),
        ("0 0 32 * *", "day-of-month field '32'"),
        ("0 0 * 13 *", "month field '13'"),
        ("0 0 * * 8", "day-of-week field '8'"),
        ("0 0 * * 1#2", "not standard cron"),
        ("0 0 30 2 *", "never matches"),
        ("every day at 9am PST in tokyo", "two time zones"),
    ],
)
def test_repeating_errors(text: str, fragment: str) -> None:
    """Repeating text that cannot be honoured is a ParseError that says what is wrong."""
    with pytest.raises(ParseError) as caught:
        parse_when(text, NOW, NEW_YORK)
    assert fragment in caught.value.message
