"""The runner: fires each occurrence exactly once, on time, through restarts.

* **Rolling window.** The database is the truth.  APScheduler's ``AsyncIOScheduler`` holds only the
  occurrences due within ``window_s`` (one date job per task), refilled from the
  ``(status, next_run_at)`` index every half window, so memory and start-up do not grow with the
  number of stored tasks.  A task created or changed inside the window is armed at once.
* **Claim before run.** An occurrence runs only after one transaction has inserted its run row
  (unique on task and due time) *and* moved the task's ``next_run_at`` on from exactly that due
  time.  A second process, a duplicate job or a restart finds the row or the moved ``next_run_at``
  and does nothing.
* **Lateness.** :mod:`bot.tasks.catchup` decides what runs late, what collapses into one run, and
  what is recorded as ``missed``.  APScheduler's own misfire handling is switched off
  (``misfire_grace_time=None``): its 1-second default would silently drop late jobs.
* **Retries.** Transient failures wait ``retry_backoff_s`` and try the same occurrence again while
  inside the allowance; the pending retry is stored on the run row, so it survives a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import OperationalError

from bot.clock import Clock
from bot.config import SchedulerSettings
from bot.errors import CarillonError, TransientPlaybackError
from bot.tasks.catchup import plan_catch_up
from bot.tasks.handlers import HandlerResult, TaskHandler
from bot.tasks.model import TaskView, allowance_for
from storage.enums import RunOutcome, TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

REFILL_PAGE = 1000
DB_CONCURRENCY = 8  # transactions at once; more only queue on SQLite's single writer
CLAIM_ATTEMPTS = 5  # SQLite may answer "database is locked" to a losing writer: try again


class Notifier(Protocol):
    """Tells a task's owner (or, for system tasks, the server) about a problem."""

    async def notify(self, guild_id: int, user_id: int | None, message: str) -> None: ...


@dataclass
class CatchUpReport:
    """What a start found overdue: shown by ``/admin status`` and logged in one line."""

    at: datetime | None = None
    overdue_tasks: int = 0
    ran_late: int = 0
    missed: int = 0
    expired: int = 0
    interrupted: int = 0

    def summary(self) -> str:
        return (
            f"{self.overdue_tasks} overdue task(s): {self.ran_late} run(s) started late, "
            f"{self.missed} occurrence(s) missed, {self.expired} one-shot(s) expired, "
            f"{self.interrupted} run(s) interrupted by the restart"
        )


@dataclass(frozen=True)
class Claim:
    task: TaskView
    run_id: int
    due_at: datetime
    attempt: int
    late: bool = False


@dataclass
class _Counters:
    missed: int = 0
    expired: int = 0
    claims: list[Claim] = field(default_factory=list)


class TaskRunner:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[TaskType, TaskHandler],
        *,
        settings: SchedulerSettings,
        clock: Clock,
        notifier: Notifier | None = None,
    ) -> None:
        self._uow = uow_factory
        self._handlers = handlers
        self._settings = settings
        self._clock = clock
        self.notifier = notifier
        self._window = timedelta(seconds=settings.window_s)
        self._scheduler: AsyncIOScheduler | None = None
        self._armed: dict[int, datetime] = {}
        self._retries: dict[int, datetime] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._db_slots = asyncio.Semaphore(DB_CONCURRENCY)
        self.last_start = CatchUpReport()

    # ----------------------------------------------------------------- lifecycle

    async def start(self, *, use_scheduler: bool = True) -> CatchUpReport:
        """Recover from a crash, catch up on what is overdue, and arm the window."""
        if use_scheduler:
            self._scheduler = AsyncIOScheduler(
                timezone=UTC,
                job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            )
            self._scheduler.start()
        report = await self.catch_up()
        await self.refill()
        if self._scheduler is not None:
            self._scheduler.add_job(
                self._spawn_refill,
                "interval",
                seconds=max(30, self._settings.window_s // 2),
                id="refill",
                replace_existing=True,
            )
            self._scheduler.add_job(
                self._spawn_maintenance,
                "interval",
                hours=1,
                id="maintenance",
                replace_existing=True,
                next_run_time=datetime.now(UTC) + timedelta(minutes=1),
            )
        return report

    async def stop(self) -> None:
        """Stop arming and cancel what is still running; claimed runs are settled at next start."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for task in list(self._inflight):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        self._armed.clear()
        self._retries.clear()

    async def drain(self) -> None:
        """Wait until every started occurrence has finished (tests, shutdown)."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    @property
    def armed(self) -> Mapping[int, datetime]:
        return dict(self._armed)

    # ----------------------------------------------------------------- arming

    def task_changed(self, task_id: int, next_run_at: datetime | None) -> None:
        """Called by the service after a change: arm it now if due inside the window."""
        if next_run_at is None:
            self._unarm(task_id)
        elif next_run_at <= self._clock.now() + self._window:
            self._arm(task_id, next_run_at)
        else:
            self._unarm(task_id)

    async def refill(self) -> int:
        """Arm every pending occurrence and retry due before now + window; returns how many."""
        horizon = self._clock.now() + self._window
        count = 0
        after_id = 0
        while True:
            async with self._uow() as uow:
                page = await uow.tasks.due_before(horizon, after_id=after_id, limit=REFILL_PAGE)
            for task_id, due in page:
                self._arm(task_id, due)
            count += len(page)
            if len(page) < REFILL_PAGE:
                break
            after_id = page[-1][0]
        async with self._uow() as uow:
            for run_id, retry_at in await uow.runs.retries_before(horizon):
                self._arm_retry(run_id, retry_at)
                count += 1
        return count

    def _arm(self, task_id: int, due: datetime) -> None:
        if self._armed.get(task_id) == due:
            return
        self._armed[task_id] = due
        if self._scheduler is not None:
            self._scheduler.add_job(
                self._spawn_fire,
                "date",
                run_date=due,
                args=(task_id, due),
                id=f"task-{task_id}",
                replace_existing=True,
            )

    def _unarm(self, task_id: int) -> None:
        if self._armed.pop(task_id, None) is not None and self._scheduler is not None:
            job = self._scheduler.get_job(f"task-{task_id}")
            if job is not None:
                job.remove()

    def _arm_retry(self, run_id: int, retry_at: datetime) -> None:
        self._retries[run_id] = retry_at
        if self._scheduler is not None:
            self._scheduler.add_job(
                self._spawn_retry,
                "date",
                run_date=retry_at,
                args=(run_id, retry_at),
                id=f"retry-{run_id}",
                replace_existing=True,
            )

    async def fire_due(self) -> int:
        """Fire everything armed that is due by the clock (what the scheduler does, for tests)."""
        now = self._clock.now()
        fired = 0
        for task_id, due in sorted(self._armed.items(), key=lambda item: item[1]):
            if due <= now:
                await self.fire(task_id, due)
                fired += 1
        for run_id, retry_at in sorted(self._retries.items(), key=lambda item: item[1]):
            if retry_at <= now:
                await self.retry(run_id, retry_at)
                fired += 1
        return fired

    # ----------------------------------------------------------------- firing

    async def fire(self, task_id: int, due_at: datetime) -> Claim | None:
        """Claim the occurrence due at ``due_at`` and start it; None if it was not ours to run."""
        if self._armed.get(task_id) == due_at:
            del self._armed[task_id]
        counters = _Counters()
        claim = await self._claim(task_id, due_at, counters)
        if claim is not None:
            self._start(claim)
        return claim

    async def catch_up(self) -> CatchUpReport:
        """Settle runs a crash interrupted, then claim every overdue occurrence; log a summary."""
        now = self._clock.now()
        report = CatchUpReport(at=now)
        async with self._db_slots, self._uow() as uow:
            report.interrupted = await uow.runs.fail_interrupted(
                now, "interrupted by a restart; not run again so it cannot play twice"
            )
            await uow.tasks.release_running(now)
            await uow.commit()
        after_id = 0
        while True:
            async with self._uow() as uow:
                page = await uow.tasks.due_before(now, after_id=after_id, limit=REFILL_PAGE)
            for task_id, due in page:
                counters = _Counters()
                claim = await self._claim(task_id, due, counters)
                report.overdue_tasks += 1
                report.missed += counters.missed
                report.expired += counters.expired
                if claim is not None:
                    report.ran_late += 1
                    self._start(claim)
            if len(page) < REFILL_PAGE:
                break
            after_id = page[-1][0]
        self.last_start = report
        log.info("start-up catch-up: %s", report.summary())
        return report

    async def _claim(self, task_id: int, due_at: datetime, counters: _Counters) -> Claim | None:
        for attempt in range(1, CLAIM_ATTEMPTS + 1):
            try:
                async with self._db_slots:
                    return await self._claim_once(task_id, due_at, counters)
            except OperationalError as exc:
                if attempt == CLAIM_ATTEMPTS:
                    log.error("could not claim task %s due %s: %s", task_id, due_at, exc)
                    return None
                await asyncio.sleep(0.05 * attempt)
        return None

    async def _claim_once(
        self, task_id: int, due_at: datetime, counters: _Counters
    ) -> Claim | None:
        now = self._clock.now()
        async with self._uow() as uow:
            row = await uow.tasks.get(task_id)
            if row is None or row.next_run_at != due_at:
                return None  # stale job: already claimed, moved or deleted
            if row.status not in (TaskStatus.PENDING.value, TaskStatus.RUNNING.value):
                return None
            task = TaskView.of(row)
            recurrence = task.recurrence
            plan = plan_catch_up(
                due_at,
                now,
                allowance_for(task.task_type, self._settings.lateness),
                recurrence.next_after,
            )
            for missed in plan.missed:
                await uow.runs.record(
                    task_id,
                    missed,
                    RunOutcome.MISSED,
                    f"missed: {_late(now - missed)} late, beyond the lateness allowance",
                    now,
                )
            for collapsed in plan.collapsed:
                await uow.runs.record(
                    task_id,
                    collapsed,
                    RunOutcome.MISSED,
                    f"collapsed into the catch-up run due {plan.run_due:%Y-%m-%d %H:%M} UTC",
                    now,
                )
            counters.missed += plan.missed_total + len(plan.collapsed)
            next_due = plan.next_due
            if plan.run_due is None:
                values: dict[str, object] = {"next_run_at": next_due, "updated_at": now}
                if next_due is None:
                    expired = task.recurrence.is_once
                    values["status"] = (
                        TaskStatus.EXPIRED.value if expired else TaskStatus.COMPLETED.value
                    )
                    values["finished_at"] = now
                    values["last_error"] = "its time passed while the bot was offline"
                    counters.expired += int(expired)
                if not await uow.tasks.advance(task_id, due_at, values):
                    return None
                await uow.commit()
                self.task_changed(task_id, next_due)
                return None
            run = await uow.runs.claim(task_id, plan.run_due, now)
            if run is None:
                return None
            count = recurrence.count
            if count is not None and task.runs_done + 1 >= count:
                next_due = None  # this is the last counted occurrence
            claimed = await uow.tasks.advance(
                task_id,
                due_at,
                {"next_run_at": next_due, "status": TaskStatus.RUNNING.value, "updated_at": now},
            )
            if not claimed:
                return None
            await uow.commit()
        self.task_changed(task_id, next_due)
        return Claim(task, run.id, plan.run_due, attempt=1, late=plan.run_due < now)

    async def retry(self, run_id: int, retry_at: datetime) -> Claim | None:
        """Take the stored retry of a run (once, whoever gets there first) and run it."""
        self._retries.pop(run_id, None)
        async with self._db_slots, self._uow() as uow:
            taken = await uow.runs.take_retry(run_id, retry_at, self._clock.now())
            if taken is None:
                return None
            row = await uow.tasks.get(taken.task_id)
            if row is None:
                return None
            task = TaskView.of(row)
            await uow.commit()
        claim = Claim(task, run_id, taken.due_at, attempt=taken.attempt)
        if task.status in (TaskStatus.CANCELLED, TaskStatus.PAUSED):
            await self._finish(claim, HandlerResult(RunOutcome.SKIPPED, f"task {task.status}"))
            return None
        self._start(claim)
        return claim

    def _start(self, claim: Claim) -> None:
        self._spawn(self._execute(claim), f"task-{claim.task.id}-run-{claim.run_id}")

    async def _execute(self, claim: Claim) -> None:
        task = claim.task
        try:
            result = await self._handlers[task.task_type].execute(task, claim.due_at)
        except TransientPlaybackError as exc:
            if await self._schedule_retry(claim, exc.message):
                return
            result = HandlerResult(RunOutcome.FAILED, exc.message)
        except CarillonError as exc:
            result = HandlerResult(RunOutcome.FAILED, exc.message)
        except Exception:
            log.exception("task %s (run %s) failed unexpectedly", task.id, claim.run_id)
            result = HandlerResult(RunOutcome.FAILED, "internal error; it has been logged")
        await self._finish(claim, result)

    async def _schedule_retry(self, claim: Claim, message: str) -> bool:
        backoff = self._settings.retry_backoff_s
        if claim.attempt > len(backoff):
            return False
        now = self._clock.now()
        retry_at = now + timedelta(seconds=backoff[claim.attempt - 1])
        allowance = allowance_for(claim.task.task_type, self._settings.lateness)
        if allowance is not None and retry_at - claim.due_at > allowance:
            return False
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
        self._arm_retry(claim.run_id, retry_at)
        return True

    async def _finish(self, claim: Claim, result: HandlerResult) -> None:
        now = self._clock.now()
        task = claim.task
        outcome, detail = result.outcome, result.detail
        notify: str | None = None
        async with self._db_slots, self._uow() as uow:
            if result.apply is not None:
                detail = await result.apply(uow)
            row = await uow.tasks.get(task.id)
            await uow.runs.finish(claim.run_id, outcome, detail, now)
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
            status = None if row is None else row.status
        log.info(
            "task %s run %s due %s: %s (%s)", task.id, claim.run_id, claim.due_at, outcome, detail
        )
        if status != TaskStatus.PENDING.value:
            self._unarm(task.id)
        if notify and self.notifier is not None:
            try:
                await self.notifier.notify(task.guild_id, task.owner_id, notify)
            except Exception:
                log.exception("could not notify about task %s", task.id)

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

    # ----------------------------------------------------------------- maintenance

    async def maintenance(self) -> int:
        """Purge finished tasks (and their runs) older than the retention period."""
        cutoff = self._clock.now() - timedelta(days=self._settings.retention_days)
        async with self._db_slots, self._uow() as uow:
            purged = await uow.tasks.purge_finished(cutoff)
            await uow.commit()
        if purged:
            log.info("maintenance: purged %d finished task(s) older than %s", purged, cutoff)
        return purged

    # ----------------------------------------------------------------- background tasks

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._inflight.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._inflight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background job %s failed", task.get_name(), exc_info=task.exception())

    async def _spawn_fire(self, task_id: int, due: datetime) -> None:
        await self.fire(task_id, due)

    async def _spawn_retry(self, run_id: int, retry_at: datetime) -> None:
        await self.retry(run_id, retry_at)

    async def _spawn_refill(self) -> None:
        await self.refill()

    async def _spawn_maintenance(self) -> None:
        await self.maintenance()


def _late(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
