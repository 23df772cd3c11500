"""StatusService: the figures /admin status shows and the counts admin listings page with."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.ops.status import StatusService, uptime_text
from bot.scheduling.recurrence import Recurrence
from bot.tasks.runner import CatchUpReport
from bot.tasks.service import SYSTEM, Actor
from storage.enums import TaskStatus, TaskType
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import START, FakeClock
from tests.bot.taskkit import ALICE, BOB, CHANNEL, GUILD, OTHER_GUILD, add_sound, build_backend


class FakeReports:
    def __init__(self) -> None:
        self.last_start = CatchUpReport(at=START, overdue_tasks=2, ran_late=1, missed=3)


def status_service(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> StatusService:
    return StatusService(
        uow_factory, FakeReports(), clock, started_at=START, voice_connections=lambda: 2
    )


async def _tasks(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> list[int]:
    """Alice: due in 1 h and in 3 h (then cancelled); Bob: due in 2 h; a system recharge in 30
    min; another server's task in 10 min.  Returns the ids in that order."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    other_sound = await add_sound(uow_factory, clock.now(), guild_id=OTHER_GUILD)
    ids = []
    for guild, owner, sound_id, minutes in (
        (GUILD, ALICE, sound, 60),
        (GUILD, ALICE, sound, 180),
        (GUILD, BOB, sound, 120),
        (OTHER_GUILD, ALICE, other_sound, 10),
    ):
        task = await backend.service.create_task(
            guild_id=guild,
            name=f"play {minutes}",
            task_type=TaskType.PLAY_SOUND,
            parameters={"sound_id": sound_id, "channel_id": CHANNEL},
            user_id=owner,
            recurrence=Recurrence.once(clock.now() + timedelta(minutes=minutes), "UTC"),
        )
        ids.append(task.id)
    system = await backend.service.create_task(
        guild_id=GUILD,
        name="recharge",
        task_type=TaskType.CREDIT_RECHARGE,
        parameters={},
        user_id=None,
        recurrence=Recurrence.once(clock.now() + timedelta(minutes=30), "UTC"),
    )
    await backend.service.cancel_task(ids[1], guild_id=GUILD, actor=Actor(ALICE))
    return [ids[0], ids[1], ids[2], system.id, ids[3]]


async def test_report_counts_this_servers_pending_tasks_and_its_next_run(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Cancelled tasks and other servers' tasks are left out; the next run is the earliest."""
    await _tasks(uow_factory, clock)
    clock.advance(timedelta(hours=1, minutes=5))

    report = await status_service(uow_factory, clock).report(GUILD)

    assert report.pending_tasks == 3
    assert report.next_run_at == START + timedelta(minutes=30)
    assert report.uptime == timedelta(hours=1, minutes=5)
    assert report.voice_connections == 2
    assert report.last_start.missed == 3


async def test_report_of_a_server_without_tasks(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """No pending task: zero and no next run (not an error)."""
    report = await status_service(uow_factory, clock).report(GUILD)

    assert (report.pending_tasks, report.next_run_at) == (0, None)


@pytest.mark.parametrize(
    ("owner_id", "system_only", "status", "expected"),
    [
        (None, False, None, 4),
        (ALICE, False, None, 2),
        (BOB, False, None, 1),
        (None, True, None, 1),
        (None, False, TaskStatus.CANCELLED, 1),
        (ALICE, False, TaskStatus.PENDING, 1),
    ],
)
async def test_count_tasks_matches_the_listing(
    uow_factory: UnitOfWorkFactory,
    clock: FakeClock,
    owner_id: int | None,
    system_only: bool,
    status: TaskStatus | None,
    expected: int,
) -> None:
    """The count uses the same filters as SchedulerService.list_tasks, so pages add up."""
    await _tasks(uow_factory, clock)
    listed = await build_backend(uow_factory, clock).service.list_tasks(
        GUILD,
        SYSTEM,
        owner_id=owner_id,
        everyone=owner_id is None and not system_only,
        system_only=system_only,
        status=status,
        limit=100,
    )

    count = await status_service(uow_factory, clock).count_tasks(
        GUILD, owner_id=owner_id, system_only=system_only, status=status
    )

    assert count == expected == len(listed)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "less than a minute"),
        (timedelta(minutes=5, seconds=59), "5 min"),
        (timedelta(hours=2, minutes=3), "2 h 3 min"),
        (timedelta(days=3, hours=4, minutes=5), "3 d 4 h 5 min"),
    ],
)
def test_uptime_text(delta: timedelta, text: str) -> None:
    """Coarse, readable uptimes."""
    assert uptime_text(delta) == text
