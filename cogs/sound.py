"""/sound upload|play|list|info|rename|delete: the server's sound library, thin over services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import AudioSettings
from bot.errors import PermissionDenied, ValidationError
from bot.library.model import NAME_MAX
from bot.library.playlists import PlaylistService
from bot.library.service import LibraryService, SoundUsage, SoundView, TaskRef
from bot.plays.port import PlaybackRequest, PlayMode
from bot.plays.service import BackgroundPlays, Payer
from cogs.access import Access, guild_only
from cogs.choices import LibraryChoices
from cogs.confirm import Confirmations
from cogs.paging import queried_pages, send_pages
from cogs.player import (
    background_plays,
    late_failure_notice,
    play_answer,
    start_wait_s,
)
from cogs.render import EMBED_COLOUR, NONE, duration, safe, ts
from cogs.voice import voice_target

if TYPE_CHECKING:
    from audio.players import PlayerManager
    from bot.services import Services

MIB = 1024 * 1024
PAGE_SIZE = 15
# Task and playlist names are up to 100 characters: 15 lines stay well inside a message.
MAX_USAGE_LINES = 15
# Files this large take a noticeable while to normalise and encode: say so while it happens.
PROGRESS_BYTES = 1 * MIB
SoundName = app_commands.Range[str, 1, NAME_MAX]


def _size(size_bytes: int) -> str:
    if size_bytes >= MIB:
        return f"{size_bytes / MIB:.1f} MiB"
    return f"{max(1, round(size_bytes / 1024))} KiB"


def _plays(count: int) -> str:
    return "1 play" if count == 1 else f"{count} plays"


def usage_lines(usage: SoundUsage) -> list[str]:
    """What a sound is used by, one line each (names escaped), cut to fit one message."""
    lines = [f"• playlist **{safe(name)}**" for name in usage.playlists]
    lines += task_lines(usage.tasks)
    if len(lines) > MAX_USAGE_LINES:
        more = len(lines) - MAX_USAGE_LINES + 1
        lines = [*lines[: MAX_USAGE_LINES - 1], f"• … and {more} more"]
    return lines


def task_lines(tasks: Iterable[TaskRef]) -> list[str]:
    """Tasks that play something, one line each (names escaped)."""
    lines = []
    for task in tasks:
        via = f" (through playlist **{safe(task.via_playlist)}**)" if task.via_playlist else ""
        lines.append(f"• task `#{task.id}` **{safe(task.name)}**{via}")
    return lines


class SoundCog(commands.GroupCog, group_name="sound"):
    """Upload, play and manage the server's sounds."""

    def __init__(
        self,
        library: LibraryService,
        playlists: PlaylistService,
        players: PlayerManager,
        plays: BackgroundPlays,
        audio: AudioSettings,
        access: Access,
    ) -> None:
        self.library = library
        self.players = players
        self.plays = plays
        self.audio = audio
        self.access = access
        self.choices = LibraryChoices(library, playlists)
        self.confirmations = Confirmations()

    async def cog_unload(self) -> None:
        self.confirmations.close()
        await self.plays.close()

    async def _sound_names(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.choices.sounds(interaction, current)

    # -------------------------------------------------------------------------------- upload

    @app_commands.command(name="upload")
    @app_commands.guild_only()
    @app_commands.describe(
        name=f"What to call the sound (1 to {NAME_MAX} characters, unique in this server)",
        file="An audio file: MP3, WAV, OGG, FLAC, M4A or anything else FFmpeg reads",
    )
    async def upload(
        self,
        interaction: discord.Interaction[discord.Client],
        name: SoundName,
        file: discord.Attachment,
    ) -> None:
        """Add a sound to this server's library from an audio file."""
        guild_id = guild_only(interaction)
        # Discord's limit for this upload (it depends on the server's boosts) and the config's.
        limit = min(interaction.filesize_limit, int(self.audio.max_upload_mb * MIB))
        if file.size > limit:
            raise ValidationError(
                f"The file is {file.size / MIB:.1f} MiB; sounds can be at most "
                f"{limit / MIB:.1f} MiB. Trim or compress it and try again."
            )
        # Private: the uploader's progress and any problem with their file concern only them.
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        if file.size >= PROGRESS_BYTES:
            await interaction.edit_original_response(
                content=f"⏳ Received {safe(file.filename)} ({_size(file.size)}). Normalising "
                "its loudness and encoding it; this takes a few seconds…",
                allowed_mentions=NONE,
            )
        sound = await self.library.upload(
            guild_id,
            interaction.user.id,
            name,
            data,
            filename=file.filename,
            max_bytes=interaction.filesize_limit,
        )
        await interaction.edit_original_response(
            content=f"✅ Added the sound **{safe(sound.name)}** ({duration(sound.duration_s)}). "
            "Play it with /sound play.",
            allowed_mentions=NONE,
        )

    # ---------------------------------------------------------------------------------- play

    @app_commands.command(name="play")
    @app_commands.guild_only()
    @app_commands.describe(
        name="The sound to play",
        channel="The voice channel to play it in (default: the one you are in)",
    )
    @app_commands.autocomplete(name=_sound_names)
    async def play(
        self,
        interaction: discord.Interaction[discord.Client],
        name: SoundName,
        channel: discord.VoiceChannel | None = None,
    ) -> None:
        """Play a sound now in your voice channel or the one you pick (costs credits)."""
        guild_id = guild_only(interaction)
        sound = await self.library.find_sound(guild_id, name)
        target = voice_target(interaction, channel)
        payer = Payer(guild_id, interaction.user.id, command="sound play")
        await self.plays.service.ensure_affordable(payer)
        # Joining voice takes a while.  Private: everyone in the channel hears the sound anyway,
        # and a text channel full of play receipts helps nobody.
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = PlaybackRequest(
            guild_id=guild_id,
            channel_id=target.id,
            tracks=(self.library.track(sound),),
            play_mode=PlayMode.SINGLE,
            # Asked for by a person, now: play even if nobody else is in the channel.
            skip_if_nobody_listening=False,
            label=f"/sound play by <@{interaction.user.id}>",
        )
        wait_s = start_wait_s(self.players, guild_id, self.audio)
        await self.plays.start(
            request,
            payer,
            wait_s=wait_s,
            answer=play_answer(interaction, f"**{safe(sound.name)}**", target),
            on_late_failure=late_failure_notice(interaction),
        )

    # ---------------------------------------------------------------------------------- list

    @app_commands.command(name="list")
    @app_commands.guild_only()
    async def list_(self, interaction: discord.Interaction[discord.Client]) -> None:
        """The server's sounds with their lengths and play counts."""
        guild_id = guild_only(interaction)

        async def lines(limit: int, offset: int) -> list[str]:
            sounds = await self.library.list_sounds(guild_id, limit=limit, offset=offset)
            return [
                f"**{safe(s.name)}** · {duration(s.duration_s)} · {_plays(s.play_count)}"
                for s in sounds
            ]

        pages = queried_pages(
            lines,
            lambda: self.library.count_sounds(guild_id),
            per_page=PAGE_SIZE,
            empty="No sounds yet: add one with /sound upload.",
        )
        await send_pages(interaction, "Sounds", pages)

    # ---------------------------------------------------------------------------------- info

    @app_commands.command(name="info")
    @app_commands.guild_only()
    @app_commands.describe(name="The sound to describe")
    @app_commands.autocomplete(name=_sound_names)
    async def info(self, interaction: discord.Interaction[discord.Client], name: SoundName) -> None:
        """A sound's length, size, uploader, plays and where it is used."""
        guild_id = guild_only(interaction)
        sound = await self.library.find_sound(guild_id, name)
        usage = await self.library.sound_usage(guild_id, sound.id)
        embed = discord.Embed(title=safe(sound.name), colour=EMBED_COLOUR)
        embed.add_field(name="Length", value=duration(sound.duration_s))
        embed.add_field(name="Size", value=_size(sound.size_bytes))
        embed.add_field(name="Plays", value=str(sound.play_count))
        embed.add_field(name="Uploaded by", value=f"<@{sound.uploader_id}>")
        embed.add_field(name="Added", value=ts(sound.created_at, "f"))
        if sound.original_filename:
            embed.add_field(name="File", value=safe(sound.original_filename))
        embed.add_field(
            name="Used by", value="\n".join(usage_lines(usage)) or "nothing", inline=False
        )
        await interaction.response.send_message(embed=embed, allowed_mentions=NONE)

    # -------------------------------------------------------------------------------- rename

    @app_commands.command(name="rename")
    @app_commands.guild_only()
    @app_commands.describe(name="The sound to rename", new_name="Its new name")
    @app_commands.autocomplete(name=_sound_names)
    async def rename(
        self,
        interaction: discord.Interaction[discord.Client],
        name: SoundName,
        new_name: SoundName,
    ) -> None:
        """Rename a sound you uploaded (admins: any sound); tasks and playlists keep it."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        old = await self.library.find_sound(guild_id, name)
        sound = await self.library.rename_sound(guild_id, name, new_name, actor)
        await interaction.response.send_message(
            f"✏️ Renamed **{safe(old.name)}** to **{safe(sound.name)}**.", allowed_mentions=NONE
        )

    # -------------------------------------------------------------------------------- delete

    @app_commands.command(name="delete")
    @app_commands.guild_only()
    @app_commands.describe(name="The sound to delete")
    @app_commands.autocomplete(name=_sound_names)
    async def delete(
        self, interaction: discord.Interaction[discord.Client], name: SoundName
    ) -> None:
        """Delete a sound you uploaded (admins: any sound); asks first if it is in use."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        sound = await self.library.find_sound(guild_id, name)
        if not self.library.may_change_sound(actor, sound):
            raise PermissionDenied(
                f"Only the member who uploaded **{safe(sound.name)}**, or a server admin, "
                "can delete it."
            )
        usage = await self.library.sound_usage(guild_id, sound.id)
        if not usage.in_use:
            await self.library.delete_sound(guild_id, sound.name, actor)
            await interaction.response.send_message(
                f"🗑️ Deleted the sound **{safe(sound.name)}**.", allowed_mentions=NONE
            )
            return
        question = self._delete_question(sound, usage)
        kept = f"Kept the sound **{safe(sound.name)}**."
        if not await self.confirmations.ask(interaction, question, cancelled=kept):
            return
        await self.library.delete_sound(guild_id, sound.name, actor)
        text = f"🗑️ Deleted the sound **{safe(sound.name)}**"
        if usage.playlists:
            text += f"; it was taken out of {len(usage.playlists)} playlist(s)"
        if usage.tasks:
            text += (
                f". {len(usage.tasks)} task(s) that play it will fail at their next run: "
                "cancel or change them with /tasks"
            )
        await interaction.edit_original_response(
            content=text + ".", view=None, allowed_mentions=NONE
        )

    @staticmethod
    def _delete_question(sound: SoundView, usage: SoundUsage) -> str:
        lines = [f"The sound **{safe(sound.name)}** is in use:", *usage_lines(usage)]
        lines.append(
            "Deleting it takes it out of these playlists, and these tasks will fail at their "
            "next run. Delete it anyway?"
        )
        return "\n".join(lines)


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    return [
        SoundCog(
            app.library,
            app.playlists,
            app.players,
            background_plays(app),
            app.settings.audio,
            access,
        )
    ]
