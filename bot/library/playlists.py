"""Playlists: every use case on a server's playlists of sounds.

Positions are 1-based as members see them and stay contiguous (1..n) after every change; the
unique (playlist, position) constraint is respected by renumbering in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.clock import Clock
from bot.errors import NotFoundError, ValidationError
from bot.library.model import (
    MAX_PLAYLIST_ITEMS,
    PlaylistSummary,
    PlaylistView,
    SoundView,
    TaskRef,
    clean_name,
    normalise_name,
    not_found_message,
    quoted,
    sound_view,
)
from bot.library.service import check_may_change, page_bounds, sound_by_name
from bot.tasks.service import Actor
from storage.models import Playlist
from storage.repositories.library import LibraryConflict, name_key
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class PlaylistService:
    """Create, fill, reorder, show, list and delete playlists (owner or admin changes them)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

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
                track = await sound_by_name(uow, guild_id, sound)
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
        limit, offset = page_bounds(limit, offset)
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
                guild_id, normalise_name(text), page_bounds(limit, 0)[0]
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
        check_may_change(
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
