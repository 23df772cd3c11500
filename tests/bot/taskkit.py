"""Test doubles and builders for the scheduler backend: a playback port, a notifier, sounds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Settings
from bot.credits.service import CreditService
from bot.plays.port import PlaybackOutcome, PlaybackRequest, PlaybackResult
from bot.plays.service import PlayService
from bot.scheduling.recurrence import Recurrence
from bot.tasks.handlers import build_handlers
from bot.tasks.model import recurrence_fields
from bot.tasks.runner import TaskRunner
from bot.tasks.service import SchedulerService
from storage.models import Blob, ScheduledTask, Sound
from storage.uow import UnitOfWorkFactory

GUILD = 1000
OTHER_GUILD = 2000
ALICE = 11
BOB = 12
CHANNEL = 500


class FakePlayback:
    """The playback port: records requests, starts each track (charging), or fails on demand."""

    def __init__(self) -> None:
        self.requests: list[PlaybackRequest] = []
        self.errors: list[Exception] = []
        self.outcome = PlaybackOutcome.FINISHED
        self.block: asyncio.Event | None = None

    async def play(self, request: PlaybackRequest) -> PlaybackResult:
        self.requests.append(request)
        if self.errors:
            raise self.errors.pop(0)
        if self.block is not None:
            await self.block.wait()
        if self.outcome in (PlaybackOutcome.SKIPPED_BUSY, PlaybackOutcome.SKIPPED_EMPTY):
            return PlaybackResult(self.outcome, audio_sent=False)
        started = 0
        for track in request.tracks:
            if request.on_track_start is not None and not await request.on_track_start(track):
                return PlaybackResult(
                    PlaybackOutcome.CHARGE_DECLINED, audio_sent=started > 0, tracks_started=started
                )
            started += 1
        played = sum(t.duration_s for t in request.tracks)
        return PlaybackResult(self.outcome, True, started, played)

    async def stop(self, guild_id: int) -> bool:
        return False

    async def skip(self, guild_id: int) -> bool:
        return False


class NoCounter:
    """Play counts are the library's business; these tests do not look at them."""

    async def record_plays(self, sound_ids: object) -> None:
        return None


@dataclass
class FakeNotifier:
    messages: list[tuple[int, int | None, str]] = field(default_factory=list)

    async def notify(self, guild_id: int, user_id: int | None, message: str) -> None:
        self.messages.append((guild_id, user_id, message))


def system_play_row(
    name: str, recurrence: Recurrence, next_run_at: datetime, now: datetime, sound: int
) -> ScheduledTask:
    """A pending system play (no owner: free, no credits needed), for seeding many at once."""
    return ScheduledTask(
        guild_id=GUILD,
        owner_id=None,
        task_type="play_sound",
        name=name,
        parameters={"sound_id": sound, "channel_id": CHANNEL},
        **recurrence_fields(recurrence),
        runs_done=0,
        next_run_at=next_run_at,
        status="pending",
        on_busy="queue",
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )


async def add_sound(
    uow_factory: UnitOfWorkFactory, now: datetime, name: str = "chime", guild_id: int = GUILD
) -> int:
    async with uow_factory() as uow:
        digest = f"{abs(hash((name, guild_id))):064d}"[:64]
        await uow.sounds.add_blob(Blob(hash=digest, size_bytes=10, duration_s=1.5, created_at=now))
        sound = await uow.sounds.add(
            Sound(
                guild_id=guild_id,
                name=name,
                name_key=name.casefold(),
                blob_hash=digest,
                uploader_id=ALICE,
                duration_s=1.5,
                size_bytes=10,
                play_count=0,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
        return sound.id


@dataclass
class Backend:
    settings: Settings
    service: SchedulerService
    runner: TaskRunner
    credits: CreditService
    playback: FakePlayback
    notifier: FakeNotifier


def build_backend(
    uow_factory: UnitOfWorkFactory, clock: object, settings: Settings | None = None
) -> Backend:
    settings = settings or Settings()
    playback = FakePlayback()
    notifier = FakeNotifier()
    credits = CreditService(uow_factory, clock, settings.credits)  # type: ignore[arg-type]
    plays = PlayService(credits, playback, NoCounter(), settings.credits)
    runner = TaskRunner(
        uow_factory,
        build_handlers(uow_factory, credits, plays, settings),
        settings=settings.scheduler,
        clock=clock,  # type: ignore[arg-type]
        notifier=notifier,
    )
    service = SchedulerService(
        uow_factory,
        playback,
        settings=settings,
        clock=clock,
        listener=runner,  # type: ignore[arg-type]
    )
    return Backend(settings, service, runner, credits, playback, notifier)


async def crash(runner: TaskRunner) -> None:
    """What SIGKILL leaves: the runner's memory is gone and nothing more reaches the database."""
    if runner._scheduler is not None:
        runner._scheduler.shutdown(wait=False)
        runner._scheduler = None
    for burst in runner._bursts.values():
        if burst.handle is not None:
            burst.handle.cancel()
    tasks = list(runner._inflight)
    if runner._batcher is not None:
        tasks.append(runner._batcher)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
