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
from storage.repositories.run_summaries import RunSummary

__all__ = [
    "LastRun",
    "OnBusy",
    "RecurrenceType",
    "RunOutcome",
    "RunView",
    "TaskState",
    "TaskStatus",
    "TaskType",
    "TaskView",
    "allowance_for",
    "recurrence_fields",
    "recurrence_of",
]

ACTIVE_STATUSES = (TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.PAUSED)
# Finished tasks whose last run says what happened (a cancelled task was simply cancelled).
SETTLED_BY_A_RUN = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.EXPIRED})


@dataclass(frozen=True)
class LastRun:
    """A finished task's last run: when it was due, its outcome and the reason."""

    due_at: datetime
    outcome: RunOutcome
    detail: str | None

    @classmethod
    def of(cls, summary: RunSummary) -> LastRun:
        return cls(summary.due_at, RunOutcome(summary.outcome), summary.detail)

    @property
    def reason(self) -> str | None:
        """The detail without a leading "missed: " that repeats the outcome."""
        if self.detail is None:
            return None
        prefix = f"{self.outcome.value}: "
        return self.detail.removeprefix(prefix) or None


@dataclass(frozen=True)
class TaskState:
    """What a task's line says it is: a word (``skipped``, ``pending``) and why, if known."""

    word: str
    reason: str | None = None


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
    # A finished task's last finished run, when the service read it (task lists and /tasks show).
    last_run: LastRun | None = None

    @property
    def is_system(self) -> bool:
        return self.owner_id is None

    @property
    def is_recurring(self) -> bool:
        return not self.recurrence.is_once

    @property
    def state(self) -> TaskState:
        """What happened, for a finished task; its status otherwise.

        A one-off's status says only that it is over ("completed" even when its one run was
        skipped because nobody was listening): its run's outcome says what happened, so that is
        what shows.  A repeating task that finished shows its status, and its last run when that
        did not succeed.
        """
        run = self.last_run
        if self.status not in SETTLED_BY_A_RUN or run is None:
            failed = self.status in (TaskStatus.FAILED, TaskStatus.EXPIRED)
            return TaskState(self.status.value, self.last_error if failed else None)
        if run.outcome is RunOutcome.SUCCEEDED:
            return TaskState(self.status.value)
        if self.is_recurring:
            reason = f"last run {run.outcome.value}" + (f": {run.reason}" if run.reason else "")
            return TaskState(self.status.value, reason)
        return TaskState(run.outcome.value, run.reason)

    @classmethod
    def of(cls, row: ScheduledTask, last_run: LastRun | None = None) -> TaskView:
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
            last_run=last_run,
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
