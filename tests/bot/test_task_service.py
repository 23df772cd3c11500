"""The task service: creation rules, ownership, pause/resume, seeding, previews."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.errors import NotFoundError, PermissionDenied, ValidationError
from bot.scheduling.recurrence import Recurrence
from bot.tasks.service import DAILY_RECHARGE_NAME, Actor
from storage.enums import RecurrenceType, TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock
from tests.bot.taskkit import ALICE, BOB, CHANNEL, GUILD, OTHER_GUILD, add_sound, build_backend


async def _play_task(
    backend, sound_id: int, *, at: timedelta = timedelta(hours=1), user=ALICE, **kw
):  # type: ignore[no-untyped-def]
    now = backend.service._clock.now()
    return await backend.service.create_task(
        guild_id=GUILD,
        name=kw.pop("name", "ding"),
        task_type=TaskType.PLAY_SOUND,
        parameters={"sound_id": sound_id, "channel_id": CHANNEL},
        user_id=user,
        scheduled_at=now + at,
        timezone="UTC",
        **kw,
    )


async def test_create_one_shot_arms_runner(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A task due inside the window is pending and armed at once."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    task = await _play_task(backend, sound, at=timedelta(minutes=2))
    assert task.status is TaskStatus.PENDING
    assert task.next_run_at == clock.now() + timedelta(minutes=2)
    assert backend.runner.armed == {task.id: task.next_run_at}


async def test_task_outside_window_is_not_armed(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Only occurrences due within the window are held in memory."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    await _play_task(backend, sound, at=timedelta(hours=3))
    assert backend.runner.armed == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"at": timedelta(seconds=-5)}, "already passed"),
        ({"at": timedelta(days=365 * 6)}, "too far ahead"),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "   "}, "needs a name"),
    ],
)
async def test_creation_rules(
    uow_factory: UnitOfWorkFactory,
    clock: FakeClock,
    kwargs: dict,
    message: str,  # type: ignore[type-arg]
) -> None:
    """Past times, far horizons and bad names are refused with a reason."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    with pytest.raises(ValidationError, match=message):
        await _play_task(backend, sound, **kwargs)


async def test_missing_sound_is_refused(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> None:
    """A sound of another server does not exist for this one."""
    backend = build_backend(uow_factory, clock)
    foreign = await add_sound(uow_factory, clock.now(), guild_id=OTHER_GUILD)
    with pytest.raises(NotFoundError, match="no longer exists"):
        await _play_task(backend, foreign)


async def test_short_interval_refused_for_members_allowed_for_admins(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Every 5 minutes is below a member's 15-minute floor but fine for an admin."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    every_5 = Recurrence(
        RecurrenceType.CRON, clock.now() + timedelta(minutes=5), "UTC", cron="*/5 * * * *"
    )
    with pytest.raises(
        ValidationError, match="5 minutes apart; the shortest interval allowed is 15"
    ):
        await _play_task(backend, sound, recurrence=every_5)
    task = await _play_task(backend, sound, recurrence=every_5, actor=Actor(ALICE, is_admin=True))
    assert task.recurrence.cron == "*/5 * * * *"


async def test_pending_task_limit(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> None:
    """A member cannot hold more active tasks than the server allows."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    for n in range(25):
        await _play_task(backend, sound, at=timedelta(hours=n + 1))
    with pytest.raises(ValidationError, match="25 active tasks"):
        await _play_task(backend, sound)


async def test_recharge_tasks_are_for_admins(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Members cannot create credit recharges or system tasks."""
    backend = build_backend(uow_factory, clock)
    with pytest.raises(PermissionDenied):
        await backend.service.create_task(
            guild_id=GUILD,
            name="free money",
            task_type="credit_recharge",
            parameters={},
            user_id=ALICE,
            scheduled_at=clock.now() + timedelta(hours=1),
        )
    with pytest.raises(PermissionDenied):
        await backend.service.create_task(
            guild_id=GUILD,
            name="free money",
            task_type="credit_recharge",
            parameters={},
            user_id=None,
            scheduled_at=clock.now() + timedelta(hours=1),
            actor=Actor(ALICE),
        )
    task = await backend.service.create_task(
        guild_id=GUILD,
        name="bonus",
        task_type="credit_recharge",
        parameters={"amount": 5},
        user_id=None,
        scheduled_at=clock.now() + timedelta(hours=1),
        actor=Actor(BOB, True),
    )
    assert task.is_system and task.parameters == {"user_id": None, "amount": 5}


async def test_members_reach_only_their_own_tasks(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Bob cannot see or cancel Alice's task; an admin can; another server cannot."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    task = await _play_task(backend, sound)
    with pytest.raises(NotFoundError):
        await backend.service.get_task(GUILD, task.id, Actor(BOB))
    with pytest.raises(NotFoundError):
        await backend.service.cancel_task(task.id, guild_id=GUILD, actor=Actor(BOB))
    with pytest.raises(NotFoundError):
        await backend.service.get_task(OTHER_GUILD, task.id, Actor(BOB, is_admin=True))
    assert [t.id for t in await backend.service.get_user_tasks(ALICE, guild_id=GUILD)] == [task.id]
    assert await backend.service.get_user_tasks(BOB, guild_id=GUILD) == []
    with pytest.raises(PermissionDenied):
        await backend.service.list_tasks(GUILD, Actor(BOB), everyone=True)
    cancelled = await backend.service.cancel_task(task.id, guild_id=GUILD, actor=Actor(BOB, True))
    assert cancelled.status is TaskStatus.CANCELLED and cancelled.next_run_at is None
    assert backend.runner.armed == {}


async def test_resume_skips_what_fell_during_the_pause(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A daily task paused for three days resumes at its next future occurrence."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    daily = Recurrence(
        RecurrenceType.DAILY, datetime(2026, 11, 28, 9, tzinfo=UTC), "UTC", time_of_day=time(9)
    )
    task = await _play_task(backend, sound, recurrence=daily)
    actor = Actor(ALICE)
    await backend.service.pause_task(task.id, guild_id=GUILD, actor=actor)
    with pytest.raises(ValidationError, match="already paused"):
        await backend.service.pause_task(task.id, guild_id=GUILD, actor=actor)
    clock.advance(timedelta(days=3))
    resumed = await backend.service.resume_task(task.id, guild_id=GUILD, actor=actor)
    assert resumed.status is TaskStatus.PENDING
    assert resumed.next_run_at == datetime(2026, 12, 1, 9, tzinfo=UTC)


async def test_daily_recharge_seeded_once_and_never_recreated(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """The first sight of a server seeds its daily recharge at local midnight, only once."""
    backend = build_backend(uow_factory, clock)
    async with uow_factory() as uow:
        await uow.guilds.update(GUILD, clock.now(), timezone="Europe/Paris")
        await uow.commit()
    seeded = await backend.service.ensure_guild(GUILD)
    assert seeded is not None and seeded.name == DAILY_RECHARGE_NAME and seeded.is_system
    assert seeded.next_run_at == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # 00:00 in Paris
    assert await backend.service.ensure_guild(GUILD) is None
    await backend.service.cancel_task(seeded.id, guild_id=GUILD, actor=Actor(BOB, True))
    assert await backend.service.ensure_guild(GUILD) is None
    tasks = await backend.service.list_tasks(GUILD, Actor(BOB, True), system_only=True)
    assert [t.status for t in tasks] == [TaskStatus.CANCELLED]


async def test_preview_warns_of_same_minute_clash(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A preview names another task of the server due in the same minute."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    await _play_task(backend, sound, at=timedelta(hours=1, seconds=10), name="other")
    once = Recurrence.once(clock.now() + timedelta(hours=1, seconds=40), "UTC")
    preview = await backend.service.preview(GUILD, once)
    assert preview.next_runs == [once.anchor]
    assert any("also due then in this server: other" in w for w in preview.warnings)
