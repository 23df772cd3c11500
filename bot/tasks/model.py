"""What the task service hands out: plain snapshots of tasks and runs, and task parameters.

Services never return ORM rows (they would drag the session along); cogs render these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.config import LatenessSettings
from bot.scheduling.recurrence import Recurrence, RecurrenceFields
from storage.enums import OnBusy, RecurrenceType, RunOutcome, TaskStatus, TaskType
from storage.models import ScheduledTask, TaskRun

__all__ = [
    "OnBusy",
    "RecurrenceType",
    "RunOutcome",
    "RunView",
    "TaskStatus",
    "TaskType",
    "TaskView",
    "allowance_for",
    "recurrence_fields",
    "recurrence_of",
]

ACTIVE_STATUSES = (TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.PAUSED)


@dataclass(frozen=True)
class TaskView:
    id: int
    guild_id: int
    owner_id: int | None
    task_type: TaskType
    name: str
    parameters: dict[str, Any]
    timezone: str
    recurrence: Recurrence
    runs_done: int
    next_run_at: datetime | None
    status: TaskStatus
    on_busy: OnBusy
    last_error: str | None
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime

    @property
    def is_system(self) -> bool:
        return self.owner_id is None

    @property
    def is_recurring(self) -> bool:
        return not self.recurrence.is_once

    @classmethod
    def of(cls, row: ScheduledTask) -> TaskView:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            owner_id=row.owner_id,
            task_type=TaskType(row.task_type),
            name=row.name,
            parameters=dict(row.parameters),
            timezone=row.timezone,
            recurrence=recurrence_of(row),
            runs_done=row.runs_done,
            next_run_at=row.next_run_at,
            status=TaskStatus(row.status),
            on_busy=OnBusy(row.on_busy),
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True)
class RunView:
    id: int
    task_id: int
    due_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempt: int
    outcome: RunOutcome | None
    detail: str | None
    retry_at: datetime | None

    @classmethod
    def of(cls, row: TaskRun) -> RunView:
        return cls(
            id=row.id,
            task_id=row.task_id,
            due_at=row.due_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            attempt=row.attempt,
            outcome=None if row.outcome is None else RunOutcome(row.outcome),
            detail=row.detail,
            retry_at=row.retry_at,
        )


def recurrence_of(row: ScheduledTask) -> Recurrence:
    """The task's schedule, rebuilt from its stored columns."""
    return Recurrence.from_fields(
        RecurrenceFields(
            recurrence_type=row.recurrence_type,
            recurrence_interval=row.recurrence_interval,
            cron_expression=row.cron_expression,
            anchor=row.anchor_at,
            timezone=row.timezone,
            recurrence_count=row.recurrence_count,
            until=row.until_at,
            time_of_day=row.time_of_day,
            weekdays=row.weekdays,
            day_of_month=row.day_of_month,
            more_times=row.more_times,
            weekday_ordinal=row.weekday_ordinal,
            step_minutes=row.step_minutes,
        )
    )


def recurrence_fields(recurrence: Recurrence) -> dict[str, Any]:
    """Column values of ``scheduled_tasks`` for a schedule."""
    fields = recurrence.to_fields()
    return {
        "recurrence_type": fields["recurrence_type"],
        "recurrence_interval": fields["recurrence_interval"],
        "cron_expression": fields["cron_expression"],
        "anchor_at": fields["anchor"],
        "timezone": fields["timezone"],
        "recurrence_count": fields["recurrence_count"],
        "until_at": fields["until"],
        "time_of_day": fields["time_of_day"],
        "weekdays": fields["weekdays"],
        "day_of_month": fields["day_of_month"],
        "more_times": fields["more_times"],
        "weekday_ordinal": fields["weekday_ordinal"],
        "step_minutes": fields["step_minutes"],
    }


def allowance_for(task_type: TaskType, lateness: LatenessSettings) -> timedelta | None:
    """How late an occurrence of this type may still run; None is unlimited."""
    seconds: int | None = getattr(lateness, task_type.value)
    return None if seconds is None else timedelta(seconds=seconds)
