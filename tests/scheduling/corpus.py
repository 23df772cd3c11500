"""The labelled corpus of English time expressions (issue 10), by family, answers worked by hand.

Every expected answer here was computed by hand from the conventions of the time language (the
lead's brief for issue 10 and DESIGN.md section 2), and the calendar facts were checked with
``datetime`` in a scratch script: never by running our parser.  The tables are used by
``test_families.py`` (each case against ``parse_when``), ``test_rule_one.py`` (the valid phrases)
and ``bench/timelang_engines.py`` / ``bench/timelang.py`` (the one-shots and the junk).

The two clocks:

* ``PARIS``: Tuesday 1 December 2026, 14:30:00 in Europe/Paris (CET, UTC+1).
* ``NEW_YORK``: Friday 19 June 2026, 08:15:00 in America/New_York (EDT, UTC-4).
* ``PARIS_EVENING``: the same Tuesday at 21:00 in Paris, for "said on a Tuesday evening".

Readings used, beyond the conventions spelled out in the brief:

* "next" is strictly after now: a run at the very instant of asking is not the next one, so
  "every 15 minutes" asked at 14:30:00 first runs at 14:45.
* An ordinal day alone ("the 1st", "on the 3rd") is the next such day of a month at 09:00, like a
  holiday: this month's if its 09:00 is still ahead, else next month's.
* An nth weekday of a named month ("first friday of may") is the next such day: this year's if
  still ahead, else next year's.
* Mother's day and Father's day are the US ones (second Sunday of May, third Sunday of June), as
  are MLK day, thanksgiving and black friday; they are asked at the New York clock.
* A zone in the text decides "today": "friday 9am BST" asked on a Friday at 13:15 in London is
  next Friday, since 09:00 London time has passed.
* "every day at 9" reads 09:00 (the existing tables' reading of a recurrence's bare hour).
* "10:30" is ambiguous like "7:30" (hour 1-12, no am/pm); only a leading zero ("09:30") or an hour
  of 13-23 makes a colon time 24-hour.

Expected values: :class:`Once` is the local wall time of a one-shot (and the zone when the text
names one; otherwise the user's zone); :class:`Runs` is the first three local runs of a recurrence,
optionally its kind and its last run; :class:`Refused` is the word the error must name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

# Names of UTC that a parser may return for "UTC" in the text.
UTC_NAMES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"}
)


@dataclass(frozen=True)
class Clock:
    """Who asks, when: an aware ``now`` and the user's IANA zone."""

    now: datetime
    zone: str


PARIS = Clock(datetime(2026, 12, 1, 14, 30, tzinfo=ZoneInfo("Europe/Paris")), "Europe/Paris")
NEW_YORK = Clock(
    datetime(2026, 6, 19, 8, 15, tzinfo=ZoneInfo("America/New_York")), "America/New_York"
)
PARIS_EVENING = Clock(datetime(2026, 12, 1, 21, 0, tzinfo=ZoneInfo("Europe/Paris")), "Europe/Paris")


@dataclass(frozen=True)
class Once:
    """A one-shot at ``local`` ("YYYY-MM-DD HH:MM[:SS]") in ``zone`` (None: the user's zone)."""

    local: str
    zone: str | None = None


@dataclass(frozen=True)
class Runs:
    """A recurrence: its first three local runs; where it matters, its kind, zone and last run."""

    first: tuple[str, str, str]
    kind: str | None = None
    zone: str | None = None
    last: str | None = None


@dataclass(frozen=True)
class Refused:
    """Text that must raise ParseError with a message naming ``word``."""

    word: str


Expected = Once | Runs | Refused


@dataclass(frozen=True)
class Case:
    """One labelled phrase."""

    text: str
    now: datetime
    zone: str
    expected: Expected
    family: str

    @property
    def id(self) -> str:
        return f"{self.family}:{self.text}"


Row = tuple[Clock, str, Expected]


def _family(name: str, rows: list[Row]) -> list[Case]:
    return [Case(text, clock.now, clock.zone, expected, name) for clock, text, expected in rows]


def _runs(a: str, b: str, c: str, kind: str | None = None, **extra: str) -> Runs:
    return Runs((a, b, c), kind, **extra)


P, NY, PE = PARIS, NEW_YORK, PARIS_EVENING

ORDINAL_DATES = _family("ordinal_dates", [
    (P, "the second of june", Once("2027-06-02 09:00")),
    (P, "june second", Once("2027-06-02 09:00")),
    (P, "on the 3rd", Once("2026-12-03 09:00")),
    (P, "the 20th of this month", Once("2026-12-20 09:00")),
    (P, "the 3rd of june", Once("2027-06-03 09:00")),
    (P, "june 3rd at 10am", Once("2027-06-03 10:00")),
    (P, "the twenty-fifth of december", Once("2026-12-25 09:00")),
    (P, "december the 25th", Once("2026-12-25 09:00")),
    (P, "on the 15th at 6pm", Once("2026-12-15 18:00")),
    (P, "the 31st of january", Once("2027-01-31 09:00")),
    (P, "the 4th of next month", Once("2027-01-04 09:00")),
    (P, "the first of march at 08:30", Once("2027-03-01 08:30")),
    (P, "the 1st", Once("2027-01-01 09:00")),  # today's 09:00 has passed
    (NY, "the 19th", Once("2026-06-19 09:00")),  # today's 09:00 is still ahead
    (NY, "the 20th of this month", Once("2026-06-20 09:00")),
    (NY, "3rd of june", Once("2027-06-03 09:00")),
    (P, "the 25th", Once("2026-12-25 09:00")),
    (P, "on the 2nd at noon", Once("2026-12-02 12:00")),
    (P, "march the 3rd", Once("2027-03-03 09:00")),
    (P, "the twelfth of january at 7pm", Once("2027-01-12 19:00")),
    (NY, "on the 30th of this month", Once("2026-06-30 09:00")),
    (NY, "the 1st of july", Once("2026-07-01 09:00")),
])  # fmt: skip

NTH_WEEKDAY = _family("nth_weekday", [
    (P, "first friday of may", Once("2027-05-07 09:00")),
    (P, "last monday in august", Once("2027-08-30 09:00")),
    (P, "third day of july", Once("2027-07-03 09:00")),
    (P, "second tuesday of january", Once("2027-01-12 09:00")),
    (P, "first monday of next month", Once("2027-01-04 09:00")),
    (P, "last friday of this month", Once("2026-12-25 09:00")),
    (P, "the fourth thursday of november", Once("2027-11-25 09:00")),
    (P, "first sunday in march at 10am", Once("2027-03-07 10:00")),
    (P, "last day of february", Once("2027-02-28 09:00")),
    (P, "the second wednesday of december", Once("2026-12-09 09:00")),
    (P, "first tuesday of december", Once("2027-12-07 09:00")),  # this year's was today at 09:00
    (NY, "last saturday of june", Once("2026-06-27 09:00")),
    (NY, "third friday of june", Once("2026-06-19 09:00")),  # today, 09:00 still ahead
    (P, "the third monday of january", Once("2027-01-18 09:00")),
    (P, "second sunday of may", Once("2027-05-09 09:00")),
    (P, "last thursday of december at 8pm", Once("2026-12-31 20:00")),
    (P, "first wednesday in january", Once("2027-01-06 09:00")),
    (NY, "first monday of july", Once("2026-07-06 09:00")),
    (NY, "the last day of june", Once("2026-06-30 09:00")),
])  # fmt: skip

COUNTED_WEEKDAYS = _family("counted_weekdays", [
    (P, "2 mondays from now", Once("2026-12-14 09:00")),
    (P, "thursday after next", Once("2026-12-10 09:00")),
    (P, "friday of next week", Once("2026-12-11 09:00")),
    (P, "friday next week", Once("2026-12-11 09:00")),
    (P, "next friday", Once("2026-12-04 09:00")),
    (P, "this friday", Once("2026-12-04 09:00")),
    (P, "next tuesday", Once("2026-12-08 09:00")),
    (P, "tuesday", Once("2026-12-08 09:00")),  # today's 09:00 has passed
    (P, "tuesday at 6pm", Once("2026-12-01 18:00")),  # today, still ahead
    (P, "3 fridays from now", Once("2026-12-18 09:00")),
    (P, "monday after next", Once("2026-12-14 09:00")),
    (P, "wednesday of next week at 10am", Once("2026-12-09 10:00")),
    (P, "tuesday after next", Once("2026-12-15 09:00")),  # the coming Tuesday is the 8th
    (NY, "friday", Once("2026-06-19 09:00")),
    (NY, "next friday", Once("2026-06-26 09:00")),
    (NY, "monday of next week", Once("2026-06-22 09:00")),
    (NY, "saturday next week", Once("2026-06-27 09:00")),
    (P, "sunday after next", Once("2026-12-13 09:00")),
    (P, "2 fridays from now", Once("2026-12-11 09:00")),
    (P, "thursday next week", Once("2026-12-10 09:00")),
    (P, "next wednesday at 3pm", Once("2026-12-02 15:00")),
    (NY, "wednesday after next", Once("2026-07-01 09:00")),
    (NY, "friday next week", Once("2026-06-26 09:00")),
])  # fmt: skip

CLOCK_PHRASES = _family("clock_phrases", [
    (P, "a quarter past six", Once("2026-12-01 18:15")),
    (P, "ten to noon", Once("2026-12-02 11:50")),
    (P, "half seven", Once("2026-12-01 19:30")),
    (P, "4 o'clock", Once("2026-12-01 16:00")),
    (P, "19h45", Once("2026-12-01 19:45")),
    (P, "at 7 45", Once("2026-12-01 19:45")),
    (P, "745 pm", Once("2026-12-01 19:45")),
    (P, "seven forty five p.m.", Once("2026-12-01 19:45")),
    (P, "noon", Once("2026-12-02 12:00")),
    (P, "midday", Once("2026-12-02 12:00")),
    (P, "midnight", Once("2026-12-02 00:00")),
    (P, "at midnight", Once("2026-12-02 00:00")),
    (P, "at 2", Once("2026-12-02 02:00")),  # 14:00 has passed
    (P, "twenty past three", Once("2026-12-01 15:20")),
    (P, "a quarter to nine", Once("2026-12-01 20:45")),
    (P, "five past four", Once("2026-12-01 16:05")),
    (P, "at 09:30", Once("2026-12-02 09:30")),
    (P, "21:30", Once("2026-12-01 21:30")),
    (P, "at 7:30", Once("2026-12-01 19:30")),
    (P, "noon tomorrow", Once("2026-12-02 12:00")),
    (P, "8am", Once("2026-12-02 08:00")),
    (NY, "at 8", Once("2026-06-19 20:00")),  # 08:00 has passed
    (NY, "half eight", Once("2026-06-19 08:30")),
    (P, "quarter past eleven", Once("2026-12-01 23:15")),
    (P, "half past ten", Once("2026-12-01 22:30")),
    (P, "ten past midnight", Once("2026-12-02 00:10")),
    (P, "five to six", Once("2026-12-01 17:55")),
    (P, "07:05", Once("2026-12-02 07:05")),
    (P, "at 3:45 pm", Once("2026-12-01 15:45")),
    (P, "six thirty pm", Once("2026-12-01 18:30")),
    (P, "1 o'clock", Once("2026-12-02 01:00")),  # 13:00 has passed
    (NY, "quarter to nine", Once("2026-06-19 08:45")),
])  # fmt: skip

NUMBER_WORDS = _family("number_words", [
    (P, "in two hours", Once("2026-12-01 16:30")),
    (P, "in a quarter of an hour", Once("2026-12-01 14:45")),
    (P, "in 1/2 hour", Once("2026-12-01 15:00")),
    (P, "in one and a half hours", Once("2026-12-01 16:00")),
    (P, "a day from now", Once("2026-12-02 14:30")),
    (P, "5 days hence", Once("2026-12-06 14:30")),
    (P, "a fortnight from now", Once("2026-12-15 14:30")),
    (P, "in three days", Once("2026-12-04 14:30")),
    (P, "in twenty minutes", Once("2026-12-01 14:50")),
    (P, "in an hour and a half", Once("2026-12-01 16:00")),
    (P, "in two and a half hours", Once("2026-12-01 17:00")),
    (P, "in ninety minutes", Once("2026-12-01 16:00")),
    (P, "in forty-five minutes", Once("2026-12-01 15:15")),
    (P, "in 3/4 of an hour", Once("2026-12-01 15:15")),
    (P, "an hour from now", Once("2026-12-01 15:30")),
    (P, "two weeks from now", Once("2026-12-15 14:30")),
    (P, "in a month", Once("2027-01-01 14:30")),
    (P, "in four months", Once("2027-04-01 14:30")),  # calendar unit: the wall clock, across DST
    (P, "in 3000 hours", Once("2027-04-05 15:30")),  # clock unit: real time, across DST
    (P, "in fifteen minutes", Once("2026-12-01 14:45")),
    (P, "in half an hour", Once("2026-12-01 15:00")),
    (P, "three days from now", Once("2026-12-04 14:30")),
    (P, "in one week", Once("2026-12-08 14:30")),
    (P, "in 2.5 hours", Once("2026-12-01 17:00")),
    (P, "in twelve hours", Once("2026-12-02 02:30")),
    (NY, "in an hour", Once("2026-06-19 09:15")),
])  # fmt: skip

DAY_PARTS = _family("day_parts", [
    (P, "6 in the morning", Once("2026-12-02 06:00")),
    (P, "tomorrow evening at 8", Once("2026-12-02 20:00")),
    (P, "8 tonight", Once("2026-12-01 20:00")),
    (P, "this afternoon at 4", Once("2026-12-01 16:00")),
    (P, "tomorrow morning", Once("2026-12-02 09:00")),
    (P, "this evening", Once("2026-12-01 19:00")),
    (P, "tonight", Once("2026-12-01 20:00")),
    (P, "tomorrow afternoon", Once("2026-12-02 15:00")),
    (P, "at 8 in the evening", Once("2026-12-01 20:00")),
    (P, "friday night", Once("2026-12-04 20:00")),
    (P, "tomorrow night at 11", Once("2026-12-02 23:00")),
    (P, "3 in the afternoon", Once("2026-12-01 15:00")),
    (P, "monday morning at 7", Once("2026-12-07 07:00")),
    (P, "10 at night", Once("2026-12-01 22:00")),
    (P, "7 in the evening", Once("2026-12-01 19:00")),
    (NY, "this morning at 10", Once("2026-06-19 10:00")),
    (NY, "tonight at 9", Once("2026-06-19 21:00")),
    (P, "tomorrow at 7 in the evening", Once("2026-12-02 19:00")),
    (P, "tuesday evening", Once("2026-12-01 19:00")),  # today, still ahead
    (P, "saturday afternoon", Once("2026-12-05 15:00")),
    (P, "tomorrow at 5 in the afternoon", Once("2026-12-02 17:00")),
    (P, "11 at night", Once("2026-12-01 23:00")),
    (P, "this evening at 6", Once("2026-12-01 18:00")),
    (NY, "this afternoon", Once("2026-06-19 15:00")),
    (NY, "tomorrow morning at 6", Once("2026-06-20 06:00")),
])  # fmt: skip

HOLIDAYS = _family("holidays", [
    (P, "christmas", Once("2026-12-25 09:00")),
    (P, "christmas day", Once("2026-12-25 09:00")),
    (P, "christmas eve", Once("2026-12-24 09:00")),
    (P, "new year's eve", Once("2026-12-31 09:00")),
    (P, "new year's day", Once("2027-01-01 09:00")),
    (P, "halloween", Once("2027-10-31 09:00")),
    (P, "valentine's day", Once("2027-02-14 09:00")),
    (P, "easter", Once("2027-03-28 09:00")),
    (P, "easter monday", Once("2027-03-29 09:00")),
    (P, "thanksgiving", Once("2027-11-25 09:00")),  # 2026's was 26 November
    (P, "black friday", Once("2027-11-26 09:00")),
    (P, "st patrick's day", Once("2027-03-17 09:00")),
    (P, "mlk day", Once("2027-01-18 09:00")),
    (P, "christmas at 8am", Once("2026-12-25 08:00")),
    # midnight on a named day could start it or end it: refused (say 00:00, or name the next day)
    (P, "new year's day at 00:00", Once("2027-01-01 00:00")),
    (NY, "mother's day", Once("2027-05-09 09:00")),
    (NY, "father's day", Once("2026-06-21 09:00")),
    (NY, "independence day", Once("2026-07-04 09:00")),
    (NY, "halloween at 7pm", Once("2026-10-31 19:00")),
    (NY, "mlk day", Once("2027-01-18 09:00")),
    (P, "new year's eve at 11pm", Once("2026-12-31 23:00")),
    (P, "valentine's day at 8pm", Once("2027-02-14 20:00")),
    (P, "christmas day at noon", Once("2026-12-25 12:00")),
    (P, "independence day", Once("2027-07-04 09:00")),
    (P, "father's day", Once("2027-06-20 09:00")),
    (NY, "thanksgiving", Once("2026-11-26 09:00")),
    (NY, "black friday", Once("2026-11-27 09:00")),
    (NY, "christmas", Once("2026-12-25 09:00")),
    (NY, "easter", Once("2027-03-28 09:00")),
    (NY, "st patrick's day", Once("2027-03-17 09:00")),
    (NY, "new year's day", Once("2027-01-01 09:00")),
    (NY, "every year on independence day at 9pm",
     _runs("2026-07-04 21:00", "2027-07-04 21:00", "2028-07-04 21:00", "yearly")),
    (P, "every year on easter monday", Refused("easter")),
    (P, "every year on christmas at 8am",
     _runs("2026-12-25 08:00", "2027-12-25 08:00", "2028-12-25 08:00", "yearly")),
    (P, "every day at 9 until christmas",
     _runs("2026-12-02 09:00", "2026-12-03 09:00", "2026-12-04 09:00", "daily",
           last="2026-12-25 09:00")),
    (P, "every year on thanksgiving",
     _runs("2027-11-25 09:00", "2028-11-23 09:00", "2029-11-22 09:00", "yearly")),
    (P, "every year on halloween at 6pm",
     _runs("2027-10-31 18:00", "2028-10-31 18:00", "2029-10-31 18:00", "yearly")),
    (P, "every year on easter", Refused("easter")),  # Easter moves: no yearly rule for it
])  # fmt: skip

ZONES = _family("zones", [
    (P, "friday 9am BST", Once("2026-12-04 09:00", "Europe/London")),
    (P, "at 15:00 UTC", Once("2026-12-01 15:00", "UTC")),
    (P, "8pm CET", Once("2026-12-01 20:00", "Europe/Paris")),
    (P, "tomorrow at 9am PST", Once("2026-12-02 09:00", "America/Los_Angeles")),
    (P, "at 09:00 in Europe/London", Once("2026-12-02 09:00", "Europe/London")),
    # GMT is UTC all year (Greenwich Mean Time has no summer time; BST is London's).
    (P, "at 6pm GMT", Once("2026-12-01 18:00", "UTC")),
    (P, "monday 8am CEST", Once("2026-12-07 08:00", "Europe/Paris")),
    (P, "at 23:00 Asia/Tokyo", Once("2026-12-01 23:00", "Asia/Tokyo")),  # 22:30 there
    (P, "at 8am Asia/Kolkata", Once("2026-12-02 08:00", "Asia/Kolkata")),  # 19:00 there
    (NY, "friday 9am BST", Once("2026-06-26 09:00", "Europe/London")),  # 13:15 in London
    (NY, "at 17:00 UTC", Once("2026-06-19 17:00", "UTC")),
    (NY, "tomorrow 7am PDT", Once("2026-06-20 07:00", "America/Los_Angeles")),
    (NY, "at 9pm CEST", Once("2026-06-19 21:00", "Europe/Paris")),
    (P, "tomorrow at noon UTC", Once("2026-12-02 12:00", "UTC")),
    (P, "at 9am in America/New_York", Once("2026-12-01 09:00", "America/New_York")),  # 08:30 there
    (P, "friday 5pm PST", Once("2026-12-04 17:00", "America/Los_Angeles")),
    (NY, "at 7pm GMT", Once("2026-06-19 19:00", "UTC")),
    (NY, "at 10pm UTC", Once("2026-06-19 22:00", "UTC")),
    (NY, "tomorrow 8am CET", Once("2026-06-20 08:00", "Europe/Paris")),
    (P, "every monday at 9am BST",
     _runs("2026-12-07 09:00", "2026-12-14 09:00", "2026-12-21 09:00", "weekly",
           zone="Europe/London")),
    (P, "every day at 9am PST",
     _runs("2026-12-01 09:00", "2026-12-02 09:00", "2026-12-03 09:00", "daily",
           zone="America/Los_Angeles")),  # 05:30 there
])  # fmt: skip

APPROXIMATIONS = _family("approximations", [
    (P, "around 3pm", Once("2026-12-01 15:00")),
    (P, "5ish", Once("2026-12-01 17:00")),
    (P, "about 10:30", Once("2026-12-01 22:30")),
    (P, "at around 5", Once("2026-12-01 17:00")),
    (P, "around noon", Once("2026-12-02 12:00")),
    (P, "about 9am tomorrow", Once("2026-12-02 09:00")),
    (P, "8pmish", Once("2026-12-01 20:00")),
    (P, "approximately 4pm", Once("2026-12-01 16:00")),
    (P, "roughly 6pm", Once("2026-12-01 18:00")),
    (P, "tomorrow around 7am", Once("2026-12-02 07:00")),
    (P, "around 3", Once("2026-12-01 15:00")),
    (P, "at about half past four", Once("2026-12-01 16:30")),
    (P, "sevenish", Once("2026-12-01 19:00")),
    (NY, "around 9", Once("2026-06-19 09:00")),
    (P, "around 8pm tomorrow", Once("2026-12-02 20:00")),
    (P, "in about an hour", Once("2026-12-01 15:30")),
    (P, "around midnight", Once("2026-12-02 00:00")),
    (P, "10ish", Once("2026-12-01 22:00")),
    (P, "around half past six", Once("2026-12-01 18:30")),
    (NY, "around 10am", Once("2026-06-19 10:00")),
    (NY, "9ish", Once("2026-06-19 09:00")),
])  # fmt: skip

RECURRENCES = _family("recurrences", [
    (P, "every other friday at 5pm",
     _runs("2026-12-04 17:00", "2026-12-18 17:00", "2027-01-01 17:00", "weekly")),
    (P, "every first monday of the month",
     _runs("2026-12-07 09:00", "2027-01-04 09:00", "2027-02-01 09:00", "monthly")),
    (P, "the last friday of every month",
     _runs("2026-12-25 09:00", "2027-01-29 09:00", "2027-02-26 09:00", "monthly")),
    (P, "every second tuesday of the month",
     _runs("2026-12-08 09:00", "2027-01-12 09:00", "2027-02-09 09:00", "monthly")),
    (P, "every last monday of the month at 6pm",
     _runs("2026-12-28 18:00", "2027-01-25 18:00", "2027-02-22 18:00", "monthly")),
    (NY, "every hour on the half hour",
     _runs("2026-06-19 08:30", "2026-06-19 09:30", "2026-06-19 10:30", "hourly")),
    (P, "every day at 9am and 5pm",
     _runs("2026-12-01 17:00", "2026-12-02 09:00", "2026-12-02 17:00", "daily")),
    (P, "every day at noon and midnight",
     _runs("2026-12-02 00:00", "2026-12-02 12:00", "2026-12-03 00:00", "daily")),
    (NY, "every 30m", _runs("2026-06-19 08:30", "2026-06-19 09:00", "2026-06-19 09:30")),
    (NY, "every 1h", _runs("2026-06-19 09:00", "2026-06-19 10:00", "2026-06-19 11:00", "hourly")),
    (NY, "every 90 minutes", _runs("2026-06-19 09:00", "2026-06-19 10:30", "2026-06-19 12:00")),
    (NY, "every 45 minutes", _runs("2026-06-19 08:30", "2026-06-19 09:15", "2026-06-19 10:00")),
    (NY, "every 7 minutes", _runs("2026-06-19 08:16", "2026-06-19 08:23", "2026-06-19 08:30")),
    (NY, "every 20 minutes", _runs("2026-06-19 08:20", "2026-06-19 08:40", "2026-06-19 09:00")),
    (NY, "every 1440 minutes",
     _runs("2026-06-19 09:00", "2026-06-20 09:00", "2026-06-21 09:00")),
    (P, "every 15 minutes",  # asked at 14:30:00 sharp: "next" is strictly after now
     _runs("2026-12-01 14:45", "2026-12-01 15:00", "2026-12-01 15:15")),
    (NY, "every 2 hours",
     _runs("2026-06-19 09:00", "2026-06-19 11:00", "2026-06-19 13:00", "hourly")),
    (NY, "hourly", _runs("2026-06-19 09:00", "2026-06-19 10:00", "2026-06-19 11:00", "hourly")),
    (NY, "every 15 minutes starting at 10am",
     _runs("2026-06-19 10:00", "2026-06-19 10:15", "2026-06-19 10:30")),
    (NY, "every hour from 10am",
     _runs("2026-06-19 10:00", "2026-06-19 11:00", "2026-06-19 12:00", "hourly")),
    (P, "every weekday except friday",
     _runs("2026-12-02 09:00", "2026-12-03 09:00", "2026-12-07 09:00", "weekly")),
    (P, "twice a week on tuesday and thursday",
     _runs("2026-12-03 09:00", "2026-12-08 09:00", "2026-12-10 09:00", "weekly")),
    (P, "every monday and wednesday at 18:00",
     _runs("2026-12-02 18:00", "2026-12-07 18:00", "2026-12-09 18:00", "weekly")),
    (P, "every weekday at 9am",
     _runs("2026-12-02 09:00", "2026-12-03 09:00", "2026-12-04 09:00", "weekly")),
    (P, "every month on the 1st at 10:00",
     _runs("2027-01-01 10:00", "2027-02-01 10:00", "2027-03-01 10:00", "monthly")),
    (P, "every year on march 3 at 8am",
     _runs("2027-03-03 08:00", "2028-03-03 08:00", "2029-03-03 08:00", "yearly")),
    (P, "daily", _runs("2026-12-02 14:30", "2026-12-03 14:30", "2026-12-04 14:30", "daily")),
    (P, "every 3 days",
     _runs("2026-12-04 14:30", "2026-12-07 14:30", "2026-12-10 14:30", "daily")),
    (P, "every morning",
     _runs("2026-12-02 09:00", "2026-12-03 09:00", "2026-12-04 09:00", "daily")),
    (P, "every evening",
     _runs("2026-12-01 19:00", "2026-12-02 19:00", "2026-12-03 19:00", "daily")),
    (P, "every other day at 8am",
     _runs("2026-12-02 08:00", "2026-12-04 08:00", "2026-12-06 08:00", "daily")),
    (NY, "every 10 minutes", _runs("2026-06-19 08:20", "2026-06-19 08:30", "2026-06-19 08:40")),
    (P, "every 5 minutes", _runs("2026-12-01 14:35", "2026-12-01 14:40", "2026-12-01 14:45")),
    (NY, "every 25 minutes", _runs("2026-06-19 08:20", "2026-06-19 08:45", "2026-06-19 09:10")),
    (NY, "every 3 hours",
     _runs("2026-06-19 09:00", "2026-06-19 12:00", "2026-06-19 15:00", "hourly")),
    (NY, "every 2 hours starting at noon",
     _runs("2026-06-19 12:00", "2026-06-19 14:00", "2026-06-19 16:00", "hourly")),
    (P, "every tuesday at 6pm",
     _runs("2026-12-01 18:00", "2026-12-08 18:00", "2026-12-15 18:00", "weekly")),
    (P, "every saturday and sunday at 10am",
     _runs("2026-12-05 10:00", "2026-12-06 10:00", "2026-12-12 10:00", "weekly")),
    (P, "every third thursday of the month",
     _runs("2026-12-17 09:00", "2027-01-21 09:00", "2027-02-18 09:00", "monthly")),
    (P, "every other monday",
     _runs("2026-12-07 09:00", "2026-12-21 09:00", "2027-01-04 09:00", "weekly")),
    (P, "every day at 8am and 8pm",
     _runs("2026-12-01 20:00", "2026-12-02 08:00", "2026-12-02 20:00", "daily")),
    (P, "every month on the 15th",
     _runs("2026-12-15 09:00", "2027-01-15 09:00", "2027-02-15 09:00", "monthly")),
    (P, "every year on july 4",
     _runs("2027-07-04 09:00", "2028-07-04 09:00", "2029-07-04 09:00", "yearly")),
    (P, "every weekday except monday at 7am",
     _runs("2026-12-02 07:00", "2026-12-03 07:00", "2026-12-04 07:00", "weekly")),
    (NY, "every friday at 5pm",
     _runs("2026-06-19 17:00", "2026-06-26 17:00", "2026-07-03 17:00", "weekly")),
])  # fmt: skip

SILENT_MISREADS = _family("silent_misreads", [
    (P, "9 tomorrow", Once("2026-12-02 09:00")),
    (P, "9 tomorrow evening", Once("2026-12-02 21:00")),
    (P, "9 tomorrow morning", Once("2026-12-02 09:00")),
    (P, "tomorrow 9", Once("2026-12-02 09:00")),
    (P, "5 tomorrow", Once("2026-12-02 05:00")),
    (P, "9 on monday", Once("2026-12-07 09:00")),
    (P, "Jul 18, Fri", Once("2031-07-18 09:00")),  # the next 18 July that is a Friday
    (P, "Sat Jul 18", Once("2037-07-18 09:00")),  # 2026's was in July, already past
    (P, "Dec 25, Fri", Once("2026-12-25 09:00")),
    (P, "Fri, Dec 25", Once("2026-12-25 09:00")),
    (PE, "every 2 weeks",
     _runs("2026-12-15 21:00", "2026-12-29 21:00", "2027-01-12 21:00", "weekly")),
    (P, "every 2 weeks",
     _runs("2026-12-15 14:30", "2026-12-29 14:30", "2027-01-12 14:30", "weekly")),
    (NY, "every 2 weeks",
     _runs("2026-07-03 08:15", "2026-07-17 08:15", "2026-07-31 08:15", "weekly")),
    (P, "every week", _runs("2026-12-08 14:30", "2026-12-15 14:30", "2026-12-22 14:30", "weekly")),
    (P, "every sunday",
     _runs("2026-12-06 09:00", "2026-12-13 09:00", "2026-12-20 09:00", "weekly")),
    (P, "every monday",
     _runs("2026-12-07 09:00", "2026-12-14 09:00", "2026-12-21 09:00", "weekly")),
    (NY, "every saturday",
     _runs("2026-06-20 09:00", "2026-06-27 09:00", "2026-07-04 09:00", "weekly")),
    (P, "10 tomorrow night", Once("2026-12-02 22:00")),
    (P, "8 tomorrow morning", Once("2026-12-02 08:00")),
    (NY, "Jul 18, Sat", Once("2026-07-18 09:00")),
    (P, "Mon, Jan 4", Once("2027-01-04 09:00")),
    (P, "every 3 weeks",
     _runs("2026-12-22 14:30", "2027-01-12 14:30", "2027-02-02 14:30", "weekly")),
    (P, "every thursday",
     _runs("2026-12-03 09:00", "2026-12-10 09:00", "2026-12-17 09:00", "weekly")),
    (NY, "every 2 days",
     _runs("2026-06-21 08:15", "2026-06-23 08:15", "2026-06-25 08:15", "daily")),
    (P, "every month",
     _runs("2027-01-01 14:30", "2027-02-01 14:30", "2027-03-01 14:30", "monthly")),
])  # fmt: skip

REFUSED = _family("refused", [
    (P, "new year's day at midnight", Refused("midnight")),
    (P, "friday at midnight", Refused("midnight")),
    (P, "blorp at 9", Refused("blorp")),
    (P, "tomorrow blorp", Refused("blorp")),
    (P, "every day at 9 please", Refused("please")),
    (P, "next fridya", Refused("fridya")),
    (P, "in 5 blorps", Refused("blorps")),
    (P, "tomorrow at 9 banana", Refused("banana")),
    (P, "every zorday", Refused("zorday")),
    (P, "at 9 on the moon", Refused("moon")),
    (P, "christmas at 8am please", Refused("please")),
    (P, "in two hourz", Refused("hourz")),
    (P, "quarter past blorp", Refused("blorp")),
    (P, "9 tomorrow maybe", Refused("maybe")),
    (P, "every weekday except blursday", Refused("blursday")),
    (P, "half seven xyzzy", Refused("xyzzy")),
    (NY, "friday 9am purple", Refused("purple")),
    (P, "every fortnight blorp", Refused("blorp")),
    (P, "next tuesday xyzzy", Refused("xyzzy")),
    (P, "in 3 glorbs", Refused("glorbs")),
    (P, "every monday at 9 kindly", Refused("kindly")),
    (P, "christmas eve purple", Refused("purple")),
    (P, "half past blorp", Refused("blorp")),
    (P, "the 3rd of smarch", Refused("smarch")),
])  # fmt: skip

FAMILIES: dict[str, list[Case]] = {
    cases[0].family: cases
    for cases in (
        ORDINAL_DATES, NTH_WEEKDAY, COUNTED_WEEKDAYS, CLOCK_PHRASES, NUMBER_WORDS, DAY_PARTS,
        HOLIDAYS, ZONES, APPROXIMATIONS, RECURRENCES, SILENT_MISREADS, REFUSED,
    )
}  # fmt: skip
CORPUS: list[Case] = [case for cases in FAMILIES.values() for case in cases]
ONE_SHOTS: list[Case] = [case for case in CORPUS if isinstance(case.expected, Once)]
RECURRING: list[Case] = [case for case in CORPUS if isinstance(case.expected, Runs)]
JUNK: list[Case] = [case for case in CORPUS if isinstance(case.expected, Refused)]


def same_zone(expected: str, got: str) -> bool:
    """Whether two IANA names are the same zone (the names of UTC are all one)."""
    return expected == got or (expected in UTC_NAMES and got in UTC_NAMES)


def local_instant(local: str, zone: str) -> datetime:
    """The aware instant of a wall time in ``zone`` (the first pass of a repeated hour)."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))


def expected_zone(case: Case) -> str:
    """The zone the answer must be in: the one the text names, else the user's."""
    assert not isinstance(case.expected, Refused)
    return case.expected.zone or case.zone


def expected_instant(case: Case) -> datetime:
    """The aware instant a one-shot case expects."""
    assert isinstance(case.expected, Once)
    return local_instant(case.expected.local, expected_zone(case))


def wall(moment: datetime) -> str:
    """``moment`` as the corpus writes it: "YYYY-MM-DD HH:MM", with ":SS" when not zero."""
    return moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
