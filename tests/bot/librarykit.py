"""Shared pieces of the library and playlist tests: ids, tones, a counting ingestor, helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import select

from audio.ingest import IngestedSound, Ingestor
from bot.library.service import LibraryService, SoundView
from bot.tasks.service import Actor
from storage.models import Blob, PlaylistItem
from storage.uow import UnitOfWorkFactory
from tests.audio.tones import tone_bytes

GUILD = 1000
OTHER_GUILD = 2000
ALICE = 11
BOB = 12
ADMIN = Actor(99, is_admin=True)


def tone(freq: float = 440.0, seconds: float = 0.3) -> bytes:
    """A short WAV tone; each frequency is different content (a different blob)."""
    return tone_bytes("wav", "pcm_s16le", seconds=seconds, freq=freq)


class CountingIngestor:
    """The real ingestor, counting calls and optionally running a hook while it works."""

    def __init__(self, inner: Ingestor) -> None:
        self.inner = inner
        self.calls = 0
        self.hook: Callable[[], Awaitable[None]] | None = None

    async def ingest(self, data: bytes | Path, *, max_bytes: int | None = None) -> IngestedSound:
        self.calls += 1
        result = await self.inner.ingest(data, max_bytes=max_bytes)
        if self.hook is not None:
            await self.hook()
        return result


async def upload(
    library: LibraryService,
    name: str,
    freq: float = 440.0,
    *,
    guild_id: int = GUILD,
    user_id: int = ALICE,
) -> SoundView:
    return await library.upload(guild_id, user_id, name, tone(freq))


async def blob_rows(uow_factory: UnitOfWorkFactory) -> list[str]:
    async with uow_factory() as uow:
        return list((await uow.session.execute(select(Blob.hash))).scalars())


async def positions(uow_factory: UnitOfWorkFactory, playlist_id: int) -> list[int]:
    async with uow_factory() as uow:
        result = await uow.session.execute(
            select(PlaylistItem.position)
            .where(PlaylistItem.playlist_id == playlist_id)
            .order_by(PlaylistItem.position)
        )
        return list(result.scalars())


def names(view_tracks: tuple[SoundView, ...]) -> list[str]:
    return [t.name for t in view_tracks]
