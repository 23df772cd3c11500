"""Telling people about their tasks: a DM to the owner, else the server's notification channel.

System tasks have no owner; their news goes to the server's channel (``/admin settings set
notify_channel``).  Failing to notify is logged, never raised: a closed DM must not fail a task.
"""

from __future__ import annotations

import logging

import discord

from bot.config import Settings
from bot.tasks.policy import policy_for
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


class DiscordNotifier:
    def __init__(self, client: discord.Client, uow: UnitOfWorkFactory, settings: Settings) -> None:
        self._client = client
        self._uow = uow
        self._settings = settings

    async def notify(self, guild_id: int, user_id: int | None, message: str) -> None:
        guild = self._client.get_guild(guild_id)
        where = f" in {guild.name}" if guild is not None else ""
        if user_id is not None and await self._dm(user_id, f"Carillon{where}: {message}"):
            return
        async with self._uow() as uow:
            policy = policy_for(await uow.guilds.get(guild_id), self._settings)
        channel_id = policy.notify_channel_id
        channel = self._client.get_channel(channel_id) if channel_id else None
        if isinstance(channel, discord.abc.Messageable):
            prefix = f"<@{user_id}> " if user_id is not None else ""
            try:
                await channel.send(
                    prefix + message,
                    allowed_mentions=discord.AllowedMentions(
                        users=True, everyone=False, roles=False
                    ),
                )
                return
            except discord.HTTPException as exc:
                log.warning("notify: channel %s in guild %s refused: %s", channel_id, guild_id, exc)
        log.warning(
            "notify: nobody reachable in guild %s for user %s: %s", guild_id, user_id, message
        )

    async def _dm(self, user_id: int, message: str) -> bool:
        try:
            user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
            await user.send(message, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.info("notify: DM to user %s failed (%s); trying the server channel", user_id, exc)
            return False
        return True
