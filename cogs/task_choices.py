"""Autocomplete shared by the task commands: the caller's tasks (admins: the server's) and zones.

Cogs bind these from their own autocomplete callbacks, so the services stay injected::

    @cancel.autocomplete("task_id")
    async def _task_ids(self, interaction, current):
        return await self.choices.tasks(interaction, current, statuses=ACTIVE)
"""

from __future__ import annotations

from collections.abc import Collection

import discord
from discord import app_commands

from bot.scheduling.zones import lookup_zone_name, search_zones
from bot.tasks.model import TaskStatus, TaskView
from bot.tasks.service import MAX_TASK_ID, MAX_TASKS_LISTED, SchedulerService
from cogs.access import Access

MAX_CHOICES = 25  # Discord shows at most 25 suggestions
CHOICE_NAME_LIMIT = 100  # and refuses longer choice names
# How many tasks to look through: the repository sorts upcoming tasks first, so the ones worth
# suggesting come early even for an admin of a busy server.
SCAN_LIMIT = MAX_TASKS_LISTED
# A task option: Discord refuses numbers no task can have before the command sees them.
TaskId = app_commands.Range[int, 1, MAX_TASK_ID]

ACTIVE = frozenset({TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.PAUSED})
PAUSABLE = frozenset({TaskStatus.PENDING, TaskStatus.RUNNING})
RESUMABLE = frozenset({TaskStatus.PAUSED})


def task_choice_name(task: TaskView) -> str:
    """``#12 · Morning chime · pending`` cut to Discord's limit (choice names are not markdown)."""
    owner = " · system" if task.is_system else ""
    suffix = f" · {task.state.word}{owner}"
    head = f"#{task.id} · "
    room = CHOICE_NAME_LIMIT - len(head) - len(suffix)
    name = task.name if len(task.name) <= room else task.name[: room - 1] + "…"
    return f"{head}{name}{suffix}"


def matches(task: TaskView, current: str) -> bool:
    """Whether ``current`` (what the member typed so far) picks out ``task``: id or name."""
    typed = current.strip().lstrip("#").casefold()
    if not typed:
        return True
    return str(task.id).startswith(typed) or typed in task.name.casefold()


class TaskChoices:
    """Task-id suggestions: a member sees their own tasks, an admin every task of the server."""

    def __init__(self, scheduler: SchedulerService, access: Access) -> None:
        self._scheduler = scheduler
        self._access = access

    async def tasks(
        self,
        interaction: discord.Interaction[discord.Client],
        current: str,
        *,
        statuses: Collection[TaskStatus] = (),
    ) -> list[app_commands.Choice[int]]:
        """Tasks the caller may act on whose id or name matches ``current``.

        ``statuses`` narrows the list to what the command can act on (``/tasks resume`` offers
        only paused tasks); empty means every status.
        """
        if interaction.guild_id is None:
            return []
        actor = await self._access.actor(interaction)
        found = await self._scheduler.list_tasks(
            interaction.guild_id, actor, everyone=actor.is_admin, limit=SCAN_LIMIT
        )
        wanted = [
            task
            for task in found
            if (not statuses or task.status in statuses) and matches(task, current)
        ]
        return [
            app_commands.Choice(name=task_choice_name(task), value=task.id)
            for task in wanted[:MAX_CHOICES]
        ]


def zone_choices(current: str) -> list[app_commands.Choice[str]]:
    """IANA zones for ``current``; an abbreviation or a city ("pst", "tokyo") comes first."""
    names = search_zones(current, MAX_CHOICES)
    exact = lookup_zone_name(current)
    if exact is not None:
        names = [exact, *(name for name in names if name != exact)][:MAX_CHOICES]
    return [app_commands.Choice(name=name, value=name) for name in names]
