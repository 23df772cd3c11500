"""Owed until started: what a clean stop, a crash and a silent runner leave, and who runs it.

A claimed run with no recorded start provably never ran: it is still owed, runs once inside the
lateness allowance (or is recorded missed), and is never recorded "interrupted".  Only a run whose
start was recorded and that has no outcome is interrupted: failed, not repeated, owner told.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, time, timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.scheduling.recurrence import Recurrence, RecurrenceType
from bot.tasks.service import Actor
from storage.enums import RunOutcome, TaskStatus, TaskType
from storage.models import TaskRun
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock
from tests.bot.taskkit import ALICE, BOB, CHANNEL, GUILD, Backend, add_sound, build_backend, crash

ADMIN = Actor(BOB, is_admin=True)


def _named(name: str, **scheduler: object) -> Settings:
    settings = Settings()
    return dataclasses.replace(
        settings,
        scheduler=dataclasses.replace(settings.scheduler, runner_name=name, **scheduler),  # type: ignore[arg-type]
    )


async def _play(b: Backend, sound: int, recurrence: Recurrence, name: str = "t"):  # type: ignore[no-untyped-def]
    return await b.service.create_task(
        guild_id=GUILD,
        name=name,
        task_type=TaskType.PLAY_SOUND,
        parameters={"sound_id": sound, "channel_id": CHANNEL},
        user_id=ALICE,
        recurrence=recurrence,
    )


async def _rows(uow_factory: UnitOfWorkFactory, task_id: int) -> list[TaskRun]:
    async with uow_factory() as uow:
        result = await uow.session.execute(
            select(TaskRun).where(TaskRun.task_id == task_id).order_by(TaskRun.due_at)
        )
        return list(result.scalars())


async def _claimed_one_off(uow_factory: UnitOfWorkFactory, clock: FakeClock):  # type: ignore[no-untyped-def]
    """A one-off play due in a minute, claimed ahead (what the lead-time job does)."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _play(b, sound, Recurrence.once(due, "UTC"))
    claims = await b.runner._claim_all([(task.id, due)])
    assert len(claims) == 1
    return b, task, due, claims


async def _restart(uow_factory: UnitOfWorkFactory, clock: FakeClock, at: datetime):  # type: ignore[no-untyped-def]
    """A new process starting at ``at``: it catches up and finishes what it started."""
    clock.set(at)
    restarted = build_backend(uow_factory, clock)
    report = await restarted.runner.catch_up()
    await restarted.runner.drain()
    return restarted, report


async def _until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3000):  # 30 s: generous on a loaded machine
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_clean_stop_hands_back_unstarted_claims(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _play(b, sound, Recurrence.once(due, "UTC"))
    assert len(await b.runner._claim_all([(task.id, due)])) == 1  # the lead-time claim
    await b.runner.stop()
    [run] = await _rows(uow_factory, task.id)
    assert (run.claimed_by, run.started_at, run.outcome) == (None, None, None)

    restarted = build_backend(uow_factory, clock)
    report = await restarted.runner.catch_up()  # before the due time: nothing to settle
    assert report.interrupted == 0 and restarted.playback.requests == []
    clock.set(due)
    await restarted.runner.fire_due()
    await restarted.runner.drain()
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == RunOutcome.SUCCEEDED.value and len(restarted.playback.requests) == 1
    assert (await restarted.service.get_task(GUILD, task.id, ADMIN)).status is TaskStatus.COMPLETED


async def test_a_clean_stop_records_the_play_it_cut_short(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _play(b, sound, Recurrence.once(due, "UTC"))
    b.playback.block = asyncio.Event()
    clock.set(due)
    await b.runner.refill()
    await b.runner.fire_due()
    await _until(lambda: len(b.playback.requests) == 1, "the play to begin")
    await b.runner.stop()
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == RunOutcome.FAILED.value and "stopped" in (run.detail or "")
    view = await b.service.get_task(GUILD, task.id, ADMIN)
    assert view.status is TaskStatus.FAILED and "stopped" in (view.last_error or "")
    assert [(g, u) for g, u, _ in b.notifier.messages] == [(GUILD, ALICE)]

    restarted = build_backend(uow_factory, clock)
    report = await restarted.runner.catch_up()
    await restarted.runner.drain()
    assert report.interrupted == 0 and restarted.playback.requests == []


async def test_owed_after_a_crash_runs_late_inside_the_allowance(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    b, task, due, _ = await _claimed_one_off(uow_factory, clock)
    await crash(b.runner)
    restarted, report = await _restart(
        uow_factory, clock, due + timedelta(minutes=2)
    )  # the play allowance is 5 minutes
    assert (report.interrupted, report.ran_late, report.missed) == (0, 1, 0)
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == RunOutcome.SUCCEEDED.value
    assert run.started_at is not None and run.started_at >= due + timedelta(minutes=2)
    assert len(restarted.playback.requests) == 1 and b.playback.requests == []


async def test_owed_after_a_crash_beyond_the_allowance_is_missed(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    b, task, due, _ = await _claimed_one_off(uow_factory, clock)
    await crash(b.runner)
    restarted, report = await _restart(uow_factory, clock, due + timedelta(minutes=10))
    assert (report.interrupted, report.missed) == (0, 1)
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == RunOutcome.MISSED.value and "10 min late" in (run.detail or "")
    view = await restarted.service.get_task(GUILD, task.id, ADMIN)
    assert view.status is TaskStatus.EXPIRED
    assert restarted.playback.requests == []


async def test_a_run_whose_start_was_recorded_is_interrupted_not_repeated(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Killed between recording the start and the play: it may have been heard, so no replay."""
    b, task, due, claims = await _claimed_one_off(uow_factory, clock)
    assert await b.runner._mark(claims) == {claims[0].run_id}
    await crash(b.runner)
    restarted, report = await _restart(uow_factory, clock, due + timedelta(seconds=30))
    assert report.interrupted == 1 and restarted.playback.requests == []
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == RunOutcome.FAILED.value and "interrupted" in (run.detail or "")
    assert len(restarted.notifier.messages) == 1


async def test_an_interrupted_recharge_did_nothing_so_it_runs_once(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    b = build_backend(uow_factory, clock)
    await b.credits.set_balance(GUILD, ALICE, 10, actor_id=BOB)
    due = clock.now() + timedelta(minutes=1)
    task = await b.service.create_task(
        guild_id=GUILD,
        name="r",
        task_type="credit_recharge",
        parameters={},
        user_id=None,
        recurrence=Recurrence.once(due, "UTC"),
        actor=ADMIN,
    )
    claims = await b.runner._claim_all([(task.id, due)])
    await b.runner._mark(claims)
    await crash(b.runner)
    restarted, report = await _restart(
        uow_factory, clock, due + timedelta(hours=3)
    )  # recharges have no lateness limit
    assert report.interrupted == 0
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == RunOutcome.SUCCEEDED.value
    assert await restarted.credits.balance(GUILD, ALICE) == 100
    again = build_backend(uow_factory, clock)  # and a further restart changes nothing
    await again.runner.catch_up()
    await again.runner.drain()
    assert await again.credits.balance(GUILD, ALICE) == 100


async def test_a_missed_last_counted_occurrence_does_not_use_up_the_count(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """'every day at 12:05, 2 times': the 2nd is claimed, then missed in a crash; a 3rd runs."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    first = clock.now() + timedelta(minutes=5)
    daily = Recurrence(RecurrenceType.DAILY, first, "UTC", time_of_day=time(12, 5), count=2)
    task = await _play(b, sound, daily)
    clock.set(first)
    await b.runner.refill()
    await b.runner.fire_due()
    await b.runner.drain()
    second = first + timedelta(days=1)
    await b.runner._claim_all([(task.id, second)])
    await crash(b.runner)
    clock.set(second + timedelta(hours=1))
    restarted = build_backend(uow_factory, clock)
    await restarted.runner.catch_up()
    await restarted.runner.drain()
    view = await restarted.service.get_task(GUILD, task.id, ADMIN)
    assert view.status is TaskStatus.PENDING and view.next_run_at == first + timedelta(days=2)
    assert [r.outcome for r in await _rows(uow_factory, task.id)] == ["succeeded", "missed"]


async def test_a_survivor_takes_over_at_the_heartbeat_and_arms_at_once(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """a dies holding an owed one-off, a play in progress of a recurring task, and that task's
    next occurrence armed; b takes all of it over when a is declared silent, without waiting
    for its window refill."""
    settings = {"heartbeat_s": 10, "runner_timeout_s": 30, "window_s": 7200}
    a = build_backend(uow_factory, clock, _named("a", **settings))
    b = build_backend(uow_factory, clock, _named("b", **settings))
    sound = await add_sound(uow_factory, clock.now())
    start = clock.now() + timedelta(minutes=1)
    hourly = Recurrence(RecurrenceType.HOURLY, start, "UTC")
    recurring = await _play(a, sound, hourly, name="hourly")
    owed = await _play(a, sound, Recurrence.once(start + timedelta(seconds=20), "UTC"), name="owed")
    await a.runner.heartbeat()
    await b.runner.heartbeat()
    await b.runner.refill()
    clock.set(start)
    a.playback.block = asyncio.Event()
    await a.runner.refill()
    await a.runner.fire_due()  # a claims and starts the hourly occurrence
    await _until(lambda: len(a.playback.requests) == 1, "a's play to begin")
    await a.runner._claim_all([(owed.id, start + timedelta(seconds=20))])  # a's lead claim
    await crash(a.runner)
    # b armed the occurrence a claimed, never the next one (the task was running when b looked)
    assert b.runner.armed.get(recurring.id) != start + timedelta(hours=1)

    clock.advance(timedelta(seconds=31))
    interrupted = await b.runner.heartbeat()
    assert interrupted == 1
    await _until(lambda: len(b.playback.requests) == 1, "b to run a's owed one-off")
    await b.runner.drain()
    assert [r.outcome for r in await _rows(uow_factory, owed.id)] == ["succeeded"]
    [cut] = await _rows(uow_factory, recurring.id)
    assert cut.outcome == "failed" and "interrupted" in (cut.detail or "")
    assert b.runner.armed.get(recurring.id) == start + timedelta(hours=1)
    clock.set(start + timedelta(hours=1))
    await b.runner.fire_due()
    await b.runner.drain()
    assert [r.outcome for r in await _rows(uow_factory, recurring.id)] == ["failed", "succeeded"]


async def test_a_runner_that_lost_its_run_to_a_takeover_records_nothing(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """a is alive but its heartbeat stalled: b records a's play interrupted; when a's play then
    finishes, a's outcome is not written over b's, and nothing plays twice."""
    settings = {"heartbeat_s": 10, "runner_timeout_s": 30}
    a = build_backend(uow_factory, clock, _named("a", **settings))
    b = build_backend(uow_factory, clock, _named("b", **settings))
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _play(a, sound, Recurrence.once(due, "UTC"))
    await a.runner.heartbeat()
    clock.set(due)
    a.playback.block = asyncio.Event()
    await a.runner.refill()
    await a.runner.fire_due()
    await _until(lambda: len(a.playback.requests) == 1, "a's play to begin")
    clock.advance(timedelta(seconds=31))
    assert await b.runner.heartbeat() == 1
    a.playback.block.set()
    await a.runner.drain()
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == "failed" and run.claimed_by == "b"
    assert len(a.playback.requests) + len(b.playback.requests) == 1
    view = await b.service.get_task(GUILD, task.id, ADMIN)
    assert view.status is TaskStatus.FAILED and view.runs_done == 1


async def test_an_owed_run_of_a_task_cancelled_meanwhile_is_skipped(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    b, task, due, _ = await _claimed_one_off(uow_factory, clock)
    await crash(b.runner)
    await b.service.cancel_task(task.id, guild_id=GUILD, actor=ADMIN)
    clock.set(due + timedelta(seconds=30))
    restarted = build_backend(uow_factory, clock)
    await restarted.runner.catch_up()
    await restarted.runner.drain()
    [run] = await _rows(uow_factory, task.id)
    assert run.outcome == RunOutcome.SKIPPED.value and "cancelled" in (run.detail or "")
    assert restarted.playback.requests == []
    view = await restarted.service.get_task(GUILD, task.id, ADMIN)
    assert view.status is TaskStatus.CANCELLED
