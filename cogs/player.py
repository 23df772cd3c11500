"""/player stop|skip|status, and what the play-now commands share (voice target, start-up wait).

Stopping or skipping affects everyone listening, so a member may do it only from the voice channel
the bot plays in; admins may do it from anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from audio.limits import PlayerSettings
from audio.players import PlayerManager
from audio.playjob import PlayerStatus
from bot.config import AudioSettings
from bot.credits.rules import credits_text
from bot.errors import CarillonError, PermissionDenied, ValidationError
from bot.plays.service import Answer, BackgroundPlays, LateFailure, PlayStart
from cogs.access import Access, guild_only
from cogs.render import EMBED_COLOUR, NONE, safe

if TYPE_CHECKING:
    from bot.services import Services

NOTHING_PLAYING = (
    "Nothing is playing right now. Start something with /sound play or /playlist play."
)
# How long a play command waits for its first track beyond the voice connect budget.
START_MARGIN_S = 5.0
# When the player is busy the request queues: answer at once instead of waiting for its turn.
QUEUED_WAIT_S = 0.5


def start_wait_s(players: PlayerManager, guild_id: int, audio: AudioSettings) -> float:
    """How long a play command waits for its first track before saying it is queued.

    Long enough for every voice connect attempt (a failure then still reaches the caller), but
    short when something else is playing: the request then waits its turn.
    """
    if is_busy(players.status(guild_id)):
        return QUEUED_WAIT_S
    attempts = audio.connect_retries + 1
    pauses = audio.connect_retries * PlayerSettings().connect_retry_delay_s
    return attempts * audio.connect_timeout_s + pauses + START_MARGIN_S


def is_busy(status: PlayerStatus | None) -> bool:
    # play_mode is set for as long as a request is current, between its tracks too.
    return status is not None and (status.play_mode is not None or status.queued > 0)


def background_plays(app: Services) -> BackgroundPlays:
    """Paid plays for a cog; the cog closes them when it is unloaded (the bot closing)."""
    return BackgroundPlays(app.plays)


def play_answer(
    interaction: discord.Interaction[discord.Client],
    what: str,
    channel: discord.abc.GuildChannel,
) -> Answer:
    """Answers a (deferred) play command once its first sound started, it queued, or it ended."""

    async def answer(start: PlayStart) -> None:
        await interaction.followup.send(
            start_text(start, what, channel), ephemeral=True, allowed_mentions=NONE
        )

    return answer


def start_text(start: PlayStart, what: str, channel: discord.abc.GuildChannel) -> str:
    """What a play command says about how its play started."""
    if start.started is not None:
        text = f"▶️ Playing {what} in {channel.mention}."
        if start.started.balance is not None:
            text += (
                f" Each sound started costs {credits_text(start.started.cost)}; "
                f"you have {credits_text(start.started.balance)} left."
            )
        return text
    if start.ended is not None:
        result = start.ended.result
        return f"⏹️ {what} did not start: {result.detail or result.outcome.value}"
    return (
        f"⏳ Something else is playing in this server; {what} will play in {channel.mention} "
        "after it."
    )


def late_failure_notice(interaction: discord.Interaction[discord.Client]) -> LateFailure:
    """Tells the caller privately that a play they were told had started failed after all."""

    async def notice(error: CarillonError) -> None:
        await interaction.followup.send(
            f"⚠️ Nothing was played after all: {error.message} "
            "Any credits it took have been refunded.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    return notice


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class PlayerCog(commands.GroupCog, group_name="player"):
    """Control the server's voice player."""

    def __init__(self, players: PlayerManager, access: Access) -> None:
        self.players = players
        self.access = access

    async def _check_may_control(self, interaction: discord.Interaction[discord.Client]) -> int:
        guild_id = guild_only(interaction)
        status = self.players.status(guild_id)
        if not is_busy(status):
            raise ValidationError(NOTHING_PLAYING)
        assert status is not None
        voice = getattr(interaction.user, "voice", None)
        here = voice.channel.id if voice is not None and voice.channel is not None else None
        if status.channel_id is not None and here == status.channel_id:
            return guild_id
        if await self.access.is_admin(interaction):
            return guild_id
        where = f"<#{status.channel_id}>" if status.channel_id else "the voice channel"
        raise PermissionDenied(
            f"Join {where} to control what plays there; server admins can do it from anywhere."
        )

    @app_commands.command(name="stop")
    @app_commands.guild_only()
    async def stop(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Stop what is playing and drop what is queued."""
        guild_id = await self._check_may_control(interaction)
        if not await self.players.stop(guild_id):
            raise ValidationError(NOTHING_PLAYING)
        await interaction.response.send_message(
            f"⏹️ {interaction.user.mention} stopped the playback.", allowed_mentions=NONE
        )

    @app_commands.command(name="skip")
    @app_commands.guild_only()
    async def skip(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Skip the current sound; the play mode picks what comes next."""
        guild_id = await self._check_may_control(interaction)
        status = self.players.status(guild_id)
        track = status.track if status is not None else None
        if track is None or not await self.players.skip(guild_id):
            raise ValidationError(
                "No sound is playing at this moment, so there is nothing to skip."
            )
        await interaction.response.send_message(
            f"⏭️ {interaction.user.mention} skipped **{safe(track.name)}**.",
            allowed_mentions=NONE,
        )

    @app_commands.command(name="status")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[discord.Client]) -> None:
        """What the player is doing: channel, sound, position, play mode and queue."""
        guild_id = guild_only(interaction)
        status = self.players.status(guild_id)
        embed = discord.Embed(title="Player", colour=EMBED_COLOUR)
        if status is None or not (status.connected or is_busy(status)):
            embed.description = "Idle and not in a voice channel."
        else:
            channel = f"<#{status.channel_id}>" if status.channel_id else "connecting…"
            embed.add_field(name="Channel", value=channel)
            if status.track is not None:
                position = f"{_clock(status.position_s)} / {_clock(status.track.duration_s)}"
                embed.add_field(name="Playing", value=f"**{safe(status.track.name)}** {position}")
            elif is_busy(status):
                embed.add_field(name="Playing", value="between sounds")
            else:
                embed.add_field(name="Playing", value="nothing (idle in the channel)")
            if status.play_mode is not None:
                embed.add_field(name="Play mode", value=status.play_mode.value)
            if status.label:
                # Labels are built by code from IDs ("task 12", "/sound play by <@1>"), never
                # from user text, and mentions in an embed never ping.
                embed.add_field(name="Started by", value=status.label)
            embed.add_field(name="Queued", value=str(status.queued))
        await interaction.response.send_message(embed=embed, allowed_mentions=NONE)


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    return [PlayerCog(app.players, access)]
