"""Members' time zones and servers' settings.

A task's default zone is the member's (``/timezone set``), else the server's, else the config's.
Server settings override the config defaults for that server; ``None`` means "back to default".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.bounds import check_whole, quoted_number
from bot.clock import Clock
from bot.config import (
    HORIZON_DAYS_RANGE,
    MIN_INTERVAL_S_RANGE,
    NAME_LENGTH_RANGE,
    PENDING_TASKS_RANGE,
    Settings,
)
from bot.errors import ValidationError
from bot.scheduling.zones import resolve_zone
from bot.tasks.policy import GuildPolicies, GuildPolicy
from storage.columns import BIGINT_MAX
from storage.uow import UnitOfWorkFactory


@dataclass(frozen=True)
class SettingSpec:
    """One server setting an admin can change: its column, what it means, how to read a value."""

    column: str
    description: str
    parse: Callable[[str], Any]


def _whole(key: str, low: int, high: int, unit: str, scale: int = 1) -> Callable[[str], int]:
    """A number of ``unit`` from ``low`` to ``high``, stored times ``scale`` (minutes -> s)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValidationError(
                f"{quoted_number(text)} is not a whole number of {unit}; "
                f"give one from {low:,} to {high:,}."
            ) from None
        advice = "Give a number in that range, or leave the value out for the default."
        check_whole(value, what=key, low=low, high=high, unit=unit, advice=advice)
        return value * scale

    return parse


def _boolean(text: str) -> bool:
    folded = text.strip().lower()
    if folded in ("yes", "true", "on", "1"):
        return True
    if folded in ("no", "false", "off", "0"):
        return False
    raise ValidationError(f"{text!r} is not yes or no.")


def _snowflake(kind: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        digits = text.strip().lstrip("<#@&").rstrip(">")
        # Beyond the id column's range it cannot name anything on Discord.
        if not digits.isdigit() or not 1 <= int(digits) <= BIGINT_MAX:
            raise ValidationError(f"{quoted_number(text)} is not a {kind}; pick one from the list.")
        return int(digits)

    return parse


def _zone(text: str) -> str:
    return str(resolve_zone(text).key)


SETTINGS: dict[str, SettingSpec] = {
    "timezone": SettingSpec("timezone", "the server's time zone (IANA name)", _zone),
    "admin_role": SettingSpec(
        "admin_role_id", "a role whose members may use /admin", _snowflake("role")
    ),
    "notify_channel": SettingSpec(
        "notify_channel_id",
        "where task problems are posted when a DM cannot be sent",
        _snowflake("channel"),
    ),
    "skip_if_nobody_listening": SettingSpec(
        "skip_if_nobody_listening",
        "skip scheduled plays into a voice channel with no human in it",
        _boolean,
    ),
    "max_pending_tasks_per_user": SettingSpec(
        "max_pending_tasks_per_user",
        "active tasks one member may have",
        _whole("max_pending_tasks_per_user", *PENDING_TASKS_RANGE, "tasks"),
    ),
    "min_interval_user_minutes": SettingSpec(
        "min_interval_user_s",
        "shortest repeat interval for members' tasks, in minutes",
        _whole(
            "min_interval_user_minutes",
            MIN_INTERVAL_S_RANGE[0] // 60,
            MIN_INTERVAL_S_RANGE[1] // 60,
            "minutes",
            scale=60,
        ),
    ),
    "horizon_days": SettingSpec(
        "horizon_days",
        "how far ahead a one-shot may be scheduled",
        _whole("horizon_days", *HORIZON_DAYS_RANGE, "days"),
    ),
    "max_name_length": SettingSpec(
        "max_name_length",
        "longest task name",
        _whole("max_name_length", *NAME_LENGTH_RANGE, "characters"),
    ),
}


class PreferenceService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        settings: Settings,
        policies: GuildPolicies,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._settings = settings
        self._policies = policies

    async def user_timezone(self, user_id: int) -> str | None:
        async with self._uow() as uow:
            row = await uow.users.get(user_id)
            return row.timezone if row else None

    async def set_user_timezone(self, user_id: int, text: str | None) -> str | None:
        """Set (or with None, clear) a member's zone; returns the IANA name stored."""
        zone = None if text is None else _zone(text)
        async with self._uow() as uow:
            await uow.users.set_timezone(user_id, zone, self._clock.now())
            await uow.commit()
        return zone

    async def effective_timezone(self, guild_id: int | None, user_id: int) -> tuple[str, str]:
        """The zone a member's new task uses, and whose it is ("your", "the server's", ...)."""
        async with self._uow() as uow:
            row = await uow.users.get(user_id)
            if row is not None and row.timezone:
                return row.timezone, "your"
            guild = await uow.guilds.get(guild_id) if guild_id is not None else None
            if guild is not None and guild.timezone:
                return guild.timezone, "the server's"
        return self._settings.default_timezone, "the default"

    async def guild_policy(self, guild_id: int) -> GuildPolicy:
        async with self._uow() as uow:
            return await self._policies.get(uow, guild_id)

    async def set_guild_setting(self, guild_id: int, key: str, value: str | None) -> GuildPolicy:
        """Change one server setting; ``None`` restores the config default."""
        spec = SETTINGS.get(key)
        if spec is None:
            raise ValidationError(
                f"There is no setting {key!r}; choose one of {', '.join(sorted(SETTINGS))}."
            )
        parsed = None if value is None or not value.strip() else spec.parse(value)
        async with self._uow() as uow:
            await uow.guilds.update(guild_id, self._clock.now(), **{spec.column: parsed})
            await uow.commit()
        self._policies.forget(guild_id)
        return await self.guild_policy(guild_id)
