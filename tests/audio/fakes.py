"""A fake voice directory and connection that behave like discord.py's, minus the network.

``FakeVoice.play`` runs the source on its own thread, like discord.py's ``AudioPlayer``, and calls
``after`` from that thread, so the player's thread hand-off is exercised for real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord

from audio.voice import VoiceTarget
from bot.errors import PermanentPlaybackError, PlaybackError


class FakeVoice:
    """Stands in for :class:`discord.VoiceClient`."""

    def __init__(self, channel_id: int, *, packet_delay_s: float = 0.0) -> None:
        self.channel = SimpleNamespace(id=channel_id)
        self.connected = True
        self.packet_delay_s = packet_delay_s
        self.sent: list[bytes] = []
        self.after_threads: list[int] = []
        self.disconnects = 0
        # When set, the next play() ends at once without reading (voice dropped at the start).
        self.drop_next_play = False
        self._stop = threading.Event()
        self._playing = False

    def is_connected(self) -> bool:
        return self.connected

    def is_playing(self) -> bool:
        return self._playing

    def play(
        self,
        source: discord.AudioSource,
        *,
        after: Callable[[Exception | None], Any] | None = None,
    ) -> None:
        if not self.connected:
            raise discord.ClientException("Not connected to voice.")
        if self.is_playing():
            raise discord.ClientException("Already playing audio.")
        stop = self._stop = threading.Event()
        drop, self.drop_next_play = self.drop_next_play, False

        def run() -> None:
            error: Exception | None = None
            try:
                while not stop.is_set() and not drop:
                    data = source.read()
                    if not data:
                        break
                    self.sent.append(data)
                    if self.packet_delay_s:
                        time.sleep(self.packet_delay_s)
            except Exception as exc:
                error = exc
            finally:
                # Like discord.py's AudioPlayer: no longer "playing" before after= runs.
                self._playing = False
                self.after_threads.append(threading.get_ident())
                if after is not None:
                    after(error)
                source.cleanup()

        self._playing = True
        threading.Thread(target=run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    async def disconnect(self, *, force: bool = False) -> None:
        self.stop()
        self.connected = False
        self.disconnects += 1

    def kick(self) -> None:
        """What discord.py does when the bot is kicked: stop the player, drop the connection."""
        self.connected = False
        self.stop()


@dataclass
class FakeChannel:
    name: str
    listeners: int = 1
    error: PlaybackError | None = None  # what locate() raises (missing permission, full...)


@dataclass
class FakeDirectory:
    """Stands in for :class:`audio.voice.DiscordVoiceDirectory`."""

    channels: dict[int, FakeChannel] = field(default_factory=dict)
    timeouts_before_connect: int = 0
    packet_delay_s: float = 0.0
    voice: FakeVoice | None = None
    joins: list[int] = field(default_factory=list)
    connects: int = 0

    def locate(self, guild_id: int, channel_id: int) -> VoiceTarget:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise PermanentPlaybackError("The voice channel no longer exists.")
        if channel.error is not None:
            raise channel.error
        return VoiceTarget(guild_id, channel_id, channel.name, channel.listeners)

    async def join(self, target: VoiceTarget, *, connect_timeout_s: float) -> FakeVoice:
        self.joins.append(target.channel_id)
        if self.timeouts_before_connect:
            self.timeouts_before_connect -= 1
            raise TimeoutError
        if self.voice is not None and self.voice.connected:
            self.voice.channel = SimpleNamespace(id=target.channel_id)  # a move
            return self.voice
        self.connects += 1
        self.voice = FakeVoice(target.channel_id, packet_delay_s=self.packet_delay_s)
        return self.voice
