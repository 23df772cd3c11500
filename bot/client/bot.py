"""The discord.py client: intents, the command tree, and lifecycle hooks.

It owns no resources of its own: the composition root (``bot.app``) builds the services and cogs and
hands them in, and closes everything in reverse order.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable

import aiohttp
import discord
from discord.ext import commands

from bot.client.tree import CarillonTree

log = logging.getLogger(__name__)

GuildHook = Callable[[int], Awaitable[object]]
VoiceHook = Callable[[discord.Member, discord.VoiceState, discord.VoiceState], Awaitable[None]]


def carillon_intents() -> discord.Intents:
    """Only what the bot needs: servers and voice states.  No privileged intents."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    return intents


class CarillonBot(commands.Bot):
    def __init__(
        self,
        *,
        owner_ids: Iterable[int] = (),
        connector: aiohttp.BaseConnector | None = None,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        owners = set(owner_ids)
        super().__init__(
            # Slash commands only; the prefix is unused without the message content intent.
            command_prefix=commands.when_mentioned,
            intents=carillon_intents(),
            tree_cls=CarillonTree,
            owner_ids=owners or None,
            connector=connector,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            # Servers with thousands of members: do not ask for member lists at start.
            chunk_guilds_at_startup=False,
            # How long READY waits for more GUILD_CREATEs after the last one.
            guild_ready_timeout=guild_ready_timeout,
            member_cache_flags=discord.MemberCacheFlags.from_intents(carillon_intents()),
        )
        # Hooks set by the composition root, which builds the services after the client.
        self.on_guild_seen: GuildHook | None = None
        self.on_startup: Callable[[], Awaitable[None]] | None = None
        self.voice_listener: VoiceHook | None = None
        # Views with a timeout (pagers, confirmations) each keep a timer task; close() stops
        # them so none outlives the client.
        self._views: weakref.WeakSet[discord.ui.View] = weakref.WeakSet()

    def track_view(self, view: discord.ui.View) -> None:
        """Remember a view sent by a command, to stop it when the bot closes."""
        self._views.add(view)

    async def close(self) -> None:
        for view in list(self._views):
            view.stop()
        await super().close()

    async def setup_hook(self) -> None:
        # Never wait for the gateway here (it deadlocks): start-up work that needs no
        # connection runs now; guild work happens in on_guild_available.
        if self.on_startup is not None:
            await self.on_startup()

    async def on_ready(self) -> None:
        assert self.user is not None
        log.info("connected as %s (id %s) to %d servers", self.user, self.user.id, len(self.guilds))

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._guild_seen(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        log.info("joined server %s (id %s)", guild.name, guild.id)
        await self._guild_seen(guild)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if self.voice_listener is not None:
            await self.voice_listener(member, before, after)

    async def _guild_seen(self, guild: discord.Guild) -> None:
        if self.on_guild_seen is None:
            return
        try:
            await self.on_guild_seen(guild.id)
        except Exception:
            log.exception("setting up server %s failed", guild.id)
