"""The rules a schedule must meet, as pure functions of the schedule, ``now`` and the limits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from bot.errors import ValidationError
from bot.scheduling.cron import normalise_cron
from bot.scheduling.limits import MAX_YEARS_AHEAD, count_problem, furthest, shape_problem
from bot.scheduling.recurrence import Recurrence
from bot.scheduling.zones import resolve_zone
from storage.enums import RecurrenceType

# Kinds counted in elapsed real time from the anchor: they have no time of day.
_ELAPSED = frozenset({RecurrenceType.HOURLY})


def check_name(name: str, max_length: int) -> None:
    if not name:
        raise ValidationError("A task needs a name.")
    if len(name) > max_length:
        raise ValidationError(
            f"Task names are at most {max_length} characters (this one has {len(name)})."
        )


@dataclass(frozen=True)
class Refusal:
    """Why a schedule is not allowed: the full sentence, and a short form for a live preview."""

    message: str
    short: str


def schedule_refusal(
    recurrence: Recurrence, now: datetime, horizon_days: int, min_interval: timedelta
) -> Refusal | None:
    """What :func:`check_schedule` refuses, or ``None``: the same rules, without raising.

    The shape's own limits (count, interval, how far ahead) come first: the time language
    refuses them while reading, but a schedule built from fields or an API call reaches here
    unread, and its numbers go into 32-bit columns.
    """
    shape = _shape_refusal(recurrence, now)
    if shape is not None:
        return shape
    first = recurrence.anchor
    if first <= now:
        return Refusal(
            "That time has already passed; pick a time in the future.", "that time has passed"
        )
    if recurrence.is_once and first - now > timedelta(days=horizon_days):
        ahead = (first - now).days
        furthest_text = _span_of_days(horizon_days)
        exact = "" if horizon_days < 365 else f" ({horizon_days:,} days)"
        return Refusal(
            f"That is too far ahead ({ahead:,} days from now): one-shot tasks can be at most "
            f"{furthest_text}{exact} out in this server. Pick an earlier time.",
            f"over {furthest_text} ahead, the furthest allowed",
        )
    if not recurrence.is_once:
        gap = shortest_gap(recurrence)
        if gap is not None and gap < min_interval:
            return Refusal(
                f"Runs would be {span(gap)} apart; the shortest interval allowed is "
                f"{span(min_interval)}.",
                f"shortest allowed: every {span(min_interval)}",
            )
    return None


def _span_of_days(days: int) -> str:
    """``5 years`` for 1826 days, ``30 days``, ``1 day``."""
    if days < 365:
        return f"{days} day{'s' if days != 1 else ''}"
    years = round(days / 365.25)
    return f"{years} year{'s' if years != 1 else ''}"


def _shape_refusal(recurrence: Recurrence, now: datetime) -> Refusal | None:
    """The limits of :mod:`bot.scheduling.limits`, as a :class:`Refusal`."""
    if recurrence.count is not None:
        problem = count_problem(recurrence.count)
        if problem is not None:
            return Refusal(problem, f"{recurrence.count:,} runs is over the limit")
    problem = shape_problem(recurrence.kind, recurrence.interval, recurrence.step_minutes)
    if problem is not None:
        return Refusal(problem, "runs too far apart")
    limit = furthest(now)
    for instant, what in ((recurrence.anchor, "first run"), (recurrence.until, "end")):
        if instant is not None and instant > limit:
            return Refusal(
                f"The {what} ({instant:%Y-%m-%d}) is more than {MAX_YEARS_AHEAD} years ahead, "
                "the furthest anything is scheduled; pick a nearer date.",
                f"{what} over {MAX_YEARS_AHEAD} years ahead",
            )
    return None


def check_schedule(
    recurrence: Recurrence, now: datetime, horizon_days: int, min_interval: timedelta
) -> None:
    """The first run is in the future, a one-shot within the horizon, repeats not too close."""
    refusal = schedule_refusal(recurrence, now, horizon_days, min_interval)
    if refusal is not None:
        raise ValidationError(refusal.message)


def shortest_gap(recurrence: Recurrence, sample: int = 50) -> timedelta | None:
    """The smallest distance between consecutive runs among the first ``sample``."""
    # In UTC: two datetimes in one zone subtract as wall clocks, so a DST change would distort it.
    runs = [run.astimezone(UTC) for run in itertools.islice(recurrence.occurrences(), sample)]
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    return min(gaps) if gaps else None


def span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} hour{'s' if hours != 1 else ''}"


def recurrence_from_fields(
    scheduled_at: datetime | None,
    timezone: str,
    kind: RecurrenceType,
    cron_expression: str | None,
    count: int | None,
    now: datetime,
) -> Recurrence:
    """A schedule from the original design's fields: first run, kind, cron, count, zone."""
    if count is not None:
        problem = count_problem(count)
        if problem is not None:
            raise ValidationError(problem)
    zone = resolve_zone(timezone)
    zone_name = str(zone.key)
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        # A naive time (the original design's examples) is wall time in ``timezone``.
        scheduled_at = scheduled_at.replace(tzinfo=zone)
    if kind is RecurrenceType.CRON:
        if not cron_expression:
            raise ValidationError("A cron schedule needs a cron expression, e.g. 0 9 * * 1-5.")
        cron = normalise_cron(cron_expression)  # a ParseError naming the field at fault
        # A past scheduled_at only anchors the schedule: the first run is the next after now.
        start = max(scheduled_at, now) if scheduled_at is not None else now
        probe = Recurrence(RecurrenceType.CRON, start, zone_name, cron=cron)
        first = probe.next_after(start)
        if first is None:
            raise ValidationError(f"The cron expression {cron_expression!r} never fires.")
        return Recurrence(RecurrenceType.CRON, first, zone_name, cron=probe.cron, count=count)
    if scheduled_at is None:
        raise ValidationError("A task needs a first run time.")
    local = scheduled_at.astimezone(zone)
    if kind is RecurrenceType.NONE:
        return Recurrence.once(scheduled_at, zone_name)  # a past one is refused by check_schedule
    rule = Recurrence(
        kind,
        scheduled_at,
        zone_name,
        time_of_day=local.time().replace(microsecond=0) if kind not in _ELAPSED else None,
        weekdays=(local.weekday(),) if kind is RecurrenceType.WEEKLY else (),
        day_of_month=local.day if kind in (RecurrenceType.MONTHLY, RecurrenceType.YEARLY) else None,
        count=count,
    )
    if scheduled_at > now:
        return rule
    # A past scheduled_at on a recurring task is its anchor (the original design's examples say
    # 2024-01-01): the first run is the rule's next occurrence after now.
    first = rule.next_after(now)
    if first is None:
        raise ValidationError("This schedule has no run after now.")
    return replace(rule, anchor=first)


def daily_midnight(now: datetime, zone_name: str) -> Recurrence:
    """Every day at 00:00 in ``zone_name``, from the next midnight."""
    probe = Recurrence(RecurrenceType.DAILY, now, zone_name, time_of_day=time(0, 0))
    first = probe.next_after(now)
    assert first is not None
    return Recurrence(RecurrenceType.DAILY, first, zone_name, time_of_day=time(0, 0))
