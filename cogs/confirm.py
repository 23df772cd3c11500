"""A Confirm/Cancel question that only the member who asked can answer.

The command that asks awaits :meth:`Confirm.ask` and does the work itself afterwards, so a domain
error raised by that work still reaches the tree's one error handler (a view callback's errors
would not).
"""

from __future__ import annotations

import discord

from cogs.render import NONE

OTHERS_MAY_NOT_CLICK = "These buttons belong to whoever asked; run the command yourself."


class Confirm(discord.ui.View):
    """Two buttons; :attr:`confirmed` is True, False, or None when nobody answered in time."""

    def __init__(self, owner_id: int, *, timeout: float = 60.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.confirmed: bool | None = None

    async def interaction_check(self, interaction: discord.Interaction[discord.Client]) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                OTHERS_MAY_NOT_CLICK, ephemeral=True, allowed_mentions=NONE
            )
            return False
        return True

    async def _answer(self, interaction: discord.Interaction[discord.Client], yes: bool) -> None:
        self.confirmed = yes
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        # Acknowledge at once with the buttons greyed out; the asking command edits the text.
        await interaction.response.edit_message(view=self)
        self.stop()

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[discord.Client], _button: discord.ui.Button[Confirm]
    ) -> None:
        await self._answer(interaction, True)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[discord.Client], _button: discord.ui.Button[Confirm]
    ) -> None:
        await self._answer(interaction, False)


class Confirmations:
    """The questions a cog has open, so that unloading the cog (the bot closing) ends them."""

    def __init__(self) -> None:
        self._open: set[Confirm] = set()
        self._closing = False

    async def ask(
        self,
        interaction: discord.Interaction[discord.Client],
        question: str,
        *,
        cancelled: str,
        answer_within_s: float = 60.0,
    ) -> bool:
        """Ask the caller privately; True once they press Confirm.

        On Cancel, or no answer within ``answer_within_s``, the question becomes ``cancelled``
        and the result is False.  After True, the question's message is the caller's to edit
        with ``interaction.edit_original_response``.
        """
        view = Confirm(interaction.user.id, timeout=answer_within_s)
        await interaction.response.send_message(
            question, view=view, ephemeral=True, allowed_mentions=NONE
        )
        self._open.add(view)
        try:
            await view.wait()
        finally:
            self._open.discard(view)
        if view.confirmed:
            return True
        if self._closing:
            return False  # shutting down: the connection to Discord is going away
        if view.confirmed is None:
            cancelled = f"⌛ No answer in time. {cancelled}"
        await interaction.edit_original_response(
            content=cancelled, view=None, allowed_mentions=NONE
        )
        return False

    def close(self) -> None:
        """End every open question unanswered."""
        self._closing = True
        for view in list(self._open):
            view.stop()
