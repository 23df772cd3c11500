"""Task parameters: checked when a task is created and again when it runs.

Parameters are stored as JSON with IDs only (sound, playlist, channel, user), so renaming a sound
does not break a task, and deleting it makes the next run fail with a clear message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.bounds import number_text
from bot.config import LimitSettings
from bot.credits.rules import check_recharge_amount
from bot.errors import NotFoundError, ValidationError
from bot.plays.port import PlayMode
from storage.columns import BIGINT_MAX, INTEGER_MAX
from storage.enums import TaskType
from storage.uow import UnitOfWork

# Modes that never end by themselves and so always need a max_duration.
ENDLESS_MODES = frozenset({PlayMode.LOOP, PlayMode.LOOP_ONE, PlayMode.RANDOM})


def _int(params: Mapping[str, Any], key: str, what: str, *, snowflake: bool = False) -> int:
    """An id parameter: a row id (sound, playlist) or a Discord snowflake (channel, member).

    Out of its column's range it names nothing that can exist, so it is refused as missing.
    """
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"This task needs {what}.")
    highest = BIGINT_MAX if snowflake else INTEGER_MAX
    if not 1 <= value <= highest:
        raise NotFoundError(
            f"{number_text(value, grouped=False)} cannot be the id of {what} (ids run from 1 to "
            f"{highest:,}); pick one that exists."
        )
    return value


def check_max_duration(seconds: object, limits: LimitSettings) -> int:
    """A playlist play's cap, in whole seconds: 1 to ``limits.max_duration_s``.

    One rule for a play now (/playlist play) and a scheduled one (``play_playlist``).
    """
    most = limits.max_duration_s
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise ValidationError("max_duration must be a whole number of seconds.")
    if not 1 <= seconds <= most:
        advice = "a longer one" if seconds < 1 else "a shorter one, e.g. 30 (minutes) or 10 min"
        raise ValidationError(
            f"max_duration must be between 1 and {most} seconds ({most // 60} minutes), not "
            f"{seconds:,} seconds; give {advice}."
        )
    return seconds


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
        channel_id = _int(params, "channel_id", "a voice channel", snowflake=True)
        return {"sound_id": sound_id, "channel_id": channel_id}

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
            max_duration = check_max_duration(max_duration, limits)
        return {
            "playlist_id": playlist_id,
            "channel_id": _int(params, "channel_id", "a voice channel", snowflake=True),
            "play_mode": mode.value,
            "shuffle": bool(params.get("shuffle", False)),
            "max_duration_s": max_duration,
        }

    # credit_recharge: everyone with an account, or one member; default amount at run time.
    user_id = params.get("user_id")
    if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int)):
        raise ValidationError("The recharge target must be a member.")
    if user_id is not None:
        user_id = _int(params, "user_id", "a member", snowflake=True)
    amount = params.get("amount")
    if amount is not None:
        check_recharge_amount(amount)
    return {"user_id": user_id, "amount": amount}
