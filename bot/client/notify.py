"""Telling people about their tasks: a DM to the owner, else the server's notification channel.

The runner calls :meth:`DiscordNotifier.notify` when a task fails for good or is paused after
repeated failures.  System tasks have no owner; their news goes to the server's channel
(``/admin settings set notify_channel``).  Failing to notify is logged, never raised: a closed DM
must not fail a task.

Messages quote task names and error details, which members typed, so they are sent as plain text
(markdown and mentions escaped) and the only mention allowed is the owner's own, in the channel.
"""

from __future__ import annotations

import logging

import discord

from bot.config import Settings
from bot.tasks.policy import policy_for
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


def plain(text: str) -> str:
    """``text`` shown literally: no formatting, no pings, whoever wrote part of it."""
    return discord.utils.escape_markdown(discord.utils.escape_mentions(text))


class DiscordNotifier:
    def __init__(self, client: discord.Client, uow: UnitOfWorkFactory, settings: Settings) -> None:
        self._client = client
        self._uow = uow
        self._settings = settings

    async def notify(self, guild_id: int, user_id: int | None, message: str) -> None:
        """Tell ``user_id`` (None: the server's admins) about a task of ``guild_id``."""
        text = plain(message)
        guild = self._client.get_guild(guild_id)
        where = f" in {plain(guild.name)}" if guild is not None else ""
        if user_id is not None and await self._dm(user_id, f"Carillon{where}: {text}"):
            return
        if await self._post_to_channel(guild_id, user_id, text):
            return
        log.warning(
            "notify: nobody reachable in guild %s for user %s (no DM, no notify_channel): %s",
            guild_id,
            user_id,
            message,
        )

    async def _dm(self, user_id: int, message: str) -> bool:
        try:
            user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
            await user.send(message, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            # Usually 50007: the member closed DMs from server members, or left every shared server.
            log.info("notify: DM to user %s failed (%s); trying the server channel", user_id, exc)
            return False
        return True

    async def _post_to_channel(self, guild_id: int, user_id: int | None, text: str) -> bool:
        async with self._uow() as uow:
            policy = policy_for(await uow.guilds.get(guild_id), self._settings)
        channel_id = policy.notify_channel_id
        if channel_id is None:
            return False
        channel = self._client.get_channel(channel_id)
        # A channel of another server (a stale id) must never receive this server's news.
        in_guild = getattr(getattr(channel, "guild", None), "id", None) == guild_id
        if not isinstance(channel, discord.abc.Messageable) or not in_guild:
            log.warning("notify: guild %s notify_channel %s is gone", guild_id, channel_id)
            return False
        if user_id is not None:
            text = f"<@{user_id}> {text}"
            # Ping the owner, who could not get a DM, and nobody else a task name might name.
            mentions = discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(id=user_id)]
            )
        else:
            mentions = NO_MENTIONS
        try:
            await channel.send(text, allowed_mentions=mentions)
        except discord.HTTPException as exc:
            log.warning("notify: channel %s in guild %s refused: %s", channel_id, guild_id, exc)
            return False
        return True
