"""/tasks list|show|cancel|pause|resume|history, and the Cancel/Pause/Resume buttons on schedules.

A member manages their own tasks; an admin reaches every task of the server through the same
commands (the service decides, and answers "not found" for anything out of reach).

The buttons carry persistent custom ids (``task:cancel:12``) and are answered by
:class:`TaskButtons`, an ``on_interaction`` listener, rather than by a ``View`` kept in memory:
a schedule's buttons still work after the bot restarts, and nothing accumulates per message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.bounds import MAX_PAGE_SIZE
from bot.client.tree import send_ephemeral
from bot.errors import CarillonError, NotFoundError
from bot.library.playlists import PlaylistService
from bot.library.service import LibraryService
from bot.tasks.model import TaskStatus, TaskType, TaskView
from bot.tasks.service import SchedulerService
from cogs.access import Access, guild_only
from cogs.paging import line_pages, send_pages
from cogs.render import (
    EMBED_COLOUR,
    NONE,
    preview_lines,
    run_line,
    safe,
    state_icon,
    state_text,
    task_line,
    ts,
    when,
)
from cogs.task_choices import ACTIVE, PAUSABLE, RESUMABLE, TaskChoices, TaskId

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

PER_PAGE = 10
PREVIEW_RUNS = 3
TASK_BUTTON = re.compile(r"task:(?P<action>cancel|pause|resume):(?P<task_id>\d+)")
NOT_YOURS = (
    "Task #{task_id} is not yours (or no longer exists): only whoever scheduled it or a server "
    "admin can use these buttons."
)
StatusName = Literal["pending", "running", "paused", "completed", "failed", "cancelled", "expired"]


# --------------------------------------------------------------------------- rendering


def task_controls(task: TaskView) -> discord.ui.View | None:
    """Pause/Resume and Cancel buttons for a task in ``task``'s state; None once it is finished."""
    view = discord.ui.View(timeout=None)
    if task.status in PAUSABLE:
        view.add_item(
            discord.ui.Button(label="Pause", emoji="⏸️", custom_id=f"task:pause:{task.id}", row=0)
        )
    if task.status in RESUMABLE:
        view.add_item(
            discord.ui.Button(label="Resume", emoji="▶️", custom_id=f"task:resume:{task.id}", row=0)
        )
    if task.status in ACTIVE:
        view.add_item(
            discord.ui.Button(
                label="Cancel",
                emoji="🚫",
                style=discord.ButtonStyle.danger,
                custom_id=f"task:cancel:{task.id}",
                row=0,
            )
        )
    if not view.children:
        return None
    # Components only: a finished view is not kept in discord.py's view store, so presses reach
    # TaskButtons.on_interaction, which works the same before and after a restart.
    view.stop()
    return view


async def target_text(library: LibraryService, playlists: PlaylistService, task: TaskView) -> str:
    """What the task does, by name: "sound **chime** in <#…>"."""
    params = task.parameters
    channel = f"<#{params['channel_id']}>" if params.get("channel_id") else ""
    # A deleted sound or playlist is shown, not an error: /tasks show still has to work so the
    # owner can see why the task failed and cancel it.
    if task.task_type is TaskType.PLAY_SOUND:
        try:
            sound = await library.get_sound(task.guild_id, params["sound_id"])
            return f"Plays sound **{safe(sound.name)}** in {channel}"
        except NotFoundError:
            return f"Plays a deleted sound in {channel}"
    if task.task_type is TaskType.PLAY_PLAYLIST:
        mode = params.get("play_mode", "continuous") + (
            ", shuffled" if params.get("shuffle") else ""
        )
        limit = params.get("max_duration_s")
        cap = f", for at most {limit} s" if limit else ""
        try:
            playlist = await playlists.get_playlist(task.guild_id, params["playlist_id"])
            name = f"playlist **{safe(playlist.name)}**"
        except NotFoundError:
            name = "a deleted playlist"
        return f"Plays {name} in {channel} ({mode}{cap})"
    target = params.get("user_id")
    who = f"<@{target}>" if target else "every member with an account"
    amount = params.get("amount")
    how_much = f"{amount:,} credits" if amount else "the daily allowance"
    return f"Recharges {who} with {how_much}"


def task_embed(title: str, lines: list[str]) -> discord.Embed:
    return discord.Embed(title=title, description="\n".join(lines), colour=EMBED_COLOUR)


# --------------------------------------------------------------------------- commands


@app_commands.guild_only()
class TasksCog(commands.GroupCog, group_name="tasks", group_description="Your scheduled tasks"):
    """Look at and manage scheduled tasks."""

    def __init__(
        self,
        scheduler: SchedulerService,
        library: LibraryService,
        playlists: PlaylistService,
        access: Access,
        choices: TaskChoices,
    ) -> None:
        self.scheduler = scheduler
        self.library = library
        self.playlists = playlists
        self.access = access
        self.choices = choices
        super().__init__()

    @app_commands.command(name="list")
    @app_commands.describe(status="Only tasks in this state", limit="How many tasks at most")
    async def list_(
        self,
        interaction: discord.Interaction[discord.Client],
        status: StatusName | None = None,
        limit: app_commands.Range[int, 1, MAX_PAGE_SIZE] = 25,
    ) -> None:
        """List your tasks in this server, the next to run first."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        tasks = await self.scheduler.list_tasks(
            guild_id, actor, status=None if status is None else TaskStatus(status), limit=limit
        )
        empty = "You have no tasks here yet; create one with /schedule sound."
        if status is not None:
            empty = f"You have no {status} tasks here."
        title = "Your tasks" if status is None else f"Your {status} tasks"
        await send_pages(
            interaction,
            title,
            line_pages([task_line(t) for t in tasks], per_page=PER_PAGE, empty=empty),
            ephemeral=True,
        )

    @app_commands.command(name="show")
    @app_commands.describe(task_id="The task (type its name or number)")
    @app_commands.rename(task_id="id")
    async def show(self, interaction: discord.Interaction[discord.Client], task_id: TaskId) -> None:
        """Show a task: what it plays, its schedule and its next runs."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        task = await self.scheduler.get_task(guild_id, task_id, actor)
        # A finished task has no next runs, whatever its rule would say.
        count = 0 if task.status.finished else PREVIEW_RUNS
        preview = await self.scheduler.preview(
            guild_id, task.recurrence, count=count, exclude_task_id=task.id
        )
        owner = "a system task" if task.is_system else f"<@{task.owner_id}>"
        count_text = f" of {task.recurrence.count}" if task.recurrence.count else ""
        lines = [
            f"**{safe(task.name)}** · {state_icon(task)} {state_text(task)}",
            await target_text(self.library, self.playlists, task),
            f"Owner: {owner} · on busy: {task.on_busy.value}",
            f"Runs so far: {task.runs_done}{count_text} · next: {when(task.next_run_at)}",
        ]
        if task.status is TaskStatus.PAUSED:
            lines.append("Paused: the runs below happen only once it is resumed.")
        if task.last_error and task.last_error != task.state.reason:
            lines.append(f"Last error: {safe(task.last_error)}")
        lines += preview_lines(preview)
        lines.append(f"Created {ts(task.created_at, 'R')}")
        await interaction.response.send_message(
            embed=task_embed(f"Task #{task.id}", lines),
            view=task_controls(task) or discord.utils.MISSING,
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="cancel")
    @app_commands.describe(task_id="The task to cancel")
    @app_commands.rename(task_id="id")
    async def cancel(
        self, interaction: discord.Interaction[discord.Client], task_id: TaskId
    ) -> None:
        """Cancel a task for good."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        task = await self.scheduler.cancel_task(task_id, guild_id=guild_id, actor=actor)
        await interaction.response.send_message(
            f"🚫 Cancelled task #{task.id} **{safe(task.name)}**.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="pause")
    @app_commands.describe(task_id="The task to pause")
    @app_commands.rename(task_id="id")
    async def pause(
        self, interaction: discord.Interaction[discord.Client], task_id: TaskId
    ) -> None:
        """Pause a task; runs that fall while it is paused are skipped."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        task = await self.scheduler.pause_task(task_id, guild_id=guild_id, actor=actor)
        await interaction.response.send_message(
            f"⏸️ Paused task #{task.id} **{safe(task.name)}**; /tasks resume starts it again.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="resume")
    @app_commands.describe(task_id="The paused task to resume")
    @app_commands.rename(task_id="id")
    async def resume(
        self, interaction: discord.Interaction[discord.Client], task_id: TaskId
    ) -> None:
        """Resume a paused task from its next run after now."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        task = await self.scheduler.resume_task(task_id, guild_id=guild_id, actor=actor)
        await interaction.response.send_message(
            f"▶️ Resumed task #{task.id} **{safe(task.name)}**; next run {when(task.next_run_at)}.",
            ephemeral=True,
            allowed_mentions=NONE,
        )

    @app_commands.command(name="history")
    @app_commands.describe(task_id="The task", limit="How many runs at most, newest first")
    @app_commands.rename(task_id="id")
    async def history(
        self,
        interaction: discord.Interaction[discord.Client],
        task_id: TaskId,
        limit: app_commands.Range[int, 1, MAX_PAGE_SIZE] = 25,
    ) -> None:
        """Show a task's runs: when each was due and how it went."""
        guild_id = guild_only(interaction)
        actor = await self.access.actor(interaction)
        runs = await self.scheduler.history(guild_id, task_id, actor, limit=limit)
        empty = f"Task #{task_id} has not run yet."
        await send_pages(
            interaction,
            f"History of task #{task_id}",
            line_pages([run_line(r) for r in runs], per_page=PER_PAGE, empty=empty),
            ephemeral=True,
        )

    # Autocomplete: each command offers the tasks it can act on.

    @show.autocomplete("task_id")
    @history.autocomplete("task_id")
    async def _any_task(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.choices.tasks(interaction, current)

    @cancel.autocomplete("task_id")
    async def _active_task(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.choices.tasks(interaction, current, statuses=ACTIVE)

    @pause.autocomplete("task_id")
    async def _pausable_task(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.choices.tasks(interaction, current, statuses=PAUSABLE)

    @resume.autocomplete("task_id")
    async def _paused_task(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[int]]:
        return await self.choices.tasks(interaction, current, statuses=RESUMABLE)


# --------------------------------------------------------------------------- buttons


class TaskButtons(commands.Cog):
    """Answers the Pause/Resume/Cancel buttons of schedule answers (owner or admin only)."""

    def __init__(self, scheduler: SchedulerService, access: Access) -> None:
        self.scheduler = scheduler
        self.access = access

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction[discord.Client]) -> None:
        if interaction.type is not discord.InteractionType.component:
            return
        # interaction.data is a union of typed dicts; a component's carries custom_id.
        data = cast("Mapping[str, object]", interaction.data or {})
        found = TASK_BUTTON.fullmatch(str(data.get("custom_id", "")))
        if found is None or interaction.guild_id is None:
            return
        task_id = int(found["task_id"])
        # Button presses do not pass through the command tree's error handler, so this is their
        # one boundary: domain errors become the same ephemeral replies as for commands.
        try:
            await self._press(interaction, interaction.guild_id, found["action"], task_id)
        except NotFoundError:
            await send_ephemeral(interaction, NOT_YOURS.format(task_id=task_id))
        except CarillonError as error:
            await send_ephemeral(interaction, error.message)

    async def _press(
        self,
        interaction: discord.Interaction[discord.Client],
        guild_id: int,
        action: str,
        task_id: int,
    ) -> None:
        actor = await self.access.actor(interaction)
        who = interaction.user.mention
        if action == "cancel":
            task = await self.scheduler.cancel_task(task_id, guild_id=guild_id, actor=actor)
            status = f"🚫 Cancelled by {who}."
        elif action == "pause":
            task = await self.scheduler.pause_task(task_id, guild_id=guild_id, actor=actor)
            status = f"⏸️ Paused by {who}."
        else:
            task = await self.scheduler.resume_task(task_id, guild_id=guild_id, actor=actor)
            status = f"▶️ Resumed by {who}; next run {when(task.next_run_at)}."
        log.info("task %s %s by button, user=%s", task_id, action, interaction.user.id)
        message = interaction.message
        embed = message.embeds[0].copy() if message is not None and message.embeds else None
        if embed is None:
            embed = task_embed(f"Task #{task.id}", [f"**{safe(task.name)}**"])
        embed.clear_fields()
        embed.add_field(name="Status", value=status, inline=False)
        await interaction.response.edit_message(
            embed=embed, view=task_controls(task), allowed_mentions=NONE
        )


def build(app: Services, access: Access) -> list[commands.Cog]:
    """The cogs of this command group, given what they use."""
    choices = TaskChoices(app.scheduler, access)
    return [
        TasksCog(app.scheduler, app.library, app.playlists, access, choices),
        TaskButtons(app.scheduler, access),
    ]
