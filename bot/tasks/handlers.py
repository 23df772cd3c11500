"""What each task type does when it runs.

A handler returns a :class:`HandlerResult` or raises: :class:`TransientPlaybackError` (the runner
retries inside the lateness allowance) or any other :class:`CarillonError` (a permanent failure
with a message for the owner).  Work that must land in the same transaction as the run's success
(a credit recharge) is returned as ``apply`` and run by the runner inside that transaction, so a
crash or a retry can never credit twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.config import Settings
from bot.credit_rules import play_cost
from bot.credits import CreditService
from bot.errors import InsufficientCredits, PlaybackError
from bot.playback import (
    OnBusy,
    PlaybackOutcome,
    PlaybackPort,
    PlaybackRequest,
    PlayMode,
    Track,
)
from bot.tasks.model import TaskView
from bot.tasks.params import validate_parameters
from bot.tasks.policy import policy_for
from storage.enums import RunOutcome, TaskType
from storage.models import Sound
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Apply = Callable[[UnitOfWork], Awaitable[str]]


@dataclass(frozen=True)
class HandlerResult:
    outcome: RunOutcome
    detail: str
    apply: Apply | None = None


class TaskHandler(Protocol):
    async def execute(self, task: TaskView, due_at: datetime) -> HandlerResult: ...


def track_of(sound: Sound) -> Track:
    return Track(sound.id, sound.name, sound.blob_hash, sound.duration_s)


class PlayHandler:
    """``play_sound`` and ``play_playlist``: charge per track started, refund if nothing played."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        credits: CreditService,
        playback: PlaybackPort,
        settings: Settings,
    ) -> None:
        self._uow = uow_factory
        self._credits = credits
        self._playback = playback
        self._settings = settings

    async def execute(self, task: TaskView, due_at: datetime) -> HandlerResult:
        request = await self._request(task)
        cost = play_cost(self._settings.credits.cost_per_play, system_task=task.is_system)
        charged: list[int] = []
        declined: list[str] = []

        async def on_track_start(track: Track) -> bool:
            if task.owner_id is None or cost == 0:
                return True
            try:
                await self._credits.charge(
                    task.guild_id, task.owner_id, cost, task_id=task.id, detail=track.name
                )
            except InsufficientCredits as exc:
                declined.append(exc.message)
                return False
            charged.append(cost)
            return True

        try:
            result = await self._playback.play(
                _with_charging(request, on_track_start, label=f"task {task.id}")
            )
        except PlaybackError:
            await self._refund(task, sum(charged), "playback failed before any audio was sent")
            raise
        if not result.audio_sent and charged:
            await self._refund(task, sum(charged), "no audio was sent")
        elif len(charged) > result.tracks_started:
            # Stopped between a track's charge and its start: that track never played.
            unplayed = len(charged) - result.tracks_started
            await self._refund(task, unplayed * cost, "stopped before the track started")
        if result.outcome is PlaybackOutcome.CHARGE_DECLINED and result.tracks_started == 0:
            raise InsufficientCredits(declined[0] if declined else "Not enough credits.")
        if result.outcome is PlaybackOutcome.SKIPPED_BUSY:
            return HandlerResult(RunOutcome.SKIPPED, "something else was playing (on_busy: skip)")
        if result.outcome is PlaybackOutcome.SKIPPED_EMPTY:
            return HandlerResult(RunOutcome.SKIPPED, "nobody was listening in the voice channel")
        played = f"played {result.tracks_started} track(s), {result.played_s:.1f} s"
        if result.outcome is PlaybackOutcome.CHARGE_DECLINED:
            played += "; stopped: out of credits"
        elif result.outcome is PlaybackOutcome.INTERRUPTED:
            played += "; interrupted by another play"
        elif result.outcome is PlaybackOutcome.STOPPED:
            played += "; stopped"
        return HandlerResult(RunOutcome.SUCCEEDED, played)

    async def _request(self, task: TaskView) -> PlaybackRequest:
        async with self._uow() as uow:
            params = await validate_parameters(
                uow, task.guild_id, task.task_type, task.parameters, self._settings.limits
            )
            policy = policy_for(await uow.guilds.get(task.guild_id), self._settings)
            if task.task_type is TaskType.PLAY_SOUND:
                sound = await uow.sounds.get(task.guild_id, params["sound_id"])
                assert sound is not None  # validate_parameters checked it
                return PlaybackRequest(
                    guild_id=task.guild_id,
                    channel_id=params["channel_id"],
                    tracks=(track_of(sound),),
                    play_mode=PlayMode.SINGLE,
                    on_busy=OnBusy(task.on_busy.value),
                    skip_if_nobody_listening=policy.skip_if_nobody_listening,
                )
            sounds = await uow.playlists.tracks(params["playlist_id"])
            return PlaybackRequest(
                guild_id=task.guild_id,
                channel_id=params["channel_id"],
                tracks=tuple(track_of(s) for s in sounds),
                play_mode=PlayMode(params["play_mode"]),
                shuffle=params["shuffle"],
                max_duration_s=params["max_duration_s"],
                on_busy=OnBusy(task.on_busy.value),
                skip_if_nobody_listening=policy.skip_if_nobody_listening,
            )

    async def _refund(self, task: TaskView, amount: int, why: str) -> None:
        if amount and task.owner_id is not None:
            await self._credits.refund(
                task.guild_id, task.owner_id, amount, task_id=task.id, detail=why
            )


def _with_charging(
    request: PlaybackRequest, on_track_start: Callable[[Track], Awaitable[bool]], label: str
) -> PlaybackRequest:
    return PlaybackRequest(
        guild_id=request.guild_id,
        channel_id=request.channel_id,
        tracks=request.tracks,
        play_mode=request.play_mode,
        shuffle=request.shuffle,
        max_duration_s=request.max_duration_s,
        on_busy=request.on_busy,
        skip_if_nobody_listening=request.skip_if_nobody_listening,
        on_track_start=on_track_start,
        label=label,
    )


class RechargeHandler:
    """``credit_recharge``: the credits land in the transaction that records the run's success."""

    def __init__(self, credits: CreditService, settings: Settings) -> None:
        self._credits = credits
        self._settings = settings

    async def execute(self, task: TaskView, due_at: datetime) -> HandlerResult:
        user_id = task.parameters.get("user_id")
        amount = task.parameters.get("amount")

        async def apply(uow: UnitOfWork) -> str:
            summary = await self._credits.apply_recharge(
                uow, task.guild_id, user_id, amount, task_id=task.id, actor_id=None
            )
            return summary.detail

        return HandlerResult(RunOutcome.SUCCEEDED, "recharged", apply=apply)


def build_handlers(
    uow_factory: UnitOfWorkFactory,
    credits: CreditService,
    playback: PlaybackPort,
    settings: Settings,
) -> dict[TaskType, TaskHandler]:
    play = PlayHandler(uow_factory, credits, playback, settings)
    return {
        TaskType.PLAY_SOUND: play,
        TaskType.PLAY_PLAYLIST: play,
        TaskType.CREDIT_RECHARGE: RechargeHandler(credits, settings),
    }
