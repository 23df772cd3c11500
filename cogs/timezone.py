"""/timezone set|show: the zone a member's times are read in.

A member's zone is theirs in every server; without one, the server's zone applies, else the bot's
default (DESIGN.md section 2).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import Clock
from bot.preferences import PreferenceService
from cogs.access import Access
from cogs.render import NONE
from cogs.task_choices import zone_choices

if TYPE_CHECKING:
    from bot.services import Services

WHERE_FROM = {
    "your": "your own, set with /timezone set",
    "the server's": "the server's zone; set your own with /timezone set",
    "the default": "the bot's default; set your own with /timezone set",
}


def local_time(now: datetime, zone: str) -> str:
    """``14:05 CEST (UTC+02:00)``: the clock on the wall there, right now."""
    local = now.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%H:%M} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


class TimezoneCog(commands.GroupCog, group_name="timezone", group_description="Your time zone"):
    """Set or see the time zone your schedules use."""

    def __init__(self, preferences: PreferenceService, clock: Clock) -> None:
        self.preferences = preferences
        self.clock = clock
        super().__init__()

    @app_commands.command(name="set")
    @app_commands.describe(zone="An IANA zone such as Europe/Paris, or a city or abbreviation")
    async def set_(
        self, interaction: discord.Interaction[discord.Client], zone: app_commands.Range[str, 1, 64]
    ) -> None:
        """Set the time zone your times are read in, in every server."""
        stored = await self.preferences.set_user_timezone(interaction.user.id, zone)
        assert stored is not None  # a zone was given, so one was stored (or an error raised)
        await interaction.response.send_message(
            f"Your time zone is now `{stored}`; it is {local_time(self.clock.now(), stored)} "
            "there. New schedules use it unless you pick another zone.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="show")
    async def show(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Show the time zone your schedules use, and where it comes from."""
        zone, whose = await self.preferences.effective_timezone(
            interaction.guild_id, interaction.user.id
        )
        await interaction.response.send_message(
            f"Your schedules use `{zone}` ({WHERE_FROM.get(whose, whose)}); "
            f"it is {local_time(self.clock.now(), zone)} there.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @set_.autocomplete("zone")
    async def _zones(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    return [TimezoneCog(app.preferences, app.clock)]
