"""Scheduled tasks and their runs."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    and_,
    column,
    delete,
    false,
    func,
    or_,
    select,
    update,
    values,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import dialect_name, insert_ignore
from storage.enums import FINISHED_STATUSES, RunOutcome, TaskStatus
from storage.models import Runner, ScheduledTask, TaskRun
from storage.types import UTCDateTime


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

    async def lock_many(self, task_ids: Collection[int]) -> dict[int, ScheduledTask]:
        """The tasks of a claim, locked for this transaction.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two runners claiming one burst split it between
        them instead of one waiting for the other's commit.  SQLite has one writer: a write first
        (that changes nothing) takes the write lock now, so a second runner waits for it here
        rather than reading rows that change before its own write (which SQLite refuses).
        """
        if not task_ids:
            return {}
        if dialect_name(self._session) == "sqlite":
            await self._session.execute(
                update(ScheduledTask).where(false()).values(updated_at=ScheduledTask.updated_at)
            )
        result = await self._session.execute(
            select(ScheduledTask)
            .where(ScheduledTask.id.in_(list(task_ids)))
            .order_by(ScheduledTask.id)
            .with_for_update(skip_locked=True)
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

    async def release_running(self, now: datetime) -> Sequence[tuple[int, datetime | None]]:
        """Settle tasks left ``running`` with no unfinished run; the ``(id, next run)`` of those
        that are pending again, for the caller to arm."""
        unfinished = (
            select(TaskRun.id)
            .where(TaskRun.task_id == ScheduledTask.id, TaskRun.outcome.is_(None))
            .exists()
        )
        running = (ScheduledTask.status == TaskStatus.RUNNING.value) & ~unfinished
        pending: builtins.list[tuple[int, datetime | None]] = []
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
                .returning(ScheduledTask.id, ScheduledTask.next_run_at)
                .execution_options(synchronize_session=False)
            )
            if status is TaskStatus.PENDING:
                pending.extend((row[0], row[1]) for row in result.all())
        return pending

    async def advance_many(self, changes: Sequence[Mapping[str, Any]]) -> set[int]:
        """Apply many guarded updates in one statement; returns the ids of the rows that moved.

        Each change has ``id``, ``expected`` (the ``next_run_at`` it must still have) and the same
        set of column values.  One ``WITH v(...) AS (VALUES ...) UPDATE ... FROM v ... RETURNING``
        (SQLite 3.33+, PostgreSQL): the answer names the rows that still had their expected time,
        which a driver's executemany row count cannot do (asyncpg reports -1).  An id missing
        from the answer was moved by someone else first: that task is not ours to claim.
        """
        if not changes:
            return set()
        table = cast(Table, ScheduledTask.__table__)
        keys = list(changes[0])
        columns = [key for key in keys if key not in ("id", "expected")]
        source = values(
            column("id", Integer),
            column("expected", UTCDateTime),
            *(column(key, table.c[key].type) for key in columns),
            name="v",
        ).data([tuple(change[key] for key in ["id", "expected", *columns]) for change in changes])
        v = source.cte("v")
        # A VALUES column that is NULL in every row has no type on PostgreSQL: say it.
        typed = dialect_name(self._session) == "postgresql"
        statement = (
            update(table)
            .where(table.c.id == v.c.id, table.c.next_run_at == v.c.expected)
            .values(
                {
                    key: sql_cast(v.c[key], table.c[key].type) if typed else v.c[key]
                    for key in columns
                }
            )
            .returning(table.c.id)
        )
        result = await self._session.execute(statement)
        return {row[0] for row in result.all()}

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
        self,
        pairs: Sequence[tuple[int, datetime]],
        claimed_by: str,
        started_at: datetime | None = None,
    ) -> dict[int, int]:
        """Insert runs for many (task, due time) pairs in one statement: task id -> run id.

        ``started_at`` marks the runs that start as soon as this commits (those already due);
        the others are claimed ahead and marked by :meth:`mark_started` at their due time.
        """
        if not pairs:
            return {}
        rows = [
            {
                "task_id": task_id,
                "due_at": due,
                "attempt": 1,
                "claimed_by": claimed_by,
                "started_at": started_at if started_at is not None and due <= started_at else None,
            }
            for task_id, due in pairs
        ]
        result = await self._session.execute(
            insert_ignore(self._session, TaskRun, ["task_id", "due_at"])
            .values(rows)
            .returning(TaskRun.id, TaskRun.task_id)
        )
        return {row[1]: row[0] for row in result.all()}

    async def mark_started(self, run_ids: Collection[int], at: datetime, runner: str) -> set[int]:
        """Record that these claimed runs start now: the ids this runner may start.

        A run it no longer holds (released, or taken over because its heartbeat looked silent)
        is left out, so it never starts twice.  From here on a crash leaves the run
        interrupted rather than owed.
        """
        if not run_ids:
            return set()
        result = await self._session.execute(
            update(TaskRun)
            .where(
                TaskRun.id.in_(list(run_ids)),
                _owed(),
                TaskRun.claimed_by == runner,
            )
            .values(started_at=at)
            .returning(TaskRun.id)
            .execution_options(synchronize_session=False)
        )
        return {row[0] for row in result.all()}

    async def release(self, runner: str, also: Collection[int] = ()) -> int:
        """A clean stop: hand back every run ``runner`` claimed but has not started, and the
        runs in ``also`` whose start was recorded but whose handler never began."""
        unstarted: ColumnElement[bool] = _owed()
        if also:
            unstarted = or_(
                unstarted,
                and_(
                    TaskRun.id.in_(list(also)),
                    TaskRun.outcome.is_(None),
                    TaskRun.retry_at.is_(None),
                ),
            )
        result = await self._session.execute(
            update(TaskRun)
            .where(unstarted, TaskRun.claimed_by == runner)
            .values(claimed_by=None, started_at=None)
            .returning(TaskRun.id)
            .execution_options(synchronize_session=False)
        )
        return len(result.all())

    async def take_over(
        self, runners: Collection[str], by: str
    ) -> Sequence[tuple[int, int, datetime, datetime | None]]:
        """Take for ``by`` the unfinished runs released (claimed by nobody) or claimed by one of
        ``runners`` (presumed dead), except those waiting for a stored retry, which any runner
        takes when it is due: ``(run id, task id, due, started_at)`` of each, taken once."""
        holders: ColumnElement[bool] = TaskRun.claimed_by.is_(None)
        if runners:
            holders = or_(holders, TaskRun.claimed_by.in_(list(runners)))
        result = await self._session.execute(
            update(TaskRun)
            .where(TaskRun.outcome.is_(None), TaskRun.retry_at.is_(None), holders)
            .values(claimed_by=by)
            .returning(TaskRun.id, TaskRun.task_id, TaskRun.due_at, TaskRun.started_at)
            .execution_options(synchronize_session=False)
        )
        return [(row[0], row[1], row[2], row[3]) for row in result.all()]

    async def unstart(self, run_ids: Collection[int]) -> None:
        """Make interrupted runs owed again: only for work whose effect lands with its outcome
        (a recharge), so an interrupted one provably did nothing."""
        if run_ids:
            await self._session.execute(
                update(TaskRun)
                .where(TaskRun.id.in_(list(run_ids)), TaskRun.outcome.is_(None))
                .values(started_at=None)
                .execution_options(synchronize_session=False)
            )

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
        *,
        runner: str,
    ) -> bool:
        """Record a run's outcome, only while ``runner`` still holds it unfinished; False if
        another runner took it over meanwhile (the caller then rolls back)."""
        values: dict[str, object] = {
            "outcome": outcome.value,
            "detail": detail,
            "finished_at": now,
            "retry_at": None,
        }
        if started_at is not None:
            values["started_at"] = started_at
        result = await self._session.execute(
            update(TaskRun)
            .where(
                TaskRun.id == run_id,
                TaskRun.outcome.is_(None),
                TaskRun.claimed_by == runner,
            )
            .values(**values)
            .returning(TaskRun.id)
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none() is not None

    async def finish_detail(self, run_id: int, detail: str) -> None:
        await self._session.execute(
            update(TaskRun)
            .where(TaskRun.id == run_id)
            .values(detail=detail)
            .execution_options(synchronize_session=False)
        )

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


def _owed() -> ColumnElement[bool]:
    """Claimed runs that provably never started: no start recorded, no outcome, no retry."""
    return and_(TaskRun.outcome.is_(None), TaskRun.started_at.is_(None), TaskRun.retry_at.is_(None))
