"""Server and user settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GuildSettings, UserSettings


class GuildSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, guild_id: int) -> GuildSettings | None:
        return await self._session.get(GuildSettings, guild_id)

    async def get_or_create(self, guild_id: int, now: datetime) -> GuildSettings:
        row = await self.get(guild_id)
        if row is None:
            row = GuildSettings(guild_id=guild_id, created_at=now, updated_at=now)
            self._session.add(row)
            await self._session.flush()
        return row

    async def update(self, guild_id: int, now: datetime, **values: Any) -> GuildSettings:
        row = await self.get_or_create(guild_id, now)
        for key, value in values.items():
            if not hasattr(GuildSettings, key) or key in ("guild_id", "created_at"):
                raise AttributeError(f"guild setting {key!r} does not exist")
            setattr(row, key, value)
        row.updated_at = now
        await self._session.flush()
        return row

    async def mark_recharge_seeded(self, guild_id: int, now: datetime) -> bool:
        """Set ``daily_recharge_seeded_at`` if still unset; False if someone else already did."""
        result = await self._session.execute(
            update(GuildSettings)
            .where(
                GuildSettings.guild_id == guild_id,
                GuildSettings.daily_recharge_seeded_at.is_(None),
            )
            .values(daily_recharge_seeded_at=now, updated_at=now)
            .returning(GuildSettings.guild_id)
        )
        return result.scalar_one_or_none() is not None


class UserSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> UserSettings | None:
        return await self._session.get(UserSettings, user_id)

    async def set_timezone(self, user_id: int, timezone: str | None, now: datetime) -> UserSettings:
        row = await self.get(user_id)
        if row is None:
            row = UserSettings(user_id=user_id, timezone=timezone, created_at=now, updated_at=now)
            self._session.add(row)
        else:
            row.timezone = timezone
            row.updated_at = now
        await self._session.flush()
        return row
