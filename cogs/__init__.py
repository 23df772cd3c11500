"""Slash commands: one cog per command group, each thin over the services it is given.

:func:`build_cogs` is called by the composition root; every cog receives what it uses through its
constructor (no ``bot.get_cog``, no module-level singletons).  Each module's ``build(app, access)``
returns its group's cogs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from cogs import admin, credits, player, playlist, schedule, sound, tasks, timezone
from cogs.access import Access

if TYPE_CHECKING:
    from bot.services import Services

GROUPS = (sound, playlist, player, schedule, tasks, timezone, credits, admin)


def build_cogs(app: Services) -> list[commands.Cog]:
    access = Access(app.preferences)
    return [cog for group in GROUPS for cog in group.build(app, access)]
