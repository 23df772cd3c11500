"""Named holidays in the time language: "christmas", "thanksgiving", "easter monday".

:func:`find_holiday` takes the holiday's name out of normalised text.  Each :class:`Holiday`
knows its date in any year; :attr:`Holiday.yearly_rule` says how a yearly schedule can follow it
(a fixed date or the nth weekday of a month), or ``None`` when no such rule exists.  US dates are
used where countries differ (Thanksgiving, Mother's Day, Labor Day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.scheduling import wallclock


@dataclass(frozen=True)
class FixedDate:
    """The same day every year: 25 December."""

    month: int
    day: int


@dataclass(frozen=True)
class NthWeekday:
    """The nth weekday of a month: 4th Thursday of November.  Monday is 0; ordinal -1 is last."""

    month: int
    ordinal: int
    weekday: int


@dataclass(frozen=True)
class FromEaster:
    """A number of days after Easter Sunday (negative before it): Good Friday is -2."""

    days: int


@dataclass(frozen=True)
class DayAfter:
    """A number of days after another rule's date: Black Friday follows Thanksgiving."""

    rule: NthWeekday
    days: int


Rule = FixedDate | NthWeekday | FromEaster | DayAfter


def easter_sunday(year: int) -> date:
    """Western Easter Sunday, by the Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def nth_weekday(year: int, rule: NthWeekday) -> date:
    """The date of ``rule`` in ``year`` (ordinal -1: the last such weekday of the month)."""
    day = wallclock.nth_weekday(year, rule.month, rule.weekday, rule.ordinal)
    assert day is not None  # holidays use ordinals 1-4 and -1, which every month has
    return day


@dataclass(frozen=True)
class Holiday:
    """A holiday by its display name and the rule that gives its date each year."""

    name: str
    rule: Rule

    def date_in(self, year: int) -> date:
        """The holiday's date in ``year``."""
        rule = self.rule
        if isinstance(rule, FixedDate):
            return date(year, rule.month, rule.day)
        if isinstance(rule, NthWeekday):
            return nth_weekday(year, rule)
        if isinstance(rule, FromEaster):
            return easter_sunday(year) + timedelta(days=rule.days)
        return nth_weekday(year, rule.rule) + timedelta(days=rule.days)

    def next_on_or_after(self, day: date) -> date:
        """The first date of the holiday on or after ``day``: this year's or next year's."""
        this_year = self.date_in(day.year)
        return this_year if this_year >= day else self.date_in(day.year + 1)

    @property
    def yearly_rule(self) -> FixedDate | NthWeekday | None:
        """How a yearly schedule repeats it, or ``None`` when no calendar rule can.

        Easter and the days counted from it move with the moon.  Black Friday is also ``None``:
        it is the day after the 4th Thursday of November, which is the 4th Friday in most years
        but the 5th when November starts on a Friday (2024: the 29th), and not always the last
        Friday either (the 23rd when November starts on a Thursday, as in 2029).
        """
        return self.rule if isinstance(self.rule, FixedDate | NthWeekday) else None


_THANKSGIVING = NthWeekday(11, 4, 3)
_APOSTROPHE_S = r"(?:'s|s'|s)?"  # "mother's", "mothers'", "mothers", "mother"

# (display name, rule, name patterns); the patterns match normalised text, whole words only.
_TABLE: list[tuple[str, Rule, list[str]]] = [
    ("Christmas Eve", FixedDate(12, 24), [r"(?:christmas|xmas|x-mas) eve"]),
    ("Christmas Day", FixedDate(12, 25), [r"(?:christmas|xmas|x-mas)(?: day)?"]),
    ("Boxing Day", FixedDate(12, 26), [r"boxing day"]),
    ("New Year's Eve", FixedDate(12, 31), [rf"new year{_APOSTROPHE_S} eve", r"nye"]),
    ("New Year's Day", FixedDate(1, 1), [rf"new year{_APOSTROPHE_S}(?: day)?"]),
    ("Halloween", FixedDate(10, 31), [r"hallowe'?en"]),
    (
        "Valentine's Day",
        FixedDate(2, 14),
        [rf"(?:st |saint )?valentine{_APOSTROPHE_S}(?: day)?"],
    ),
    ("Easter Monday", FromEaster(1), [r"easter monday"]),
    ("Easter Sunday", FromEaster(0), [r"easter(?: sunday| day)?"]),
    ("Good Friday", FromEaster(-2), [r"good friday"]),
    ("Black Friday", DayAfter(_THANKSGIVING, 1), [r"black friday"]),
    ("Thanksgiving", _THANKSGIVING, [r"thanksgiving(?: day)?"]),
    ("Mother's Day", NthWeekday(5, 2, 6), [rf"mother{_APOSTROPHE_S} day"]),
    ("Father's Day", NthWeekday(6, 3, 6), [rf"father{_APOSTROPHE_S} day"]),
    (
        "Martin Luther King Jr. Day",
        NthWeekday(1, 3, 0),
        [r"mlk(?: jr)?(?: day)?", r"martin luther king(?: jr)?(?: day)?"],
    ),
    ("Memorial Day", NthWeekday(5, -1, 0), [r"memorial day"]),
    ("Labor Day", NthWeekday(9, 1, 0), [r"labou?r day"]),
    (
        "St. Patrick's Day",
        FixedDate(3, 17),
        [
            rf"(?:st |saint )?patrick{_APOSTROPHE_S} day",
            rf"(?:st|saint) patrick{_APOSTROPHE_S}",
            rf"(?:st |saint )?paddy{_APOSTROPHE_S} day",
        ],
    ),
    (
        "Independence Day",
        FixedDate(7, 4),
        [r"independence day", r"(?:the )?(?:fourth|4th) of july"],
    ),
    ("Presidents' Day", NthWeekday(2, 3, 0), [rf"president{_APOSTROPHE_S} day"]),
    ("Columbus Day", NthWeekday(10, 2, 0), [r"columbus day"]),
    ("Veterans Day", FixedDate(11, 11), [rf"veteran{_APOSTROPHE_S} day"]),
    ("Groundhog Day", FixedDate(2, 2), [r"groundhog day"]),
    ("Earth Day", FixedDate(4, 22), [r"earth day"]),
    ("May Day", FixedDate(5, 1), [r"may day"]),
    ("Juneteenth", FixedDate(6, 19), [r"juneteenth"]),
    ("Cinco de Mayo", FixedDate(5, 5), [r"cinco de mayo"]),
    ("All Saints' Day", FixedDate(11, 1), [rf"all saint{_APOSTROPHE_S}(?: day)?"]),
    (
        "Guy Fawkes Night",
        FixedDate(11, 5),
        [r"guy fawkes(?: day| night)?", r"bonfire night"],
    ),
    ("Canada Day", FixedDate(7, 1), [r"canada day"]),
    ("Australia Day", FixedDate(1, 26), [r"australia day"]),
    ("Anzac Day", FixedDate(4, 25), [r"anzac day"]),
]

HOLIDAYS: tuple[Holiday, ...] = tuple(Holiday(name, rule) for name, rule, _ in _TABLE)
_PATTERNS = [
    (holiday, re.compile(rf"(?<![\w'-])(?:{'|'.join(patterns)})(?![\w'-])"))
    for holiday, (_, _, patterns) in zip(HOLIDAYS, _TABLE, strict=True)
]


def find_holiday(text: str) -> tuple[Holiday, str] | None:
    """The holiday named in normalised ``text`` and the text without its name, or ``None``.

    When names overlap the longest wins ("christmas eve" over "christmas", "easter monday" over
    "easter"); ties go to the earliest in the text.
    """
    best: tuple[Holiday, re.Match[str]] | None = None
    for holiday, pattern in _PATTERNS:
        for found in pattern.finditer(text):
            if best is None or _better(found, best[1]):
                best = (holiday, found)
    if best is None:
        return None
    holiday, found = best
    rest = text[: found.start()] + " " + text[found.end() :]
    return holiday, re.sub(r"\s+", " ", rest).strip()


def _better(found: re.Match[str], than: re.Match[str]) -> bool:
    length, other = found.end() - found.start(), than.end() - than.start()
    return length > other or (length == other and found.start() < than.start())
