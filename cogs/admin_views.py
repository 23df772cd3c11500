"""How /admin answers look: server settings, the status report, task choices.

Pure rendering over service results, so the cog reads as "check, call one service, answer".
"""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord import app_commands

from bot.credits.rules import credits_text
from bot.credits.service import RechargeSummary
from bot.ops.status import StatusReport, uptime_text
from bot.preferences import SETTINGS
from bot.tasks.model import TaskView
from bot.tasks.policy import GuildPolicy
from cogs.render import EMBED_COLOUR, safe, ts, when


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


# How each setting of bot.preferences.SETTINGS reads back from a server's effective policy.
SETTING_VALUES: dict[str, Callable[[GuildPolicy], str]] = {
    "timezone": lambda p: f"`{p.timezone}`",
    "admin_role": lambda p: f"<@&{p.admin_role_id}>" if p.admin_role_id else "none",
    "notify_channel": lambda p: f"<#{p.notify_channel_id}>" if p.notify_channel_id else "none",
    "skip_if_nobody_listening": lambda p: _yes_no(p.skip_if_nobody_listening),
    "max_pending_tasks_per_user": lambda p: str(p.max_pending_tasks_per_user),
    "min_interval_user_minutes": lambda p: _minutes(p.min_interval_user_s),
    "horizon_days": lambda p: f"{p.horizon_days} days",
    "max_name_length": lambda p: str(p.max_name_length),
}
assert SETTING_VALUES.keys() == SETTINGS.keys(), "every setting needs a way to be shown"

SETTING_CHOICES = [
    app_commands.Choice(
        # Discord refuses choice names over 100 characters.
        name=f"{key} — {spec.description}"[:100],
        value=key,
    )
    for key, spec in SETTINGS.items()
]


def setting_value(key: str, policy: GuildPolicy, defaults: GuildPolicy) -> str:
    """The value as shown, marked when it is the config default."""
    shown = SETTING_VALUES[key](policy)
    return f"{shown} (default)" if shown == SETTING_VALUES[key](defaults) else shown


def settings_embed(policy: GuildPolicy, defaults: GuildPolicy) -> discord.Embed:
    embed = discord.Embed(title="Server settings", colour=EMBED_COLOUR)
    for key, spec in SETTINGS.items():
        embed.add_field(
            name=key,
            value=f"{setting_value(key, policy, defaults)}\n*{spec.description}*",
            inline=False,
        )
    embed.set_footer(text="Change one with /admin settings set; leave the value out to reset it.")
    return embed


def status_embed(report: StatusReport, voice_here: int | None) -> discord.Embed:
    embed = discord.Embed(title="Carillon status", colour=EMBED_COLOUR)
    embed.add_field(
        name="Uptime",
        value=f"{uptime_text(report.uptime)} (since {ts(report.started_at, 'f')})",
        inline=False,
    )
    embed.add_field(name="Pending tasks here", value=str(report.pending_tasks))
    embed.add_field(name="Next run here", value=when(report.next_run_at))
    here = f"in <#{voice_here}>" if voice_here is not None else "not connected here"
    embed.add_field(
        name="Voice",
        value=f"{report.voice_connections} connection(s) in all servers; {here}",
        inline=False,
    )
    start = report.last_start
    if start.at is None:
        caught_up = "The task runner has not finished starting yet."
    else:
        caught_up = f"{ts(start.at, 'f')}: {start.summary()}."
    embed.add_field(name="Last start", value=caught_up, inline=False)
    return embed


def recharge_text(summary: RechargeSummary, member: discord.abc.User | None, cap: int) -> str:
    target = member.mention if member is not None else "every member with an account"
    return (
        f"Recharged {target} by {credits_text(summary.amount)} (never above "
        f"{credits_text(cap)}): {summary.credited_accounts} of {summary.accounts} account(s) "
        f"credited, {credits_text(summary.total_credited)} in total."
    )


def recharge_target(task: TaskView) -> str:
    """Who a credit_recharge task credits, and how much, as one phrase."""
    user_id = task.parameters.get("user_id")
    amount = task.parameters.get("amount")
    who = f"<@{user_id}>" if user_id is not None else "every member with an account"
    how = credits_text(amount) if amount is not None else "the daily allowance"
    return f"{how} for {who}"


def cancelled_text(task: TaskView) -> str:
    owner = "system task" if task.is_system else f"task of <@{task.owner_id}>"
    return f"Cancelled {owner} `#{task.id}` **{safe(task.name)}**."
