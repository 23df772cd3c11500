"""/admin: everyone's tasks, system tasks, credits, server settings, status and command sync.

Discord hides the group from members without Manage Server (``default_permissions``), but server
owners can grant it to anyone in Server Settings > Integrations, so
:meth:`AdminCog.interaction_check` checks again on every command (Manage Server, the configured
admin role, or a bot owner).
Autocomplete does not go through that check in discord.py, so each autocomplete checks itself.
``/admin sync`` is for bot owners only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.credits.rules import BALANCE_LIMIT, MAX_RECHARGE_AMOUNT, credits_text
from bot.ops.status import StatusService
from bot.scheduling.timelang import parse_when_async
from bot.tasks.policy import GuildPolicy, policy_for
from bot.tasks.service import Actor
from cogs.access import Access, guild_only
from cogs.admin_views import (
    SETTING_CHOICES,
    cancelled_text,
    recharge_target,
    recharge_text,
    setting_value,
    settings_embed,
    status_embed,
)
from cogs.paging import page_count, send_pages
from cogs.render import NONE, bullet, preview_lines, safe, task_line
from cogs.setting_inputs import check_in_server, setting_value_choices
from cogs.task_choices import ACTIVE, TaskChoices, TaskId, zone_choices
from cogs.when_preview import RECHARGE_EXAMPLES, WhenPreviews
from storage.enums import TaskStatus, TaskType

if TYPE_CHECKING:
    from bot.services import Services

PAGE_SIZE = 10
StatusName = Literal["pending", "running", "paused", "completed", "failed", "cancelled", "expired"]
Interaction = discord.Interaction[discord.Client]


def _admin(interaction: Interaction) -> Actor:
    """The caller as an admin: :meth:`AdminCog.interaction_check` has let only admins this far."""
    return Actor(interaction.user.id, is_admin=True)


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class AdminCog(
    commands.GroupCog,
    group_name="admin",
    group_description="Server admins: everyone's tasks, system tasks, credits, settings, status.",
):
    system_task = app_commands.Group(
        name="system-task", description="Tasks that belong to the server, such as recharges."
    )
    credits = app_commands.Group(name="credits", description="Members' credit balances.")
    settings = app_commands.Group(name="settings", description="This server's Carillon settings.")

    def __init__(self, app: Services, access: Access, status: StatusService) -> None:
        self._app = app
        self._access = access
        self._status = status
        self._task_choices_source = TaskChoices(app.scheduler, access)
        self._when_previews = WhenPreviews(app.scheduler, app.clock)
        super().__init__()

    async def interaction_check(self, interaction: Interaction) -> bool:
        # Raises CheckFailure with the reason; the tree's one error handler answers privately.
        await self._access.require_admin(interaction)
        return True

    # ----------------------------------------------------------------------------- tasks

    @app_commands.command(name="tasks")
    @app_commands.describe(status="Only tasks with this status", member="Only this member's tasks")
    async def tasks(
        self,
        interaction: Interaction,
        status: StatusName | None = None,
        member: discord.Member | None = None,
    ) -> None:
        """Every task of this server (or one member's), soonest first."""
        guild_id = guild_only(interaction)
        wanted = None if status is None else TaskStatus(status)
        owner_id = None if member is None else member.id
        total = await self._status.count_tasks(guild_id, owner_id=owner_id, status=wanted)

        async def page(index: int) -> tuple[str, int]:
            rows = await self._app.scheduler.list_tasks(
                guild_id,
                _admin(interaction),
                everyone=member is None,
                owner_id=owner_id,
                status=wanted,
                limit=PAGE_SIZE,
                offset=index * PAGE_SIZE,
            )
            text = bullet((task_line(t) for t in rows), "No tasks match.")
            return text, page_count(total, PAGE_SIZE)

        title = f"Tasks in this server ({total})"
        await send_pages(interaction, title, page, ephemeral=True)

    @app_commands.command(name="task-cancel")
    @app_commands.describe(task="The task to cancel (any member's, or a system task)")
    @app_commands.rename(task="id")
    async def task_cancel(self, interaction: Interaction, task: TaskId) -> None:
        """Cancel any task of this server."""
        guild_id = guild_only(interaction)
        view = await self._app.scheduler.cancel_task(
            task, guild_id=guild_id, actor=_admin(interaction)
        )
        await interaction.response.send_message(
            cancelled_text(view), ephemeral=True, allowed_mentions=NONE
        )

    @task_cancel.autocomplete("task")
    async def _task_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        # A member granted the command by the server would otherwise be offered their own tasks
        # for a command that is going to refuse them.
        if not await self._access.is_admin(interaction):
            return []
        return await self._task_choices_source.tasks(interaction, current, statuses=ACTIVE)

    # ----------------------------------------------------------------------------- system tasks

    @system_task.command(name="create")
    @app_commands.describe(
        when="When to recharge: 'every day at 0:00', 'every monday at 9am', 'in 2 hours', cron",
        member="Only this member (default: every member with an account)",
        amount="Credits per recharge (default: the daily allowance)",
        name="A name for the task",
        timezone="Time zone of the schedule (default: the server's)",
    )
    async def system_task_create(
        self,
        interaction: Interaction,
        when: app_commands.Range[str, 1, 200],
        member: discord.Member | None = None,
        amount: app_commands.Range[int, 1, MAX_RECHARGE_AMOUNT] | None = None,
        name: app_commands.Range[str, 1, 100] | None = None,
        timezone: str | None = None,
    ) -> None:
        """Schedule a credit recharge that belongs to the server."""
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        zone = timezone or (await self._app.preferences.guild_policy(guild_id)).timezone
        recurrence = await parse_when_async(when, self._app.clock.now(), zone)
        who = member.display_name if member is not None else "everyone"
        task = await self._app.scheduler.create_task(
            guild_id=guild_id,
            name=name or f"Credit recharge ({who})",
            task_type=TaskType.CREDIT_RECHARGE,
            parameters={"user_id": None if member is None else member.id, "amount": amount},
            user_id=None,
            recurrence=recurrence,
            actor=_admin(interaction),
        )
        preview = await self._app.scheduler.preview(
            guild_id, task.recurrence, exclude_task_id=task.id
        )
        lines = [
            f"Created system task `#{task.id}` **{safe(task.name)}**: "
            f"recharge {recharge_target(task)}.",
            *preview_lines(preview),
        ]
        await interaction.followup.send("\n".join(lines), ephemeral=True, allowed_mentions=NONE)

    @system_task_create.autocomplete("when")
    async def _when_preview(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not await self._access.is_admin(interaction):
            return []
        guild_id = guild_only(interaction)
        zone = (await self._app.preferences.guild_policy(guild_id)).timezone
        return await self._when_previews.choices(
            current,
            guild_id=guild_id,
            zone=zone,
            admin=True,  # system tasks are held to the admins' shortest interval
            typed_zone=interaction.namespace.timezone,
            examples=RECHARGE_EXAMPLES,
        )

    @system_task_create.autocomplete("timezone")
    async def _zone_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @system_task.command(name="list")
    async def system_task_list(self, interaction: Interaction) -> None:
        """The server's system tasks (recharges and other tasks without an owner)."""
        guild_id = guild_only(interaction)
        total = await self._status.count_tasks(guild_id, system_only=True)

        async def page(index: int) -> tuple[str, int]:
            rows = await self._app.scheduler.list_tasks(
                guild_id,
                _admin(interaction),
                system_only=True,
                limit=PAGE_SIZE,
                offset=index * PAGE_SIZE,
            )
            lines = []
            for t in rows:
                what = recharge_target(t) if t.task_type is TaskType.CREDIT_RECHARGE else ""
                lines.append(task_line(t) + (f"\n  ↳ {what}" if what else ""))
            text = bullet(lines, "No system tasks. Create one with /admin system-task create.")
            return text, page_count(total, PAGE_SIZE)

        await send_pages(interaction, f"System tasks ({total})", page, ephemeral=True)

    # ----------------------------------------------------------------------------- credits

    @credits.command(name="grant")
    @app_commands.describe(member="Who gets the credits", amount="How many credits to add")
    async def credits_grant(
        self,
        interaction: Interaction,
        member: discord.Member,
        amount: app_commands.Range[int, 1, BALANCE_LIMIT],
    ) -> None:
        """Add credits to a member's balance (not capped at the maximum)."""
        guild_id = guild_only(interaction)
        balance = await self._app.credits.grant(
            guild_id, member.id, amount, actor_id=interaction.user.id, detail="/admin credits grant"
        )
        await interaction.response.send_message(
            f"Granted {credits_text(amount)} to {member.mention}; "
            f"their balance is now {credits_text(balance)}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @credits.command(name="set")
    @app_commands.describe(member="Whose balance", balance="The new balance")
    async def credits_set(
        self,
        interaction: Interaction,
        member: discord.Member,
        balance: app_commands.Range[int, 0, BALANCE_LIMIT],
    ) -> None:
        """Set a member's balance (the ledger records the change)."""
        guild_id = guild_only(interaction)
        new = await self._app.credits.set_balance(
            guild_id, member.id, balance, actor_id=interaction.user.id, detail="/admin credits set"
        )
        await interaction.response.send_message(
            f"{member.mention}'s balance is now {credits_text(new)}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @credits.command(name="recharge")
    @app_commands.describe(
        member="Only this member (default: every member with an account)",
        amount="Credits to add (default: the daily allowance), never above the maximum",
    )
    async def credits_recharge(
        self,
        interaction: Interaction,
        member: discord.Member | None = None,
        amount: app_commands.Range[int, 1, MAX_RECHARGE_AMOUNT] | None = None,
    ) -> None:
        """Recharge now, as the daily recharge would."""
        guild_id = guild_only(interaction)
        # Every account is one update: a large server takes longer than Discord's 3 seconds.
        await interaction.response.defer(ephemeral=True, thinking=True)
        summary = await self._app.credits.recharge(
            guild_id, None if member is None else member.id, amount, actor_id=interaction.user.id
        )
        cap = self._app.settings.credits.max_balance
        await interaction.followup.send(
            recharge_text(summary, member, cap), ephemeral=True, allowed_mentions=NONE
        )

    # ----------------------------------------------------------------------------- settings

    @settings.command(name="show")
    async def settings_show(self, interaction: Interaction) -> None:
        """This server's settings, and which are the defaults."""
        guild_id = guild_only(interaction)
        policy = await self._app.preferences.guild_policy(guild_id)
        await interaction.response.send_message(
            embed=settings_embed(policy, self._defaults()), ephemeral=True, allowed_mentions=NONE
        )

    @settings.command(name="set")
    @app_commands.describe(key="The setting", value="The new value; leave it out to reset")
    @app_commands.choices(key=SETTING_CHOICES)
    async def settings_set(
        self, interaction: Interaction, key: str, value: str | None = None
    ) -> None:
        """Change one server setting, or reset it to the default."""
        guild_id = guild_only(interaction)
        if value is not None and value.strip():
            check_in_server(interaction.guild, key, value)
        policy = await self._app.preferences.set_guild_setting(guild_id, key, value)
        shown = setting_value(key, policy, self._defaults())
        await interaction.response.send_message(
            f"`{key}` is now {shown}.", ephemeral=True, allowed_mentions=NONE
        )

    @settings_set.autocomplete("value")
    async def _value_choices(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None or not await self._access.is_admin(interaction):
            return []
        key = getattr(interaction.namespace, "key", None)
        return setting_value_choices(interaction.guild, key, current)

    def _defaults(self) -> GuildPolicy:
        return policy_for(None, self._app.settings)

    # ----------------------------------------------------------------------------- status, sync

    @app_commands.command(name="status")
    async def status(self, interaction: Interaction) -> None:
        """Uptime, pending tasks, the next run, voice, and what the last start caught up."""
        guild_id = guild_only(interaction)
        report = await self._status.report(guild_id)
        player = self._app.players.status(guild_id)
        voice_here = player.channel_id if player is not None and player.connected else None
        await interaction.response.send_message(
            embed=status_embed(report, voice_here), ephemeral=True, allowed_mentions=NONE
        )

    @app_commands.command(name="sync")
    @app_commands.describe(scope="Where to publish the slash commands")
    @app_commands.choices(
        scope=[
            app_commands.Choice(
                name="this server (a copy of the global commands, instant)", value="here"
            ),
            app_commands.Choice(
                name="globally (every server; may take a while to show)", value="global"
            ),
            app_commands.Choice(name="remove this server's copy", value="clear-here"),
        ]
    )
    async def sync(self, interaction: Interaction, scope: str = "here") -> None:
        """Bot owners: publish the slash commands to this server or globally."""
        await self._access.require_owner(interaction)
        guild_id = guild_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        tree = self._app.bot.tree
        guild = discord.Object(id=guild_id)
        if scope == "global":
            synced = await tree.sync()
            where = "globally"
        else:
            if scope == "here":
                tree.copy_global_to(guild=guild)
            else:
                tree.clear_commands(guild=guild)
            synced = await tree.sync(guild=guild)
            where = "to this server"
        names = ", ".join(sorted(f"/{c.name}" for c in synced)) or "none"
        await interaction.followup.send(
            f"Synced {len(synced)} command(s) {where}: {names}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    status = StatusService(
        app.uow,
        app.runner,
        app.clock,
        started_at=app.started_at,
        voice_connections=lambda: len(app.bot.voice_clients),
    )
    return [AdminCog(app, access, status)]
