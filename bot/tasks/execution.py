"""Running one claimed occurrence: call its handler, retry or record the outcome, settle the task.

The runner (:mod:`bot.tasks.runner`) decides *when* an occurrence runs; this module decides what
happens *around* its handler: transient failures store a retry on the run row (so it survives a
restart), permanent ones fail at once, the run and the task are updated in one transaction
(together with a recharge's credits), and the owner is told when a task fails for good or is
paused after repeated failures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError

from bot.clock import Clock
from bot.config import SchedulerSettings
from bot.errors import CarillonError, TransientPlaybackError
from bot.tasks.claiming import Claim
from bot.tasks.handlers import HandlerResult, TaskHandler
from bot.tasks.model import TaskView, allowance_for
from storage.enums import RunOutcome, TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)
RECORD_ATTEMPTS = 5


class Notifier(Protocol):
    """Tells a task's owner (or, for system tasks, the server) about a problem."""

    async def notify(self, guild_id: int, user_id: int | None, message: str) -> None: ...


class RunExecutor:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[TaskType, TaskHandler],
        *,
        settings: SchedulerSettings,
        clock: Clock,
        notifier: Notifier | None,
        db_slots: asyncio.Semaphore,
        runner: str,
    ) -> None:
        self._uow = uow_factory
        self._handlers = handlers
        self._settings = settings
        self._clock = clock
        self._notifier = notifier
        self._db_slots = db_slots
        self._runner = runner
        self.on_start: Callable[[Claim, datetime], None] | None = None

    async def run(self, claim: Claim) -> tuple[datetime | None, TaskStatus | None]:
        """Run the handler: ``(retry time, None)`` if a retry was stored, else the task's new
        status as ``(None, status)``."""
        task = claim.task
        started = self._clock.now()
        if self.on_start is not None:
            self.on_start(claim, started)
        try:
            result = await self._handlers[task.task_type].execute(task, claim.due_at)
        except TransientPlaybackError as exc:
            retry_at = await self._store_retry(claim, exc.message)
            if retry_at is not None:
                return retry_at, None
            result = HandlerResult(RunOutcome.FAILED, exc.message)
        except CarillonError as exc:
            result = HandlerResult(RunOutcome.FAILED, exc.message)
        except Exception:
            log.exception("task %s (run %s) failed unexpectedly", task.id, claim.run_id)
            result = HandlerResult(RunOutcome.FAILED, "internal error; it has been logged")
        return None, await self.finish(claim, result, started)

    async def take_retry(self, run_id: int, retry_at: datetime) -> Claim | None:
        """The stored retry of a run, taken once (None if another process took it, or the task
        was paused or cancelled meanwhile, in which case the run is recorded as skipped)."""
        async with self._db_slots, self._uow() as uow:
            taken = await uow.runs.take_retry(run_id, retry_at, self._clock.now(), self._runner)
            if taken is None:
                return None
            row = await uow.tasks.get(taken.task_id)
            if row is None:
                return None
            task = TaskView.of(row)
            await uow.commit()
        claim = Claim(task, run_id, taken.due_at, attempt=taken.attempt)
        if task.status in (TaskStatus.CANCELLED, TaskStatus.PAUSED):
            await self.finish(claim, HandlerResult(RunOutcome.SKIPPED, f"task {task.status}"))
            return None
        return claim

    async def _store_retry(self, claim: Claim, message: str) -> datetime | None:
        """Store the next attempt's time on the run, if one fits in the allowance."""
        backoff = self._settings.retry_backoff_s
        if claim.attempt > len(backoff):
            return None
        now = self._clock.now()
        retry_at = now + timedelta(seconds=backoff[claim.attempt - 1])
        allowance = allowance_for(claim.task.task_type, self._settings.lateness)
        if allowance is not None and retry_at - claim.due_at > allowance:
            return None
        async with self._db_slots, self._uow() as uow:
            await uow.runs.set_retry(
                claim.run_id, retry_at, f"attempt {claim.attempt} failed: {message}; retrying"
            )
            await uow.commit()
        log.warning(
            "task %s run %s attempt %s failed (%s); retry at %s",
            claim.task.id,
            claim.run_id,
            claim.attempt,
            message,
            retry_at,
        )
        return retry_at

    async def finish(
        self, claim: Claim, result: HandlerResult, started: datetime | None = None
    ) -> TaskStatus | None:
        """Record the outcome and settle the task in one transaction; the task's new status."""
        now = self._clock.now()
        task = claim.task
        outcome = result.outcome
        # SQLite can answer "database is locked" past its busy timeout on a loaded machine; the
        # transaction rolled back whole, so recording it again is safe (the play already ran).
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                detail, status, notify = await self._record(claim, result, now, started)
                break
            except OperationalError as exc:
                if attempt == RECORD_ATTEMPTS:
                    raise
                log.warning(
                    "task %s run %s: recording the outcome failed (%s); trying again",
                    task.id, claim.run_id, exc,
                )  # fmt: skip
                await asyncio.sleep(0.2 * attempt)
        log.info(
            "task %s run %s due %s: %s (%s)", task.id, claim.run_id, claim.due_at, outcome, detail
        )
        if notify and self._notifier is not None:
            try:
                await self._notifier.notify(task.guild_id, task.owner_id, notify)
            except Exception:
                log.exception("could not notify about task %s", task.id)
        return status

    async def _record(
        self, claim: Claim, result: HandlerResult, now: datetime, started: datetime | None
    ) -> tuple[str, TaskStatus | None, str | None]:
        """One transaction: the run's outcome, the task's counters and status, and the apply."""
        task = claim.task
        outcome, detail = result.outcome, result.detail
        notify: str | None = None
        async with self._db_slots, self._uow() as uow:
            if result.apply is not None:
                detail = await result.apply(uow)
            row = await uow.tasks.get(task.id)
            await uow.runs.finish(claim.run_id, outcome, detail, now, started)
            if row is not None:
                row.runs_done += 1
                if outcome is RunOutcome.FAILED:
                    row.consecutive_failures += 1
                    row.last_error = detail
                elif outcome is RunOutcome.SUCCEEDED:
                    row.consecutive_failures = 0
                if row.status == TaskStatus.RUNNING.value:
                    notify = self._settle(row, outcome, detail, now)
                row.updated_at = now
                await uow.runs.trim(task.id, self._settings.max_runs_per_task)
            await uow.commit()
            status = None if row is None else TaskStatus(row.status)
        return detail, status, notify

    def _settle(self, row: Any, outcome: RunOutcome, detail: str, now: datetime) -> str | None:
        """The task's status after a run; returns a message for its owner, if any."""
        label = f"Task #{row.id} ({row.name})"
        if row.next_run_at is None:
            one_shot = row.recurrence_type == "none"
            failed = outcome is RunOutcome.FAILED and one_shot
            row.status = TaskStatus.FAILED.value if failed else TaskStatus.COMPLETED.value
            row.finished_at = now
            return f"{label} failed: {detail}" if failed else None
        if (
            outcome is RunOutcome.FAILED
            and row.consecutive_failures >= self._settings.max_consecutive_failures
        ):
            row.status = TaskStatus.PAUSED.value
            return (
                f"{label} was paused after {row.consecutive_failures} failed runs in a row. "
                f"Last error: {detail}. Fix the cause, then /tasks resume {row.id}."
            )
        row.status = TaskStatus.PENDING.value
        return None
