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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.config import SchedulerSettings
from bot.errors import CarillonError, TransientPlaybackError
from bot.tasks.claiming import Claim
from bot.tasks.handlers import HandlerResult, TaskHandler
from bot.tasks.model import TaskView, allowance_for
from bot.tasks.transient import is_transient, retrying
from storage.enums import RunOutcome, TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)
FINISH_CHUNK = 200  # runs recorded per transaction when many settle at once
# An outcome is worth waiting for (the play has happened): about two minutes of tries, then the
# run is left started without an outcome, and the next start records it interrupted.
SETTLE_ATTEMPTS = 64


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

    async def run(self, claim: Claim) -> tuple[datetime | None, Settled | None]:
        """Run the handler (its start is already recorded): ``(retry time, None)`` if a retry
        was stored, else ``(None, where the task stands)``."""
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
        except Exception as exc:
            if is_transient(exc):  # "database busy" is a transient failure like any other
                message = "the database was busy"
                log.warning("task %s (run %s): %s (%s)", task.id, claim.run_id, message, exc)
                retry_at = await self._store_retry(claim, message)
                if retry_at is not None:
                    return retry_at, None
                result = HandlerResult(RunOutcome.FAILED, message)
            else:
                log.exception("task %s (run %s) failed unexpectedly", task.id, claim.run_id)
                result = HandlerResult(RunOutcome.FAILED, "internal error; it has been logged")
        # A burst wakes all its runs in one pass of the loop: yield before the (heavier) record,
        # so every run of the burst starts before any outcome is written (p99 52 -> 21 ms for
        # 1,000 at once on a loaded machine, bench/scheduler.py).
        await asyncio.sleep(0)
        return None, await self.finish(claim, result, started)

    def effects_with_outcome(self, task_type: TaskType) -> bool:
        """Whether this type's whole effect lands in the transaction that records its outcome
        (a recharge): then a run that started and has no outcome did nothing."""
        return bool(getattr(self._handlers.get(task_type), "effects_with_outcome", False))

    async def take_retry(self, run_id: int, retry_at: datetime) -> Claim | None:
        """The stored retry of a run, taken once (None if another process took it, or the task
        was paused or cancelled meanwhile, in which case the run is recorded as skipped)."""

        async def take() -> tuple[TaskView, Any] | None:
            async with self._db_slots, self._uow() as uow:
                now = self._clock.now()
                taken = await uow.runs.take_retry(run_id, retry_at, now, self._runner)
                if taken is None:
                    return None
                row = await uow.tasks.get(taken.task_id)
                if row is None:
                    return None
                task = TaskView.of(row)
                await uow.commit()
                return task, taken

        got = await retrying(take, f"taking the retry of run {run_id}")
        if got is None:
            return None
        task, taken = got
        claim = Claim(task, run_id, taken.due_at, attempt=taken.attempt, started=True)
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

        async def store() -> None:
            async with self._db_slots, self._uow() as uow:
                await uow.runs.set_retry(
                    claim.run_id, retry_at, f"attempt {claim.attempt} failed: {message}; retrying"
                )
                await uow.commit()

        await retrying(store, f"storing the retry of run {claim.run_id}")
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
    ) -> Settled | None:
        """Record the outcome and settle the task in one transaction (tried again after a
        transient database error: it rolled back whole, so that is safe even after a play).
        None if another runner took the run over meanwhile: then nothing is recorded here."""
        [settled] = await self.finish_many([claim], result, started)
        return settled

    async def finish_many(
        self, claims: Sequence[Claim], result: HandlerResult, started: datetime | None = None
    ) -> list[Settled | None]:
        """:meth:`finish` for several runs with one outcome, in one transaction per chunk."""
        settled: list[Settled | None] = []
        for first in range(0, len(claims), FINISH_CHUNK):
            chunk = claims[first : first + FINISH_CHUNK]
            recorded = await retrying(
                lambda chunk=chunk: self._record(chunk, result, started),  # type: ignore[misc]
                f"recording the outcome of {len(chunk)} run(s)",
                attempts=SETTLE_ATTEMPTS,
            )
            for claim, entry in zip(chunk, recorded, strict=True):
                settled.append(None if entry is None else entry[0])
                if entry is None:
                    log.warning(
                        "task %s run %s: taken over by another runner; outcome not recorded here",
                        claim.task.id, claim.run_id,
                    )  # fmt: skip
                    continue
                outcome_settled, detail, notify = entry
                log.info(
                    "task %s run %s due %s: %s (%s)",
                    claim.task.id, claim.run_id, claim.due_at, result.outcome, detail,
                )  # fmt: skip
                if notify and self._notifier is not None:
                    try:
                        await self._notifier.notify(
                            claim.task.guild_id, claim.task.owner_id, notify
                        )
                    except Exception:
                        log.exception("could not notify about task %s", claim.task.id)
        return settled

    async def _record(
        self, claims: Sequence[Claim], result: HandlerResult, started: datetime | None
    ) -> list[tuple[Settled, str, str | None] | None]:
        """One transaction: each run's outcome, its task's counters and status, and the apply."""
        now = self._clock.now()
        outcome = result.outcome
        recorded: list[tuple[Settled, str, str | None] | None] = []
        async with self._db_slots, self._uow() as uow:
            for claim in claims:
                detail = result.detail
                held = await uow.runs.finish(
                    claim.run_id, outcome, detail, now, started, runner=self._runner
                )
                if not held:
                    recorded.append(None)
                    continue
                if result.apply is not None:
                    detail = await result.apply(uow)
                    await uow.runs.finish_detail(claim.run_id, detail)
                row = await uow.tasks.get(claim.task.id)
                notify: str | None = None
                if row is not None:
                    if outcome is not RunOutcome.MISSED:
                        row.runs_done += 1  # a count counts attempts, not missed occurrences
                    if outcome is RunOutcome.FAILED:
                        row.consecutive_failures += 1
                        row.last_error = detail
                    elif outcome is RunOutcome.SUCCEEDED:
                        row.consecutive_failures = 0
                    if row.status == TaskStatus.RUNNING.value:
                        notify = self._settle(row, claim, outcome, detail, now)
                    row.updated_at = now
                    await uow.runs.trim(claim.task.id, self._settings.max_runs_per_task)
                settled = Settled(
                    None if row is None else TaskStatus(row.status),
                    None if row is None else row.next_run_at,
                )
                recorded.append((settled, detail, notify))
            await uow.commit()
        return recorded

    def _settle(
        self, row: Any, claim: Claim, outcome: RunOutcome, detail: str, now: datetime
    ) -> str | None:
        """The task's status after a run; returns a message for its owner, if any."""
        label = f"Task #{row.id} ({row.name})"
        one_shot = row.recurrence_type == "none"
        if outcome is RunOutcome.MISSED and row.next_run_at is None and not one_shot:
            # The claim cut the schedule at its last counted occurrence, but a missed one does
            # not count: the task goes on to the occurrence after it.
            following = claim.task.recurrence.next_after(claim.due_at)
            row.next_run_at = None if following is None else following.astimezone(UTC)
        if row.next_run_at is None:
            if outcome is RunOutcome.MISSED and one_shot:
                row.status = TaskStatus.EXPIRED.value
                row.last_error = detail
            else:
                failed = outcome is RunOutcome.FAILED and one_shot
                row.status = TaskStatus.FAILED.value if failed else TaskStatus.COMPLETED.value
                if failed:
                    row.finished_at = now
                    return f"{label} failed: {detail}"
            row.finished_at = now
            return None
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


@dataclass(frozen=True)
class Settled:
    """Where a task stands after one of its runs was recorded (for the runner to re-arm)."""

    status: TaskStatus | None  # None: the task was deleted meanwhile
    next_run_at: datetime | None
