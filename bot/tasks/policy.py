"""A server's effective limits: its own settings where set, the config defaults otherwise."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from storage.models import GuildSettings


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
