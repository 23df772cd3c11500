"""The command tree with the bot's one error handler.

Domain errors carry a message for the user; checks and transformer errors say what was wrong.
All of them become an ephemeral reply.  Anything else is a bug: it is logged with the guild,
user and command, and the user gets a short apology with a reference to find the log line.
"""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.errors import CarillonError

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


def describe_app_error(error: app_commands.AppCommandError) -> str | None:
    """The user-facing text for an expected failure, or None for a bug."""
    original = getattr(error, "original", None)
    if isinstance(original, CarillonError):
        return original.message
    if isinstance(error, app_commands.MissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {needed} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I need the {needed} permission here; ask a server admin to grant it."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} seconds."
    if isinstance(error, app_commands.TransformerError):
        return f"{error.value!r} is not a valid {error.type.name.lower()} here."
    if isinstance(error, app_commands.CheckFailure):
        return str(error) or "You are not allowed to use this command."
    return None


class CarillonTree(app_commands.CommandTree[discord.Client]):
    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: app_commands.AppCommandError
    ) -> None:
        message = describe_app_error(error)
        if message is None:
            reference = secrets.token_hex(4)
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "command /%s failed (ref %s) guild=%s user=%s",
                command,
                reference,
                interaction.guild_id,
                interaction.user.id,
                exc_info=error,
            )
            message = f"Something went wrong on my side (ref `{reference}`). It has been logged."
        await send_ephemeral(interaction, message)


async def send_ephemeral(interaction: discord.Interaction[discord.Client], message: str) -> None:
    """Reply privately, whether or not the interaction was already answered or deferred."""
    try:
        deferred = discord.InteractionResponseType.deferred_channel_message
        if interaction.response.type is deferred and await _answer_deferred(interaction, message):
            return
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(
                message, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
    except discord.HTTPException:
        log.warning(
            "could not deliver an error reply guild=%s user=%s",
            interaction.guild_id,
            interaction.user.id,
            exc_info=True,
        )


async def _answer_deferred(interaction: discord.Interaction[discord.Client], message: str) -> bool:
    """Put the error where a deferred command's answer would go; False to send a follow-up.

    A private deferral (or its progress text) is replaced by the error.  A public "thinking..."
    placeholder is deleted instead: Discord turns the first follow-up into that placeholder with
    the defer's visibility, so the error would be shown to everyone; once it is gone the
    follow-up is a new message and can be ephemeral.
    """
    try:
        original = await interaction.original_response()
        if original.flags.ephemeral:
            await interaction.edit_original_response(
                content=message, embeds=[], attachments=[], view=None, allowed_mentions=NO_MENTIONS
            )
            return True
        if original.flags.loading:
            await original.delete()
    except discord.HTTPException:
        log.debug("deferred response of interaction %s not found", interaction.id)
    return False
