"""/timezone commands (not built yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from cogs.access import Access

if TYPE_CHECKING:
    from bot.app import App


def build(app: App, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    return []
