"""Who may do what: the server-side admin check every admin command makes.

Discord's ``default_permissions(manage_guild=True)`` only hides commands, and server owners can
change it per role or channel, so the bot checks again: Manage Server (or Administrator) in the
channel, the server's configured admin role, or a bot owner.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.preferences import PreferenceService
from bot.tasks.service import Actor

ADMIN_ONLY = (
    "Only server admins can do this: you need Manage Server, the server's Carillon admin role, "
    "or to be a bot owner."
)
OWNER_ONLY = "Only the bot's owners (set in the bot's config) can do this."


class Access:
    def __init__(self, preferences: PreferenceService) -> None:
        self._preferences = preferences

    async def is_owner(self, interaction: discord.Interaction[discord.Client]) -> bool:
        """A bot owner (``[discord] owner_ids``, else the application's owner or team)."""
        # Typed as discord.Client in interactions; only commands.Bot knows its owners.
        is_owner = getattr(interaction.client, "is_owner", None)
        return is_owner is not None and bool(await is_owner(interaction.user))

    async def is_admin(self, interaction: discord.Interaction[discord.Client]) -> bool:
        """Manage Server or Administrator here, the server's admin role, or a bot owner."""
        if await self.is_owner(interaction):
            return True
        if interaction.guild_id is None:
            return False
        # The member's permissions in this channel as Discord computed them for the interaction
        # (roles and channel overwrites included), not the command's default_permissions.
        permissions = interaction.permissions
        if permissions.manage_guild or permissions.administrator:
            return True
        policy = await self._preferences.guild_policy(interaction.guild_id)
        member = interaction.user
        return (
            policy.admin_role_id is not None
            and isinstance(member, discord.Member)
            and any(role.id == policy.admin_role_id for role in member.roles)
        )

    async def actor(self, interaction: discord.Interaction[discord.Client]) -> Actor:
        return Actor(interaction.user.id, is_admin=await self.is_admin(interaction))

    async def require_admin(self, interaction: discord.Interaction[discord.Client]) -> Actor:
        """The caller as an admin actor, or a check failure the error handler turns into a reply."""
        if not await self.is_admin(interaction):
            raise app_commands.CheckFailure(ADMIN_ONLY)
        return Actor(interaction.user.id, is_admin=True)

    async def require_owner(self, interaction: discord.Interaction[discord.Client]) -> None:
        if not await self.is_owner(interaction):
            raise app_commands.CheckFailure(OWNER_ONLY)


def guild_only(interaction: discord.Interaction[discord.Client]) -> int:
    """The server id; commands of Carillon work only inside a server."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id
