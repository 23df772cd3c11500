"""Injected transient database errors: the runner loses nothing and doubles nothing.

A wrapper fails every Nth SQL statement with the driver's own OperationalError (what SQLite's
"database is locked" or a dropped PostgreSQL connection look like to the runner) while it
refills, claims ahead, records starts, settles outcomes and takes over after a crash.  Every
occurrence must still run exactly once, on both databases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.recurrence import Recurrence
from bot.tasks.runner import LEAD
from storage import migrate
from storage.engine import create_engine, create_session_factory
from storage.enums import RecurrenceType
from storage.models import ScheduledTask, TaskRun
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock
from tests.bot.taskkit import Backend, add_sound, build_backend, crash, system_play_row
from tests.dbkit import BACKENDS, fresh_database_url

ONE_OFFS = 150
HOURLY = 20


class EveryNth:
    """Fails every ``n``-th statement on ``engine`` while switched on; counts what it failed.

    ``n`` must exceed the statements of the runner's longest transaction, or that transaction
    could never succeed (as with a database that is simply down).
    """

    def __init__(self, engine: AsyncEngine, n: int) -> None:
        self.n = n
        self.on = False
        self.seen = 0
        self.failed = 0
        self._error = engine.dialect.loaded_dbapi.OperationalError
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)

    def _before(self, *_args: Any) -> None:
        if not self.on:
            return
        self.seen += 1
        if self.seen % self.n == 0:
            self.failed += 1
            raise self._error("injected fault: database is locked")

    @contextmanager
    def failing(self) -> Iterator[None]:
        self.on = True
        try:
            yield
        finally:
            self.on = False


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pauses between tries (50 ms doubling) are not what these tests check."""
    monkeypatch.setattr("bot.tasks.transient.FIRST_PAUSE_S", 0.002)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with fresh_database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        yield engine
        await engine.dispose()


async def _seed(uow_factory: UnitOfWorkFactory, now: datetime, due: datetime) -> None:
    sound = await add_sound(uow_factory, now)

    def task(n: int, kind: str) -> ScheduledTask:
        recurrence = Recurrence(RecurrenceType(kind), due, "UTC")
        return system_play_row(f"{kind} {n}", recurrence, due, now, sound)

    async with uow_factory() as uow:
        uow.session.add_all([task(n, "none") for n in range(ONE_OFFS)])
        uow.session.add_all([task(n, "hourly") for n in range(HOURLY)])
        await uow.commit()


async def _check_exactly_once(uow_factory: UnitOfWorkFactory, b: Backend, due: datetime) -> None:
    async with uow_factory() as uow:
        runs = (
            await uow.session.execute(
                select(TaskRun.task_id, TaskRun.due_at, TaskRun.outcome, TaskRun.started_at)
            )
        ).all()
        statuses = dict(
            (
                await uow.session.execute(
                    select(ScheduledTask.status, func.count()).group_by(ScheduledTask.status)
                )
            ).all()
        )
    assert len(runs) == ONE_OFFS + HOURLY  # one run per task, none lost, none doubled
    assert {(r.due_at, r.outcome) for r in runs} == {(due, "succeeded")}
    assert all(r.started_at is not None for r in runs)
    assert statuses == {"completed": ONE_OFFS, "pending": HOURLY}
    # A play that met a fault in its own reads (before anything was heard) was tried again;
    # none reached the player twice.
    labels = [request.label for request in b.playback.requests]
    assert len(labels) == len(set(labels)) == ONE_OFFS + HOURLY


async def _retries(b: Backend, clock: FakeClock) -> None:
    """A play whose own reads met a fault is retried after the backoff (15 s, 60 s, ...)."""
    for backoff in b.settings.scheduler.retry_backoff_s:
        clock.advance(timedelta(seconds=backoff))
        await b.runner.fire_due()
        await b.runner.drain()


@pytest.mark.parametrize("every", [5, 7])
async def test_faults_in_refill_claim_start_and_settle_lose_nothing(
    db: AsyncEngine, clock: FakeClock, every: int
) -> None:
    uow_factory = UnitOfWorkFactory(create_session_factory(db))
    due = clock.now() + timedelta(minutes=1)
    await _seed(uow_factory, clock.now(), due)
    b = build_backend(uow_factory, clock)
    faults = EveryNth(db, every)
    with faults.failing():
        await b.runner.refill()
        assert len(b.runner.armed) == ONE_OFFS + HOURLY
        clock.set(due - LEAD)
        for task_id, at in b.runner.armed.items():  # what the lead-time jobs do
            await b.runner._prepare(task_id, at)
        batcher = b.runner._batcher
        assert batcher is not None
        await asyncio.wait_for(batcher, 60)
        assert len(b.runner._held) == ONE_OFFS + HOURLY  # all claimed ahead, none started
        clock.set(due)
        await b.runner.fire_due()  # records the burst's start, then starts it
        await b.runner.drain()
        await _retries(b, clock)
    assert faults.failed >= 10, f"only {faults.failed} faults were injected"
    await _check_exactly_once(uow_factory, b, due)


async def test_faults_while_taking_over_after_a_crash_lose_nothing(
    db: AsyncEngine, clock: FakeClock
) -> None:
    """Claimed ahead, then killed: the restart, under faults, runs each owed one once."""
    uow_factory = UnitOfWorkFactory(create_session_factory(db))
    due = clock.now() + timedelta(minutes=1)
    await _seed(uow_factory, clock.now(), due)
    first = build_backend(uow_factory, clock)
    await first.runner.refill()
    clock.set(due - LEAD)
    assert len(await first.runner._claim_all(sorted(first.runner.armed.items()))) == 170
    await crash(first.runner)

    clock.set(due + timedelta(seconds=20))
    restarted = build_backend(uow_factory, clock)
    faults = EveryNth(db, 7)
    with faults.failing():
        report = await restarted.runner.catch_up()
        await restarted.runner.drain()
        await _retries(restarted, clock)
    assert faults.failed >= 5
    assert (report.interrupted, report.ran_late, report.missed) == (0, 170, 0)
    await _check_exactly_once(uow_factory, restarted, due)
    assert first.playback.requests == []
