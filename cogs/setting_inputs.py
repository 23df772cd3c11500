"""What an admin may type as a server setting's value: suggestions, and checks against the server.

:mod:`bot.preferences` parses values; only the cog can see the server's channels and roles, so
the checks that a channel or role exists here (and is usable) live at this edge.
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.errors import ValidationError
from bot.preferences import SETTINGS
from cogs.task_choices import zone_choices

MAX_CHOICES = 25  # Discord shows at most 25 suggestions
CHOICE_NAME_LIMIT = 100


def setting_value_choices(
    guild: discord.Guild, key: str | None, current: str
) -> list[app_commands.Choice[str]]:
    """Suggestions for ``key``'s value: zones, text channels, roles, yes/no, or what was typed."""
    typed = current.strip().casefold()
    pairs: list[tuple[str, str]]
    if key == "timezone":
        return zone_choices(current)
    if key == "notify_channel":
        pairs = [
            (f"#{c.name}", str(c.id)) for c in guild.text_channels if typed in c.name.casefold()
        ]
    elif key == "admin_role":
        pairs = [
            (f"@{r.name}", str(r.id))
            for r in guild.roles
            # Managed roles belong to bots and integrations; nobody can be given them.
            if not r.is_default() and not r.managed and typed in r.name.casefold()
        ]
    elif key == "skip_if_nobody_listening":
        pairs = [("yes", "yes"), ("no", "no")]
    else:
        pairs = [(current, current)] if typed else []
    return [
        app_commands.Choice(name=name[:CHOICE_NAME_LIMIT], value=value)
        for name, value in pairs[:MAX_CHOICES]
    ]


def check_in_server(guild: discord.Guild | None, key: str, value: str) -> None:
    """A channel or role setting must name one of this server's, usable as intended."""
    if guild is None or key not in ("notify_channel", "admin_role"):
        return
    target_id = SETTINGS[key].parse(value)
    if key == "admin_role":
        role = guild.get_role(target_id)
        if role is None:
            raise ValidationError("That role is not in this server; pick one from the list.")
        if role.is_default():
            raise ValidationError("@everyone cannot be the admin role: every member has it.")
        return
    channel = guild.get_channel(target_id)
    if not isinstance(channel, discord.TextChannel):
        raise ValidationError("That is not a text channel of this server; pick one from the list.")
    if guild.me is not None and not channel.permissions_for(guild.me).send_messages:
        raise ValidationError(
            f"I cannot send messages in {channel.mention}; allow it, or pick another channel."
        )
