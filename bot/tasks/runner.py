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
* **Claim ahead, start on time.** An occurrence is claimed ``LEAD`` before it is due, together
  with everything else due then (one transaction per burst), and started at its due time from
  memory, so a burst of a thousand starts within milliseconds of its due time.
* **Retries.** Transient failures wait ``retry_backoff_s`` and try the same occurrence again while
  inside the allowance; the pending retry is stored on the run row, so it survives a restart.
  Running an occurrence and recording its outcome is :mod:`bot.tasks.execution`'s job.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import OperationalError

from bot.clock import Clock
from bot.config import SchedulerSettings
from bot.tasks.claiming import Claim, ClaimRace, claim_batch
from bot.tasks.execution import Notifier, RunExecutor
from bot.tasks.handlers import TaskHandler
from bot.tasks.model import TaskView
from storage.enums import TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

REFILL_PAGE = 1000
CLAIM_BATCH = 500
DB_CONCURRENCY = 8  # transactions at once; more only queue on SQLite's single writer
CLAIM_ATTEMPTS = 5  # SQLite may answer "database is locked" to a losing writer: try again
LEAD = timedelta(seconds=2)  # claim this long before the due time
HEARTBEAT_EVERY_S = 30
RUNNER_TIMEOUT = timedelta(seconds=90)  # a runner silent this long is presumed dead
SPIN = timedelta(milliseconds=8)  # wake this early and busy-wait the rest (at most this long)


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
        self._settings = settings
        self._clock = clock
        self._db_slots = asyncio.Semaphore(DB_CONCURRENCY)
        # Who claims: after a crash, only a runner's own unfinished runs are settled (others'
        # once their heartbeat has gone silent).
        self.name = settings.runner_name or socket.gethostname()
        self._executor = RunExecutor(
            uow_factory,
            handlers,
            settings=settings,
            clock=clock,
            notifier=notifier,
            db_slots=self._db_slots,
            runner=self.name,
        )
        self._window = timedelta(seconds=settings.window_s)
        self._scheduler: AsyncIOScheduler | None = None
        self._armed: dict[int, datetime] = {}
        self._retries: dict[int, datetime] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._pending: list[tuple[int, datetime]] = []
        self._batcher: asyncio.Task[None] | None = None
        # Claims waiting for their due time, one timer per distinct due instant.
        self._timers: dict[datetime, tuple[asyncio.TimerHandle, asyncio.Event]] = {}
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
        # Everything loaded so far (modules, caches, the client) lives as long as the process;
        # frozen, the collector's full passes skip it, so one cannot stall a burst of starts.
        # Collect first so that nothing already garbage is frozen with it.
        gc.collect()
        gc.freeze()
        if self._scheduler is not None:
            self._scheduler.add_job(
                self.refill,
                "interval",
                seconds=max(30, self._settings.window_s // 2),
                id="refill",
                replace_existing=True,
            )
            self._scheduler.add_job(
                self.maintenance,
                "interval",
                hours=1,
                id="maintenance",
                replace_existing=True,
                next_run_time=datetime.now(UTC) + timedelta(minutes=1),
            )
            self._scheduler.add_job(
                self.heartbeat,
                "interval",
                seconds=HEARTBEAT_EVERY_S,
                id="heartbeat",
                replace_existing=True,
            )
        return report

    async def stop(self) -> None:
        """Stop arming and cancel what is still running; claimed runs are settled at next start."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for handle, _event in self._timers.values():
            handle.cancel()  # claimed ahead, not started: the next start runs them on time
        self._timers.clear()
        if self._batcher is not None:
            self._batcher.cancel()
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
    def on_start(self) -> Callable[[Claim, datetime], None] | None:
        """Called as each occurrence starts (tests await starts with it)."""
        return self._executor.on_start

    @on_start.setter
    def on_start(self, hook: Callable[[Claim, datetime], None] | None) -> None:
        self._executor.on_start = hook

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
                self._prepare,
                "date",
                run_date=due - LEAD,
                args=(task_id, due),
                id=f"task-{task_id}",
                replace_existing=True,
            )

    async def _prepare(self, task_id: int, due: datetime) -> None:
        """An APScheduler job, ``LEAD`` before ``due``: join the next batch claim."""
        self._pending.append((task_id, due))
        if self._batcher is None or self._batcher.done():
            self._batcher = asyncio.get_running_loop().create_task(
                self._claim_pending(), name="claim-batch"
            )

    async def _claim_pending(self) -> None:
        # APScheduler submits every job due in one pass before any of them runs; one yield lets
        # the whole burst join this batch.
        await asyncio.sleep(0)
        while self._pending:
            items, self._pending = self._pending, []
            for claim in await self._claim_all(items):
                self._start_on_time(claim)

    def _start_on_time(self, claim: Claim) -> None:
        """Start ``claim`` at its due time.

        Its task is created now and waits on one event per due instant: at the due time setting
        that event wakes a whole burst, which is cheaper than creating a thousand tasks then.
        """
        delay = (claim.due_at - self._clock.now()).total_seconds()
        if delay <= 0:
            self._start(claim)
            return
        waiting = self._timers.get(claim.due_at)
        if waiting is None:
            # Wake a little early and spin the rest: timer wake-ups on a VM are several ms late,
            # and a burst should start at its due time, not one scheduler tick after it.
            wake = max(0.0, delay - SPIN.total_seconds())
            event = asyncio.Event()
            handle = asyncio.get_running_loop().call_later(wake, self._start_due, claim.due_at)
            waiting = self._timers[claim.due_at] = (handle, event)
        self._spawn(
            self._execute_when(waiting[1], claim), f"task-{claim.task.id}-run-{claim.run_id}"
        )

    async def _execute_when(self, due: asyncio.Event, claim: Claim) -> None:
        await due.wait()
        await self._execute(claim)

    def _start_due(self, due: datetime) -> None:
        _handle, event = self._timers.pop(due)
        remaining = min(SPIN.total_seconds(), (due - self._clock.now()).total_seconds())
        deadline = time.perf_counter() + remaining
        while time.perf_counter() < deadline:
            pass
        event.set()

    def _unarm(self, task_id: int) -> None:
        if self._armed.pop(task_id, None) is not None and self._scheduler is not None:
            job = self._scheduler.get_job(f"task-{task_id}")
            if job is not None:
                job.remove()

    def _arm_retry(self, run_id: int, retry_at: datetime) -> None:
        self._retries[run_id] = retry_at
        if self._scheduler is not None:
            self._scheduler.add_job(
                self.retry,
                "date",
                run_date=retry_at,
                args=(run_id, retry_at),
                id=f"retry-{run_id}",
                replace_existing=True,
            )

    async def fire_due(self) -> int:
        """Claim and start everything armed that is due by the clock (tests drive time so)."""
        now = self._clock.now()
        due = sorted(
            ((task_id, at) for task_id, at in self._armed.items() if at <= now),
            key=lambda item: item[1],
        )
        claims = await self._claim_all(due)
        for claim in claims:
            self._start(claim)
        for due_at, (handle, _event) in list(self._timers.items()):
            if due_at <= now:  # claimed ahead; its timer runs on the real clock
                handle.cancel()
                self._start_due(due_at)
        await asyncio.sleep(0)  # let the woken tasks start
        retries = sorted(self._retries.items(), key=lambda item: item[1])
        for run_id, retry_at in retries:
            if retry_at <= now:
                await self.retry(run_id, retry_at)
        return len(claims)

    async def fire(self, task_id: int, due_at: datetime) -> Claim | None:
        """Claim the occurrence due at ``due_at`` and start it; None if it was not ours to run."""
        claims = await self._claim_all([(task_id, due_at)])
        for claim in claims:
            self._start(claim)
        return claims[0] if claims else None

    async def catch_up(self) -> CatchUpReport:
        """Settle what a crash interrupted, then claim every overdue occurrence; log a summary."""
        now = self._clock.now()
        report = CatchUpReport(at=now)
        report.interrupted = await self._settle_runners(now, include_self=True)
        after_id = 0
        while True:
            async with self._uow() as uow:
                page = await uow.tasks.due_before(now, after_id=after_id, limit=REFILL_PAGE)
            for start in range(0, len(page), CLAIM_BATCH):
                batch = await self._claim_batch(list(page[start : start + CLAIM_BATCH]), report)
                for claim in batch:
                    self._start(claim)
            report.overdue_tasks += len(page)
            if len(page) < REFILL_PAGE:
                break
            after_id = page[-1][0]
        self.last_start = report
        log.info("start-up catch-up: %s", report.summary())
        return report

    async def heartbeat(self) -> int:
        """Say this runner is alive; settle the runs of runners that have gone silent."""
        return await self._settle_runners(self._clock.now(), include_self=False)

    async def _settle_runners(self, now: datetime, *, include_self: bool) -> int:
        """Fail the unfinished runs of crashed runners (this one's earlier life, at start, and any
        silent for ``RUNNER_TIMEOUT``) and take over their runs claimed ahead of a future due
        time.  Runs that another live process is playing are never touched."""
        async with self._db_slots, self._uow() as uow:
            await uow.runners.heartbeat(self.name, now)
            dead = set(await uow.runners.silent_since(now - RUNNER_TIMEOUT)) - {self.name}
            if include_self:
                dead.add(self.name)
            interrupted = 0
            waiting: Sequence[tuple[int, int, datetime]] = ()
            rows: dict[int, Any] = {}
            if dead:
                interrupted = await uow.runs.fail_interrupted(
                    now, "interrupted by a restart; not run again so it cannot play twice", dead
                )
                waiting = await uow.runs.take_over(after=now, runners=dead, by=self.name)
                await uow.tasks.release_running(now)
                rows = await uow.tasks.get_many({task_id for _, task_id, _ in waiting})
                for name in dead - {self.name}:
                    await uow.runners.forget(name)
            await uow.commit()
        for run_id, task_id, due in waiting:  # claimed ahead, never started: start on time
            if task_id in rows:
                self._start_on_time(Claim(TaskView.of(rows[task_id]), run_id, due))
        if interrupted and not include_self:
            log.warning("settled %d run(s) of silent runner(s) %s", interrupted, sorted(dead))
        return interrupted

    async def _claim_all(self, items: list[tuple[int, datetime]]) -> list[Claim]:
        claims: list[Claim] = []
        for start in range(0, len(items), CLAIM_BATCH):
            claims.extend(await self._claim_batch(items[start : start + CLAIM_BATCH], None))
        return claims

    async def _claim_batch(
        self, items: list[tuple[int, datetime]], report: CatchUpReport | None
    ) -> list[Claim]:
        """Claim a batch in one transaction, retrying when SQLite says another writer won."""
        for task_id, due in items:
            if self._armed.get(task_id) == due:
                del self._armed[task_id]
        for attempt in range(1, CLAIM_ATTEMPTS + 1):
            try:
                async with self._db_slots, self._uow() as uow:
                    now = self._clock.now()
                    batch = await claim_batch(uow, items, now, self._settings.lateness, self.name)
                    await uow.commit()
                break
            except ClaimRace:
                if len(items) == 1:
                    return []  # the other process has it
                # Someone else took part of the batch: claim one by one, each guarded alone.
                claims: list[Claim] = []
                for item in items:
                    claims.extend(await self._claim_batch([item], report))
                return claims
            except OperationalError as exc:
                if attempt == CLAIM_ATTEMPTS:
                    log.error("could not claim %d occurrence(s): %s", len(items), exc)
                    return []
                await asyncio.sleep(0.05 * attempt)
        for task_id, next_due in batch.moved.items():
            self.task_changed(task_id, next_due)
        if report is not None:
            report.missed += batch.missed
            report.expired += batch.expired
            report.ran_late += len(batch.claims)
        return batch.claims

    async def retry(self, run_id: int, retry_at: datetime) -> Claim | None:
        """Take the stored retry of a run (once, whoever gets there first) and run it."""
        self._retries.pop(run_id, None)
        claim = await self._executor.take_retry(run_id, retry_at)
        if claim is not None:
            self._start(claim)
        return claim

    def _start(self, claim: Claim) -> None:
        self._spawn(self._execute(claim), f"task-{claim.task.id}-run-{claim.run_id}")

    async def _execute(self, claim: Claim) -> None:
        retry_at, status = await self._executor.run(claim)
        if retry_at is not None:
            self._arm_retry(claim.run_id, retry_at)
        elif status is not TaskStatus.PENDING:
            self._unarm(claim.task.id)

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
