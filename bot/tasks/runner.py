"""The runner: fires each occurrence exactly once, on time, through restarts and crashes.

* **Rolling window.** The database is the truth.  APScheduler's ``AsyncIOScheduler`` holds only the
  occurrences due within ``window_s`` (one date job per task), refilled from the
  ``(status, next_run_at)`` index every half window, so memory and start-up do not grow with the
  number of stored tasks.  A task created or changed inside the window is armed at once.
* **Claim before run.** An occurrence runs only after one transaction has inserted its run row
  (unique on task and due time) *and* moved the task's ``next_run_at`` on from exactly that due
  time.  A second process, a duplicate job or a restart finds the row or the moved ``next_run_at``
  and does nothing.
* **Claim ahead, mark the start, start on time.** A burst is claimed ``LEAD`` before it is due
  (one transaction), its start is recorded (``started_at``, one transaction for the burst) just
  before the due time (twice as early as the last record took), and its handlers start at the
  due time from memory.
* **Owed until started.** A claimed run with no recorded start provably never ran: a clean stop
  hands such claims back, and the next runner to look (this one after a crash, at start; another
  one once this one's heartbeat has been silent for ``runner_timeout_s``) runs them once if still
  inside the lateness allowance, or records them missed.  Only a run whose start was recorded and
  that has no outcome is *interrupted*: it is recorded failed, never repeated (a play may have
  been heard), and the owner of a one-off is told.  A credit recharge is the exception: its
  credits land with its outcome, so an interrupted one did nothing and is still owed.
* **Lateness.** :mod:`bot.tasks.catchup` decides what runs late, what collapses into one run, and
  what is recorded as ``missed``.  APScheduler's own misfire handling is switched off
  (``misfire_grace_time=None``): its 1-second default would silently drop late jobs.
* **Transient database errors** (SQLite's "database is locked", a dropped PostgreSQL connection)
  in a refill, claim, start, settle or heartbeat are tried again with backoff
  (:mod:`bot.tasks.transient`); a claim or refill that still fails is tried again a little later
  by itself, never left for the next periodic refill.
* **Retries.** Transient failures of a handler wait ``retry_backoff_s`` and try the same occurrence
  again while inside the allowance; the pending retry is stored on the run row, so it survives a
  restart.  Running an occurrence and recording its outcome is :mod:`bot.tasks.execution`'s job.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.config import SchedulerSettings
from bot.tasks.claiming import Claim, claim_batch
from bot.tasks.claiming import late_text as _late
from bot.tasks.execution import Notifier, RunExecutor, Settled
from bot.tasks.handlers import HandlerResult, TaskHandler
from bot.tasks.model import TaskView, allowance_for
from bot.tasks.transient import retrying
from storage.enums import RunOutcome, TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

REFILL_PAGE = 1000
CLAIM_BATCH = 500
DB_CONCURRENCY = 8  # transactions at once; more only queue on SQLite's single writer
LEAD = timedelta(seconds=2)  # claim this long before the due time
# A burst's start is recorded this long before it is due: twice what the last one took, within
# these bounds, so the record is made before the due time and as close to it as possible (a
# crash in between leaves the burst interrupted rather than owed).
MARK_AHEAD_MIN = timedelta(milliseconds=20)
MARK_AHEAD_MAX = timedelta(milliseconds=250)
SPIN = timedelta(milliseconds=8)  # wake this early and busy-wait the rest (at most this long)
AGAIN_S = 2.0  # a claim, start or refill that failed through all its tries is tried again then
INTERRUPTED = (
    "interrupted: it had started when its runner stopped (a crash or a restart); "
    "not run again, so it cannot play twice"
)
STOPPED = "interrupted: the bot was stopped while it ran; not run again, so it cannot play twice"


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


@dataclass
class _Burst:
    """Claims due at one instant, waiting for it: one timer and one event wake them all."""

    event: asyncio.Event = field(default_factory=asyncio.Event)
    claims: dict[int, Claim] = field(default_factory=dict)  # run id -> claim
    marked: set[int] = field(default_factory=set)  # run ids whose start is recorded
    handle: asyncio.TimerHandle | None = None


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
        self._handlers = handlers
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
        self._timeout = timedelta(seconds=settings.runner_timeout_s)
        self._scheduler: AsyncIOScheduler | None = None
        self._armed: dict[int, datetime] = {}
        self._retries: dict[int, datetime] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._pending: list[tuple[int, datetime]] = []
        self._batcher: asyncio.Task[None] | None = None
        self._bursts: dict[datetime, _Burst] = {}
        # Claims in memory whose handler has not begun (owed, or marked and about to begin),
        # and those whose handler is running: a stop releases the first, records the second.
        self._held: dict[int, Claim] = {}
        self._running: dict[int, Claim] = {}
        self._stopping = False
        self._mark_ahead = MARK_AHEAD_MIN
        self.last_start = CatchUpReport()

    # ----------------------------------------------------------------- lifecycle

    async def start(self, *, use_scheduler: bool = True) -> CatchUpReport:
        """Settle what a crash left, catch up on what is overdue, and arm the window."""
        self._stopping = False
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
                seconds=self._settings.heartbeat_s,
                id="heartbeat",
                replace_existing=True,
            )
        return report

    async def stop(self) -> None:
        """Stop arming; hand back the claims not yet begun (one transaction) and record the runs
        cut short as interrupted."""
        self._stopping = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for burst in self._bursts.values():
            if burst.handle is not None:
                burst.handle.cancel()
        self._bursts.clear()
        if self._batcher is not None:
            self._batcher.cancel()
        for task in list(self._inflight):
            task.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        held, self._held = set(self._held), {}
        cut, self._running = list(self._running.values()), {}
        try:
            released = await retrying(lambda: self._release(held), "releasing claims", attempts=3)
            if released:
                log.info("stop: handed back %d claimed run(s) that had not started", released)
            if cut:
                await self._executor.finish_many(cut, HandlerResult(RunOutcome.FAILED, STOPPED))
        except Exception as exc:  # the next start settles them instead
            log.error("stop: could not settle this runner's claims (%s); the next start will", exc)
        self._armed.clear()
        self._retries.clear()
        self._pending.clear()

    async def _release(self, held: set[int]) -> int:
        async with self._db_slots, self._uow() as uow:
            released = await uow.runs.release(self.name, also=held)
            await uow.commit()
        return released

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
        """Arm every pending occurrence and retry due before now + window; returns how many.

        A refill that fails through all its tries is tried again ``AGAIN_S`` later by itself."""
        try:
            return await retrying(self._refill, "refilling the window")
        except Exception as exc:
            log.error("could not refill the window (%s); trying again in %.0f s", exc, AGAIN_S)
            self._later(self.refill)
            return 0

    async def _refill(self) -> int:
        horizon = self._clock.now() + self._window
        armed: list[tuple[int, datetime]] = []
        after_id = 0
        while True:
            page = await self._due_page(horizon, after_id)
            armed.extend(page)
            if len(page) < REFILL_PAGE:
                break
            after_id = page[-1][0]
        async with self._uow() as uow:
            retries = await uow.runs.retries_before(horizon)
        for task_id, due in armed:
            self._arm(task_id, due)
        for run_id, retry_at in retries:
            self._arm_retry(run_id, retry_at)
        return len(armed) + len(retries)

    async def _due_page(self, horizon: datetime, after_id: int) -> Sequence[tuple[int, datetime]]:
        async with self._uow() as uow:
            return await uow.tasks.due_before(horizon, after_id=after_id, limit=REFILL_PAGE)

    def _later(self, again: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run ``again`` after ``AGAIN_S`` (unless stopping)."""
        if self._stopping:
            return
        loop = asyncio.get_running_loop()
        loop.call_later(AGAIN_S, lambda: None if self._stopping else self._spawn(again(), "again"))

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
        self._enqueue([(task_id, due)])

    def _enqueue(self, items: list[tuple[int, datetime]]) -> None:
        self._pending.extend(items)
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
        """Start ``claim`` at its due time (at once if it is due and its start is recorded).

        A claim made ahead joins the burst of its due instant: a little before it, one
        transaction records the whole burst's start, then at the due time one event wakes the
        tasks created now, which is cheaper than creating a thousand tasks then.
        """
        self._held[claim.run_id] = claim
        if claim.started:
            self._start(claim)
            return
        burst = self._bursts.get(claim.due_at)
        if burst is None:
            burst = self._bursts[claim.due_at] = _Burst()
            delay = (claim.due_at - self._clock.now() - self._mark_ahead).total_seconds()
            burst.handle = asyncio.get_running_loop().call_later(
                max(0.0, delay), self._wake, claim.due_at
            )
        burst.claims[claim.run_id] = claim
        self._spawn(self._execute_when(burst, claim), f"task-{claim.task.id}-run-{claim.run_id}")

    async def _execute_when(self, burst: _Burst, claim: Claim) -> None:
        await burst.event.wait()
        if claim.run_id in burst.marked:
            await self._execute(claim)

    def _wake(self, due: datetime) -> None:
        burst = self._bursts.pop(due, None)
        if burst is not None:
            self._spawn(self._start_burst(due, burst), f"start-{due:%H:%M:%S.%f}")

    async def _start_burst(self, due: datetime, burst: _Burst) -> None:
        """Record the burst's start in one transaction, then wake it at its due time."""
        claims = list(burst.claims.values())
        woke = self._clock.now()
        try:
            burst.marked = await retrying(
                lambda: self._mark(claims), f"recording the start of {len(claims)} run(s)"
            )
        except Exception as exc:
            burst.event.set()  # nobody starts; the claims are still owed
            for claim in claims:
                self._held.pop(claim.run_id, None)
            self._mark_later(claims, exc)
            return
        for claim in claims:
            if claim.run_id not in burst.marked:  # taken over meanwhile: not ours any more
                self._held.pop(claim.run_id, None)
        took = self._clock.now() - woke
        self._mark_ahead = _bounded(2 * took)
        remaining = (due - self._clock.now()).total_seconds()
        log.debug(
            "burst due %s: woke %.1f ms ahead, %d start(s) recorded in %.1f ms",
            due, (due - woke).total_seconds() * 1000, len(burst.marked),
            took.total_seconds() * 1000,
        )  # fmt: skip
        if remaining > SPIN.total_seconds():
            await asyncio.sleep(remaining - SPIN.total_seconds())
        # Timer wake-ups on a VM are several ms late: spin the last moment, so a burst starts at
        # its due time, not one scheduler tick after it.  The event is set first: waking a
        # thousand waiters takes a millisecond or two, and they cannot run before this spin
        # hands the loop back at the due time.
        remaining = (due - self._clock.now()).total_seconds()
        deadline = time.perf_counter() + min(SPIN.total_seconds(), max(0.0, remaining))
        burst.event.set()
        # The collector's passes cost a thousand starts 3-4 ms: hold it off until every run of
        # the burst has begun (the callback below runs after all the woken runs' first steps).
        if gc.isenabled():
            gc.disable()
            asyncio.get_running_loop().call_soon(gc.enable)
        while time.perf_counter() < deadline:
            pass

    async def _mark(self, claims: list[Claim]) -> set[int]:
        async with self._db_slots, self._uow() as uow:
            marked = await uow.runs.mark_started(
                [claim.run_id for claim in claims], self._clock.now(), self.name
            )
            await uow.commit()
        return marked

    def _mark_later(self, claims: list[Claim], exc: Exception) -> None:
        """The start could not be recorded: the claims stay owed; try again shortly while they
        are inside their allowance, then record them missed."""
        log.error(
            "could not record the start of %d run(s) (%s); trying again in %.0f s",
            len(claims), exc, AGAIN_S,
        )  # fmt: skip

        async def again() -> None:
            await self._start_owed(claims, self._clock.now())

        self._later(again)

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
            self._start_on_time(claim)
        for due_at, burst in list(self._bursts.items()):
            if due_at <= now:  # claimed ahead; its timer runs on the real clock
                if burst.handle is not None:
                    burst.handle.cancel()
                del self._bursts[due_at]
                await self._start_burst(due_at, burst)
        await asyncio.sleep(0)  # let the woken tasks start
        retries = sorted(self._retries.items(), key=lambda item: item[1])
        for run_id, retry_at in retries:
            if retry_at <= now:
                await self.retry(run_id, retry_at)
        return len(claims)

    async def fire(self, task_id: int, due_at: datetime) -> Claim | None:
        """Claim the occurrence due at ``due_at`` and start it now, even ahead of its due time
        (the naive benchmark; tests); None if it was not ours to run."""
        claims = await self._claim_all([(task_id, due_at)])
        ahead = [claim for claim in claims if not claim.started]
        marked = await retrying(lambda: self._mark(ahead), "recording a start") if ahead else set()
        for claim in claims:
            if claim.started or claim.run_id in marked:
                self._start(claim)
        return claims[0] if claims else None

    async def catch_up(self) -> CatchUpReport:
        """Settle what a crash left (this runner's earlier life, released claims, silent
        runners), then claim every overdue occurrence; log a summary."""
        now = self._clock.now()
        report = CatchUpReport(at=now)
        await self._take_over(now, include_self=True, report=report)
        # Tasks left "running" with no unfinished run (a database from before runs were owed).
        for task_id, next_run_at in await retrying(
            lambda: self._release_running(now), "settling tasks left running"
        ):
            self.task_changed(task_id, next_run_at)
        after_id = 0
        while True:
            page = await retrying(lambda: self._due_page(now, after_id), "reading overdue tasks")  # noqa: B023
            for start in range(0, len(page), CLAIM_BATCH):
                batch = await self._claim_batch(list(page[start : start + CLAIM_BATCH]), report)
                for claim in batch:
                    self._start_on_time(claim)
            report.overdue_tasks += len(page)
            if len(page) < REFILL_PAGE:
                break
            after_id = page[-1][0]
        self.last_start = report
        log.info("start-up catch-up: %s", report.summary())
        return report

    async def heartbeat(self) -> int:
        """Say this runner is alive; take over released claims and those of runners that have
        gone silent.  Returns how many interrupted runs it recorded."""
        report = CatchUpReport()
        try:
            await self._take_over(self._clock.now(), include_self=False, report=report)
        except Exception as exc:
            log.error("heartbeat failed (%s); the next one tries again", exc)
        return report.interrupted

    async def _take_over(self, now: datetime, *, include_self: bool, report: CatchUpReport) -> None:
        """Take the unfinished runs nobody holds: released by a clean stop, left by this runner's
        earlier life (at start), or claimed by runners silent for ``runner_timeout_s``.

        Owed ones (no start recorded) run once, on time or late inside the allowance, or are
        recorded missed; started ones are recorded interrupted.  The tasks they held are armed at
        once, and after a takeover the window is refilled, so nothing waits for the next refill.
        """
        taken = await retrying(lambda: self._take(now, include_self), "taking over runs")
        if taken is None:
            return
        owed, interrupted, dead = taken
        await self._start_owed(owed, now, report)
        if interrupted:
            result = HandlerResult(RunOutcome.FAILED, INTERRUPTED)
            settled = await self._executor.finish_many(interrupted, result)
            for claim, outcome in zip(interrupted, settled, strict=True):
                self._rearm(claim.task.id, outcome)
            report.interrupted += len(interrupted)
        others = dead - {self.name}
        if others:
            log.warning(
                "runner(s) %s silent for %s: took over %d owed run(s), %d interrupted",
                sorted(others), self._timeout, len(owed), len(interrupted),
            )  # fmt: skip
            if not include_self:
                await self.refill()

    async def _take(
        self, now: datetime, include_self: bool
    ) -> tuple[list[Claim], list[Claim], set[str]] | None:
        """One transaction: heartbeat, then take what nobody holds (see :meth:`_take_over`)."""
        async with self._db_slots, self._uow() as uow:
            await uow.runners.heartbeat(self.name, now)
            dead = set(await uow.runners.silent_since(now - self._timeout)) - {self.name}
            if include_self:
                dead.add(self.name)
            taken = await uow.runs.take_over(dead, by=self.name)
            if not taken and not dead:
                await uow.commit()
                return None
            rows = await uow.tasks.get_many({task_id for _, task_id, _, _ in taken})
            owed: list[Claim] = []
            interrupted: list[Claim] = []
            again: list[int] = []
            for run_id, task_id, due, started_at in taken:
                row = rows.get(task_id)
                if row is None:
                    continue
                task = TaskView.of(row)
                claim = Claim(task, run_id, due)
                if started_at is None:
                    owed.append(claim)
                elif self._executor.effects_with_outcome(task.task_type):
                    again.append(run_id)  # its effect lands with its outcome: it did nothing
                    owed.append(claim)
                else:
                    interrupted.append(claim)
            await uow.runs.unstart(again)
            for name in dead - {self.name}:
                await uow.runners.forget(name)
            await uow.commit()
        return owed, interrupted, dead

    async def _release_running(self, now: datetime) -> Sequence[tuple[int, datetime | None]]:
        async with self._db_slots, self._uow() as uow:
            pending = await uow.tasks.release_running(now)
            await uow.commit()
        return pending

    async def _start_owed(
        self, owed: list[Claim], now: datetime, report: CatchUpReport | None = None
    ) -> None:
        """Start owed claims this runner holds: on time, late inside the allowance, or record
        them missed (and collapsed into a later overdue occurrence of the same task)."""
        missed: list[tuple[Claim, str]] = []
        skipped: list[Claim] = []
        for claim in owed:
            if claim.task.status in (TaskStatus.CANCELLED, TaskStatus.PAUSED):
                skipped.append(claim)  # stopped by its owner or an admin meanwhile
                continue
            allowance = allowance_for(claim.task.task_type, self._settings.lateness)
            late = now - claim.due_at
            later = claim.task.next_run_at
            if late <= timedelta(0):
                self._start_on_time(claim)
            elif not _inside(late, allowance):
                missed.append((claim, f"missed: {_late(late)} late, beyond the lateness allowance"))
            elif (
                later is not None
                and later <= now
                and (allowance is None or now - later <= allowance)
            ):
                missed.append(
                    (claim, f"collapsed into the catch-up run due {later:%Y-%m-%d %H:%M} UTC")
                )
            else:
                self._start_on_time(claim)
                if report is not None:
                    report.ran_late += 1
        for claim, detail in missed:
            settled = await self._executor.finish(claim, HandlerResult(RunOutcome.MISSED, detail))
            self._rearm(claim.task.id, settled)
        for claim in skipped:
            result = HandlerResult(RunOutcome.SKIPPED, f"task {claim.task.status}")
            await self._executor.finish(claim, result)
        if report is not None:
            report.missed += len(missed)

    async def _claim_all(self, items: list[tuple[int, datetime]]) -> list[Claim]:
        claims: list[Claim] = []
        for start in range(0, len(items), CLAIM_BATCH):
            claims.extend(await self._claim_batch(items[start : start + CLAIM_BATCH], None))
        return claims

    async def _claim_batch(
        self, items: list[tuple[int, datetime]], report: CatchUpReport | None
    ) -> list[Claim]:
        """Claim a batch in one transaction, tried again after transient database errors; if it
        still fails, the batch is queued to be claimed again ``AGAIN_S`` later (late, then, and
        the lateness policy decides)."""
        for task_id, due in items:
            if self._armed.get(task_id) == due:
                del self._armed[task_id]

        async def claim() -> Any:
            async with self._db_slots, self._uow() as uow:
                now = self._clock.now()
                batch = await claim_batch(uow, items, now, self._settings.lateness, self.name)
                await uow.commit()
            return batch

        began = self._clock.now()
        try:
            batch = await retrying(claim, f"claiming {len(items)} occurrence(s)")
        except Exception as exc:
            log.error(
                "could not claim %d occurrence(s) (%s); trying again in %.0f s",
                len(items), exc, AGAIN_S,
            )  # fmt: skip

            async def again() -> None:
                self._enqueue(items)

            self._later(again)
            return []
        # Recording a burst's start costs less than claiming it: until a start has been recorded
        # (which then sets the lead), the claim's own time is a safe estimate.
        self._mark_ahead = _bounded(max(self._mark_ahead, self._clock.now() - began))
        for task_id, next_due in batch.moved.items():
            self.task_changed(task_id, next_due)
        if report is not None:
            report.missed += batch.missed
            report.expired += batch.expired
            report.ran_late += len(batch.claims)
        claims: list[Claim] = batch.claims
        return claims

    async def retry(self, run_id: int, retry_at: datetime) -> Claim | None:
        """Take the stored retry of a run (once, whoever gets there first) and run it."""
        self._retries.pop(run_id, None)
        claim = await self._executor.take_retry(run_id, retry_at)
        if claim is not None:
            self._held[claim.run_id] = claim
            self._start(claim)
        return claim

    def _start(self, claim: Claim) -> None:
        self._spawn(self._execute(claim), f"task-{claim.task.id}-run-{claim.run_id}")

    async def _execute(self, claim: Claim) -> None:
        self._held.pop(claim.run_id, None)
        self._running[claim.run_id] = claim
        retry_at, settled = await self._executor.run(claim)
        # Not reached when cancelled by a stop, which records the run as interrupted.
        self._running.pop(claim.run_id, None)
        if retry_at is not None:
            self._arm_retry(claim.run_id, retry_at)
        else:
            self._rearm(claim.task.id, settled)

    def _rearm(self, task_id: int, settled: Settled | None) -> None:
        if settled is None:
            return  # another runner took the run over; the task is its business now
        if settled.status is TaskStatus.PENDING:
            self.task_changed(task_id, settled.next_run_at)
        else:
            self._unarm(task_id)

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


def _inside(late: timedelta, allowance: timedelta | None) -> bool:
    return allowance is None or late <= allowance


def _bounded(ahead: timedelta) -> timedelta:
    return min(MARK_AHEAD_MAX, max(MARK_AHEAD_MIN, ahead))
