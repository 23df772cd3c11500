"""Sounds, their blobs, and playlists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Blob, Playlist, PlaylistItem, Sound


def name_key(name: str) -> str:
    """Names are unique per server regardless of case."""
    return name.casefold()


class SoundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, guild_id: int, sound_id: int) -> Sound | None:
        sound = await self._session.get(Sound, sound_id)
        return sound if sound is not None and sound.guild_id == guild_id else None

    async def by_name(self, guild_id: int, name: str) -> Sound | None:
        result = await self._session.execute(
            select(Sound).where(Sound.guild_id == guild_id, Sound.name_key == name_key(name))
        )
        return result.scalar_one_or_none()

    async def search(
        self, guild_id: int, prefix: str = "", limit: int = 25, offset: int = 0
    ) -> Sequence[Sound]:
        query = select(Sound).where(Sound.guild_id == guild_id)
        if prefix:
            query = query.where(Sound.name_key.contains(name_key(prefix), autoescape=True))
        result = await self._session.execute(
            query.order_by(Sound.name_key).limit(limit).offset(offset)
        )
        return result.scalars().all()

    async def count(self, guild_id: int) -> int:
        result = await self._session.execute(
            select(func.count()).select_from(Sound).where(Sound.guild_id == guild_id)
        )
        return int(result.scalar_one())

    async def add(self, sound: Sound) -> Sound:
        self._session.add(sound)
        await self._session.flush()
        return sound

    async def delete(self, sound: Sound) -> None:
        await self._session.delete(sound)
        await self._session.flush()

    async def get_blob(self, blob_hash: str) -> Blob | None:
        return await self._session.get(Blob, blob_hash)

    async def add_blob(self, blob: Blob) -> Blob:
        existing = await self.get_blob(blob.hash)
        if existing is not None:
            return existing
        self._session.add(blob)
        await self._session.flush()
        return blob


class PlaylistRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, guild_id: int, playlist_id: int) -> Playlist | None:
        result = await self._session.execute(
            select(Playlist)
            .where(Playlist.id == playlist_id, Playlist.guild_id == guild_id)
            .options(selectinload(Playlist.items))
        )
        return result.scalar_one_or_none()

    async def by_name(self, guild_id: int, name: str) -> Playlist | None:
        result = await self._session.execute(
            select(Playlist)
            .where(Playlist.guild_id == guild_id, Playlist.name_key == name_key(name))
            .options(selectinload(Playlist.items))
        )
        return result.scalar_one_or_none()

    async def search(
        self, guild_id: int, prefix: str = "", limit: int = 25, offset: int = 0
    ) -> Sequence[Playlist]:
        query = select(Playlist).where(Playlist.guild_id == guild_id)
        if prefix:
            query = query.where(Playlist.name_key.contains(name_key(prefix), autoescape=True))
        result = await self._session.execute(
            query.order_by(Playlist.name_key).limit(limit).offset(offset)
        )
        return result.scalars().all()

    async def add(self, playlist: Playlist) -> Playlist:
        self._session.add(playlist)
        await self._session.flush()
        return playlist

    async def delete(self, playlist: Playlist) -> None:
        await self._session.delete(playlist)
        await self._session.flush()

    async def tracks(self, playlist_id: int) -> Sequence[Sound]:
        result = await self._session.execute(
            select(Sound)
            .join(PlaylistItem, PlaylistItem.sound_id == Sound.id)
            .where(PlaylistItem.playlist_id == playlist_id)
            .order_by(PlaylistItem.position)
        )
        return result.scalars().all()

    async def containing_sound(self, sound_id: int) -> Sequence[Playlist]:
        result = await self._session.execute(
            select(Playlist)
            .join(PlaylistItem, PlaylistItem.playlist_id == Playlist.id)
            .where(PlaylistItem.sound_id == sound_id)
            .distinct()
        )
        return result.scalars().all()
