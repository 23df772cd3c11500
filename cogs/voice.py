"""Which voice channel a play or a scheduled play goes to, and whether the bot can play there."""

from __future__ import annotations

import discord

from bot.errors import ValidationError

VoiceTarget = discord.VoiceChannel | discord.StageChannel


def voice_target(
    interaction: discord.Interaction[discord.Client], channel: discord.VoiceChannel | None
) -> VoiceTarget:
    """The channel asked for, else the caller's current voice channel, else an error; and the
    bot must be allowed to connect and speak there (checked now rather than at play time)."""
    target: VoiceTarget | None = channel
    if target is None:
        voice = getattr(interaction.user, "voice", None)
        target = voice.channel if voice is not None else None
    if target is None:
        raise ValidationError(
            "You are not in a voice channel: join one, or pick one with the channel option."
        )
    check_bot_can_play(target)
    return target


def check_bot_can_play(channel: VoiceTarget) -> None:
    """Connect and Speak for the bot in ``channel``, or an error saying which is missing."""
    me = channel.guild.me
    permissions = channel.permissions_for(me)
    for allowed, name in (
        (permissions.view_channel and permissions.connect, "Connect"),
        (permissions.speak, "Speak"),
    ):
        if not allowed:
            raise ValidationError(
                f"I don't have the {name} permission in {channel.mention}. Ask a server admin "
                "to allow it, or choose another channel."
            )
