"""PlayService and BackgroundPlays: charge per track started, refunds, play counts, start-up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from bot.config import CreditSettings, LimitSettings
from bot.credits.service import CreditService
from bot.errors import CarillonError, InsufficientCredits, PermanentPlaybackError, ValidationError
from bot.plays.port import PlaybackOutcome, PlaybackRequest, PlaybackResult, PlayMode, Track
from bot.plays.service import (
    BackgroundPlays,
    Payer,
    PlayService,
    PlayStart,
    TrackStarted,
    playlist_max_duration,
)
from storage.enums import LedgerReason
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock

GUILD, USER = 1, 10
TRACKS = tuple(Track(i, f"t{i}", "0" * 64, 1.0) for i in (1, 2, 3))


@dataclass
class ScriptedPlayback:
    """A playback port that starts ``starts`` tracks, then ends as told.

    ``fail_at`` raises after that many tracks were paid for; ``unstarted`` pays for one more
    track than it starts (a stop between the charge and the start); ``audio`` says whether any
    audio went out.
    """

    starts: int = 1
    audio: bool = True
    outcome: PlaybackOutcome = PlaybackOutcome.FINISHED
    fail_at: int | None = None
    unstarted: bool = False
    gate: asyncio.Event | None = None
    requests: list[PlaybackRequest] = field(default_factory=list)

    async def play(self, request: PlaybackRequest) -> PlaybackResult:
        self.requests.append(request)
        assert request.on_track_start is not None
        started: list[Track] = []
        for paid, track in enumerate(request.tracks[: self.starts], start=1):
            if not await request.on_track_start(track):
                return PlaybackResult(
                    PlaybackOutcome.CHARGE_DECLINED,
                    audio_sent=bool(started) and self.audio,
                    tracks_started=len(started),
                    tracks=tuple(started),
                )
            if self.fail_at == paid:
                raise PermanentPlaybackError("The sound is missing from storage.")
            if self.unstarted and paid == self.starts:
                break
            started.append(track)
            if self.gate is not None:
                await self.gate.wait()
        return PlaybackResult(
            self.outcome,
            audio_sent=self.audio and bool(started),
            tracks_started=len(started),
            played_s=float(len(started)),
            tracks=tuple(started),
        )

    async def stop(self, guild_id: int) -> bool:
        return False

    async def skip(self, guild_id: int) -> bool:
        return False


@dataclass
class Counter:
    counted: list[int] = field(default_factory=list)

    async def record_plays(self, sound_ids: Iterable[int]) -> None:
        self.counted.extend(sound_ids)


@pytest.fixture
def credits(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> CreditService:
    return CreditService(uow_factory, clock, CreditSettings())


def service(credits: CreditService, playback: ScriptedPlayback, counter: Counter) -> PlayService:
    return PlayService(credits, playback, counter, CreditSettings())


def request(tracks: tuple[Track, ...] = TRACKS) -> PlaybackRequest:
    return PlaybackRequest(GUILD, 99, tracks, label="test")


PAYER = Payer(GUILD, USER, command="sound play")


@dataclass
class Answers:
    """The command side: what it answered, and what it heard later, in order."""

    said: list[str] = field(default_factory=list)

    async def answer(self, start: PlayStart) -> None:
        await asyncio.sleep(0)  # a real answer is an HTTP request: let the play run meanwhile
        self.said.append("started" if start.started else "ended" if start.ended else "waiting")

    async def late(self, error: CarillonError) -> None:
        self.said.append(error.message)


async def reasons(credits: CreditService) -> list[tuple[LedgerReason, int]]:
    history = await credits.history(GUILD, USER, limit=20)
    return [(e.reason, e.delta) for e in reversed(history) if e.reason is not LedgerReason.OPENING]


async def test_each_started_track_is_charged_and_counted(credits: CreditService) -> None:
    """Three tracks, three credits, three plays; on_started hears each with the balance."""
    counter, heard = Counter(), list[TrackStarted]()
    plays = service(credits, ScriptedPlayback(starts=3), counter)

    paid = await plays.play(request(), PAYER, on_started=heard.append)

    assert (paid.charged, paid.refunded) == (3, 0)
    assert await credits.balance(GUILD, USER) == 97
    assert counter.counted == [1, 2, 3]
    assert heard == [TrackStarted(TRACKS[i], 1, 99 - i) for i in range(3)]
    assert await reasons(credits) == [(LedgerReason.CHARGE, -1)] * 3


async def test_a_failure_before_audio_is_refunded_and_raised(credits: CreditService) -> None:
    counter = Counter()
    plays = service(credits, ScriptedPlayback(fail_at=1), counter)

    with pytest.raises(PermanentPlaybackError):
        await plays.play(request(), PAYER)

    assert await credits.balance(GUILD, USER) == 100
    assert await reasons(credits) == [(LedgerReason.CHARGE, -1), (LedgerReason.REFUND, 1)]
    assert counter.counted == []


async def test_no_audio_sent_refunds_everything(credits: CreditService) -> None:
    plays = service(credits, ScriptedPlayback(starts=2, audio=False), Counter())

    paid = await plays.play(request(), PAYER)

    assert (paid.charged, paid.refunded) == (0, 2)
    assert await credits.balance(GUILD, USER) == 100


async def test_a_track_paid_for_but_never_started_is_refunded(credits: CreditService) -> None:
    plays = service(
        credits,
        ScriptedPlayback(starts=2, unstarted=True, outcome=PlaybackOutcome.STOPPED),
        Counter(),
    )

    paid = await plays.play(request(), PAYER)

    assert (paid.charged, paid.refunded) == (1, 1)
    assert await credits.balance(GUILD, USER) == 99


async def test_declined_first_charge_raises(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    await credits.set_balance(GUILD, USER, 0, actor_id=1)
    plays = service(credits, ScriptedPlayback(), Counter())

    with pytest.raises(InsufficientCredits, match="Not enough credits"):
        await plays.play(request(), PAYER)


async def test_running_out_midway_keeps_what_played(credits: CreditService) -> None:
    await credits.set_balance(GUILD, USER, 2, actor_id=1)
    plays = service(credits, ScriptedPlayback(starts=3), Counter())

    paid = await plays.play(request(), PAYER)

    assert paid.result.outcome is PlaybackOutcome.CHARGE_DECLINED
    assert (paid.charged, paid.result.tracks_started) == (2, 2)
    assert await credits.balance(GUILD, USER) == 0


async def test_system_plays_are_free(credits: CreditService) -> None:
    heard: list[TrackStarted] = []
    plays = service(credits, ScriptedPlayback(starts=2), Counter())

    paid = await plays.play(request(), Payer(GUILD, None, task_id=5), on_started=heard.append)

    assert paid.charged == 0
    assert [(h.cost, h.balance) for h in heard] == [(0, None), (0, None)]


async def test_ensure_affordable_refuses_an_empty_balance(credits: CreditService) -> None:
    plays = service(credits, ScriptedPlayback(), Counter())
    await plays.ensure_affordable(PAYER)
    await credits.set_balance(GUILD, USER, 0, actor_id=1)

    with pytest.raises(InsufficientCredits, match="you have 0 credits"):
        await plays.ensure_affordable(PAYER)
    await plays.ensure_affordable(Payer(GUILD, None))


@pytest.mark.parametrize(
    ("mode", "requested", "expected"),
    [
        (PlayMode.CONTINUOUS, None, None),
        (PlayMode.SINGLE, None, None),
        (PlayMode.LOOP, None, 600),
        (PlayMode.LOOP_ONE, None, 600),
        (PlayMode.RANDOM, None, 600),
        (PlayMode.CONTINUOUS, 30, 30),
        (PlayMode.LOOP, 3600, 3600),
    ],
)
def test_playlist_max_duration(mode: PlayMode, requested: int | None, expected: int | None) -> None:
    assert playlist_max_duration(mode, requested, LimitSettings()) == expected


@pytest.mark.parametrize("requested", [0, 3601])
def test_playlist_max_duration_outside_the_limit(requested: int) -> None:
    with pytest.raises(ValidationError, match="between 1 and 3600 seconds"):
        playlist_max_duration(PlayMode.LOOP, requested, LimitSettings())


# ----------------------------------------------------------------------------- BackgroundPlays


async def test_start_answers_at_the_first_track_and_plays_on(credits: CreditService) -> None:
    gate, answers, counter = asyncio.Event(), Answers(), Counter()
    background = BackgroundPlays(service(credits, ScriptedPlayback(starts=2, gate=gate), counter))

    start = await background.start(request(), PAYER, wait_s=1.0, answer=answers.answer)

    assert start.started is not None and start.started.track == TRACKS[0]
    assert answers.said == ["started"]
    gate.set()
    await background.join()
    assert counter.counted == [1, 2]


async def test_start_raises_a_failure_before_the_first_track(credits: CreditService) -> None:
    await credits.set_balance(GUILD, USER, 0, actor_id=1)
    background = BackgroundPlays(service(credits, ScriptedPlayback(), Counter()))

    answers = Answers()

    with pytest.raises(InsufficientCredits):
        await background.start(request(), PAYER, wait_s=1.0, answer=answers.answer)
    assert answers.said == []


async def test_a_failure_after_the_first_track_is_reported_after_the_answer(
    credits: CreditService,
) -> None:
    """The member reads "playing" first, then that it failed; the credit comes back."""
    answers = Answers()
    background = BackgroundPlays(service(credits, ScriptedPlayback(fail_at=1), Counter()))

    await background.start(
        request(), PAYER, wait_s=1.0, answer=answers.answer, on_late_failure=answers.late
    )
    await background.join()

    assert answers.said == ["started", "The sound is missing from storage."]
    assert await credits.balance(GUILD, USER) == 100


async def test_a_play_that_waits_its_turn_says_so(credits: CreditService) -> None:
    """Not started within wait_s: queued; close() cancels it."""

    class Queued(ScriptedPlayback):
        async def play(self, request: PlaybackRequest) -> PlaybackResult:
            await asyncio.Event().wait()
            raise AssertionError("never")

    background = BackgroundPlays(service(credits, Queued(), Counter()))

    answers = Answers()

    start = await background.start(request(), PAYER, wait_s=0.01, answer=answers.answer)
    await background.close()

    assert start.waiting and answers.said == ["waiting"]
