"""The runner: exactly once, lateness, retries, counts, DST days, restarts, recharges."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.errors import PermanentPlaybackError, TransientPlaybackError
from bot.scheduling.recurrence import Recurrence
from bot.tasks.service import Actor
from storage.enums import RecurrenceType, RunOutcome, TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock
from tests.bot.taskkit import (
    ALICE,
    BOB,
    CHANNEL,
    GUILD,
    Backend,
    add_sound,
    build_backend,
    crash,
    system_play_row,
)

ADMIN = Actor(BOB, is_admin=True)


async def _task(
    b: Backend, sound: int, recurrence: Recurrence, user: int | None = ALICE, name: str = "t"
):  # type: ignore[no-untyped-def]
    return await b.service.create_task(
        guild_id=GUILD,
        name=name,
        task_type=TaskType.PLAY_SOUND,
        parameters={"sound_id": sound, "channel_id": CHANNEL},
        user_id=user,
        recurrence=recurrence,
        actor=ADMIN if user is None else None,
    )


async def _runs(b: Backend, task_id: int) -> list[tuple[str | None, datetime]]:
    history = await b.service.history(GUILD, task_id, ADMIN, limit=100)
    return [(None if r.outcome is None else r.outcome.value, r.due_at) for r in reversed(history)]


async def _tick(b: Backend, clock: FakeClock, to: datetime) -> None:
    clock.set(to)
    await b.runner.refill()
    await b.runner.fire_due()
    await b.runner.drain()


async def test_one_shot_runs_once_charges_and_completes(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Due time reached: played once, one credit charged, task completed with a succeeded run."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    await _tick(b, clock, due)
    await _tick(b, clock, due + timedelta(minutes=1))
    assert len(b.playback.requests) == 1
    assert b.playback.requests[0].channel_id == CHANNEL
    assert await b.credits.balance(GUILD, ALICE) == 99
    done = await b.service.get_task(GUILD, task.id, ADMIN)
    assert done.status is TaskStatus.COMPLETED and done.runs_done == 1
    assert await _runs(b, task.id) == [("succeeded", due)]


async def test_a_locked_database_when_recording_is_retried_not_lost(
    uow_factory: UnitOfWorkFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """'database is locked' past the busy timeout on the outcome write: recorded on a retry."""
    from sqlalchemy.exc import OperationalError

    from bot.tasks.execution import RunExecutor

    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    original = RunExecutor._record
    failures = iter([True, True])

    async def locked_twice(self, *args):  # type: ignore[no-untyped-def]
        if next(failures, False):
            raise OperationalError("UPDATE task_runs", {}, Exception("database is locked"))
        return await original(self, *args)

    monkeypatch.setattr(RunExecutor, "_record", locked_twice)
    await _tick(b, clock, due)
    await _tick(b, clock, due + timedelta(minutes=1))
    assert len(b.playback.requests) == 1
    done = await b.service.get_task(GUILD, task.id, ADMIN)
    assert done.status is TaskStatus.COMPLETED
    assert await _runs(b, task.id) == [("succeeded", due)]


async def test_two_runners_fire_1000_occurrences_exactly_once(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runners on one database race for 1,000 due occurrences: each runs exactly once."""
    first = build_backend(any_uow_factory, clock)
    second = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    due = clock.now() + timedelta(seconds=30)
    async with any_uow_factory() as uow:
        uow.session.add_all(
            system_play_row(f"t{n}", Recurrence.once(due, "UTC"), due, clock.now(), sound)
            for n in range(1000)
        )
        await uow.commit()
    clock.set(due)
    monkeypatch.setattr("bot.tasks.runner.CLAIM_BATCH", 20)  # many small, interleaved claims
    await asyncio.gather(first.runner.refill(), second.runner.refill())
    assert len(first.runner.armed) == len(second.runner.armed) == 1000  # both go for all of them
    await asyncio.gather(first.runner.fire_due(), second.runner.fire_due())
    await asyncio.gather(first.runner.drain(), second.runner.drain())
    plays = len(first.playback.requests) + len(second.playback.requests)
    assert plays == 1000
    async with any_uow_factory() as uow:
        completed = await uow.tasks.list(GUILD, statuses=[TaskStatus.COMPLETED], limit=2000)
        runs = [await uow.runs.history(task.id) for task in completed]
    assert len(completed) == 1000
    assert all(len(r) == 1 and r[0].outcome == "succeeded" for r in runs)


async def test_late_within_allowance_runs_once_and_collapses(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A recharge every hour, 3 hours offline: one catch-up run, the others recorded as missed."""
    b = build_backend(uow_factory, clock)
    first = clock.now() + timedelta(hours=1)
    hourly = Recurrence(RecurrenceType.HOURLY, first, "UTC")
    task = await b.service.create_task(
        guild_id=GUILD,
        name="r",
        task_type="credit_recharge",
        parameters={"user_id": ALICE, "amount": 1},
        user_id=None,
        recurrence=hourly,
        actor=ADMIN,
    )
    clock.set(first + timedelta(hours=2, minutes=30))
    report = await b.runner.catch_up()
    await b.runner.drain()
    assert report.ran_late == 1 and report.missed == 2
    runs = await _runs(b, task.id)
    assert [o for o, _ in runs] == ["missed", "missed", "succeeded"]
    assert runs[-1][1] == first + timedelta(hours=2)
    refreshed = await b.service.get_task(GUILD, task.id, ADMIN)
    assert refreshed.next_run_at == first + timedelta(hours=3)
    assert refreshed.status is TaskStatus.PENDING


async def test_beyond_allowance_missed_and_one_shot_expires(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Plays allow 5 minutes: 10 minutes late, a one-shot expires and nothing plays."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    clock.set(due + timedelta(minutes=10))
    report = await b.runner.catch_up()
    assert (report.expired, report.missed, report.ran_late) == (1, 1, 0)
    assert b.playback.requests == []
    expired = await b.service.get_task(GUILD, task.id, ADMIN)
    assert expired.status is TaskStatus.EXPIRED
    assert await _runs(b, task.id) == [("missed", due)]


async def test_count_counts_attempts_not_missed(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """'3 times': a missed occurrence does not count; the task completes after 3 attempts."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    daily = Recurrence(RecurrenceType.DAILY, start, "UTC", time_of_day=time(9), count=3)
    task = await _task(b, sound, daily)
    await _tick(b, clock, start)  # day 1 runs
    clock.set(start + timedelta(days=1, hours=1))  # day 2 missed (an hour late)
    await b.runner.catch_up()
    for day in (2, 3):
        await _tick(b, clock, start + timedelta(days=day))
    outcomes = [o for o, _ in await _runs(b, task.id)]
    assert outcomes == ["succeeded", "missed", "succeeded", "succeeded"]
    done = await b.service.get_task(GUILD, task.id, ADMIN)
    assert done.status is TaskStatus.COMPLETED and done.next_run_at is None


async def test_transient_failure_retries_with_backoff(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Two voice timeouts, then success: one run, attempt 3, succeeded."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    b.playback.errors = [TransientPlaybackError("voice connect timed out")] * 2
    await _tick(b, clock, due)
    history = await b.service.history(GUILD, task.id, ADMIN)
    assert history[0].retry_at == due + timedelta(seconds=15)
    await _tick(b, clock, due + timedelta(seconds=15))
    await _tick(b, clock, due + timedelta(seconds=75))
    [run] = await b.service.history(GUILD, task.id, ADMIN)
    assert (run.outcome, run.attempt) == (RunOutcome.SUCCEEDED, 3)
    assert len(b.playback.requests) == 3
    assert await b.credits.balance(GUILD, ALICE) == 99  # failed attempts charged nothing


async def test_transient_failure_gives_up_past_allowance(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """The 240 s retry would land past the 5-minute allowance: the run fails instead."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    b.playback.errors = [TransientPlaybackError("Discord 503")] * 3
    await _tick(b, clock, due)
    await _tick(b, clock, due + timedelta(seconds=15))
    await _tick(b, clock, due + timedelta(seconds=75))
    [run] = await b.service.history(GUILD, task.id, ADMIN)
    assert (run.outcome, run.attempt, run.detail) == (RunOutcome.FAILED, 3, "Discord 503")
    assert (await b.service.get_task(GUILD, task.id, ADMIN)).status is TaskStatus.FAILED
    assert b.notifier.messages and "failed: Discord 503" in b.notifier.messages[0][2]


async def test_five_failures_in_a_row_pause_and_notify(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A recurring task whose channel is gone fails at once each time and pauses after five."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    start = clock.now() + timedelta(hours=1)
    hourly = Recurrence(RecurrenceType.HOURLY, start, "UTC")
    task = await _task(b, sound, hourly)
    b.playback.errors = [PermanentPlaybackError("The voice channel was deleted.")] * 5
    for n in range(5):
        await _tick(b, clock, start + timedelta(hours=n))
    paused = await b.service.get_task(GUILD, task.id, ADMIN)
    assert paused.status is TaskStatus.PAUSED and paused.consecutive_failures == 5
    [(guild, user, message)] = b.notifier.messages
    assert (guild, user) == (GUILD, ALICE)
    assert "paused after 5 failed runs" in message and "/tasks resume" in message


async def test_out_of_credits_fails_without_playing(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """With a zero balance the play is refused, nothing is charged, the run says why."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    await b.credits.set_balance(GUILD, ALICE, 0, actor_id=BOB)
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    await _tick(b, clock, due)
    [run] = await b.service.history(GUILD, task.id, ADMIN)
    assert run.outcome is RunOutcome.FAILED and "credit" in (run.detail or "").lower()
    assert await b.credits.balance(GUILD, ALICE) == 0


async def test_system_tasks_play_free(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> None:
    """An admin's system play charges nobody."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    await _task(b, sound, Recurrence.once(due, "UTC"), user=None)
    await _tick(b, clock, due)
    assert len(b.playback.requests) == 1
    async with uow_factory() as uow:
        assert await uow.credits.accounts_in_guild(GUILD) == []


async def test_restart_mid_burst_never_runs_twice(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A crash while plays are running: on restart those runs are failed, not replayed, and the
    owners of the one-offs are told."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    tasks = [await _task(b, sound, Recurrence.once(due, "UTC"), name=f"t{n}") for n in range(3)]
    later = await _task(b, sound, Recurrence.once(due + timedelta(minutes=2), "UTC"), name="later")
    b.playback.block = asyncio.Event()  # plays hang: the process "dies" mid-play
    clock.set(due)
    await b.runner.fire_due()
    for _ in range(200):  # until all three plays are under way
        if len(b.playback.requests) == 3:
            break
        await asyncio.sleep(0.01)
    await crash(b.runner)  # nothing finished
    assert len(b.playback.requests) == 3
    clock.set(due + timedelta(minutes=3))
    restarted = build_backend(uow_factory, clock)
    report = await restarted.runner.catch_up()
    await restarted.runner.drain()
    assert report.interrupted == 3 and report.ran_late == 1
    assert len(restarted.playback.requests) == 1
    for task in tasks:
        [(outcome, _)] = await _runs(restarted, task.id)
        assert outcome == "failed"
        view = await restarted.service.get_task(GUILD, task.id, ADMIN)
        assert view.status is TaskStatus.FAILED and "interrupted" in (view.last_error or "")
    assert len(restarted.notifier.messages) == 3
    assert all("interrupted" in text for _, _, text in restarted.notifier.messages)
    assert await _runs(restarted, later.id) == [("succeeded", due + timedelta(minutes=2))]


@pytest.mark.parametrize(
    ("zone", "day", "local_times"),
    [
        # Spring forward: 02:30 does not exist and fires at 03:00 local.
        ("America/New_York", date(2026, 3, 7), ["02:30", "03:00", "02:30"]),
        # Fall back: 02:30 exists twice in Paris; it fires once, on the first pass.
        ("Europe/Paris", date(2026, 10, 24), ["02:30", "02:30", "02:30"]),
    ],
)
async def test_daily_task_across_dst(
    uow_factory: UnitOfWorkFactory,
    clock: FakeClock,
    zone: str,
    day: date,
    local_times: list[str],
) -> None:
    """A daily 02:30 task fires once a day at the DST-correct instant in its zone."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    tz = ZoneInfo(zone)
    clock.set(datetime.combine(day, time(0), tz))
    first = datetime.combine(day, time(2, 30), tz)
    task = await _task(
        b, sound, Recurrence(RecurrenceType.DAILY, first, zone, time_of_day=time(2, 30))
    )
    fired: list[str] = []
    for _ in range(3):
        due = (await b.service.get_task(GUILD, task.id, ADMIN)).next_run_at
        assert due is not None
        await _tick(b, clock, due)
        fired.append(due.astimezone(tz).strftime("%H:%M"))
    assert fired == local_times
    assert len(b.playback.requests) == 3


async def test_recharge_applies_with_its_run_once(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A recharge lifts balances to the cap with its run, in one transaction, and only once."""
    settings = Settings()
    b = build_backend(uow_factory, clock, settings)
    await b.credits.set_balance(GUILD, ALICE, 10, actor_id=BOB)
    await b.credits.set_balance(GUILD, BOB, 95, actor_id=BOB)
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
    await _tick(b, clock, due)
    assert await b.runner.fire(task.id, due) is None  # a duplicate job finds it claimed
    await b.runner.drain()
    assert await b.credits.balance(GUILD, ALICE) == 100
    assert await b.credits.balance(GUILD, BOB) == 100
    [run] = await b.service.history(GUILD, task.id, ADMIN)
    assert run.outcome is RunOutcome.SUCCEEDED and "2 of 2 account(s) credited" in (
        run.detail or ""
    )
    async with uow_factory() as uow:
        for user in (ALICE, BOB):
            account = await uow.credits.get(GUILD, user)
            assert account is not None
            assert await uow.credits.ledger_sum(account.id) == account.balance


async def test_maintenance_purges_old_finished_tasks(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Finished tasks older than the retention period go, with their runs."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    keep = await _task(b, sound, Recurrence.once(due + timedelta(days=40), "UTC"))
    await _tick(b, clock, due)
    clock.advance(timedelta(days=29))
    assert await b.runner.maintenance() == 0
    clock.advance(timedelta(days=2))
    assert await b.runner.maintenance() == 1
    async with uow_factory() as uow:
        assert await uow.tasks.get(task.id) is None
        assert await uow.runs.history(task.id) == []
        assert await uow.tasks.get(keep.id) is not None


async def test_apscheduler_fires_in_real_time(uow_factory: UnitOfWorkFactory) -> None:
    """With the real scheduler and clock, a task due in half a second runs by itself."""
    from bot.clock import SystemClock

    b = build_backend(uow_factory, SystemClock())
    sound = await add_sound(uow_factory, datetime.now(UTC))
    await b.runner.start()
    try:
        due = datetime.now(UTC) + timedelta(milliseconds=500)
        b.service._clock = SystemClock()
        task = await _task(b, sound, Recurrence.once(due, "UTC"))
        for _ in range(100):
            await asyncio.sleep(0.05)
            if (await b.service.get_task(GUILD, task.id, ADMIN)).status is TaskStatus.COMPLETED:
                break
        assert (await b.service.get_task(GUILD, task.id, ADMIN)).status is TaskStatus.COMPLETED
        assert len(b.playback.requests) == 1
    finally:
        await b.runner.stop()


def test_dataclasses_are_frozen() -> None:
    """Scheduler settings are immutable values."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().scheduler.window_s = 1  # type: ignore[misc]


async def test_claimed_ahead_survives_a_restart(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Claimed ahead of its due time by a process that then stopped: it still runs, once."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(b, sound, Recurrence.once(due, "UTC"))
    claims = await b.runner._claim_all([(task.id, due)])  # what the lead-time job does
    assert len(claims) == 1
    await b.runner.stop()  # stopped before the due time: never started
    restarted = build_backend(uow_factory, clock)
    report = await restarted.runner.catch_up()
    assert report.interrupted == 0
    assert restarted.playback.requests == []
    await _tick(restarted, clock, due)
    assert await _runs(restarted, task.id) == [("succeeded", due)]
    assert len(restarted.playback.requests) == 1


async def test_until_ends_the_task(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> None:
    """'every day at 9 until the 29th': runs on the 28th and 29th, then the task is completed."""
    b = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    until = datetime(2026, 11, 29, 23, 59, tzinfo=UTC)
    daily = Recurrence(RecurrenceType.DAILY, start, "UTC", time_of_day=time(9), until=until)
    task = await _task(b, sound, daily)
    await _tick(b, clock, start)
    await _tick(b, clock, start + timedelta(days=1))
    done = await b.service.get_task(GUILD, task.id, ADMIN)
    assert [o for o, _ in await _runs(b, task.id)] == ["succeeded", "succeeded"]
    assert done.status is TaskStatus.COMPLETED and done.next_run_at is None


def _named(name: str) -> Settings:
    settings = Settings()
    return dataclasses.replace(
        settings, scheduler=dataclasses.replace(settings.scheduler, runner_name=name)
    )


async def test_a_restarting_process_leaves_another_runners_play_alone(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Two processes share a database: one restarting does not fail what the other is playing."""
    a = build_backend(uow_factory, clock, _named("shard-a"))
    sound = await add_sound(uow_factory, clock.now())
    due = clock.now() + timedelta(minutes=1)
    task = await _task(a, sound, Recurrence.once(due, "UTC"))
    a.playback.block = asyncio.Event()
    clock.set(due)
    await a.runner.heartbeat()
    await a.runner.fire_due()
    for _ in range(200):
        if a.playback.requests:
            break
        await asyncio.sleep(0.01)

    b = build_backend(uow_factory, clock, _named("shard-b"))
    report = await b.runner.catch_up()  # b (re)starts while a is mid-play
    assert report.interrupted == 0
    assert (await b.service.get_task(GUILD, task.id, ADMIN)).status is TaskStatus.RUNNING

    a.playback.block.set()
    await a.runner.drain()
    assert await _runs(a, task.id) == [("succeeded", due)]
    assert (await a.service.get_task(GUILD, task.id, ADMIN)).status is TaskStatus.COMPLETED


async def test_a_silent_runners_runs_are_settled_by_the_others(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A runner that died mid-play is recognised by its silent heartbeat; its run is failed and
    what it had claimed ahead is taken over and played once."""
    a = build_backend(uow_factory, clock, _named("shard-a"))
    b = build_backend(uow_factory, clock, _named("shard-b"))
    sound = await add_sound(uow_factory, clock.now())
    now_due = clock.now() + timedelta(minutes=1)
    later_due = clock.now() + timedelta(minutes=5)
    playing = await _task(a, sound, Recurrence.once(now_due, "UTC"), name="playing")
    ahead = await _task(a, sound, Recurrence.once(later_due, "UTC"), name="ahead")
    a.playback.block = asyncio.Event()
    clock.set(now_due)
    await a.runner.heartbeat()
    await b.runner.heartbeat()
    await a.runner.fire_due()
    await a.runner._claim_all([(ahead.id, later_due)])  # claimed ahead, as the lead job does
    for _ in range(200):
        if a.playback.requests:
            break
        await asyncio.sleep(0.01)
    await crash(a.runner)  # a dies: no more heartbeats

    clock.advance(timedelta(seconds=60))
    assert await b.runner.heartbeat() == 0  # a is late, not yet presumed dead
    clock.advance(timedelta(seconds=31))
    assert await b.runner.heartbeat() == 1

    [(outcome, _)] = await _runs(b, playing.id)
    assert outcome == "failed"
    assert (await b.service.get_task(GUILD, playing.id, ADMIN)).status is TaskStatus.FAILED
    await _tick(b, clock, later_due)
    assert await _runs(b, ahead.id) == [("succeeded", later_due)]
    assert len(b.playback.requests) == 1
