"""Schedule rules and the original design's create_task fields, as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ParseError, ValidationError
from bot.scheduling.recurrence import Recurrence
from bot.tasks.rules import check_schedule, recurrence_from_fields, shortest_gap, span
from storage.enums import RecurrenceType

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("kind", "cron", "first_local", "following_local"),
    [
        (RecurrenceType.DAILY, None, (2026, 11, 28, 9, 0), (2026, 11, 29, 9, 0)),
        (RecurrenceType.WEEKLY, None, (2026, 11, 30, 9, 0), (2026, 12, 7, 9, 0)),
        (RecurrenceType.MONTHLY, None, (2027, 1, 31, 9, 0), (2027, 2, 28, 9, 0)),
        (RecurrenceType.YEARLY, None, (2028, 2, 29, 9, 0), (2029, 2, 28, 9, 0)),
        (RecurrenceType.HOURLY, None, (2026, 11, 28, 9, 0), (2026, 11, 28, 10, 0)),
        (
            RecurrenceType.CRON,
            "0 9 * * 1-5",
            (2026, 11, 30, 9, 0),
            (2026, 12, 1, 9, 0),
        ),
    ],
)
def test_original_design_fields_build_the_schedule(
    kind: RecurrenceType,
    cron: str | None,
    first_local: tuple[int, int, int, int, int],
    following_local: tuple[int, int, int, int, int],
) -> None:
    """scheduled_at + recurrence_type (+ cron) in a zone: first run and the one after it."""
    first, following = datetime(*first_local, tzinfo=NY), datetime(*following_local, tzinfo=NY)
    scheduled = first if kind is not RecurrenceType.CRON else None
    now = NOW if kind is not RecurrenceType.CRON else datetime(2026, 11, 28, 12, tzinfo=UTC)
    recurrence = recurrence_from_fields(scheduled, "America/New_York", kind, cron, None, now)
    assert recurrence.anchor == first
    assert recurrence.next_after(recurrence.anchor) == following


@pytest.mark.parametrize(
    ("kind", "cron", "expected_local"),
    [
        # The original design's examples: scheduled_at 2024-01-01T09:00:00, naive.
        # NOW is Friday 2026-11-27 07:00 in New York.
        (RecurrenceType.DAILY, None, (2026, 11, 27, 9, 0)),
        (RecurrenceType.WEEKLY, None, (2026, 11, 30, 9, 0)),  # 2024-01-01 was a Monday
        (RecurrenceType.MONTHLY, None, (2026, 12, 1, 9, 0)),
        (RecurrenceType.YEARLY, None, (2027, 1, 1, 9, 0)),
        (RecurrenceType.HOURLY, None, (2026, 11, 27, 8, 0)),  # strictly after 07:00
        (RecurrenceType.CRON, "30 9 * * 1-5", (2026, 11, 27, 9, 30)),
    ],
)
def test_a_naive_past_scheduled_at_anchors_a_recurring_task_in_its_zone(
    kind: RecurrenceType, cron: str | None, expected_local: tuple[int, int, int, int, int]
) -> None:
    """A naive scheduled_at is wall time in the task's zone (not a crash, with cron too); in the
    past it anchors the rule, and the first run is the rule's next occurrence after now."""
    naive = datetime.fromisoformat("2024-01-01T09:00:00")  # as the original examples send it
    recurrence = recurrence_from_fields(naive, "America/New_York", kind, cron, None, NOW)
    assert recurrence.anchor == datetime(*expected_local, tzinfo=NY)
    assert recurrence.anchor > NOW
    check_schedule(recurrence, NOW, 3650, timedelta(minutes=1))  # accepted


def test_a_naive_future_scheduled_at_is_wall_time_in_the_zone() -> None:
    naive = datetime.fromisoformat("2026-12-24T18:00:00")
    once = recurrence_from_fields(naive, "America/New_York", RecurrenceType.NONE, None, None, NOW)
    assert once.anchor == datetime(2026, 12, 24, 18, 0, tzinfo=NY)
    cron = recurrence_from_fields(
        naive, "America/New_York", RecurrenceType.CRON, "0 18 * * *", None, NOW
    )
    assert cron.anchor == datetime(2026, 12, 25, 18, 0, tzinfo=NY)  # strictly after it, as before


def test_a_past_one_shot_is_still_refused() -> None:
    past = recurrence_from_fields(
        datetime.fromisoformat("2024-01-01T09:00:00"), "UTC", RecurrenceType.NONE, None, None, NOW
    )
    with pytest.raises(ValidationError):
        check_schedule(past, NOW, 3650, timedelta(minutes=1))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"kind": RecurrenceType.CRON, "cron": None}, ValidationError, "needs a cron expression"),
        ({"kind": RecurrenceType.CRON, "cron": "61 * * * *"}, ParseError, "minute"),
        ({"kind": RecurrenceType.DAILY, "scheduled": None}, ValidationError, "first run time"),
        ({"zone": "Mars/Olympus"}, ParseError, "Mars/Olympus"),
    ],
)
def test_original_design_fields_errors(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    """Missing or wrong fields are errors a user can act on."""
    args: dict[str, object] = {
        "scheduled": NOW + timedelta(hours=1),
        "zone": "UTC",
        "kind": RecurrenceType.NONE,
        "cron": None,
        **kwargs,
    }
    with pytest.raises(error, match=message):
        recurrence_from_fields(
            args["scheduled"],  # type: ignore[arg-type]
            args["zone"],  # type: ignore[arg-type]
            args["kind"],  # type: ignore[arg-type]
            args["cron"],  # type: ignore[arg-type]
            None,
            NOW,
        )


@pytest.mark.parametrize(
    ("cron", "gap"),
    [
        ("*/5 * * * *", timedelta(minutes=5)),
        ("0 9 * * 1-5", timedelta(days=1)),
        ("0 9,17 * * *", timedelta(hours=8)),
    ],
)
def test_shortest_gap(cron: str, gap: timedelta) -> None:
    """The closest two runs of a schedule decide whether it repeats too often."""
    recurrence = Recurrence(
        RecurrenceType.CRON, datetime(2026, 11, 30, 9, tzinfo=UTC), "UTC", cron=cron
    )
    assert shortest_gap(recurrence) == gap


def test_shortest_gap_is_real_time_across_a_dst_change() -> None:
    """Every 20 minutes through New York's repeated hour: the gaps are 20 real minutes."""
    zone = ZoneInfo("America/New_York")
    anchor = datetime(2026, 11, 1, 0, 40, tzinfo=zone)
    recurrence = Recurrence(RecurrenceType.HOURLY, anchor, zone.key, step_minutes=20)
    assert shortest_gap(recurrence) == timedelta(minutes=20)


def test_too_frequent_and_past_schedules_are_refused() -> None:
    """Under the minimum interval, or starting in the past: refused with the numbers."""
    every_5 = Recurrence(RecurrenceType.CRON, NOW + timedelta(minutes=5), "UTC", cron="*/5 * * * *")
    with pytest.raises(ValidationError, match="5 minutes apart.*15 minutes"):
        check_schedule(every_5, NOW, 1826, timedelta(minutes=15))
    check_schedule(every_5, NOW, 1826, timedelta(minutes=1))
    with pytest.raises(ValidationError, match="already passed"):
        check_schedule(Recurrence.once(NOW, "UTC"), NOW, 1826, timedelta(minutes=15))


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=15), "15 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=2, minutes=30), "2 h 30 min"),
    ],
)
def test_span(delta: timedelta, text: str) -> None:
    assert span(delta) == text
