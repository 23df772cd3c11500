"""Scheduled tasks and their runs."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_ignore
from storage.enums import FINISHED_STATUSES, RunOutcome, TaskStatus
from storage.models import Runner, ScheduledTask, TaskRun


class TaskRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, task: ScheduledTask) -> ScheduledTask:
        self._session.add(task)
        await self._session.flush()
        return task

    async def get(self, task_id: int) -> ScheduledTask | None:
        return await self._session.get(ScheduledTask, task_id)

    async def get_many(self, task_ids: Collection[int]) -> dict[int, ScheduledTask]:
        """Several tasks in one query (the runner claims a burst in one transaction)."""
        if not task_ids:
            return {}
        result = await self._session.execute(
            select(ScheduledTask).where(ScheduledTask.id.in_(list(task_ids)))
        )
        return {row.id: row for row in result.scalars()}

    async def list(
        self,
        guild_id: int,
        *,
        owner_id: int | None = None,
        system_only: bool = False,
        statuses: Collection[TaskStatus] = (),
        limit: int = 25,
        offset: int = 0,
    ) -> Sequence[ScheduledTask]:
        query = select(ScheduledTask).where(ScheduledTask.guild_id == guild_id)
        if system_only:
            query = query.where(ScheduledTask.owner_id.is_(None))
        elif owner_id is not None:
            query = query.where(ScheduledTask.owner_id == owner_id)
        if statuses:
            query = query.where(ScheduledTask.status.in_([s.value for s in statuses]))
        query = query.order_by(
            ScheduledTask.next_run_at.is_(None), ScheduledTask.next_run_at, ScheduledTask.id
        )
        result = await self._session.execute(query.limit(limit).offset(offset))
        return result.scalars().all()

    async def count_active_for_owner(self, guild_id: int, owner_id: int) -> int:
        result = await self._session.execute(
            select(func.count())
            .select_from(ScheduledTask)
            .where(
                ScheduledTask.guild_id == guild_id,
                ScheduledTask.owner_id == owner_id,
                ScheduledTask.status.in_(
                    [TaskStatus.PENDING.value, TaskStatus.RUNNING.value, TaskStatus.PAUSED.value]
                ),
            )
        )
        return int(result.scalar_one())

    async def count(
        self,
        guild_id: int,
        *,
        owner_id: int | None = None,
        system_only: bool = False,
        statuses: Collection[TaskStatus] = (),
    ) -> int:
        """How many tasks :meth:`list` would page through with the same filters."""
        query = (
            select(func.count())
            .select_from(ScheduledTask)
            .where(ScheduledTask.guild_id == guild_id)
        )
        if system_only:
            query = query.where(ScheduledTask.owner_id.is_(None))
        elif owner_id is not None:
            query = query.where(ScheduledTask.owner_id == owner_id)
        if statuses:
            query = query.where(ScheduledTask.status.in_([s.value for s in statuses]))
        return int((await self._session.execute(query)).scalar_one())

    async def pending_summary(self, guild_id: int) -> tuple[int, datetime | None]:
        """How many of a server's tasks are pending, and the earliest of their next runs.

        One aggregate over the ``(guild_id, owner_id, status)`` index's server range: no rows are
        loaded, so ``/admin status`` stays cheap on a server with thousands of tasks.
        """
        result = await self._session.execute(
            select(func.count(), func.min(ScheduledTask.next_run_at)).where(
                ScheduledTask.guild_id == guild_id,
                ScheduledTask.status == TaskStatus.PENDING.value,
            )
        )
        count, earliest = result.one()
        return int(count), earliest

    async def due_in(
        self, guild_id: int, start: datetime, end: datetime
    ) -> Sequence[ScheduledTask]:
        """Active tasks of a server whose next run falls in ``[start, end)``."""
        result = await self._session.execute(
            select(ScheduledTask).where(
                ScheduledTask.guild_id == guild_id,
                ScheduledTask.status.in_([TaskStatus.PENDING.value, TaskStatus.RUNNING.value]),
                ScheduledTask.next_run_at >= start,
                ScheduledTask.next_run_at < end,
            )
        )
        return result.scalars().all()

    async def due_before(
        self, horizon: datetime, *, after_id: int = 0, limit: int = 1000
    ) -> Sequence[tuple[int, datetime]]:
        """``(id, next_run_at)`` of pending tasks due before ``horizon``: one index range scan."""
        result = await self._session.execute(
            select(ScheduledTask.id, ScheduledTask.next_run_at)
            .where(
                ScheduledTask.status == TaskStatus.PENDING.value,
                ScheduledTask.next_run_at <= horizon,
                ScheduledTask.id > after_id,
            )
            .order_by(ScheduledTask.next_run_at, ScheduledTask.id)
            .limit(limit)
        )
        return [(row[0], row[1]) for row in result.all() if row[1] is not None]

    async def advance(
        self, task_id: int, expected_next: datetime | None, values: dict[str, object]
    ) -> bool:
        """Update a task only if its ``next_run_at`` is still ``expected_next`` (claim guard)."""
        result = await self._session.execute(
            update(ScheduledTask)
            .where(ScheduledTask.id == task_id, ScheduledTask.next_run_at == expected_next)
            .values(**values)
            .returning(ScheduledTask.id)
            # The default "evaluate" sync scans every loaded task per statement: quadratic in a
            # batch claim.  Callers work from snapshots taken before the update.
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none() is not None

    async def release_running(self, now: datetime) -> int:
        """Settle tasks left ``running`` with no unfinished run (their runner crashed)."""
        unfinished = (
            select(TaskRun.id)
            .where(TaskRun.task_id == ScheduledTask.id, TaskRun.outcome.is_(None))
            .exists()
        )
        running = (ScheduledTask.status == TaskStatus.RUNNING.value) & ~unfinished
        total = 0
        for condition, status in (
            (ScheduledTask.next_run_at.is_not(None), TaskStatus.PENDING),
            (ScheduledTask.recurrence_type == "none", TaskStatus.FAILED),
            (ScheduledTask.recurrence_type != "none", TaskStatus.COMPLETED),
        ):
            values: dict[str, object] = {"status": status.value, "updated_at": now}
            if status is not TaskStatus.PENDING:
                values["finished_at"] = now
            result = await self._session.execute(
                update(ScheduledTask)
                .where(running, condition)
                .values(**values)
                .returning(ScheduledTask.id)
            )
            total += len(result.all())
        return total

    async def advance_many(self, changes: Sequence[Mapping[str, Any]]) -> int:
        """Apply many guarded updates in one executemany; returns how many rows matched.

        Each change has ``id``, ``expected`` (the ``next_run_at`` it must still have) and the same
        set of column values.  A count below ``len(changes)`` means another process moved some
        of them first: the caller rolls back and claims one by one.
        """
        if not changes:
            return 0
        table = cast(Table, ScheduledTask.__table__)
        columns = [key for key in changes[0] if key not in ("id", "expected")]
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"), table.c.next_run_at == bindparam("b_expected"))
            .values({column: bindparam(f"b_{column}") for column in columns})
        )
        params = [{f"b_{key}": value for key, value in change.items()} for change in changes]
        result = await self._session.execute(statement, params)
        return int(getattr(result, "rowcount", 0))

    async def purge_finished(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(ScheduledTask)
            .where(
                ScheduledTask.status.in_([s.value for s in FINISHED_STATUSES]),
                ScheduledTask.updated_at < before,
            )
            .returning(ScheduledTask.id)
        )
        return len(result.all())


class TaskRunRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim_many(
        self, pairs: Sequence[tuple[int, datetime]], claimed_by: str
    ) -> dict[int, int]:
        """Insert runs for many (task, due time) pairs in one statement: task id -> run id."""
        if not pairs:
            return {}
        rows = [
            {"task_id": task_id, "due_at": due, "attempt": 1, "claimed_by": claimed_by}
            for task_id, due in pairs
        ]
        result = await self._session.execute(
            insert_ignore(self._session, TaskRun, ["task_id", "due_at"])
            .values(rows)
            .returning(TaskRun.id, TaskRun.task_id)
        )
        return {row[1]: row[0] for row in result.all()}

    async def take_over(
        self, after: datetime, runners: Collection[str], by: str
    ) -> Sequence[tuple[int, int, datetime]]:
        """Hand to ``by`` the runs ``runners`` claimed ahead of a due time still in the future
        and never started: ``(run id, task id, due)`` of each, taken once (a guarded update)."""
        result = await self._session.execute(
            update(TaskRun)
            .where(
                TaskRun.outcome.is_(None),
                TaskRun.retry_at.is_(None),
                TaskRun.started_at.is_(None),
                TaskRun.due_at > after,
                _claimed_by(runners),
            )
            .values(claimed_by=by)
            .returning(TaskRun.id, TaskRun.task_id, TaskRun.due_at)
            .execution_options(synchronize_session=False)
        )
        return [(row[0], row[1], row[2]) for row in result.all()]

    async def record(
        self,
        task_id: int,
        due_at: datetime,
        outcome: RunOutcome,
        detail: str,
        now: datetime,
    ) -> TaskRun | None:
        """Record a run that did not execute (missed, skipped); None if it already exists."""
        result = await self._session.execute(
            insert_ignore(self._session, TaskRun, ["task_id", "due_at"])
            .values(
                task_id=task_id,
                due_at=due_at,
                finished_at=now,
                outcome=outcome.value,
                detail=detail,
                attempt=0,
            )
            .returning(TaskRun.id)
        )
        run_id = result.scalar_one_or_none()
        return None if run_id is None else await self._session.get(TaskRun, run_id)

    async def finish(
        self,
        run_id: int,
        outcome: RunOutcome,
        detail: str,
        now: datetime,
        started_at: datetime | None = None,
    ) -> None:
        values: dict[str, object] = {
            "outcome": outcome.value,
            "detail": detail,
            "finished_at": now,
            "retry_at": None,
        }
        if started_at is not None:
            values["started_at"] = func.coalesce(TaskRun.started_at, started_at)
        await self._session.execute(update(TaskRun).where(TaskRun.id == run_id).values(**values))

    async def set_retry(self, run_id: int, retry_at: datetime, detail: str) -> None:
        await self._session.execute(
            update(TaskRun).where(TaskRun.id == run_id).values(retry_at=retry_at, detail=detail)
        )

    async def take_retry(
        self, run_id: int, retry_at: datetime, now: datetime, claimed_by: str
    ) -> TaskRun | None:
        """Start the stored retry of a run, once: None if another process took it first."""
        result = await self._session.execute(
            update(TaskRun)
            .where(TaskRun.id == run_id, TaskRun.retry_at == retry_at, TaskRun.outcome.is_(None))
            .values(
                retry_at=None, attempt=TaskRun.attempt + 1, started_at=now, claimed_by=claimed_by
            )
            .returning(TaskRun.id)
        )
        if result.scalar_one_or_none() is None:
            return None
        run = await self._session.get(TaskRun, run_id)
        if run is not None:
            await self._session.refresh(run)
        return run

    async def retries_before(self, horizon: datetime) -> Sequence[tuple[int, datetime]]:
        result = await self._session.execute(
            select(TaskRun.id, TaskRun.retry_at)
            .where(TaskRun.outcome.is_(None), TaskRun.retry_at <= horizon)
            .order_by(TaskRun.retry_at)
        )
        return [(row[0], row[1]) for row in result.all() if row[1] is not None]

    async def fail_interrupted(self, now: datetime, detail: str, runners: Collection[str]) -> int:
        """Runs of crashed ``runners``, due by now, neither finished nor waiting to retry.

        Whether such a run had started cannot be known for sure (``started_at`` is written just
        after the start), so it is failed rather than run again: never twice beats always once.
        """
        result = await self._session.execute(
            update(TaskRun)
            .where(
                TaskRun.outcome.is_(None),
                TaskRun.retry_at.is_(None),
                TaskRun.due_at <= now,
                _claimed_by(runners),
            )
            .values(outcome=RunOutcome.FAILED.value, detail=detail, finished_at=now)
            .returning(TaskRun.id)
        )
        return len(result.all())

    async def history(self, task_id: int, limit: int = 10, offset: int = 0) -> Sequence[TaskRun]:
        result = await self._session.execute(
            select(TaskRun)
            .where(TaskRun.task_id == task_id)
            .order_by(TaskRun.due_at.desc(), TaskRun.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return result.scalars().all()

    async def trim(self, task_id: int, keep: int) -> int:
        """Keep only the newest ``keep`` runs of a task."""
        newest = (
            select(TaskRun.id)
            .where(TaskRun.task_id == task_id)
            .order_by(TaskRun.due_at.desc(), TaskRun.id.desc())
            .limit(keep)
            .scalar_subquery()
        )
        result = await self._session.execute(
            delete(TaskRun)
            .where(TaskRun.task_id == task_id, TaskRun.id.not_in(newest))
            .returning(TaskRun.id)
        )
        return len(result.all())


class RunnerRepository:
    """Heartbeats of the task runners sharing this database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def heartbeat(self, name: str, now: datetime) -> None:
        result = await self._session.execute(
            update(Runner)
            .where(Runner.name == name)
            .values(heartbeat_at=now)
            .returning(Runner.name)
        )
        if result.scalar_one_or_none() is None:
            await self._session.execute(
                insert_ignore(self._session, Runner, ["name"]).values(
                    name=name, started_at=now, heartbeat_at=now
                )
            )

    async def silent_since(self, cutoff: datetime) -> list[str]:
        """Runners whose last heartbeat is older than ``cutoff``: presumed dead."""
        result = await self._session.execute(
            select(Runner.name).where(Runner.heartbeat_at < cutoff)
        )
        return list(result.scalars())

    async def forget(self, name: str) -> None:
        await self._session.execute(delete(Runner).where(Runner.name == name))


def _claimed_by(runners: Collection[str]) -> ColumnElement[bool]:
    """Runs claimed by one of ``runners`` (or before runs recorded who claimed them)."""
    return or_(TaskRun.claimed_by.is_(None), TaskRun.claimed_by.in_(list(runners)))
