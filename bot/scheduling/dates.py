"""The date grammar: which days a phrase names ("friday", "the 3rd", "first friday of may").

:func:`date_choice` reads the date part of a one-shot (the time of day, zone and day part already
taken off) into a :class:`DateChoice`: the days it may mean, in order.  ``strict`` means the text
names exactly one day, so a day that has passed is an error; otherwise the first day whose time is
still ahead is used ("friday at 9" on a Friday afternoon is next Friday).

Our grammar reads the families people type most (fast, and exact); whatever it does not know is
offered to Duckling (:mod:`bot.scheduling.fallback`), which must cover every word.  Nothing here
skips a word: a phrase is read whole or :class:`~bot.errors.ParseError` is raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ParseError
from bot.scheduling import fallback, holidays, phrases
from bot.scheduling.lexicon import not_understood
from bot.scheduling.limits import (
    MAX_WEEKDAY_ORDINAL,
    check_duration,
    nth_weekday_problem,
    ordinal_number,
    typed_year,
)
from bot.scheduling.phrases import MONTH_PATTERN as _MONTH_NAMES
from bot.scheduling.phrases import ORDINAL_PATTERN as _ORDINAL
from bot.scheduling.phrases import WEEKDAY_PATTERN as _WEEKDAY_NAMES
from bot.scheduling.wallclock import add_months, clamped_date, days_in_month, nth_weekday

EXAMPLES = "'in 2 hours' or 'tomorrow at 9am'"
# Four digits or more: a longer year is read, to be refused by size (limits.typed_year).
_YEAR = r"(?: (?:of )?(?P<year>\d{4,}))?"


@dataclass(frozen=True)
class DateChoice:
    """Days a phrase may mean, in order; ``strict`` when it names exactly one (a past one errs).

    ``dateless``: the phrase named no day (a time of day alone).  ``keeps_time``: a relative day
    ("in 3 days", "next week") whose time of day, if none is typed, is the current one.
    """

    dates: list[date]
    strict: bool
    dateless: bool = False
    keeps_time: bool = False


def _coming(today: date, weekday: int, skip_today: bool) -> date:
    start = today + timedelta(days=1 if skip_today else 0)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_span(today: date, unit: str, offset: int) -> tuple[date, date]:
    """First and last day of this (``offset`` 0) or the next (1) ``unit``: week, month or year."""
    if unit == "week":
        first = _monday(today) + timedelta(weeks=offset)
        return first, first + timedelta(days=6)
    if unit == "month":
        year, month = add_months(today.year, today.month, offset)
        return date(year, month, 1), date(year, month, days_in_month(year, month))
    return date(today.year + offset, 1, 1), date(today.year + offset, 12, 31)


def weekend_span(today: date, following: bool = False) -> tuple[date, date]:
    """The weekend under way or coming (Saturday, Sunday); ``following``: the next not under way."""
    if today.weekday() == 6 and not following:
        return today - timedelta(days=1), today
    saturday = _coming(today, 5, skip_today=following)
    return saturday, saturday + timedelta(days=1)


def _ordinal(text: str) -> int | None:
    return phrases.parse_ordinal(text.replace("-", " "))


def _weekday_phrase(rest: str, today: date) -> DateChoice | None:
    """'friday', 'next friday', 'friday next week', 'thursday after next', '2 mondays from now'."""
    wd = rf"(?P<wd>{_WEEKDAY_NAMES})"
    found = re.fullmatch(
        rf"(?:(?:the )?(?P<this>this|coming|this coming|upcoming|the coming) )?{wd}", rest
    )
    if found:
        first = _coming(today, phrases.WEEKDAYS[found["wd"]], skip_today=False)
        if found["this"] == "this":
            return DateChoice([first], strict=True)  # "this friday" on a Friday is today
        return DateChoice([first, first + timedelta(days=7)], strict=False)
    found = re.fullmatch(rf"next {wd}", rest)
    if found:
        first = _coming(today, phrases.WEEKDAYS[found["wd"]], skip_today=True)
        return DateChoice([first], strict=True)
    for pattern in (
        rf"(?:the )?(?P<wd>{_WEEKDAY_NAMES}) (?:of |on )?(?P<which>this|next) week",
        rf"(?P<which>this|next) week(?: on)? (?P<wd>{_WEEKDAY_NAMES})",
    ):
        found = re.fullmatch(pattern, rest)
        if found:
            weeks = 1 if found["which"] == "next" else 0
            day = _monday(today) + timedelta(weeks=weeks, days=phrases.WEEKDAYS[found["wd"]])
            return DateChoice([day], strict=True)
    found = re.fullmatch(rf"(?:the )?{wd} after next", rest)
    if found:
        first = _coming(today, phrases.WEEKDAYS[found["wd"]], skip_today=True)
        return DateChoice([first + timedelta(days=7)], strict=True)
    found = re.fullmatch(
        rf"(?:in )?(?P<n>\S+) (?P<wd>{_WEEKDAY_NAMES})s?(?: (?:from now|from today|later|time))?",
        rest,
    )
    if found and (rest.startswith("in ") or rest.endswith(("from now", "from today", "later"))):
        count = phrases.parse_number(found["n"])
        if count is None or count != int(count) or not 1 <= count <= 520:
            return None
        first = _coming(today, phrases.WEEKDAYS[found["wd"]], skip_today=True)
        return DateChoice([first + timedelta(weeks=int(count) - 1)], strict=True)
    return None


def _month_number(word: str) -> int:
    return phrases.MONTHS[word]


def _years_for(today: date, month: int, day: int, year: int | None) -> list[date]:
    """The dates ``month``-``day`` names: in ``year``, or in each coming year where it exists."""
    if year is not None:
        return [_real_date(year, month, day)]
    try:
        date(2000, month, day)  # 2000 is a leap year: rejects only impossible days
    except ValueError:
        most = days_in_month(2000, month)  # a leap year: February's 29th exists
        raise ParseError(
            f"{date(2000, month, 1):%B} has no day {day} (it has at most {most} days). "
            f"Try for example {EXAMPLES}."
        ) from None
    return [
        date(y, month, day)
        for y in range(today.year, today.year + 29)  # 28 years: every weekday of every date
        if day <= days_in_month(y, month) and date(y, month, day) >= today
    ]


def _real_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ParseError(
            f"There is no {year:04d}-{month:02d}-{day:02d}: that day does not exist. "
            f"Try for example {EXAMPLES}."
        ) from None


def _month_phrase(rest: str, today: date) -> DateChoice | None:
    """'dec 25', 'the 2nd of june', 'june second', 'third day of july', '25 december 2027'."""
    month = rf"(?P<month>{_MONTH_NAMES})"
    ordinal = rf"(?P<day>\d{{1,2}}|{_ORDINAL})"
    for pattern in (
        rf"(?:the )?{ordinal} (?:day )?(?:of |in )?{month}{_YEAR}",
        rf"{month} (?:the )?{ordinal}{_YEAR}",
    ):
        found = re.fullmatch(pattern, rest)
        if found is None:
            continue
        day_text = found["day"]
        day = int(day_text) if day_text.isdigit() else _ordinal(day_text)
        day = day or ordinal_number(day_text)  # "may 32nd" is read, to say May has no 32nd
        if day is None or day < 1:
            continue
        year = typed_year(found["year"], today) if found["year"] else None
        dates = _years_for(today, _month_number(found["month"]), day, year)
        return DateChoice(dates, strict=year is not None)
    return None


def _nth_weekday_phrase(rest: str, today: date) -> DateChoice | None:
    """'first friday of may', 'the last monday in august 2027', 'the 2nd tuesday of next month'."""
    found = re.fullmatch(
        rf"(?:the )?(?P<n>{_ORDINAL}) (?P<wd>{_WEEKDAY_NAMES})(?: (?:(?:of|in) )?"
        rf"(?:(?P<month>{_MONTH_NAMES})"
        rf"{_YEAR}|(?:the |this )?(?P<rel>month|next month)))?",
        rest,
    )
    if found is None:
        return None
    ordinal = _ordinal(found["n"])
    if ordinal is None or not (1 <= ordinal <= MAX_WEEKDAY_ORDINAL or ordinal == -1):
        problem = nth_weekday_problem(found["n"], found["wd"])
        if problem is not None:
            raise problem
        return None
    weekday = phrases.WEEKDAYS[found["wd"]]
    if found["rel"] is None and found["month"] is None:
        if ordinal == -1 and not rest.startswith("the "):
            raise ParseError(
                f"{rest!r} usually means the one just gone, which is in the past. Say 'next "
                f"{found['wd']}', or 'the last {found['wd']} of the month'."
            )
        # "the 2nd friday": of this month if it is still ahead, else of next month
        months = [add_months(today.year, today.month, n) for n in range(3)]
        dates = [d for y, m in months if (d := nth_weekday(y, m, weekday, ordinal)) is not None]
        return DateChoice([d for d in dates if d >= today][:2], strict=False)
    if found["rel"] is not None:
        offset = 1 if found["rel"] == "next month" else 0
        year, month = add_months(today.year, today.month, offset)
        day = nth_weekday(year, month, weekday, ordinal)
        if day is None:
            raise ParseError(f"{year:04d}-{month:02d} has no {found['n']} {found['wd']}. "
                             f"Try for example 'the first friday of next month'.")  # fmt: skip
        return DateChoice([day], strict=True)
    month = _month_number(found["month"])
    years = (
        [typed_year(found["year"], today)] if found["year"] else range(today.year, today.year + 12)
    )
    dates = [d for y in years if (d := nth_weekday(y, month, weekday, ordinal)) is not None]
    dates = [d for d in dates if found["year"] or d >= today]
    if not dates:
        raise ParseError(f"{found['month'].title()} {found['year']} has no {found['n']} "
                         f"{found['wd']}. Try for example 'the first friday of may'.")  # fmt: skip
    return DateChoice(dates[:2], strict=found["year"] is not None)


def _month_ordinal_phrase(rest: str, today: date) -> DateChoice | None:
    """'the 3rd', 'on the 20th of this month', 'the 1st of next month'."""
    found = re.fullmatch(
        rf"(?:the )?(?P<day>{_ORDINAL}|\d{{1,2}})(?: (?:day )?of (?P<rel>this|next|the) month)?",
        rest,
    )
    if found is None or (found["day"].isdigit() and not rest.startswith("the ")):
        return None
    day_text = found["day"]
    day = int(day_text) if day_text.isdigit() else _ordinal(day_text)
    if day is None or not 1 <= day <= 31:
        return None
    if found["rel"] in ("this", "next"):
        year, month = add_months(today.year, today.month, 1 if found["rel"] == "next" else 0)
        return DateChoice([_real_date(year, month, day)], strict=True)
    months = [add_months(today.year, today.month, n) for n in range(4)]
    dates = [date(y, m, day) for y, m in months if day <= days_in_month(y, m)]
    return DateChoice([d for d in dates if d >= today], strict=False)


def _holiday_phrase(rest: str, today: date) -> DateChoice | None:
    found = holidays.find_holiday(rest)
    if found is None:
        return None
    holiday, left = found
    left = re.sub(r"^(?:of |in )?", "", left.strip())
    if left == "" or left in ("this year", "next year"):
        start = today if left != "next year" else date(today.year + 1, 1, 1)
        first = holiday.next_on_or_after(start)
        if left:
            return DateChoice([first], strict=True)
        # 28 years: enough for a weekday to pick one ("halloween friday")
        dates = [first]
        for _ in range(27):
            dates.append(holiday.next_on_or_after(dates[-1] + timedelta(days=1)))
        return DateChoice(dates, strict=False)
    if re.fullmatch(r"\d{4,}", left):
        return DateChoice([holiday.date_in(typed_year(left, today))], strict=True)
    return None


def _relative_day(rest: str, today: date) -> DateChoice | None:
    if rest == "today":
        return DateChoice([today], strict=True)
    if rest in ("tomorrow", "tmrw", "tmr", "tomorow", "tommorow", "tommorrow"):
        return DateChoice([today + timedelta(days=1)], strict=True)
    if rest in ("day after tomorrow", "the day after tomorrow", "overmorrow"):
        return DateChoice([today + timedelta(days=2)], strict=True)
    if rest in ("next week", "a week from today", "a week today", "this time next week"):
        return DateChoice([today + timedelta(days=7)], strict=True, keeps_time=True)
    if rest in ("next month", "next year", "this time next month", "this time next year"):
        months = 1 if "month" in rest else 12
        year, month = add_months(today.year, today.month, months)
        return DateChoice([clamped_date(year, month, today.day)], strict=True, keeps_time=True)
    if rest in ("end of month", "end of the month", "the end of the month", "end of this month",
                "month end", "the last day of the month", "last day of the month",
                "the last day of this month", "last day of this month"):  # fmt: skip
        following = add_months(today.year, today.month, 1)
        return DateChoice(
            [today.replace(day=days_in_month(today.year, today.month)),
             date(following[0], following[1], days_in_month(*following))],
            strict=False,
        )  # fmt: skip
    found = re.fullmatch(rf"(?:the )?(?:last day|end) of (?P<month>{_MONTH_NAMES}){_YEAR}", rest)
    if found:
        month = phrases.MONTHS[found["month"]]
        years = (
            [typed_year(found["year"], today)] if found["year"] else [today.year, today.year + 1]
        )
        dates = [date(y, month, days_in_month(y, month)) for y in years]
        return DateChoice([d for d in dates if found["year"] or d >= today], bool(found["year"]))
    found = re.fullmatch(
        r"(?:the )?(?:start|beginning) of (?:the )?(next|this) (week|month|year)", rest
    )
    if found:
        first, _ = period_span(today, found[2], 1 if found[1] == "next" else 0)
        return DateChoice([first], strict=True)
    if rest in ("end of the week", "the end of the week", "end of this week", "end of week",
                "the end of this week"):  # fmt: skip
        return DateChoice([_monday(today) + timedelta(days=6)], strict=True)  # this Sunday
    if rest in ("end of next week", "the end of next week"):
        return DateChoice([_monday(today) + timedelta(days=13)], strict=True)
    if rest in ("end of next month", "the end of next month", "the last day of next month"):
        year, month = add_months(today.year, today.month, 1)
        return DateChoice([date(year, month, days_in_month(year, month))], strict=True)
    if rest in ("end of year", "end of the year", "the end of the year", "end of this year"):
        return DateChoice([date(today.year, 12, 31), date(today.year + 1, 12, 31)], strict=False)
    if rest in ("this weekend", "weekend", "the weekend", "this coming weekend"):
        days = [today + timedelta(days=n) for n in range(14)]
        return DateChoice([d for d in days if d.weekday() >= 5], strict=False)
    if rest == "next weekend":
        # As "next friday" is the coming Friday: the coming weekend, never the one under way.
        return DateChoice(list(weekend_span(today, following=True)), strict=False)
    if rest in ("yesterday", "last night"):
        raise ParseError(f"{rest!r} is in the past. Try for example {EXAMPLES}.")
    return None


def _iso_date(rest: str, today: date) -> DateChoice | None:
    """'2026-12-25'; '12/25' and '25/12' (the number above 12 is the day); '3/4' is refused."""
    iso = re.fullmatch(r"(\d{4,})[-/.](\d{1,2})[-/.](\d{1,2})", rest)
    if iso is not None:
        year = typed_year(iso[1], today)
        return DateChoice([_real_date(year, int(iso[2]), int(iso[3]))], strict=True)
    numeric = re.fullmatch(r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4,}|\d{2}))?\.?", rest)
    if numeric is None:
        return None
    first, second = int(numeric[1]), int(numeric[3])
    if first > 12 >= second:
        day, month = first, second
    elif second > 12 >= first:
        month, day = first, second
    elif first == second:
        month = day = first
    else:
        raise ParseError(
            f"{rest!r} could be {date(2000, second, 1):%B} {first} or {date(2000, first, 1):%B} "
            f"{second}. Write the month as a word ('{date(2000, first, 1):%B} {second}') or "
            f"use YYYY-MM-DD."
        )
    if numeric[4] is not None:
        year = int(numeric[4]) + 2000 if len(numeric[4]) == 2 else typed_year(numeric[4], today)
        return DateChoice([_real_date(year, month, day)], strict=True)
    return DateChoice(_years_for(today, month, day, None)[:2], strict=False)


def _offset_phrase(rest: str, today: date) -> DateChoice | None:
    """'two weeks from friday', '3 days before christmas', 'the friday after christmas'."""
    found = re.fullmatch(r"(?P<amount>.+?) (?P<way>from|after|before) (?P<base>.+)", rest)
    if found is None or found["base"] in ("now", "today", "right now"):
        return None
    base = _grammar(found["base"], today) or _with_weekday(found["base"], today)
    if base is None or base.dateless or not base.dates:
        return None
    sign = -1 if found["way"] == "before" else 1
    weekday = re.fullmatch(rf"(?:the )?(?:first )?({_WEEKDAY_NAMES})", found["amount"])
    if weekday is not None and found["way"] != "from":
        target = phrases.WEEKDAYS[weekday[1]]
        moved = []
        for day in base.dates:
            if sign > 0:  # the first such weekday strictly after the day
                step = (target - day.weekday()) % 7 or 7
            else:  # the last one strictly before it
                step = -((day.weekday() - target) % 7 or 7)
            moved.append(day + timedelta(days=step))
        return DateChoice(moved, base.strict)
    duration = phrases.parse_duration(found["amount"])
    if duration is None or duration.has_clock_part:
        return None
    check_duration(duration, found["amount"])
    moved = []
    for day in base.dates:
        year, month = add_months(day.year, day.month, sign * duration.months)
        moved.append(clamped_date(year, month, day.day) + timedelta(days=sign * duration.days))
    return DateChoice(moved, base.strict)


def _grammar(rest: str, today: date) -> DateChoice | None:
    for reader in (
        _relative_day,
        _weekday_phrase,
        _month_phrase,
        _nth_weekday_phrase,
        _month_ordinal_phrase,
        _holiday_phrase,
        _iso_date,
        _offset_phrase,
    ):
        choice = reader(rest, today)
        if choice is not None:
            return choice
    return None


def _with_weekday(rest: str, today: date) -> DateChoice | None:
    """'friday dec 25', 'jul 18 fri', 'friday the 18th': the weekday must agree with the date.

    The weekday picks among the years (or months) the date may mean, so "Jul 18, Fri" is the next
    18 July that is a Friday; if none agrees, the text contradicts itself and that is an error.
    """
    found = re.fullmatch(rf"(?P<wd>{_WEEKDAY_NAMES}) (?:the )?(?P<rest>.+)", rest) or re.fullmatch(
        rf"(?P<rest>.+?) (?:on )?(?:a )?(?P<wd>{_WEEKDAY_NAMES})", rest
    )
    if found is None:
        return None
    inner = found["rest"]  # a bare number stays an hour ("friday 9"), never a day of the month
    choice = _grammar(inner, today)
    if choice is None or choice.dateless:
        return None
    weekday = phrases.WEEKDAYS[found["wd"]]
    dates = [d for d in choice.dates if d.weekday() == weekday]
    if not dates and re.fullmatch(r"(?:the )?\d{1,2}(?:st|nd|rd|th)", inner):
        # "friday the 13th": the next month whose 13th is a Friday.
        number = int(re.sub(r"\D", "", inner))
        months = [add_months(today.year, today.month, n) for n in range(120)]
        dates = [date(y, m, number) for y, m in months if number <= days_in_month(y, m)]
        dates = [d for d in dates if d >= today and d.weekday() == weekday][:2]
    if not dates:
        first = choice.dates[0]
        raise ParseError(
            f"{first:%d %B %Y} is a {first:%A}, not a {found['wd'].title()}"
            f"{'' if choice.strict else ' (in any year I looked at)'}. Try for example {EXAMPLES}."
        )
    return DateChoice(dates[:2], strict=choice.strict)


def date_choice(
    rest: str, now: datetime, zone: ZoneInfo, text: str, *, use_fallback: bool = True
) -> DateChoice | None:
    """The days ``rest`` (normalised, time of day removed) may mean, or ``None`` if not a date.

    ``now`` is local in ``zone``.  Raises :class:`ParseError` for a date that cannot exist or
    contradicts itself ("friday dec 25" when the 25th is a Thursday).
    """
    today = now.date()
    rest = re.sub(r"^(?:on|for) ", "", rest).strip()
    if rest == "":
        return DateChoice([today + timedelta(days=n) for n in range(3)], False, dateless=True)
    choice = _grammar(rest, today) or _with_weekday(rest, today)
    if choice is not None:
        if not choice.dates:
            raise not_understood(rest, text, EXAMPLES)
        return choice
    if not use_fallback:
        return None
    reading = fallback.read_date(rest, now, zone)
    if reading is None:
        return None
    return DateChoice(list(reading.days), strict=len(reading.days) == 1)
