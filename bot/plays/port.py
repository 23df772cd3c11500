"""The playback port: the small interface the scheduler and the commands use to play audio.

``bot/`` owns this interface; ``audio/`` implements it (``audio.players.PlayerManager``) and
tests use test doubles of it.  It takes plain IDs and stored blob hashes, never discord.py objects.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class PlayMode(enum.StrEnum):
    CONTINUOUS = "continuous"  # the list once, in order
    LOOP = "loop"  # repeat the list
    LOOP_ONE = "loop_one"  # repeat the current track
    RANDOM = "random"  # a random track each time, forever
    SINGLE = "single"  # one track, then stop


class OnBusy(enum.StrEnum):
    QUEUE = "queue"  # wait until the current playback ends
    SKIP = "skip"  # do not play at all
    INTERRUPT = "interrupt"  # stop what is playing and play this now


class PlaybackOutcome(enum.StrEnum):
    FINISHED = "finished"  # everything that was to be played was played
    STOPPED = "stopped"  # /player stop, or max_duration reached
    INTERRUPTED = "interrupted"  # another request with on_busy=interrupt took over
    SKIPPED_BUSY = "skipped_busy"  # on_busy=skip and something was playing
    SKIPPED_EMPTY = "skipped_empty"  # nobody (no human) in the channel and the server skips then
    CHARGE_DECLINED = "charge_declined"  # on_track_start returned False


@dataclass(frozen=True, slots=True)
class Track:
    """One stored sound: its library id, display name and the content hash of its Ogg Opus blob."""

    sound_id: int
    name: str
    blob_hash: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class PlaybackRequest:
    guild_id: int
    channel_id: int
    tracks: Sequence[Track]
    play_mode: PlayMode = PlayMode.CONTINUOUS
    shuffle: bool = False
    max_duration_s: float | None = None
    on_busy: OnBusy = OnBusy.QUEUE
    skip_if_nobody_listening: bool = True
    # Called on the event loop just before each track starts; returning False stops playback there
    # (used to charge one credit per track started).
    on_track_start: Callable[[Track], Awaitable[bool]] | None = None
    # Free text for logs ("task 12", "/sound play by 1234").
    label: str = ""


@dataclass(frozen=True, slots=True)
class PlaybackResult:
    outcome: PlaybackOutcome
    audio_sent: bool  # at least one Opus packet went out (no refund once True)
    tracks_started: int = 0
    played_s: float = 0.0
    detail: str = ""
    tracks: tuple[Track, ...] = field(default_factory=tuple)


class PlaybackPort(Protocol):
    """Play a request to completion.

    Raises :class:`bot.errors.TransientPlaybackError` (retry may help) or
    :class:`bot.errors.PermanentPlaybackError` (it will not) when nothing could be played.
    """

    async def play(self, request: PlaybackRequest) -> PlaybackResult: ...

    async def stop(self, guild_id: int) -> bool: ...

    async def skip(self, guild_id: int) -> bool: ...
