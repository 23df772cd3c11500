"""Task parameters: checked when a task is created and again when it runs.

Parameters are stored as JSON with IDs only (sound, playlist, channel, user), so renaming a sound
does not break a task, and deleting it makes the next run fail with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.config import LimitSettings
from bot.errors import NotFoundError, ValidationError
from bot.playback import PlayMode
from storage.enums import TaskType
from storage.uow import UnitOfWork

# Modes that never end by themselves and so always need a max_duration.
ENDLESS_MODES = frozenset({PlayMode.LOOP, PlayMode.LOOP_ONE, PlayMode.RANDOM})
MAX_RECHARGE_AMOUNT = 1_000_000


def _int(params: Mapping[str, Any], key: str, what: str) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"This task needs {what}.")
    return value


async def validate_parameters(
    uow: UnitOfWork,
    guild_id: int,
    task_type: TaskType,
    params: Mapping[str, Any],
    limits: LimitSettings,
) -> dict[str, Any]:
    """The normalised parameters, or a :class:`ValidationError`/:class:`NotFoundError`."""
    if task_type is TaskType.PLAY_SOUND:
        sound_id = _int(params, "sound_id", "a sound")
        if await uow.sounds.get(guild_id, sound_id) is None:
            raise NotFoundError(
                "The sound of this task no longer exists in this server; "
                "pick another with /sound list."
            )
        return {"sound_id": sound_id, "channel_id": _int(params, "channel_id", "a voice channel")}

    if task_type is TaskType.PLAY_PLAYLIST:
        playlist_id = _int(params, "playlist_id", "a playlist")
        playlist = await uow.playlists.get(guild_id, playlist_id)
        if playlist is None:
            raise NotFoundError(
                "The playlist of this task no longer exists in this server; see /playlist list."
            )
        if not playlist.items:
            raise ValidationError(
                f"The playlist {playlist.name} is empty; add sounds with /playlist add first."
            )
        try:
            mode = PlayMode(params.get("play_mode", PlayMode.CONTINUOUS.value))
        except ValueError:
            allowed = ", ".join(m.value for m in PlayMode)
            raise ValidationError(
                f"{params.get('play_mode')!r} is not a play mode; use one of {allowed}."
            ) from None
        max_duration = params.get("max_duration_s")
        if max_duration is None and mode in ENDLESS_MODES:
            max_duration = limits.default_max_duration_s
        if max_duration is not None:
            if isinstance(max_duration, bool) or not isinstance(max_duration, int):
                raise ValidationError("max_duration must be a whole number of seconds.")
            if not 1 <= max_duration <= limits.max_duration_s:
                raise ValidationError(
                    f"max_duration must be between 1 and {limits.max_duration_s} seconds "
                    f"({limits.max_duration_s // 60} minutes)."
                )
        return {
            "playlist_id": playlist_id,
            "channel_id": _int(params, "channel_id", "a voice channel"),
            "play_mode": mode.value,
            "shuffle": bool(params.get("shuffle", False)),
            "max_duration_s": max_duration,
        }

    # credit_recharge: everyone with an account, or one member; default amount at run time.
    user_id = params.get("user_id")
    if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int)):
        raise ValidationError("The recharge target must be a member.")
    amount = params.get("amount")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValidationError("The recharge amount must be a whole number of credits.")
        if not 1 <= amount <= MAX_RECHARGE_AMOUNT:
            raise ValidationError(
                f"The recharge amount must be between 1 and {MAX_RECHARGE_AMOUNT:,} credits."
            )
    return {"user_id": user_id, "amount": amount}
