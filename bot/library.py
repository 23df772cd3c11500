"""The library service: every use case on a server's sounds and playlists.

Takes plain IDs and names as users type them, returns frozen views (never ORM rows), and raises
:class:`ValidationError`, :class:`NotFoundError` or :class:`PermissionDenied` with a message for
the person who asked.  Each method is one unit of work, so the database is never half-written.

Audio is reached only through two small ports (:class:`SoundIngestor`, :class:`BlobDeleter`);
the composition root passes ``audio.ingest.Ingestor`` and ``audio.blobstore.BlobStore``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path, PureWindowsPath
from typing import Protocol

from bot.clock import Clock
from bot.config import Settings
from bot.errors import NotFoundError, PermissionDenied, ValidationError
from bot.library_model import (
    MAX_PLAYLIST_ITEMS,
    DuplicateSound,
    PlaylistSummary,
    PlaylistView,
    SoundUsage,
    SoundView,
    TaskRef,
    clean_name,
    free_name,
    normalise_name,
    not_found_message,
    quoted,
    sound_view,
)
from bot.playback import Track
from bot.tasks.service import Actor
from storage.models import Blob, Playlist, Sound
from storage.repositories.library import LibraryConflict, name_key
from storage.uow import UnitOfWork

__all__ = [
    "MAX_PLAYLIST_ITEMS",
    "BlobDeleter",
    "DuplicateSound",
    "IngestResult",
    "LibraryService",
    "PlaylistSummary",
    "PlaylistView",
    "SoundIngestor",
    "SoundUsage",
    "SoundView",
    "TaskRef",
]

log = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_PAGE = 100  # rows per list call; a Discord embed shows far fewer
_FILENAME_MAX = 200  # the column's width


class IngestResult(Protocol):
    """What ingest reports about a stored blob (``audio.ingest.IngestedSound`` fits)."""

    @property
    def blob_hash(self) -> str: ...

    @property
    def size_bytes(self) -> int: ...

    @property
    def duration_s(self) -> float: ...

    @property
    def created(self) -> bool:
        """False when the same content was already stored."""
        ...


class SoundIngestor(Protocol):
    """Validates, normalises and stores a file off the event loop (``audio.ingest.Ingestor``)."""

    async def ingest(self, data: bytes | Path, *, max_bytes: int | None = None) -> IngestResult: ...


class BlobDeleter(Protocol):
    """Removes a stored blob file; blocking (``audio.blobstore.BlobStore``)."""

    def delete(self, blob_hash: str) -> bool: ...


def _page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, offset)


def _clean_filename(filename: str | None) -> str | None:
    """The last path component of an uploaded file's name, printable, fitting the column."""
    if filename is None:
        return None
    # Browsers and Discord clients have sent both separators; keep only the final component.
    base = PureWindowsPath(filename).name
    printable = "".join(ch for ch in base if ch.isprintable())
    return printable[:_FILENAME_MAX] or None


class LibraryService:
    """Sounds (upload, find, list, rename, delete, plays) and playlists of each server."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        ingestor: SoundIngestor,
        blobs: BlobDeleter,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self._uow = uow_factory
        self._ingestor = ingestor
        self._blobs = blobs
        self._clock = clock
        self._max_upload_bytes = int(settings.audio.max_upload_mb * MIB)
        # Uploads between "ingest started" and "their rows are committed".  While any is in
        # flight, a blob file that looks unused is kept: that upload may have found the same
        # content already on disk (``created=False``) and is about to record it.
        self._uploads_in_flight = 0

    # ------------------------------------------------------------------------------ sounds

    async def upload(
        self,
        guild_id: int,
        user_id: int,
        name: str,
        data: bytes | Path,
        *,
        filename: str | None = None,
        max_bytes: int | None = None,
        allow_duplicate: bool = True,
    ) -> SoundView:
        """Ingest a file and record it as a new sound of the server.

        ``max_bytes`` lowers the configured size limit (Discord's attachment limit for the
        interaction).  With ``allow_duplicate=False`` the same content already in this server
        raises :class:`DuplicateSound` (the import skips those).
        """
        name = clean_name(name, "sound")
        # Cheap check first: nobody should wait for an encode to learn the name is taken.
        async with self._uow() as uow:
            await self._ensure_sound_name_free(uow, guild_id, name)
        limit = (
            self._max_upload_bytes if max_bytes is None else min(max_bytes, self._max_upload_bytes)
        )
        self._uploads_in_flight += 1
        try:
            ingested = await self._ingestor.ingest(data, max_bytes=limit)
            try:
                view = await self._record_upload(
                    guild_id, user_id, name, ingested, _clean_filename(filename), allow_duplicate
                )
            except Exception:
                if ingested.created:
                    await self._drop_blob_file_if_unused(ingested.blob_hash, own_uploads=1)
                raise
        finally:
            self._uploads_in_flight -= 1
        log.info(
            "guild %s: user %s uploaded sound %s %r (blob %s, %.2f s)",
            guild_id,
            user_id,
            view.id,
            view.name,
            view.blob_hash[:12],
            view.duration_s,
        )
        return view

    async def _record_upload(
        self,
        guild_id: int,
        user_id: int,
        name: str,
        ingested: IngestResult,
        filename: str | None,
        allow_duplicate: bool,
    ) -> SoundView:
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                if not allow_duplicate:
                    existing = await uow.sounds.by_blob_hash(guild_id, ingested.blob_hash)
                    if existing is not None:
                        raise DuplicateSound(sound_view(existing))
                await uow.sounds.add_blob(
                    Blob(
                        hash=ingested.blob_hash,
                        size_bytes=ingested.size_bytes,
                        duration_s=ingested.duration_s,
                        created_at=now,
                    )
                )
                sound = await uow.sounds.add(
                    Sound(
                        guild_id=guild_id,
                        name=name,
                        name_key=name_key(name),
                        blob_hash=ingested.blob_hash,
                        uploader_id=user_id,
                        duration_s=ingested.duration_s,
                        size_bytes=ingested.size_bytes,
                        original_filename=filename,
                        play_count=0,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await uow.commit()
                return sound_view(sound)
        except LibraryConflict:
            # Most likely the same name was taken while this file was being encoded.
            async with self._uow() as uow:
                await self._ensure_sound_name_free(uow, guild_id, name)
            raise ValidationError(
                "The sound library changed while this sound was being saved; please try again."
            ) from None

    async def get_sound(self, guild_id: int, sound_id: int) -> SoundView:
        """A sound of this server by id (what tasks store)."""
        async with self._uow() as uow:
            sound = await uow.sounds.get(guild_id, sound_id)
        if sound is None:
            raise NotFoundError(
                "That sound no longer exists in this server; see /sound list for the others."
            )
        return sound_view(sound)

    async def find_sound(self, guild_id: int, name: str) -> SoundView:
        """A sound of this server by name (any case); the error suggests close names."""
        async with self._uow() as uow:
            return sound_view(await self._sound_by_name(uow, guild_id, name))

    async def list_sounds(
        self, guild_id: int, *, prefix: str = "", limit: int = 25, offset: int = 0
    ) -> list[SoundView]:
        """One page of the server's sounds in name order, optionally those starting ``prefix``."""
        limit, offset = _page(limit, offset)
        async with self._uow() as uow:
            rows = await uow.sounds.page(guild_id, normalise_name(prefix), limit, offset)
        return [sound_view(row) for row in rows]

    async def count_sounds(self, guild_id: int, *, prefix: str = "") -> int:
        """How many sounds :meth:`list_sounds` pages through."""
        async with self._uow() as uow:
            return await uow.sounds.count(guild_id, normalise_name(prefix))

    async def search_names(self, guild_id: int, text: str, limit: int = 25) -> list[str]:
        """Sound names for autocomplete: those containing ``text``, prefix matches first."""
        async with self._uow() as uow:
            return await uow.sounds.names_matching(
                guild_id, normalise_name(text), _page(limit, 0)[0]
            )

    async def suggest_name(self, guild_id: int, wanted: str) -> str:
        """A valid, free sound name made from ``wanted`` (a file name): ``beep``, ``beep-2``..."""
        async with self._uow() as uow:
            taken = await uow.sounds.all_names(guild_id)
        return free_name(wanted, taken)

    async def rename_sound(
        self, guild_id: int, name: str, new_name: str, actor: Actor
    ) -> SoundView:
        """Rename a sound (its uploader or an admin); tasks keep working, they store the id."""
        new_name = clean_name(new_name, "sound")
        try:
            async with self._uow() as uow:
                sound = await self._sound_by_name(uow, guild_id, name)
                _check_may_change(
                    actor,
                    sound.uploader_id,
                    f"Only the member who uploaded the sound {quoted(sound.name)}, or a server "
                    "admin, can rename it.",
                )
                if sound.name == new_name:
                    return sound_view(sound)
                if name_key(new_name) != sound.name_key:
                    await self._ensure_sound_name_free(uow, guild_id, new_name)
                old = sound.name
                sound.name = new_name
                sound.name_key = name_key(new_name)
                sound.updated_at = self._clock.now()
                await uow.sounds.save()
                await uow.commit()
                view = sound_view(sound)
        except LibraryConflict:
            raise ValidationError(_sound_name_taken(new_name)) from None
        log.info(
            "guild %s: user %s renamed sound %s %r -> %r",
            guild_id,
            actor.user_id,
            view.id,
            old,
            view.name,
        )
        return view

    async def sound_usage(self, guild_id: int, sound_id: int) -> SoundUsage:
        """What deleting a sound would affect: unfinished tasks that play it, its playlists."""
        async with self._uow() as uow:
            if await uow.sounds.get(guild_id, sound_id) is None:
                raise NotFoundError("That sound no longer exists in this server.")
            playlists = [
                p for p in await uow.playlists.containing_sound(sound_id) if p.guild_id == guild_id
            ]
            direct = await uow.sounds.active_tasks_playing(guild_id, sound_id)
            via = await uow.playlists.active_tasks_playing(guild_id, [p.id for p in playlists])
        playlist_names = {p.id: p.name for p in playlists}
        tasks = [TaskRef(task_id, task_name) for task_id, task_name in direct]
        tasks += [TaskRef(t_id, t_name, playlist_names[p_id]) for t_id, t_name, p_id in via]
        return SoundUsage(
            tasks=tuple(sorted(tasks, key=lambda t: (t.id, t.via_playlist or ""))),
            playlists=tuple(p.name for p in playlists),
        )

    async def delete_sound(self, guild_id: int, name: str, actor: Actor) -> SoundView:
        """Delete a sound (its uploader or an admin), taking it out of every playlist.

        Its blob row and file go too when no sound in any server plays the same content.  Tasks
        that play it are left alone: their next run fails with a message that says the sound is
        gone (the command asks for confirmation first, with :meth:`sound_usage`).
        """
        async with self._uow() as uow:
            sound = await self._sound_by_name(uow, guild_id, name)
            _check_may_change(
                actor,
                sound.uploader_id,
                f"Only the member who uploaded the sound {quoted(sound.name)}, or a server admin, "
                "can delete it.",
            )
            view = sound_view(sound)
            # Deleted explicitly rather than by the foreign key's cascade, so the playlists it
            # leaves can be renumbered to 1..n in the same transaction.
            for playlist_id in await uow.playlists.remove_sound(sound.id):
                await uow.playlists.renumber(playlist_id, await uow.playlists.item_ids(playlist_id))
            await uow.sounds.delete(sound)
            blob_unused = await uow.sounds.count_using_blob(view.blob_hash) == 0
            if blob_unused:
                await uow.sounds.delete_blob(view.blob_hash)
            await uow.commit()
        # The file goes only after the commit: a rollback must never leave a row without its file.
        if blob_unused:
            await self._drop_blob_file_if_unused(view.blob_hash, own_uploads=0)
        log.info(
            "guild %s: user %s deleted sound %s %r (blob %s %s)",
            guild_id,
            actor.user_id,
            view.id,
            view.name,
            view.blob_hash[:12],
            "removed" if blob_unused else "still in use",
        )
        return view

    async def record_plays(self, sound_ids: Iterable[int]) -> None:
        """Count plays: one per id given (a sound started twice counts twice)."""
        counts = Counter(sound_ids)
        if not counts:
            return
        async with self._uow() as uow:
            await uow.sounds.increment_plays(counts)
            await uow.commit()

    @staticmethod
    def may_change_sound(actor: Actor, sound: SoundView) -> bool:
        """Whether ``actor`` may rename or delete ``sound`` (ask before showing a confirmation)."""
        return actor.is_admin or actor.user_id == sound.uploader_id

    @staticmethod
    def track(sound: SoundView) -> Track:
        """What the playback port plays for this sound."""
        return Track(sound.id, sound.name, sound.blob_hash, sound.duration_s)

    # --------------------------------------------------------------------------- playlists

    async def create_playlist(self, guild_id: int, user_id: int, name: str) -> PlaylistView:
        """A new, empty playlist owned by ``user_id``."""
        name = clean_name(name, "playlist")
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                if await uow.playlists.by_name(guild_id, name) is not None:
                    raise ValidationError(_playlist_name_taken(name))
                playlist = await uow.playlists.add(
                    Playlist(
                        guild_id=guild_id,
                        name=name,
                        name_key=name_key(name),
                        owner_id=user_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await uow.commit()
        except LibraryConflict:
            raise ValidationError(_playlist_name_taken(name)) from None
        log.info("guild %s: user %s created playlist %s %r", guild_id, user_id, playlist.id, name)
        return PlaylistView.of(playlist, ())

    async def add_to_playlist(
        self, guild_id: int, actor: Actor, playlist: str, sound: str, position: int | None = None
    ) -> PlaylistView:
        """Insert a sound at a 1-based ``position`` (default: at the end)."""
        try:
            async with self._uow() as uow:
                row = await self._playlist_to_change(uow, guild_id, playlist, actor)
                track = await self._sound_by_name(uow, guild_id, sound)
                item_ids = await uow.playlists.item_ids(row.id)
                count = len(item_ids)
                if count >= MAX_PLAYLIST_ITEMS:
                    raise ValidationError(
                        f"The playlist {quoted(row.name)} already has {MAX_PLAYLIST_ITEMS} sounds, "
                        "the most a playlist can hold. Remove some with /playlist remove, or "
                        "create another playlist."
                    )
                if position is None:
                    position = count + 1
                elif not 1 <= position <= count + 1:
                    raise ValidationError(
                        f"Position {position} is outside the playlist {quoted(row.name)}, which "
                        f"has {_sounds(count)}: use 1 to {count + 1} ({count + 1} adds it at the "
                        "end), or leave the position out."
                    )
                # Appended after the last position (free), then moved into place if needed.
                new_id = await uow.playlists.append_item(row.id, track.id, count + 1)
                if position != count + 1:
                    item_ids.insert(position - 1, new_id)
                    await uow.playlists.renumber(row.id, item_ids)
                view = await self._save_playlist(uow, row)
        except LibraryConflict:
            raise ValidationError(_changed_meanwhile(playlist)) from None
        log.info(
            "guild %s: user %s added sound %s to playlist %s at %s",
            guild_id,
            actor.user_id,
            track.id,
            view.id,
            position,
        )
        return view

    async def remove_from_playlist(
        self, guild_id: int, actor: Actor, playlist: str, position: int
    ) -> tuple[SoundView, PlaylistView]:
        """Take out the sound at a 1-based ``position``; returns it and the playlist after."""
        try:
            async with self._uow() as uow:
                row = await self._playlist_to_change(uow, guild_id, playlist, actor)
                entries = await uow.playlists.entries(row.id)
                _check_position(row.name, position, len(entries), "position")
                item_id, removed = entries.pop(position - 1)
                await uow.playlists.delete_items([item_id])
                await uow.playlists.renumber(row.id, [entry_id for entry_id, _ in entries])
                removed_view = sound_view(removed)
                view = await self._save_playlist(uow, row)
        except LibraryConflict:
            raise ValidationError(_changed_meanwhile(playlist)) from None
        return removed_view, view

    async def move_in_playlist(
        self, guild_id: int, actor: Actor, playlist: str, from_pos: int, to_pos: int
    ) -> PlaylistView:
        """Move the sound at ``from_pos`` to ``to_pos`` (1-based; the others shift over)."""
        try:
            async with self._uow() as uow:
                row = await self._playlist_to_change(uow, guild_id, playlist, actor)
                item_ids = await uow.playlists.item_ids(row.id)
                _check_position(row.name, from_pos, len(item_ids), "from position")
                _check_position(row.name, to_pos, len(item_ids), "to position")
                if from_pos != to_pos:
                    item_ids.insert(to_pos - 1, item_ids.pop(from_pos - 1))
                    await uow.playlists.renumber(row.id, item_ids)
                view = await self._save_playlist(uow, row)
        except LibraryConflict:
            raise ValidationError(_changed_meanwhile(playlist)) from None
        return view

    async def show_playlist(self, guild_id: int, name: str) -> PlaylistView:
        """A playlist with its tracks in order and its total length."""
        async with self._uow() as uow:
            row = await self._playlist_by_name(uow, guild_id, name)
            return await self._playlist_view(uow, row)

    async def get_playlist(self, guild_id: int, playlist_id: int) -> PlaylistView:
        """A playlist by id (what tasks store)."""
        async with self._uow() as uow:
            row = await uow.playlists.get(guild_id, playlist_id)
            if row is None:
                raise NotFoundError(
                    "That playlist no longer exists in this server; see /playlist list."
                )
            return await self._playlist_view(uow, row)

    async def list_playlists(
        self, guild_id: int, *, prefix: str = "", limit: int = 25, offset: int = 0
    ) -> list[PlaylistSummary]:
        """One page of the server's playlists in name order, with track counts and lengths."""
        limit, offset = _page(limit, offset)
        async with self._uow() as uow:
            rows = await uow.playlists.summaries(guild_id, normalise_name(prefix), limit, offset)
        return [
            PlaylistSummary(p.id, p.guild_id, p.name, p.owner_id, count, total)
            for p, count, total in rows
        ]

    async def count_playlists(self, guild_id: int, *, prefix: str = "") -> int:
        """How many playlists :meth:`list_playlists` pages through."""
        async with self._uow() as uow:
            return await uow.playlists.count(guild_id, normalise_name(prefix))

    async def search_playlist_names(self, guild_id: int, text: str, limit: int = 25) -> list[str]:
        """Playlist names for autocomplete: those containing ``text``, prefix matches first."""
        async with self._uow() as uow:
            return await uow.playlists.names_matching(
                guild_id, normalise_name(text), _page(limit, 0)[0]
            )

    async def playlist_usage(self, guild_id: int, playlist_id: int) -> tuple[TaskRef, ...]:
        """Unfinished tasks that play this playlist (to confirm before deleting it)."""
        async with self._uow() as uow:
            row = await uow.playlists.get(guild_id, playlist_id)
            if row is None:
                raise NotFoundError("That playlist no longer exists in this server.")
            tasks = await uow.playlists.active_tasks_playing(guild_id, [playlist_id])
        return tuple(TaskRef(task_id, task_name, row.name) for task_id, task_name, _ in tasks)

    async def delete_playlist(self, guild_id: int, actor: Actor, name: str) -> PlaylistView:
        """Delete a playlist (its owner or an admin); its sounds stay in the library."""
        async with self._uow() as uow:
            row = await self._playlist_to_change(uow, guild_id, name, actor)
            view = await self._playlist_view(uow, row)
            await uow.playlists.delete(row)
            await uow.commit()
        log.info(
            "guild %s: user %s deleted playlist %s %r", guild_id, actor.user_id, view.id, view.name
        )
        return view

    # ----------------------------------------------------------------------------- helpers

    async def _ensure_sound_name_free(self, uow: UnitOfWork, guild_id: int, name: str) -> None:
        if await uow.sounds.by_name(guild_id, name) is not None:
            raise ValidationError(_sound_name_taken(name))

    async def _sound_by_name(self, uow: UnitOfWork, guild_id: int, name: str) -> Sound:
        sound = await uow.sounds.by_name(guild_id, normalise_name(name))
        if sound is None:
            names = await uow.sounds.all_names(guild_id)
            raise NotFoundError(not_found_message("sound", name, names))
        return sound

    async def _playlist_by_name(self, uow: UnitOfWork, guild_id: int, name: str) -> Playlist:
        playlist = await uow.playlists.by_name(guild_id, normalise_name(name))
        if playlist is None:
            names = await uow.playlists.all_names(guild_id)
            raise NotFoundError(not_found_message("playlist", name, names))
        return playlist

    async def _playlist_to_change(
        self, uow: UnitOfWork, guild_id: int, name: str, actor: Actor
    ) -> Playlist:
        playlist = await self._playlist_by_name(uow, guild_id, name)
        _check_may_change(
            actor,
            playlist.owner_id,
            f"Only the member who created the playlist {quoted(playlist.name)}, or a server "
            "admin, can change it. Make your own with /playlist create.",
        )
        return playlist

    async def _playlist_view(self, uow: UnitOfWork, playlist: Playlist) -> PlaylistView:
        entries = await uow.playlists.entries(playlist.id)
        return PlaylistView.of(playlist, tuple(sound_view(sound) for _, sound in entries))

    async def _save_playlist(self, uow: UnitOfWork, playlist: Playlist) -> PlaylistView:
        """Stamp the change, read the playlist back as it now is, and commit."""
        playlist.updated_at = self._clock.now()
        await uow.playlists.save()
        view = await self._playlist_view(uow, playlist)
        await uow.commit()
        return view

    async def _drop_blob_file_if_unused(self, blob_hash: str, *, own_uploads: int) -> None:
        """Delete a blob file that no row records; keep it when that cannot be known for sure.

        ``own_uploads`` is how many of the in-flight uploads are the caller itself.  An
        orphaned file only costs disk space; a row whose file is gone breaks playback.
        """
        if self._uploads_in_flight > own_uploads:
            log.info("keeping blob %s: an upload in progress may store the same content", blob_hash)
            return
        async with self._uow() as uow:
            if await uow.sounds.get_blob(blob_hash) is not None:
                return
        try:
            await asyncio.to_thread(self._blobs.delete, blob_hash)
        except OSError:
            log.warning("could not delete unused blob %s", blob_hash, exc_info=True)


def _check_may_change(actor: Actor, owner_id: int, message: str) -> None:
    if not (actor.is_admin or actor.user_id == owner_id):
        raise PermissionDenied(message)


def _check_position(playlist: str, position: int, count: int, what: str) -> None:
    if count == 0:
        raise ValidationError(
            f"The playlist {quoted(playlist)} is empty; add sounds to it with /playlist add."
        )
    if not 1 <= position <= count:
        raise ValidationError(
            f"The {what} {position} is not in the playlist {quoted(playlist)}, which has "
            f"{_sounds(count)}: use a number from 1 to {count} (see /playlist show)."
        )


def _sounds(count: int) -> str:
    return "1 sound" if count == 1 else f"{count} sounds"


def _sound_name_taken(name: str) -> str:
    return (
        f"This server already has a sound called {quoted(name)} (names ignore case). "
        "Choose another name, or rename the existing one with /sound rename."
    )


def _playlist_name_taken(name: str) -> str:
    return (
        f"This server already has a playlist called {quoted(name)} (names ignore case). "
        "Choose another name, or add to it with /playlist add."
    )


def _changed_meanwhile(playlist: str) -> str:
    return (
        f"The playlist {quoted(playlist)} was changed by someone else at the same moment; "
        "check it with /playlist show and try again."
    )
