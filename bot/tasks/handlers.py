"""What each task type does when it runs.

A handler returns a :class:`HandlerResult` or raises: :class:`TransientPlaybackError` (the runner
retries inside the lateness allowance) or any other :class:`CarillonError` (a permanent failure
with a message for the owner).  Plays are paid through :class:`bot.plays.service.PlayService`, the
same use case as the play-now commands.  Work that must land in the same transaction as the
run's success (a credit recharge) is returned as ``apply`` and run by the runner inside that
transaction, so a crash or a retry can never credit twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.config import Settings
from bot.credits.service import CreditService
from bot.plays.port import OnBusy, PlaybackOutcome, PlaybackRequest, PlayMode, Track
from bot.plays.service import Payer, PlayService
from bot.tasks.model import TaskView
from bot.tasks.params import validate_parameters
from bot.tasks.policy import policy_for
from bot.tasks.transient import retrying
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
    """``play_sound`` and ``play_playlist``: paid per track started (:class:`PlayService`)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, plays: PlayService, settings: Settings):
        self._uow = uow_factory
        self._plays = plays
        self._settings = settings

    async def execute(self, task: TaskView, due_at: datetime) -> HandlerResult:
        # Read-only, so a transient database error is simply read again.
        request = await retrying(lambda: self._request(task), f"reading task {task.id}")
        payer = Payer(task.guild_id, task.owner_id, task_id=task.id)  # no owner: system, free
        paid = await self._plays.play(replace(request, label=f"task {task.id}"), payer)
        result = paid.result
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


class RechargeHandler:
    """``credit_recharge``: the credits land in the transaction that records the run's success."""

    # So a recharge interrupted before its outcome was recorded changed nothing: still owed.
    effects_with_outcome = True

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
    plays: PlayService,
    settings: Settings,
) -> dict[TaskType, TaskHandler]:
    play = PlayHandler(uow_factory, plays, settings)
    return {
        TaskType.PLAY_SOUND: play,
        TaskType.PLAY_PLAYLIST: play,
        TaskType.CREDIT_RECHARGE: RechargeHandler(credits, settings),
    }
