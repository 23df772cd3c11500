"""The pieces of one playback job: its bookkeeping, its result, and the hand-off from discord.py.

Split from :mod:`audio.player` to keep both modules small; nothing here touches voice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from audio.source import OggOpusSource
from bot.errors import PermanentPlaybackError, TransientPlaybackError
from bot.plays.port import PlaybackOutcome, PlaybackRequest, PlaybackResult, PlayMode, Track


@dataclass(frozen=True, slots=True)
class PlayerStatus:
    """What a server's player is doing, for ``/player status``."""

    guild_id: int
    connected: bool
    channel_id: int | None
    track: Track | None
    position_s: float
    play_mode: PlayMode | None
    label: str
    queued: int  # requests waiting behind the current one


@dataclass(eq=False)
class Job:
    """One request on its way through the player."""

    request: PlaybackRequest
    future: asyncio.Future[PlaybackResult]
    stop_reason: PlaybackOutcome | None = None
    skip_requested: bool = False
    track: Track | None = None
    source: OggOpusSource | None = None
    started: list[Track] = field(default_factory=list)
    played_s: float = 0.0

    @property
    def audio_sent(self) -> bool:
        return self.played_s > 0

    def result(self, outcome: PlaybackOutcome, detail: str = "") -> PlaybackResult:
        return PlaybackResult(
            outcome=outcome,
            audio_sent=self.audio_sent,
            tracks_started=len(self.started),
            played_s=round(self.played_s, 3),
            detail=detail,
            tracks=tuple(self.started),
        )

    def settle(self, result: PlaybackResult) -> None:
        # The caller may have gone (its await was cancelled); then nobody wants the result.
        if not self.future.done():
            self.future.set_result(result)

    def fail(self, error: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(error)


STOP_DETAIL = {
    PlaybackOutcome.STOPPED: "Stopped.",
    PlaybackOutcome.INTERRUPTED: "Interrupted by another request.",
}


class AbortJob(Exception):
    """Ends a job with ``error``; if audio already went out, the job ends STOPPED instead.

    A caller that got audio owes its credits and must not retry, so it gets a result, not an error.
    """

    def __init__(self, error: PermanentPlaybackError | TransientPlaybackError) -> None:
        super().__init__(error.message)
        self.error = error


LOST_CONNECTION = (
    "Lost the voice connection (I was disconnected, or the channel was deleted). "
    "Try again in a moment."
)


def after_callback(
    loop: asyncio.AbstractEventLoop, finished: asyncio.Future[Exception | None]
) -> Callable[[Exception | None], None]:
    """The ``after=`` for discord.py: it runs on the audio thread, so it only wakes the loop."""

    def after(error: Exception | None) -> None:
        try:
            loop.call_soon_threadsafe(_resolve, finished, error)
        except RuntimeError:
            pass  # the loop closed during shutdown; nobody is waiting any more

    return after


def _resolve(finished: asyncio.Future[Exception | None], error: Exception | None) -> None:
    if not finished.done():
        finished.set_result(error)
