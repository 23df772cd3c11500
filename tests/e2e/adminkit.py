"""Builders for the admin, permission and notification e2e tests: sounds, tasks, waiting for runs.

State that is not under test is made through the services (fast, and independent of the other
command groups); what is under test always goes through a slash command in the emulator.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from bot.library.model import SoundView
from bot.scheduling.recurrence import Recurrence
from bot.scheduling.timelang import parse_when
from bot.services import Services
from bot.tasks.claiming import Claim
from bot.tasks.model import TaskView
from bot.tasks.service import Actor
from storage.enums import RecurrenceType, TaskType
from tests.audio.tones import tone_bytes
from tests.emulator import Emulator

ADMIN_ONLY_PREFIX = "Only server admins can do this"


async def upload_sound(app: Services, emu: Emulator, owner: str, name: str = "chime") -> SoundView:
    """A short tone uploaded by ``owner`` (through the library service, not /sound upload)."""
    data = tone_bytes("wav", "pcm_s16le", seconds=0.3)
    return await app.library.upload(emu.guild.id, emu.users[owner].id, name, data)


async def play_task(
    app: Services,
    emu: Emulator,
    owner: str | None,
    sound: SoundView,
    *,
    channel: str = "Lounge",
    start_in: timedelta = timedelta(hours=1),
    hourly: bool = False,
    name: str = "Morning chime",
) -> TaskView:
    """A play_sound task of ``owner`` (None: a system task made by an admin)."""
    first = app.clock.now() + start_in
    recurrence = (
        Recurrence(RecurrenceType.HOURLY, first, "UTC") if hourly else Recurrence.once(first, "UTC")
    )
    user_id = None if owner is None else emu.users[owner].id
    return await app.scheduler.create_task(
        guild_id=emu.guild.id,
        name=name,
        task_type=TaskType.PLAY_SOUND,
        parameters={"sound_id": sound.id, "channel_id": emu.channel(channel).id},
        user_id=user_id,
        recurrence=recurrence,
        actor=Actor(emu.users["admin"].id, is_admin=True) if owner is None else None,
    )


async def recharge_task(app: Services, emu: Emulator, name: str = "Top-up") -> TaskView:
    """A daily system credit_recharge task (09:00 UTC)."""
    return await app.scheduler.create_task(
        guild_id=emu.guild.id,
        name=name,
        task_type=TaskType.CREDIT_RECHARGE,
        parameters={"user_id": None, "amount": None},
        user_id=None,
        recurrence=parse_when("every day at 9:00", app.clock.now(), "UTC"),
        actor=Actor(emu.users["admin"].id, is_admin=True),
    )


async def run_now(app: Services, task: TaskView) -> None:
    """Run the task's next occurrence at once (claimed ahead of its due time) and wait for it."""
    assert task.next_run_at is not None
    claim = await app.runner.fire(task.id, task.next_run_at)
    assert claim is not None, f"task {task.id} was not claimable"
    await app.runner.drain()


@contextmanager
def runs_started(app: Services) -> Iterator[asyncio.Queue[tuple[int, datetime]]]:
    """Each occurrence the runner starts, as ``(task id, due)``: await it instead of sleeping."""
    queue: asyncio.Queue[tuple[int, datetime]] = asyncio.Queue()

    def started(claim: Claim, _at: datetime) -> None:
        queue.put_nowait((claim.task.id, claim.due_at))

    previous, app.runner.on_start = app.runner.on_start, started
    try:
        yield queue
    finally:
        app.runner.on_start = previous
