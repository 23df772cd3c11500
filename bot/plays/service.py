"""Paid playback: one charge per track started, a refund for what played nothing, plays counted.

:class:`PlayService` is the use case both ``/sound play``, ``/playlist play`` and the scheduler's
play handler need: wrap a :class:`PlaybackRequest` so that each track is charged just before it
starts, and settle up afterwards.  :class:`BackgroundPlays` runs such plays as kept, named tasks
for the commands, which answer as soon as the first track starts rather than when the last ends
(a looping playlist can outlive the 15 minutes an interaction token lasts).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.config import CreditSettings, LimitSettings
from bot.credits import rules as credit_rules
from bot.credits.service import CreditService
from bot.errors import CarillonError, InsufficientCredits, PlaybackError
from bot.plays.port import (
    PlaybackOutcome,
    PlaybackPort,
    PlaybackRequest,
    PlaybackResult,
    PlayMode,
    Track,
)
from bot.tasks.params import ENDLESS_MODES, check_max_duration

log = logging.getLogger(__name__)


class PlayCounter(Protocol):
    """Counts plays per sound (``bot.library.service.LibraryService.record_plays``)."""

    async def record_plays(self, sound_ids: Iterable[int]) -> None: ...


@dataclass(frozen=True, slots=True)
class Payer:
    """Who pays for a play: ``user_id`` None means nobody (system tasks play for free)."""

    guild_id: int
    user_id: int | None
    task_id: int | None = None
    command: str | None = None


@dataclass(frozen=True, slots=True)
class TrackStarted:
    """A track is about to start and has been paid for (``balance`` None when it was free)."""

    track: Track
    cost: int
    balance: int | None


@dataclass(frozen=True, slots=True)
class PaidPlayback:
    """How a play ended, and what it cost after refunds."""

    result: PlaybackResult
    charged: int  # credits kept
    refunded: int


class PlayService:
    """Charges per track started, refunds when nothing (or less) was played, counts plays."""

    def __init__(
        self,
        credits: CreditService,
        playback: PlaybackPort,
        counter: PlayCounter,
        settings: CreditSettings,
    ) -> None:
        self._credits = credits
        self._playback = playback
        self._counter = counter
        self._settings = settings

    def cost(self, payer: Payer) -> int:
        """What one track costs this payer."""
        return credit_rules.play_cost(
            self._settings.cost_per_play, system_task=payer.user_id is None
        )

    async def ensure_affordable(self, payer: Payer) -> None:
        """Refuse early (before joining voice) when the payer cannot pay for the first track.

        Only a courtesy: the charge itself is atomic and may still be declined later.
        """
        cost = self.cost(payer)
        if payer.user_id is not None and cost > 0:
            await self._credits.ensure_affordable(payer.guild_id, payer.user_id, cost)

    async def play(
        self,
        request: PlaybackRequest,
        payer: Payer,
        *,
        on_started: Callable[[TrackStarted], None] | None = None,
    ) -> PaidPlayback:
        """Play ``request`` to its end, paid by ``payer``.

        Raises what the playback port raises (after refunding), and :class:`InsufficientCredits`
        when the first track's charge was declined.  ``on_started`` hears of each paid track.
        """
        cost = self.cost(payer)
        charged: list[int] = []
        declined: list[str] = []

        async def on_track_start(track: Track) -> bool:
            balance: int | None = None
            if payer.user_id is not None and cost > 0:
                try:
                    balance = await self._credits.charge(
                        payer.guild_id,
                        payer.user_id,
                        cost,
                        task_id=payer.task_id,
                        command=payer.command,
                        detail=track.name,
                    )
                except InsufficientCredits as exc:
                    declined.append(exc.message)
                    return False
                charged.append(cost)
            if on_started is not None:
                on_started(TrackStarted(track, 0 if balance is None else cost, balance))
            return True

        try:
            result = await self._playback.play(
                dataclasses.replace(request, on_track_start=on_track_start)
            )
        except PlaybackError:
            await self._refund(payer, sum(charged), "playback failed before any audio was sent")
            raise
        refunded = 0
        if not result.audio_sent and charged:
            refunded = sum(charged)
            await self._refund(payer, refunded, "no audio was sent")
        elif len(charged) > result.tracks_started:
            # Stopped between a track's charge and its start: that track never played.
            refunded = (len(charged) - result.tracks_started) * cost
            await self._refund(payer, refunded, "stopped before the track started")
        if result.audio_sent:
            await self._counter.record_plays(track.sound_id for track in result.tracks)
        if result.outcome is PlaybackOutcome.CHARGE_DECLINED and result.tracks_started == 0:
            raise InsufficientCredits(declined[0] if declined else "Not enough credits.")
        return PaidPlayback(result, sum(charged) - refunded, refunded)

    async def _refund(self, payer: Payer, amount: int, why: str) -> None:
        if amount and payer.user_id is not None:
            await self._credits.refund(
                payer.guild_id,
                payer.user_id,
                amount,
                task_id=payer.task_id,
                command=payer.command,
                detail=why,
            )


# Tells the member who started a play that it failed after all.
LateFailure = Callable[[CarillonError], Awaitable[None]]


async def _tell(on_late_failure: LateFailure, error: CarillonError) -> None:
    try:
        await on_late_failure(error)
    except Exception:
        log.warning("could not report a failed play: %s", error.message, exc_info=True)


@dataclass(frozen=True, slots=True)
class PlayStart:
    """What a command can say once a background play got going (or could not)."""

    started: TrackStarted | None = None  # the first track is playing
    ended: PaidPlayback | None = None  # it ended before any track started (stopped, skipped)

    @property
    def waiting(self) -> bool:
        """Neither: it is queued behind other playback."""
        return self.started is None and self.ended is None


# Answers the command that started a play, once it is known how it started.
Answer = Callable[["PlayStart"], Awaitable[None]]


class BackgroundPlays:
    """Runs paid plays as background tasks that outlive the command that started them.

    Every task is kept referenced, named, logged when it fails and cancelled by :meth:`close`.
    """

    def __init__(self, plays: PlayService) -> None:
        self._plays = plays
        self._tasks: set[asyncio.Task[PaidPlayback]] = set()

    @property
    def service(self) -> PlayService:
        return self._plays

    async def start(
        self,
        request: PlaybackRequest,
        payer: Payer,
        *,
        wait_s: float,
        answer: Answer,
        on_late_failure: LateFailure | None = None,
    ) -> PlayStart:
        """Start a play, wait up to ``wait_s`` for its first track, and ``answer`` with that.

        A failure before the first track (no voice connection, no credits) is raised here
        instead, so the command answers with the error.  A failure after it (the sound's file is
        gone, voice dropped before any audio) goes to ``on_late_failure`` once ``answer`` is
        done, so the member reads "playing" before "it failed"; :class:`PlayService` has
        refunded it.
        """
        loop = asyncio.get_running_loop()
        first: asyncio.Future[TrackStarted] = loop.create_future()
        answered = False
        replied = asyncio.Event()

        def on_started(started: TrackStarted) -> None:
            if not first.done():
                first.set_result(started)

        async def run() -> PaidPlayback:
            try:
                return await self._plays.play(request, payer, on_started=on_started)
            except CarillonError as exc:
                # Once the first track resolved, start() answers "playing" whatever follows.
                told_started = first.done() and not first.cancelled()
                if on_late_failure is not None and (answered or told_started):
                    await replied.wait()
                    await _tell(on_late_failure, exc)
                raise

        task = asyncio.create_task(run(), name=f"play-now guild={request.guild_id} {request.label}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        try:
            waiting: set[asyncio.Future[Any]] = {task, first}
            try:
                await asyncio.wait(waiting, timeout=wait_s, return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not first.done():
                    first.cancel()
            if not first.cancelled():
                outcome = PlayStart(started=first.result())
            elif task.done():
                outcome = PlayStart(ended=task.result())  # raises the play's error, if any
            else:
                outcome = PlayStart()  # queued behind other playback
            answered = True
            await answer(outcome)
            return outcome
        finally:
            replied.set()

    def _finished(self, task: asyncio.Task[PaidPlayback]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()  # retrieved here, so asyncio never warns about it
        if isinstance(error, CarillonError):
            log.info("%s ended: %s", task.get_name(), error.message)
        elif error is not None:
            log.error("%s failed", task.get_name(), exc_info=error)

    async def join(self) -> None:
        """Wait until every running play has ended by itself."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel every play still running (the player stops them) and wait for them to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def playlist_max_duration(
    mode: PlayMode, requested_s: int | None, limits: LimitSettings
) -> int | None:
    """The duration cap of a playlist play: the one asked for, within the configured bound;
    the configured default for modes that never end by themselves; else none.

    The same rule as a scheduled ``play_playlist`` task's ``max_duration``.
    """
    if requested_s is None:
        return limits.default_max_duration_s if mode in ENDLESS_MODES else None
    return check_max_duration(requested_s, limits)
