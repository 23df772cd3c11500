"""/playlist create|add|remove|move|show|list|play|delete, thin over the library and play services.

Playlists belong to whoever created them: only they (or an admin) change or delete one; anybody
may show or play it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import MAX_DURATION_CEILING_S, Settings
from bot.errors import PermissionDenied, ValidationError
from bot.library.model import NAME_MAX
from bot.library.playlists import PlaylistService
from bot.library.service import MAX_PLAYLIST_ITEMS, LibraryService, PlaylistView
from bot.plays.port import PlaybackRequest, PlayMode
from bot.plays.service import BackgroundPlays, Payer, playlist_max_duration
from cogs.access import Access, guild_only
from cogs.choices import LibraryChoices
from cogs.confirm import Confirmations
from cogs.paging import line_pages, queried_pages, send_pages
from cogs.player import (
    background_plays,
    late_failure_notice,
    play_answer,
    start_wait_s,
)
from cogs.render import NONE, duration, safe
from cogs.sound import task_lines
from cogs.voice import voice_target

if TYPE_CHECKING:
    from audio.players import PlayerManager
    from bot.services import Services

PAGE_SIZE = 15
Name = app_commands.Range[str, 1, NAME_MAX]
Position = app_commands.Range[int, 1, MAX_PLAYLIST_ITEMS]
# Discord needs fixed bounds: the most any configuration allows.  The configured limit
# (limits.max_duration_s) is checked by the play service.
MaxDuration = app_commands.Range[int, 1, MAX_DURATION_CEILING_S]
Mode = Literal["continuous", "loop", "loop_one", "random", "single"]


def _sounds(count: int) -> str:
    return "1 sound" if count == 1 else f"{count} sounds"


def _summary(playlist: PlaylistView) -> str:
    return f"{_sounds(len(playlist.tracks))}, {duration(playlist.total_duration_s)}"


class PlaylistCog(commands.GroupCog, group_name="playlist"):
    """Build playlists from the server's sounds and play them."""

    def __init__(
        self,
        library: LibraryService,
        playlists: PlaylistService,
        players: PlayerManager,
        plays: BackgroundPlays,
        settings: Settings,
        access: Access,
    ) -> None:
        self.library = library
        self.playlists = playlists
        self.players = players
        self.plays = plays
        self.settings = settings
        self.access = access
        self.choices = LibraryChoices(library, playlists)
        self.confirmations = Confirmations()

    async def cog_unload(self) -> None:
        self.confirmations.close()
        await self.plays.close()

    async def _playlist_names(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.choices.playlists(interaction, current)

    async def _sound_names(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.choices.sounds(interaction, current)

    # ----------------------------------------------------------------------------- building

    @app_commands.command(name="create")
    @app_commands.guild_only()
    @app_commands.describe(name=f"What to call it (1 to {NAME_MAX} characters)")
    async def create(self, interaction: discord.Interaction[discord.Client], name: Name) -> None:
        """Create an empty playlist that you own."""
        guild_id = guild_only(interaction)
        playlist = await self.playlists.create_playlist(guild_id, interaction.user.id, name)
        await interaction.response.send_message(
            f"📃 Created the playlist **{safe(playlist.name)}**. Add sounds with /playlist add.",
            allowed_mentions=NONE,
        )

    @app_commands.command(name="add")
    @app_commands.guild_only()
    @app_commands.describe(
        playlist="Your playlist (admins: any)",
        sound="The sound to add",
        position="Where to insert it, 1 = first (default: at the end)",
    )
    @app_commands.autocomplete(playlist=_playlist_names, sound=_sound_names)
    async def add(
        self,
        interaction: discord.Interaction[discord.Client],
        playlist: Name,
        sound: Name,
        position: Position | None = None,
    ) -> None:
        """Add a sound to a playlist."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        view = await self.playlists.add_to_playlist(guild_id, actor, playlist, sound, position)
        at = position or len(view.tracks)
        added = view.tracks[at - 1]
        await interaction.response.send_message(
            f"➕ Added **{safe(added.name)}** to **{safe(view.name)}** at position {at} "
            f"(now {_summary(view)}).",
            allowed_mentions=NONE,
        )

    @app_commands.command(name="remove")
    @app_commands.guild_only()
    @app_commands.describe(
        playlist="Your playlist (admins: any)",
        position="The position of the sound to take out (see /playlist show)",
    )
    @app_commands.autocomplete(playlist=_playlist_names)
    async def remove(
        self,
        interaction: discord.Interaction[discord.Client],
        playlist: Name,
        position: Position,
    ) -> None:
        """Take the sound at a position out of a playlist (the sound stays in the library)."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        removed, view = await self.playlists.remove_from_playlist(
            guild_id, actor, playlist, position
        )
        await interaction.response.send_message(
            f"➖ Took **{safe(removed.name)}** (position {position}) out of **{safe(view.name)}** "
            f"(now {_summary(view)}).",
            allowed_mentions=NONE,
        )

    @app_commands.command(name="move")
    @app_commands.guild_only()
    @app_commands.describe(
        playlist="Your playlist (admins: any)",
        from_position="The position of the sound to move",
        to_position="Where it should end up",
    )
    @app_commands.autocomplete(playlist=_playlist_names)
    async def move(
        self,
        interaction: discord.Interaction[discord.Client],
        playlist: Name,
        from_position: Position,
        to_position: Position,
    ) -> None:
        """Move a sound to another position; the ones between shift over."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        view = await self.playlists.move_in_playlist(
            guild_id, actor, playlist, from_position, to_position
        )
        moved = view.tracks[to_position - 1]
        await interaction.response.send_message(
            f"↕️ Moved **{safe(moved.name)}** from position {from_position} to {to_position} "
            f"in **{safe(view.name)}**.",
            allowed_mentions=NONE,
        )

    # ------------------------------------------------------------------------------ reading

    @app_commands.command(name="show")
    @app_commands.guild_only()
    @app_commands.describe(playlist="The playlist to show")
    @app_commands.autocomplete(playlist=_playlist_names)
    async def show(self, interaction: discord.Interaction[discord.Client], playlist: Name) -> None:
        """A playlist's sounds in order, with their lengths."""
        guild_id = guild_only(interaction)
        view = await self.playlists.show_playlist(guild_id, playlist)
        lines = [
            f"`{number:>3}` **{safe(track.name)}** · {duration(track.duration_s)}"
            for number, track in enumerate(view.tracks, start=1)
        ]
        header = f"By <@{view.owner_id}> · {_summary(view)}"
        pages = line_pages(
            lines, per_page=PAGE_SIZE, empty="Empty: add sounds with /playlist add.", header=header
        )
        await send_pages(interaction, f"Playlist {safe(view.name)}", pages)

    @app_commands.command(name="list")
    @app_commands.guild_only()
    async def list_(self, interaction: discord.Interaction[discord.Client]) -> None:
        """The server's playlists with their owners, sizes and lengths."""
        guild_id = guild_only(interaction)

        async def lines(limit: int, offset: int) -> list[str]:
            rows = await self.playlists.list_playlists(guild_id, limit=limit, offset=offset)
            return [
                f"**{safe(p.name)}** · {_sounds(p.track_count)} · "
                f"{duration(p.total_duration_s)} · by <@{p.owner_id}>"
                for p in rows
            ]

        pages = queried_pages(
            lines,
            lambda: self.playlists.count_playlists(guild_id),
            per_page=PAGE_SIZE,
            empty="No playlists yet: make one with /playlist create.",
        )
        await send_pages(interaction, "Playlists", pages)

    # ---------------------------------------------------------------------------------- play

    @app_commands.command(name="play")
    @app_commands.guild_only()
    @app_commands.describe(
        playlist="The playlist to play",
        channel="The voice channel to play it in (default: the one you are in)",
        play_mode="continuous: once in order; loop: repeat; loop_one: repeat the first sound; "
        "random: random sounds; single: one sound",
        shuffle="Shuffle the order first",
        max_duration="Stop after this many seconds (loop, loop_one and random stop at a "
        "default limit otherwise)",
    )
    @app_commands.autocomplete(playlist=_playlist_names)
    async def play(
        self,
        interaction: discord.Interaction[discord.Client],
        playlist: Name,
        channel: discord.VoiceChannel | None = None,
        play_mode: Mode = "continuous",
        shuffle: bool = False,
        max_duration: MaxDuration | None = None,
    ) -> None:
        """Play a playlist now in your voice channel or the one you pick (credits per sound)."""
        guild_id = guild_only(interaction)
        view = await self.playlists.show_playlist(guild_id, playlist)
        if not view.tracks:
            raise ValidationError(
                f"The playlist **{safe(view.name)}** is empty; add sounds with /playlist add."
            )
        mode = PlayMode(play_mode)
        cap_s = playlist_max_duration(mode, max_duration, self.settings.limits)
        target = voice_target(interaction, channel)
        payer = Payer(guild_id, interaction.user.id, command="playlist play")
        await self.plays.service.ensure_affordable(payer)
        # Private, like /sound play: the channel hears it, the text channel need not read it.
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = PlaybackRequest(
            guild_id=guild_id,
            channel_id=target.id,
            tracks=tuple(self.library.track(track) for track in view.tracks),
            play_mode=mode,
            shuffle=shuffle,
            max_duration_s=cap_s,
            skip_if_nobody_listening=False,
            label=f"/playlist play by <@{interaction.user.id}>",
        )
        wait_s = start_wait_s(self.players, guild_id, self.settings.audio)
        how = mode.value + (", shuffled" if shuffle else "")
        if cap_s is not None:
            how += f", for at most {duration(cap_s)}"
        await self.plays.start(
            request,
            payer,
            wait_s=wait_s,
            answer=play_answer(interaction, f"the playlist **{safe(view.name)}** ({how})", target),
            on_late_failure=late_failure_notice(interaction),
        )

    # -------------------------------------------------------------------------------- delete

    @app_commands.command(name="delete")
    @app_commands.guild_only()
    @app_commands.describe(playlist="Your playlist (admins: any)")
    @app_commands.autocomplete(playlist=_playlist_names)
    async def delete(
        self, interaction: discord.Interaction[discord.Client], playlist: Name
    ) -> None:
        """Delete a playlist you created (admins: any); its sounds stay in the library."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        view = await self.playlists.show_playlist(guild_id, playlist)
        if not (actor.is_admin or actor.user_id == view.owner_id):
            raise PermissionDenied(
                f"Only the member who created the playlist **{safe(view.name)}**, or a server "
                "admin, can delete it."
            )
        tasks = await self.playlists.playlist_usage(guild_id, view.id)
        done = f"🗑️ Deleted the playlist **{safe(view.name)}**; its sounds stay in the library."
        if not tasks:
            await self.playlists.delete_playlist(guild_id, actor, view.name)
            await interaction.response.send_message(done, allowed_mentions=NONE)
            return
        question = "\n".join(
            [
                f"The playlist **{safe(view.name)}** is played by:",
                *task_lines(tasks[:15]),
                *([f"• … and {len(tasks) - 15} more"] if len(tasks) > 15 else []),
                "These tasks will fail at their next run. Delete it anyway?",
            ]
        )
        kept = f"Kept the playlist **{safe(view.name)}**."
        if not await self.confirmations.ask(interaction, question, cancelled=kept):
            return
        await self.playlists.delete_playlist(guild_id, actor, view.name)
        await interaction.edit_original_response(
            content=f"{done} Cancel or change its {len(tasks)} task(s) with /tasks.",
            view=None,
            allowed_mentions=NONE,
        )


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    return [
        PlaylistCog(
            app.library, app.playlists, app.players, background_plays(app), app.settings, access
        )
    ]
