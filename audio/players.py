"""``PlayerManager``: the playback port, one :class:`GuildPlayer` per server."""

from __future__ import annotations

import logging
import random
from types import TracebackType

import discord

from audio.blobstore import BlobStore
from audio.limits import PlayerSettings
from audio.player import GuildPlayer
from audio.playjob import PlayerStatus
from audio.source import OggOpusSource
from audio.voice import DiscordVoiceDirectory, VoiceDirectory
from bot.plays.port import PlaybackOutcome, PlaybackRequest, PlaybackResult, Track

log = logging.getLogger(__name__)


class PlayerManager:
    """Implements :class:`bot.plays.port.PlaybackPort` over discord.py voice.

    The composition root owns it (``async with PlayerManager(...) as players``) and forwards the
    client's ``on_voice_state_update`` events to :meth:`on_voice_state_update`, so a kicked or
    disconnected bot is cleaned up at once rather than on the next play.
    """

    def __init__(
        self,
        client: discord.Client,
        store: BlobStore,
        settings: PlayerSettings | None = None,
        *,
        rng: random.Random | None = None,
        directory: VoiceDirectory | None = None,
    ) -> None:
        """``directory`` replaces the discord.py voice adapter (tests use a fake)."""
        self._client = client
        self._store = store
        self._settings = settings or PlayerSettings()
        self._rng = rng or random.Random()
        self._directory = directory or DiscordVoiceDirectory(client)
        self._players: dict[int, GuildPlayer] = {}
        self._closed = False

    def _open_source(self, track: Track, max_duration_s: float | None) -> OggOpusSource:
        return OggOpusSource.from_path(
            self._store.path_for(track.blob_hash), max_duration_s=max_duration_s
        )

    def player(self, guild_id: int) -> GuildPlayer:
        """The server's player, created on first use."""
        player = self._players.get(guild_id)
        if player is None:
            player = GuildPlayer(
                guild_id, self._directory, self._open_source, self._settings, self._rng
            )
            self._players[guild_id] = player
        return player

    async def play(self, request: PlaybackRequest) -> PlaybackResult:
        """Play a request to its end; see :class:`bot.plays.port.PlaybackPort`."""
        if self._closed:
            return PlaybackResult(
                PlaybackOutcome.STOPPED, audio_sent=False, detail="The bot is shutting down."
            )
        return await self.player(request.guild_id).play(request)

    async def stop(self, guild_id: int) -> bool:
        """Stop the server's playback and drop queued requests; False if nothing was playing."""
        player = self._players.get(guild_id)
        return player.stop() if player is not None else False

    async def skip(self, guild_id: int) -> bool:
        """Skip the current track; False if nothing was playing."""
        player = self._players.get(guild_id)
        return player.skip() if player is not None else False

    def status(self, guild_id: int) -> PlayerStatus | None:
        """What the server's player is doing; ``None`` if it never played."""
        player = self._players.get(guild_id)
        return player.status() if player is not None else None

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Forward of the client event: notices the bot itself being disconnected or moved."""
        me = self._client.user
        if me is None or member.id != me.id:
            return
        before_id = before.channel.id if before.channel else None
        after_id = after.channel.id if after.channel else None
        self.bot_voice_changed(member.guild.id, before_id, after_id)

    def bot_voice_changed(
        self, guild_id: int, before_channel_id: int | None, after_channel_id: int | None
    ) -> None:
        """The bot's own voice state changed in a server (plain IDs, for tests and adapters)."""
        player = self._players.get(guild_id)
        if player is None or before_channel_id == after_channel_id:
            return
        if after_channel_id is None:
            player.voice_disconnected()
        else:
            # discord.py follows a move itself and playback continues in the new channel; the
            # next request for another channel moves the bot again.
            log.info(
                "guild %s: moved from voice channel %s to %s",
                guild_id,
                before_channel_id,
                after_channel_id,
            )

    async def close(self) -> None:
        """Stop every player and leave voice everywhere."""
        self._closed = True
        for player in list(self._players.values()):
            await player.close()
        self._players.clear()

    async def __aenter__(self) -> PlayerManager:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
