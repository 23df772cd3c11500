"""The player's view of Discord voice: a narrow port, and its discord.py adapter.

:class:`audio.player.GuildPlayer` only needs to find a channel, check it can play there, connect or
move, and drive a voice connection.  Keeping that behind :class:`VoiceDirectory` lets the player's
logic run in tests against a fake, while :class:`DiscordVoiceDirectory` is the thin real thing
(exercised end to end through the Discord emulator).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import discord

from bot.errors import PermanentPlaybackError, TransientPlaybackError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VoiceTarget:
    """A voice channel the bot may play in, as found just now."""

    guild_id: int
    channel_id: int
    channel_name: str
    listeners: int  # members in the channel who are not bots


class VoiceConnection(Protocol):
    """The part of :class:`discord.VoiceClient` the player drives."""

    @property
    def channel(self) -> discord.abc.Snowflake: ...

    def is_connected(self) -> bool: ...

    def play(
        self,
        source: discord.AudioSource,
        *,
        after: Callable[[Exception | None], Any] | None = None,
    ) -> None: ...

    def stop(self) -> None: ...

    async def disconnect(self, *, force: bool = False) -> None: ...


class VoiceDirectory(Protocol):
    """Finds voice channels and connects to them."""

    def locate(self, guild_id: int, channel_id: int) -> VoiceTarget:
        """Check the channel exists and the bot may connect and speak there.

        Raises :class:`bot.errors.PermanentPlaybackError` when it cannot.
        """
        ...

    async def join(self, target: VoiceTarget, *, connect_timeout_s: float) -> VoiceConnection:
        """Connect to the target channel, or move the server's existing connection there.

        ``connect_timeout_s`` goes to discord.py, which cleans up a half-made connection itself
        when it expires (an outer ``asyncio.timeout`` would cancel it midway instead).  Raises
        ``TimeoutError`` when that happens, and
        :class:`bot.errors.PlaybackError` for anything else.
        """
        ...


def check_voice_access(
    permissions: discord.Permissions,
    *,
    channel_name: str,
    member_count: int,
    user_limit: int,
    already_in_channel: bool,
) -> None:
    """Raise :class:`PermanentPlaybackError` when the bot cannot join and speak in a channel."""
    where = f"the voice channel {channel_name}"
    if not (permissions.view_channel and permissions.connect):
        raise PermanentPlaybackError(
            f"I don't have the Connect permission in {where}. "
            "Ask a server admin to allow it, or choose another channel."
        )
    if not permissions.speak:
        raise PermanentPlaybackError(
            f"I don't have the Speak permission in {where}. "
            "Ask a server admin to allow it, or choose another channel."
        )
    # Discord lets members with Move Members join a full channel anyway.
    full = user_limit > 0 and member_count >= user_limit and not already_in_channel
    if full and not permissions.move_members:
        raise PermanentPlaybackError(
            f"The voice channel {channel_name} is full ({member_count}/{user_limit}). "
            "Raise its user limit or choose another channel."
        )


class DiscordVoiceDirectory:
    """:class:`VoiceDirectory` over a discord.py client's cache and voice clients."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def _find(self, guild_id: int, channel_id: int) -> tuple[discord.Guild, discord.VoiceChannel]:
        guild = self._client.get_guild(guild_id)
        if guild is None:
            raise PermanentPlaybackError("I am no longer in this server.")
        channel = guild.get_channel(channel_id)
        if channel is None:
            raise PermanentPlaybackError(
                "The voice channel no longer exists. Choose another channel."
            )
        # Stage channels need a speaker invitation the bot cannot accept on its own.
        if not isinstance(channel, discord.VoiceChannel):
            raise PermanentPlaybackError(f"#{channel.name} is not a voice channel.")
        return guild, channel

    def locate(self, guild_id: int, channel_id: int) -> VoiceTarget:
        """See :meth:`VoiceDirectory.locate`."""
        guild, channel = self._find(guild_id, channel_id)
        members = channel.members
        check_voice_access(
            channel.permissions_for(guild.me),
            channel_name=channel.name,
            member_count=len(members),
            user_limit=channel.user_limit,
            already_in_channel=any(m.id == guild.me.id for m in members),
        )
        return VoiceTarget(guild_id, channel_id, channel.name, sum(not m.bot for m in members))

    async def join(self, target: VoiceTarget, *, connect_timeout_s: float) -> VoiceConnection:
        """See :meth:`VoiceDirectory.join`."""
        guild, channel = self._find(target.guild_id, target.channel_id)
        current = guild.voice_client
        if isinstance(current, discord.VoiceClient) and current.is_connected():
            if current.channel.id == channel.id:
                return current
            # Leave and join rather than VoiceClient.move_to: in discord.py 2.7.1 a move can leave
            # the voice reader waiting on the old socket for up to 30 s (seen in the emulator,
            # which follows Discord's move sequence).
            log.info("guild %s: moving voice to channel %s", guild.id, channel.id)
        if current is not None:
            # Also clears a half-open connection (after a failed reconnect), which would block
            # channel.connect().
            await current.disconnect(force=True)
        try:
            return await channel.connect(timeout=connect_timeout_s, reconnect=True, self_deaf=True)
        except discord.Forbidden as exc:
            raise PermanentPlaybackError(
                f"Discord refused to let me join the voice channel {channel.name}."
            ) from exc
        except discord.HTTPException as exc:
            raise TransientPlaybackError(
                f"Discord failed while joining the voice channel ({exc.status})."
            ) from exc
        except discord.ConnectionClosed as exc:
            raise TransientPlaybackError(
                f"The voice connection closed while joining (code {exc.code})."
            ) from exc
