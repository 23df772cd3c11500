"""/credits balance|history: a member's credits in this server and every change to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.bounds import MAX_PAGE_SIZE
from bot.config import CreditSettings
from bot.credits.rules import credits_text, play_cost
from bot.credits.service import CreditService, LedgerEntry
from cogs.access import Access, guild_only
from cogs.paging import line_pages, send_pages
from cogs.render import NONE, safe, ts

if TYPE_CHECKING:
    from bot.services import Services

PER_PAGE = 10
REASONS = {
    "opening": "🎟️ opening balance",
    "charge": "🔔 play",
    "refund": "↩️ refund",
    "grant": "🎁 granted by an admin",
    "set": "✏️ set by an admin",
    "recharge": "🔋 recharge",
}


def ledger_line(entry: LedgerEntry) -> str:
    """``<t:…:f> · -1 → 99 · 🔔 play · task #12 — chime``."""
    parts = [ts(entry.created_at, "f"), f"**{entry.delta:+,}** → {entry.balance_after:,}"]
    parts.append(REASONS.get(entry.reason.value, entry.reason.value))
    if entry.task_id is not None:
        parts.append(f"task #{entry.task_id}")
    if entry.command:
        parts.append(f"/{safe(entry.command)}")
    line = " · ".join(parts)
    return f"{line} — {safe(entry.detail)}" if entry.detail else line


@app_commands.guild_only()
class CreditsCog(commands.GroupCog, group_name="credits", group_description="Your credits"):
    """Your credits in this server: plays cost them, recharges top them up."""

    def __init__(self, credits: CreditService, settings: CreditSettings) -> None:
        self.credits = credits
        self.settings = settings
        super().__init__()

    @app_commands.command(name="balance")
    async def balance(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Show how many credits you have in this server."""
        guild_id = guild_only(interaction)
        balance = await self.credits.balance(guild_id, interaction.user.id)
        price = credits_text(play_cost(self.settings.cost_per_play, system_task=False))
        await interaction.response.send_message(
            f"You have **{credits_text(balance)}** in this server. Each sound played costs "
            f"{price}; the daily recharge adds {credits_text(self.settings.daily_allowance)}, up "
            f"to {credits_text(self.settings.max_balance)}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="history")
    @app_commands.describe(limit="How many changes at most, newest first")
    async def history(
        self,
        interaction: discord.Interaction[discord.Client],
        limit: app_commands.Range[int, 1, MAX_PAGE_SIZE] = 25,
    ) -> None:
        """Show the latest changes to your credits: plays, refunds, recharges and grants."""
        guild_id = guild_only(interaction)
        entries = await self.credits.history(guild_id, interaction.user.id, limit=limit)
        await send_pages(
            interaction,
            "Your credits",
            line_pages(
                [ledger_line(e) for e in entries], per_page=PER_PAGE, empty="No changes yet."
            ),
            ephemeral=True,
        )


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    return [CreditsCog(app.credits, app.settings.credits)]
