"""A server's effective limits: its own settings where set, the config defaults otherwise."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.config import Settings
from storage.models import GuildSettings
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class GuildPolicy:
    timezone: str
    max_pending_tasks_per_user: int
    min_interval_user_s: int
    horizon_days: int
    max_name_length: int
    skip_if_nobody_listening: bool
    admin_role_id: int | None
    notify_channel_id: int | None


def policy_for(row: GuildSettings | None, settings: Settings) -> GuildPolicy:
    limits = settings.limits

    def pick(name: str, default: int) -> int:
        value: int | None = getattr(row, name, None)
        return default if value is None else value

    skip = None if row is None else row.skip_if_nobody_listening
    return GuildPolicy(
        timezone=(row.timezone if row and row.timezone else settings.default_timezone),
        max_pending_tasks_per_user=pick(
            "max_pending_tasks_per_user", limits.max_pending_tasks_per_user
        ),
        min_interval_user_s=pick("min_interval_user_s", limits.min_interval_user_s),
        horizon_days=pick("horizon_days", limits.horizon_days),
        max_name_length=pick("max_name_length", limits.max_name_length),
        skip_if_nobody_listening=settings.scheduler.skip_if_nobody_listening
        if skip is None
        else skip,
        admin_role_id=row.admin_role_id if row else None,
        notify_channel_id=row.notify_channel_id if row else None,
    )


class GuildPolicies:
    """A short-lived cache of each server's policy: creating a task should not cost a query.

    Changes made through this process call :meth:`forget` and show at once; another process's
    change shows within ``ttl_s``.
    """

    def __init__(self, settings: Settings, ttl_s: float = 30.0) -> None:
        self._settings = settings
        self._ttl = ttl_s
        self._cache: dict[int, tuple[float, GuildPolicy]] = {}

    async def get(self, uow: UnitOfWork, guild_id: int) -> GuildPolicy:
        cached = self._cache.get(guild_id)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        policy = policy_for(await uow.guilds.get(guild_id), self._settings)
        self._cache[guild_id] = (now + self._ttl, policy)
        return policy

    def forget(self, guild_id: int) -> None:
        self._cache.pop(guild_id, None)
