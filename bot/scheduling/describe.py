"""Plain-English descriptions of schedules and their daylight-saving warnings.

Every answer that creates or previews a schedule shows a description ("Every weekday at 09:00",
"Every 2 weeks on Monday at 18:30"; cron through ``cron-descriptor``) and a warning for each run
that falls in a DST gap or a repeated hour, so nobody is surprised twice a year.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cron_descriptor import ExpressionDescriptor

from bot.scheduling.cron import matches_wall_time, uses_wall_clock
from bot.scheduling.recurrence import CALENDAR_KINDS, Recurrence, RecurrenceType
from bot.scheduling.wallclock import is_ambiguous, is_gap, resolve_wall_time

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_UNITS = {
    RecurrenceType.HOURLY: "hour",
    RecurrenceType.DAILY: "day",
    RecurrenceType.WEEKLY: "week",
    RecurrenceType.MONTHLY: "month",
    RecurrenceType.YEARLY: "year",
}
ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def ordinal(number: int) -> str:
    """1 -> '1st', 22 -> '22nd', 13 -> '13th'."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def format_day(day: date) -> str:
    """'Fri 19 Jun 2026'."""
    return f"{DAY_NAMES[day.weekday()][:3]} {day.day} {day:%b %Y}"


def format_instant(instant: datetime) -> str:
    """'Fri 19 Jun 2026 18:00 EDT' (in the instant's own zone)."""
    return f"{format_day(instant.date())} {instant:%H:%M} {instant.tzname()}"


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _weekday_phrase(days: tuple[int, ...], plural: bool) -> str:
    if days == (0, 1, 2, 3, 4):
        return "weekdays" if plural else "weekday"
    if days == tuple(range(7)):
        return "every day" if plural else "day"
    return _join([DAY_NAMES[d] for d in days])


def _every(kind: RecurrenceType, interval: int) -> str:
    unit = _UNITS[kind]
    return f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"


def _every_minutes(minutes: int) -> str:
    """'Every 45 minutes', 'Every 90 minutes', 'Every 2 hours', 'Every hour'."""
    if minutes % 60:
        return "Every minute" if minutes == 1 else f"Every {minutes} minutes"
    return _every(RecurrenceType.HOURLY, minutes // 60)


def _times_phrase(times: tuple[time, ...]) -> str:
    """' at 09:00', ' at 09:00 and 17:00', '' for none."""
    return f" at {_join([f'{at:%H:%M}' for at in times])}" if times else ""


def describe_cron(expression: str) -> str:
    """cron-descriptor's 24-hour description ('At 09:00, Monday through Friday').

    cron-descriptor joins a stepped day-of-month and a day-of-week with "or" (``0 9 */2 * 1``:
    "every 2 days, or on Monday"); cron only ORs them when neither field starts with ``*``, so
    then the description says that both must match.
    """
    try:
        text = str(ExpressionDescriptor(expression, use_24hour_time_format=True).get_description())
    except Exception:  # the library's own error types vary by version; never fail a preview on it
        return f"Cron schedule {expression!r}"
    day_of_month, _, day_of_week = expression.split()[2:5]
    if (day_of_month.startswith("*") and day_of_month != "*" and day_of_week != "*") or (
        day_of_week.startswith("*") and day_of_week != "*" and day_of_month != "*"
    ):
        text = text.replace(", or ", ", and only ")
        text += " (both day fields must match, as in cron)"
    return text


def describe(recurrence: Recurrence) -> str:
    """A one-line description of ``recurrence`` in its own zone."""
    kind = recurrence.kind
    interval = recurrence.interval
    at = _times_phrase(recurrence.times)
    if kind is RecurrenceType.NONE:
        return f"Once, on {format_instant(recurrence.local_anchor)}"
    if kind is RecurrenceType.CRON:
        assert recurrence.cron is not None
        text = describe_cron(recurrence.cron)
    elif kind is RecurrenceType.HOURLY:
        start = format_instant(recurrence.local_anchor)
        every = (
            _every(kind, interval)
            if recurrence.step_minutes is None
            else _every_minutes(recurrence.step_minutes)
        )
        text = f"{every} (real time), from {start}"
    elif kind is RecurrenceType.DAILY:
        text = f"{_every(kind, interval)}{at}"
    elif kind is RecurrenceType.WEEKLY:
        if interval == 1:
            text = f"Every {_weekday_phrase(recurrence.weekdays, plural=False)}{at}"
        else:
            days = _weekday_phrase(recurrence.weekdays, plural=True)
            text = f"{_every(kind, interval)} on {days}{at}"
    elif recurrence.ordinal is not None:
        nth = f"the {ORDINAL_WORDS[recurrence.ordinal]} {DAY_NAMES[recurrence.weekdays[0]]}"
        if kind is RecurrenceType.MONTHLY:
            text = f"{_every(kind, interval)} on {nth}{at}"
        else:
            month = recurrence.local_anchor.strftime("%B")
            text = f"{_every(kind, interval)} on {nth} of {month}{at}"
        if recurrence.ordinal == 5:
            text += " (skipped in months without one)"
    else:
        assert recurrence.day_of_month is not None
        day = recurrence.day_of_month
        if kind is RecurrenceType.MONTHLY:
            text = f"{_every(kind, interval)} on the {ordinal(day)}{at}"
            if day >= 29:
                text += " (the last day in shorter months)"
        else:
            month = recurrence.local_anchor.strftime("%B")
            text = f"{_every(kind, interval)} on {day} {month}{at}"
            if (recurrence.local_anchor.month, day) == (2, 29):
                text += " (28 February in common years)"
    if recurrence.count is not None:
        text += ", once" if recurrence.count == 1 else f", {recurrence.count} times"
    if recurrence.until is not None:
        text += f", until {format_instant(recurrence.until.astimezone(recurrence.zone))}"
    return text


def _fixed_time(recurrence: Recurrence) -> bool:
    """Whether the schedule names wall-clock times (cronie's fixed-time DST rules apply)."""
    if recurrence.kind in CALENDAR_KINDS or recurrence.kind is RecurrenceType.NONE:
        return True
    return recurrence.kind is RecurrenceType.CRON and uses_wall_clock(recurrence.cron or "")


def _gap_time(recurrence: Recurrence, run: datetime) -> time | None:
    """The time of day that did not exist and was moved to ``run`` (past the jump), if any."""
    for intended in recurrence.times:
        wall = datetime.combine(run.date(), intended)
        if (
            is_gap(wall, recurrence.zone)
            and resolve_wall_time(run.date(), intended, recurrence.zone) == run
        ):
            return intended
    return None


def _moved_out_of_gap(recurrence: Recurrence, run: datetime) -> bool:
    """Whether ``run`` is a wall time that did not exist and was moved past the jump."""
    zone = recurrence.zone
    wall = run.replace(tzinfo=None)
    if recurrence.time_of_day is not None:
        return _gap_time(recurrence, run) is not None
    if recurrence.kind is RecurrenceType.CRON and recurrence.cron is not None:
        just_before = (run.astimezone(UTC) - timedelta(seconds=1)).astimezone(zone)
        jumped = (just_before.utcoffset() or timedelta()) < (run.utcoffset() or timedelta())
        return jumped and not matches_wall_time(recurrence.cron, wall)
    return False


def dst_warnings(recurrence: Recurrence, runs: Iterable[datetime]) -> list[str]:
    """One warning per run in a DST gap or repeated hour (and per clock change for real-time
    schedules), in the order of ``runs``."""
    zone = recurrence.zone
    name = recurrence.timezone
    warnings: list[str] = []
    previous: datetime | None = None
    fixed = _fixed_time(recurrence)
    for run in runs:
        local = run.astimezone(zone)
        wall = local.replace(tzinfo=None)
        when = f"{format_day(local.date())}"
        if fixed and _moved_out_of_gap(recurrence, local):
            gap_time = _gap_time(recurrence, local)
            intended = "its time" if gap_time is None else f"{gap_time:%H:%M}"
            warnings.append(
                f"{when}: {intended} does not exist in {name} (clocks spring forward), "
                f"so it runs at {local:%H:%M %Z}, right after the jump."
            )
        elif is_ambiguous(wall, zone):
            if fixed:
                warnings.append(
                    f"{when}: {local:%H:%M} happens twice in {name} (clocks fall back); "
                    f"it runs once, on the first pass ({local:%H:%M %Z})."
                )
            else:
                warnings.append(
                    f"{when}: {local:%H:%M %Z} is in the repeated hour in {name} (clocks fall "
                    "back); this schedule keeps real time and runs in both passes."
                )
        elif not fixed and previous is not None and previous.utcoffset() != local.utcoffset():
            warnings.append(
                f"{when}: clocks change in {name} before this run; the schedule keeps real "
                f"elapsed time, so it now runs at {local:%H:%M %Z} on the clock."
            )
        previous = local
    return list(dict.fromkeys(warnings))


@dataclass(frozen=True)
class Preview:
    """What every answer that creates or previews a schedule shows (DESIGN.md section 2)."""

    description: str
    timezone: str
    runs: list[datetime]
    warnings: list[str]


def preview(recurrence: Recurrence, now: datetime, count: int = 3) -> Preview:
    """The description, zone, next ``count`` runs strictly after ``now`` and their DST warnings."""
    runs = list(itertools.islice(recurrence.occurrences(after=now), count))
    return Preview(describe(recurrence), recurrence.timezone, runs, dst_warnings(recurrence, runs))


def discord_timestamp(instant: datetime, style: str = "F") -> str:
    """Discord's ``<t:…:F>`` markup; every reader sees it in their own zone."""
    return f"<t:{int(instant.timestamp())}:{style}>"
