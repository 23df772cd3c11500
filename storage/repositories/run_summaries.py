"""The last finished run of each of a page of tasks: what a task list shows a finished task did.

One query for the whole page, however many tasks it has: the newest run with an outcome per task
(by due time, then id, as the history orders them), picked with a window function over the
``(task_id, due_at)`` unique index.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TaskRun


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A task's last finished run, in the stored vocabulary (``outcome`` is a RunOutcome value)."""

    task_id: int
    due_at: datetime
    outcome: str
    detail: str | None


class RunSummaryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def last_finished(self, task_ids: Collection[int]) -> dict[int, RunSummary]:
        """Task id -> its newest run that has an outcome; tasks with none are left out."""
        if not task_ids:
            return {}
        newest = (
            func.row_number()
            .over(
                partition_by=TaskRun.task_id,
                order_by=(TaskRun.due_at.desc(), TaskRun.id.desc()),
            )
            .label("newest")
        )
        ranked = (
            select(TaskRun.task_id, TaskRun.due_at, TaskRun.outcome, TaskRun.detail, newest)
            .where(TaskRun.task_id.in_(list(task_ids)), TaskRun.outcome.is_not(None))
            .subquery()
        )
        result = await self._session.execute(
            select(ranked.c.task_id, ranked.c.due_at, ranked.c.outcome, ranked.c.detail).where(
                ranked.c.newest == 1
            )
        )
        return {
            row.task_id: RunSummary(row.task_id, row.due_at, row.outcome, row.detail)
            for row in result
        }
