"""A paginated answer with Previous/Next buttons that only the person who asked can press."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence

import discord

from cogs.render import EMBED_COLOUR, NONE

PageSource = Callable[[int], Awaitable[tuple[str, int]]]  # page index -> (text, page count)
# (limit, offset) -> that page's lines
PageQuery = Callable[[int, int], Awaitable[Sequence[str]]]


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def line_pages(lines: Sequence[str], *, per_page: int, empty: str, header: str = "") -> PageSource:
    """Pages of lines already fetched (the command's own limit bounds how many)."""
    pages = page_count(len(lines), per_page)

    async def source(page: int) -> tuple[str, int]:
        body = "\n".join(lines[page * per_page : (page + 1) * per_page]) or empty
        return (f"{header}\n\n{body}" if header else body), pages

    return source


def queried_pages(
    query: PageQuery, total: Callable[[], Awaitable[int]], *, per_page: int, empty: str
) -> PageSource:
    """Pages fetched one at a time (``query(limit, offset)``): long lists cost one page a click."""

    async def source(page: int) -> tuple[str, int]:
        lines = await query(per_page, page * per_page)
        return "\n".join(lines) or empty, page_count(await total(), per_page)

    return source


class Pager(discord.ui.View):
    """Fetches each page on demand (``source(page)``), so long lists cost one page at a time."""

    def __init__(self, title: str, source: PageSource, owner_id: int, *, timeout: float = 300):
        super().__init__(timeout=timeout)
        self.title = title
        self.source = source
        self.owner_id = owner_id
        self.page = 0
        self.pages = 1

    async def first(self) -> discord.Embed:
        return await self._render()

    async def _render(self) -> discord.Embed:
        text, self.pages = await self.source(self.page)
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.pages - 1
        embed = discord.Embed(title=self.title, description=text, colour=EMBED_COLOUR)
        if self.pages > 1:
            embed.set_footer(text=f"Page {self.page + 1} of {self.pages}")
        return embed

    async def interaction_check(self, interaction: discord.Interaction[discord.Client]) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "These buttons belong to whoever asked; run the command yourself.",
                ephemeral=True,
            )
            return False
        return True

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[discord.Client], _button: discord.ui.Button[Pager]
    ) -> None:
        self.page = max(0, self.page - 1)
        await interaction.response.edit_message(embed=await self._render(), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[discord.Client], _button: discord.ui.Button[Pager]
    ) -> None:
        self.page = min(self.pages - 1, self.page + 1)
        await interaction.response.edit_message(embed=await self._render(), view=self)


def track_view(interaction: discord.Interaction[discord.Client], view: discord.ui.View) -> None:
    """Let the bot stop ``view`` (and its timeout task) when it closes."""
    track = getattr(interaction.client, "track_view", None)
    if track is not None:
        track(view)


async def send_pages(
    interaction: discord.Interaction[discord.Client],
    title: str,
    source: PageSource,
    *,
    ephemeral: bool = False,
) -> None:
    """Answer with the first page, and buttons if there are more."""
    pager = Pager(title, source, interaction.user.id)
    embed = await pager.first()
    view = pager if pager.pages > 1 else discord.utils.MISSING
    track_view(interaction, pager)
    if interaction.response.is_done():
        await interaction.followup.send(
            embed=embed, view=view, ephemeral=ephemeral, allowed_mentions=NONE
        )
    else:
        await interaction.response.send_message(
            embed=embed, view=view, ephemeral=ephemeral, allowed_mentions=NONE
        )
