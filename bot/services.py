"""The services both front ends receive (the slash commands in ``cogs/``, the web app), and the
shared resources' factories.

A lower module than the composition root (:mod:`bot.app`): front ends import :class:`Services`
from here for their types, so nothing imports the root but the entry points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from audio.blobstore import BlobStore
from audio.limits import MIB, AudioLimits
from audio.players import PlayerManager
from bot.client.bot import CarillonBot
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.credits.service import CreditService
from bot.library.playlists import PlaylistService
from bot.library.service import LibraryService
from bot.plays.service import PlayService
from bot.preferences import PreferenceService
from bot.tasks.runner import TaskRunner
from bot.tasks.service import SchedulerService
from storage import migrate
from storage.engine import create_engine
from storage.uow import UnitOfWorkFactory


@dataclass
class Services:
    """Every service, built once by :func:`bot.app.open_app`."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    bot: CarillonBot
    credits: CreditService
    scheduler: SchedulerService
    runner: TaskRunner
    players: PlayerManager
    blobs: BlobStore
    library: LibraryService
    playlists: PlaylistService
    preferences: PreferenceService
    plays: PlayService
    started_at: datetime = field(default_factory=lambda: SystemClock().now())


def blob_root(settings: Settings) -> BlobStore:
    """The one place that says where sound blobs live."""
    return BlobStore(settings.data_dir / "sounds")


def ingest_limits(settings: Settings) -> AudioLimits:
    """The ingest limits the configuration asks for (uploads and ``carillon sounds import``)."""
    audio = settings.audio
    return AudioLimits(
        max_upload_bytes=int(audio.max_upload_mb * MIB),
        max_duration_s=float(audio.max_duration_s),
        loudness_target_lufs=audio.loudness_target_lufs,
    )


async def open_engine(settings: Settings, *, upgrade: bool = True) -> AsyncEngine:
    """The database engine; with ``upgrade`` the schema is migrated to head first."""
    engine = create_engine(
        settings.database_url,
        busy_timeout_ms=settings.database.busy_timeout_ms,
        echo=settings.database.echo,
    )
    if upgrade:
        try:
            await migrate.upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
    return engine
