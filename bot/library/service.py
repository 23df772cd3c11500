"""The library service: every use case on a server's sounds (playlists: :mod:`.playlists`).

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

from bot.bounds import MAX_OFFSET, MAX_PAGE_SIZE
from bot.clock import Clock
from bot.config import Settings
from bot.errors import NotFoundError, PermissionDenied, ValidationError
from bot.library.model import (
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
from bot.plays.port import Track
from bot.tasks.service import Actor
from storage.models import Blob, Sound
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


def page_bounds(limit: int, offset: int) -> tuple[int, int]:
    """The page asked for, held to what a list can return (autocomplete asks loosely)."""
    return max(1, min(limit, MAX_PAGE_SIZE)), max(0, min(offset, MAX_OFFSET))


def _clean_filename(filename: str | None) -> str | None:
    """The last path component of an uploaded file's name, printable, fitting the column."""
    if filename is None:
        return None
    # Browsers and Discord clients have sent both separators; keep only the final component.
    base = PureWindowsPath(filename).name
    printable = "".join(ch for ch in base if ch.isprintable())
    return printable[:_FILENAME_MAX] or None


class LibraryService:
    """Sounds of each server: upload, find, list, rename, delete, plays."""

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
            return sound_view(await sound_by_name(uow, guild_id, name))

    async def list_sounds(
        self, guild_id: int, *, prefix: str = "", limit: int = 25, offset: int = 0
    ) -> list[SoundView]:
        """One page of the server's sounds in name order, optionally those starting ``prefix``."""
        limit, offset = page_bounds(limit, offset)
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
                guild_id, normalise_name(text), page_bounds(limit, 0)[0]
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
                sound = await sound_by_name(uow, guild_id, name)
                check_may_change(
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
            sound = await sound_by_name(uow, guild_id, name)
            check_may_change(
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

    # ----------------------------------------------------------------------------- helpers

    async def _ensure_sound_name_free(self, uow: UnitOfWork, guild_id: int, name: str) -> None:
        if await uow.sounds.by_name(guild_id, name) is not None:
            raise ValidationError(_sound_name_taken(name))

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


def check_may_change(actor: Actor, owner_id: int, message: str) -> None:
    if not (actor.is_admin or actor.user_id == owner_id):
        raise PermissionDenied(message)


def _sound_name_taken(name: str) -> str:
    return (
        f"This server already has a sound called {quoted(name)} (names ignore case). "
        "Choose another name, or rename the existing one with /sound rename."
    )


async def sound_by_name(uow: UnitOfWork, guild_id: int, name: str) -> Sound:
    """The server's sound called ``name`` (any case), or a "not found" with close names."""
    sound = await uow.sounds.by_name(guild_id, normalise_name(name))
    if sound is None:
        names = await uow.sounds.all_names(guild_id)
        raise NotFoundError(not_found_message("sound", name, names))
    return sound
