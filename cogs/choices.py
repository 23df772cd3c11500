"""Autocomplete for sound and playlist names, shared by every cog that takes one.

Cogs bind these from their own autocomplete callbacks, so the library stays injected::

    @play.autocomplete("name")
    async def _sound_names(self, interaction, current):
        return await self.choices.sounds(interaction, current)
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.library.playlists import PlaylistService
from bot.library.service import LibraryService

MAX_CHOICES = 25  # Discord shows at most 25 suggestions


class LibraryChoices:
    """Suggests the server's sound and playlist names matching what the member typed so far."""

    def __init__(self, library: LibraryService, playlists: PlaylistService) -> None:
        self._library = library
        self._playlists = playlists

    async def sounds(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self._library.search_names(interaction.guild_id, current, MAX_CHOICES)
        return _choices(names)

    async def playlists(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        names = await self._playlists.search_playlist_names(
            interaction.guild_id, current, MAX_CHOICES
        )
        return _choices(names)


def _choices(names: list[str]) -> list[app_commands.Choice[str]]:
    # Names are at most 32 characters (bot.library.model.NAME_MAX), well inside a choice's 100.
    return [app_commands.Choice(name=name, value=name) for name in names[:MAX_CHOICES]]
