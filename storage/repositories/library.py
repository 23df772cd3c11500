"""Sounds, their blobs, and playlists."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.dialect import insert_ignore
from storage.enums import TaskStatus, TaskType
from storage.models import Blob, Playlist, PlaylistItem, ScheduledTask, Sound

# Tasks that may still run, and so still need the sounds and playlists they name.
_ACTIVE_TASK_STATUSES = tuple(
    s.value for s in (TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.PAUSED)
)


def name_key(name: str) -> str:
    """Names are unique per server regardless of case."""
    return name.casefold()


class LibraryConflict(Exception):
    """A write hit a unique or foreign-key constraint: another request changed the same rows.

    The session must be rolled back (leave the unit of work); the service decides what to tell the
    user, usually after looking again in a fresh unit of work.
    """


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise LibraryConflict(str(exc.orig)) from exc


def _named(model: type[Sound] | type[Playlist], guild_id: int, prefix: str) -> Any:
    """The ``WHERE`` of a server's sounds or playlists whose name starts with ``prefix``."""
    clause = model.guild_id == guild_id
    if prefix:
        clause = clause & model.name_key.startswith(name_key(prefix), autoescape=True)
    return clause


async def _names_matching(
    session: AsyncSession, model: type[Sound] | type[Playlist], guild_id: int, text: str, limit: int
) -> list[str]:
    """Names containing ``text``, those starting with it first (what autocomplete should show)."""
    query = select(model.name).where(model.guild_id == guild_id)
    order: list[Any] = []
    if text:
        key = name_key(text)
        query = query.where(model.name_key.contains(key, autoescape=True))
        order.append(case((model.name_key.startswith(key, autoescape=True), 0), else_=1))
    result = await session.execute(query.order_by(*order, model.name_key).limit(limit))
    return list(result.scalars().all())


async def _all_names(
    session: AsyncSession, model: type[Sound] | type[Playlist], guild_id: int
) -> list[str]:
    result = await session.execute(select(model.name).where(model.guild_id == guild_id))
    return list(result.scalars().all())


async def _active_tasks(session: AsyncSession, guild_id: int, clause: Any) -> list[tuple[int, str]]:
    result = await session.execute(
        select(ScheduledTask.id, ScheduledTask.name)
        .where(
            ScheduledTask.guild_id == guild_id,
            ScheduledTask.status.in_(_ACTIVE_TASK_STATUSES),
            clause,
        )
        .order_by(ScheduledTask.id)
    )
    return [(row.id, row.name) for row in result]


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

    async def by_blob_hash(self, guild_id: int, blob_hash: str) -> Sound | None:
        """A sound of this server with exactly this content (the oldest, if several)."""
        result = await self._session.execute(
            select(Sound)
            .where(Sound.guild_id == guild_id, Sound.blob_hash == blob_hash)
            .order_by(Sound.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def page(
        self, guild_id: int, prefix: str = "", limit: int = 25, offset: int = 0
    ) -> Sequence[Sound]:
        """Sounds whose name starts with ``prefix`` (any case), in name order."""
        result = await self._session.execute(
            select(Sound)
            .where(_named(Sound, guild_id, prefix))
            .order_by(Sound.name_key)
            .limit(limit)
            .offset(offset)
        )
        return result.scalars().all()

    async def count(self, guild_id: int, prefix: str = "") -> int:
        result = await self._session.execute(
            select(func.count()).select_from(Sound).where(_named(Sound, guild_id, prefix))
        )
        return int(result.scalar_one())

    async def names_matching(self, guild_id: int, text: str, limit: int = 25) -> list[str]:
        return await _names_matching(self._session, Sound, guild_id, text, limit)

    async def all_names(self, guild_id: int) -> list[str]:
        return await _all_names(self._session, Sound, guild_id)

    async def add(self, sound: Sound) -> Sound:
        """Insert; :class:`LibraryConflict` if the name was taken meanwhile (or the blob went)."""
        self._session.add(sound)
        await _flush(self._session)
        return sound

    async def save(self) -> None:
        """Write pending changes (a rename); :class:`LibraryConflict` on a constraint."""
        await _flush(self._session)

    async def delete(self, sound: Sound) -> None:
        await self._session.delete(sound)
        await self._session.flush()

    async def increment_plays(self, counts: Mapping[int, int]) -> None:
        """Add ``counts[sound_id]`` to each sound's play count (missing sounds are ignored)."""
        by_amount: dict[int, list[int]] = {}
        for sound_id, amount in counts.items():
            by_amount.setdefault(amount, []).append(sound_id)
        for amount, ids in by_amount.items():
            await self._session.execute(
                update(Sound)
                .where(Sound.id.in_(ids))
                .values(play_count=Sound.play_count + amount)
                .execution_options(synchronize_session=False)
            )

    async def active_tasks_playing(self, guild_id: int, sound_id: int) -> list[tuple[int, str]]:
        """(id, name) of the server's unfinished ``play_sound`` tasks that play this sound."""
        return await _active_tasks(
            self._session,
            guild_id,
            (ScheduledTask.task_type == TaskType.PLAY_SOUND.value)
            & (ScheduledTask.parameters["sound_id"].as_integer() == sound_id),
        )

    async def get_blob(self, blob_hash: str) -> Blob | None:
        return await self._session.get(Blob, blob_hash)

    async def add_blob(self, blob: Blob) -> Blob:
        """Record a blob once per hash; concurrent uploads of the same content both succeed."""
        await self._session.execute(
            insert_ignore(self._session, Blob, ["hash"]).values(
                hash=blob.hash,
                size_bytes=blob.size_bytes,
                duration_s=blob.duration_s,
                created_at=blob.created_at,
            )
        )
        stored = await self.get_blob(blob.hash)
        assert stored is not None
        return stored

    async def count_using_blob(self, blob_hash: str) -> int:
        """How many sounds, in any server, play this blob."""
        result = await self._session.execute(
            select(func.count()).select_from(Sound).where(Sound.blob_hash == blob_hash)
        )
        return int(result.scalar_one())

    async def delete_blob(self, blob_hash: str) -> None:
        await self._session.execute(delete(Blob).where(Blob.hash == blob_hash))


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

    async def summaries(
        self, guild_id: int, prefix: str = "", limit: int = 25, offset: int = 0
    ) -> list[tuple[Playlist, int, float]]:
        """Playlists whose name starts with ``prefix``, each with its track count and length."""
        result = await self._session.execute(
            select(
                Playlist,
                func.count(PlaylistItem.id),
                func.coalesce(func.sum(Sound.duration_s), 0.0),
            )
            .outerjoin(PlaylistItem, PlaylistItem.playlist_id == Playlist.id)
            .outerjoin(Sound, Sound.id == PlaylistItem.sound_id)
            .where(_named(Playlist, guild_id, prefix))
            .group_by(Playlist.id)
            .order_by(Playlist.name_key)
            .limit(limit)
            .offset(offset)
        )
        return [(row[0], int(row[1]), float(row[2])) for row in result]

    async def count(self, guild_id: int, prefix: str = "") -> int:
        result = await self._session.execute(
            select(func.count()).select_from(Playlist).where(_named(Playlist, guild_id, prefix))
        )
        return int(result.scalar_one())

    async def names_matching(self, guild_id: int, text: str, limit: int = 25) -> list[str]:
        return await _names_matching(self._session, Playlist, guild_id, text, limit)

    async def all_names(self, guild_id: int) -> list[str]:
        return await _all_names(self._session, Playlist, guild_id)

    async def add(self, playlist: Playlist) -> Playlist:
        """Insert; :class:`LibraryConflict` if the name was taken meanwhile."""
        self._session.add(playlist)
        await _flush(self._session)
        return playlist

    async def save(self) -> None:
        """Write pending changes; :class:`LibraryConflict` on a constraint."""
        await _flush(self._session)

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
            .order_by(Playlist.name_key)
        )
        return result.scalars().all()

    async def entries(self, playlist_id: int) -> list[tuple[int, Sound]]:
        """(item id, sound) of each item in play order (index 0 is position 1)."""
        result = await self._session.execute(
            select(PlaylistItem.id, Sound)
            .join(Sound, Sound.id == PlaylistItem.sound_id)
            .where(PlaylistItem.playlist_id == playlist_id)
            .order_by(PlaylistItem.position)
        )
        return [(int(row[0]), row[1]) for row in result]

    async def item_ids(self, playlist_id: int) -> list[int]:
        """The playlist's item ids in play order (index 0 is position 1)."""
        result = await self._session.execute(
            select(PlaylistItem.id)
            .where(PlaylistItem.playlist_id == playlist_id)
            .order_by(PlaylistItem.position)
        )
        return list(result.scalars().all())

    async def append_item(self, playlist_id: int, sound_id: int, position: int) -> int:
        """Insert an item at ``position`` (free); :class:`LibraryConflict` if it was taken."""
        item = PlaylistItem(playlist_id=playlist_id, sound_id=sound_id, position=position)
        self._session.add(item)
        await _flush(self._session)
        return item.id

    async def delete_items(self, item_ids: Collection[int]) -> None:
        if item_ids:
            await self._session.execute(
                delete(PlaylistItem)
                .where(PlaylistItem.id.in_(list(item_ids)))
                .execution_options(synchronize_session=False)
            )

    async def remove_sound(self, sound_id: int) -> list[int]:
        """Take a sound out of every playlist; the ids of the playlists that held it."""
        result = await self._session.execute(
            select(PlaylistItem.playlist_id).where(PlaylistItem.sound_id == sound_id).distinct()
        )
        playlist_ids = list(result.scalars().all())
        await self._session.execute(
            delete(PlaylistItem)
            .where(PlaylistItem.sound_id == sound_id)
            .execution_options(synchronize_session=False)
        )
        return playlist_ids

    async def renumber(self, playlist_id: int, item_ids: Sequence[int]) -> None:
        """Give ``item_ids`` the positions 1..n in that order.

        Both SQLite and PostgreSQL check a (non-deferred) unique constraint row by row during an
        UPDATE, so shifting positions in place can collide mid-statement.  The items first move to
        distinct negative positions (never equal to a positive one), then take their final places.
        """
        await self._session.execute(
            update(PlaylistItem)
            .where(PlaylistItem.playlist_id == playlist_id)
            .values(position=-PlaylistItem.position - 1)
            .execution_options(synchronize_session=False)
        )
        for position, item_id in enumerate(item_ids, start=1):
            await self._session.execute(
                update(PlaylistItem)
                .where(PlaylistItem.id == item_id, PlaylistItem.playlist_id == playlist_id)
                .values(position=position)
                .execution_options(synchronize_session=False)
            )

    async def active_tasks_playing(
        self, guild_id: int, playlist_ids: Collection[int]
    ) -> list[tuple[int, str, int]]:
        """(id, name, playlist id) of unfinished ``play_playlist`` tasks of these playlists."""
        if not playlist_ids:
            return []
        playlist_id = ScheduledTask.parameters["playlist_id"].as_integer()
        result = await self._session.execute(
            select(ScheduledTask.id, ScheduledTask.name, playlist_id)
            .where(
                ScheduledTask.guild_id == guild_id,
                ScheduledTask.status.in_(_ACTIVE_TASK_STATUSES),
                ScheduledTask.task_type == TaskType.PLAY_PLAYLIST.value,
                playlist_id.in_(list(playlist_ids)),
            )
            .order_by(ScheduledTask.id)
        )
        return [(int(row[0]), str(row[1]), int(row[2])) for row in result]
