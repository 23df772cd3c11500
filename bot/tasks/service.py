"""The task service: every use case on tasks, with ownership, limits and validation.

Users reach only their own tasks; admins reach all of their server's; nobody reaches another
server's.  Each method is one unit of work.  When a task's next run changes, the runner is told
(``TaskListener``) so an occurrence inside its window is armed at once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.bounds import check_page, number_text
from bot.clock import Clock
from bot.config import Settings
from bot.errors import NotFoundError, PermissionDenied, ValidationError
from bot.plays.port import PlaybackPort
from bot.scheduling.describe import describe, dst_warnings
from bot.scheduling.recurrence import Recurrence
from bot.tasks.execution import Notifier
from bot.tasks.model import SETTLED_BY_A_RUN, LastRun, RunView, TaskView, recurrence_fields
from bot.tasks.params import validate_parameters
from bot.tasks.policy import GuildPolicies, GuildPolicy
from bot.tasks.rules import (
    check_name,
    check_schedule,
    daily_midnight,
    recurrence_from_fields,
)
from storage.columns import INTEGER_MAX
from storage.enums import OnBusy, RecurrenceType, TaskStatus, TaskType
from storage.models import ScheduledTask
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

DAILY_RECHARGE_NAME = "Daily credit recharge"
# The most tasks one list call returns: a page is far shorter; the task autocomplete looks
# through this many to find what matches.
MAX_TASKS_LISTED = 200
# Task numbers are row ids (a 32-bit column): a larger number names no task.
MAX_TASK_ID = INTEGER_MAX


@dataclass(frozen=True)
class Actor:
    """Who is asking: a member, or an admin of the server (Manage Server, admin role, owner)."""

    user_id: int
    is_admin: bool = False


SYSTEM = Actor(user_id=0, is_admin=True)  # the bot itself (seeding, internal calls)


class TaskListener(Protocol):
    def task_changed(self, task_id: int, next_run_at: datetime | None) -> None: ...


@dataclass(frozen=True)
class Preview:
    description: str
    timezone: str
    next_runs: list[datetime]
    warnings: list[str]


class SchedulerService:
    def __init__(
        self,
        db_session_factory: UnitOfWorkFactory,
        player_service: PlaybackPort | None = None,
        *,
        settings: Settings,
        clock: Clock,
        listener: TaskListener | None = None,
        policies: GuildPolicies | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self._uow = db_session_factory
        self.policies = policies or GuildPolicies(settings)
        self.notifier = notifier
        self.player_service = player_service
        self._settings = settings
        self._clock = clock
        self.listener = listener

    # ----------------------------------------------------------------- creation and preview

    async def create_task(
        self,
        *,
        guild_id: int,
        name: str,
        task_type: TaskType | str,
        parameters: Mapping[str, Any],
        user_id: int | None,
        timezone: str | None = None,
        scheduled_at: datetime | None = None,
        recurrence_type: RecurrenceType | str = RecurrenceType.NONE,
        cron_expression: str | None = None,
        recurrence_count: int | None = None,
        recurrence: Recurrence | None = None,
        on_busy: OnBusy | str = OnBusy.QUEUE,
        actor: Actor | None = None,
    ) -> TaskView:
        """Create a user task (``user_id``) or a system task (``user_id=None``, admins only).

        The schedule is either ``recurrence`` (from the time language) or the original design's
        fields: ``scheduled_at`` (the first run), ``recurrence_type``, ``cron_expression``,
        ``recurrence_count`` in ``timezone``.
        """
        actor = actor or (Actor(user_id) if user_id is not None else SYSTEM)
        kind = TaskType(task_type)
        now = self._clock.now()
        if user_id is None and not actor.is_admin:
            raise PermissionDenied("Only server admins can create system tasks.")
        if kind is TaskType.CREDIT_RECHARGE and (user_id is not None or not actor.is_admin):
            raise PermissionDenied("Credit recharges are system tasks: only admins create them.")
        if recurrence is None:
            recurrence = recurrence_from_fields(
                scheduled_at,
                timezone or self._settings.default_timezone,
                RecurrenceType(recurrence_type),
                cron_expression,
                recurrence_count,
                now,
            )
        name = name.strip()
        async with self._uow() as uow:
            policy = await self.policies.get(uow, guild_id)
            check_name(name, policy.max_name_length)
            admin = user_id is None or actor.is_admin
            minimum = self._min_interval(policy, admin=admin)
            check_schedule(recurrence, now, policy.horizon_days, minimum)
            if user_id is not None:
                active = await uow.tasks.count_active_for_owner(guild_id, user_id)
                if active >= policy.max_pending_tasks_per_user:
                    raise ValidationError(
                        f"You already have {active} active tasks in this server (the limit is "
                        f"{policy.max_pending_tasks_per_user}); cancel one with /tasks cancel."
                    )
            params = await validate_parameters(
                uow, guild_id, kind, parameters, self._settings.limits
            )
            row = ScheduledTask(
                guild_id=guild_id,
                owner_id=user_id,
                task_type=kind.value,
                name=name,
                parameters=params,
                runs_done=0,
                next_run_at=recurrence.anchor,
                status=TaskStatus.PENDING.value,
                on_busy=OnBusy(on_busy).value,
                consecutive_failures=0,
                created_at=now,
                updated_at=now,
                **recurrence_fields(recurrence),
            )
            await uow.tasks.add(row)
            await uow.commit()
            view = TaskView.of(row)
        log.info(
            "task %s created guild=%s owner=%s type=%s next=%s",
            view.id,
            guild_id,
            user_id,
            kind.value,
            view.next_run_at,
        )
        self._changed(view)
        return view

    async def preview(
        self,
        guild_id: int,
        recurrence: Recurrence,
        count: int = 3,
        exclude_task_id: int | None = None,
    ) -> Preview:
        """Description, zone, next runs, DST warnings, and same-minute clashes in this server."""
        runs = list(itertools.islice(recurrence.occurrences(after=self._clock.now()), count))
        warnings = dst_warnings(recurrence, runs)
        async with self._uow() as uow:
            for run in runs:
                minute = run.replace(second=0, microsecond=0)
                clashes = await uow.tasks.due_in(guild_id, minute, minute + timedelta(minutes=1))
                names = [t.name for t in clashes if t.id != exclude_task_id]
                if names:
                    warnings.append(
                        f"{run:%Y-%m-%d %H:%M}: also due then in this server: {', '.join(names)} "
                        "(one plays after the other, as each task's on_busy says)."
                    )
        return Preview(describe(recurrence), recurrence.timezone, runs, warnings)

    async def schedule_limits(self, guild_id: int, *, admin: bool) -> tuple[int, timedelta]:
        """The one-shot horizon (days) and shortest interval :meth:`create_task` holds a new
        schedule to here, for a live preview (:func:`bot.tasks.rules.schedule_refusal`)."""
        async with self._uow() as uow:
            policy = await self.policies.get(uow, guild_id)
        return policy.horizon_days, self._min_interval(policy, admin=admin)

    # ----------------------------------------------------------------- reading

    async def get_task(self, guild_id: int, task_id: int, actor: Actor) -> TaskView:
        async with self._uow() as uow:
            (view,) = await self._views(uow, [await self._reach(uow, guild_id, task_id, actor)])
            return view

    async def list_tasks(
        self,
        guild_id: int,
        actor: Actor,
        *,
        owner_id: int | None = None,
        everyone: bool = False,
        system_only: bool = False,
        status: TaskStatus | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> list[TaskView]:
        """The caller's tasks; admins may ask for everyone's, one member's, or system tasks."""
        if (
            everyone or system_only or (owner_id not in (None, actor.user_id))
        ) and not actor.is_admin:
            raise PermissionDenied("Only server admins can see other members' and system tasks.")
        if not (everyone or system_only) and owner_id is None:
            owner_id = actor.user_id
        check_page(limit, offset, most=MAX_TASKS_LISTED)
        async with self._uow() as uow:
            rows = await uow.tasks.list(
                guild_id,
                owner_id=None if everyone else owner_id,
                system_only=system_only,
                statuses=() if status is None else (status,),
                limit=limit,
                offset=offset,
            )
            return await self._views(uow, rows)

    async def get_user_tasks(
        self, user_id: int, status: TaskStatus | None = None, limit: int = 25, *, guild_id: int
    ) -> list[TaskView]:
        """The original design's name for a member's own task list."""
        return await self.list_tasks(guild_id, Actor(user_id), status=status, limit=limit)

    async def history(
        self, guild_id: int, task_id: int, actor: Actor, limit: int = 10, offset: int = 0
    ) -> list[RunView]:
        check_page(limit, offset)
        async with self._uow() as uow:
            await self._reach(uow, guild_id, task_id, actor)
            return [RunView.of(r) for r in await uow.runs.history(task_id, limit, offset)]

    # ----------------------------------------------------------------- changing

    async def cancel_task(
        self, task_id: int, *, guild_id: int | None = None, actor: Actor = SYSTEM
    ) -> TaskView:
        return await self._set_status(task_id, guild_id, actor, TaskStatus.CANCELLED)

    async def pause_task(self, task_id: int, *, guild_id: int, actor: Actor) -> TaskView:
        return await self._set_status(task_id, guild_id, actor, TaskStatus.PAUSED)

    async def resume_task(self, task_id: int, *, guild_id: int, actor: Actor) -> TaskView:
        return await self._set_status(task_id, guild_id, actor, TaskStatus.PENDING)

    async def edit_task(
        self,
        task_id: int,
        *,
        guild_id: int,
        actor: Actor,
        name: str | None = None,
        recurrence: Recurrence | None = None,
        parameters: Mapping[str, Any] | None = None,
        on_busy: OnBusy | None = None,
    ) -> TaskView:
        now = self._clock.now()
        async with self._uow() as uow:
            row = await self._reach(uow, guild_id, task_id, actor)
            if TaskStatus(row.status).finished:
                raise ValidationError(f"Task #{task_id} is {row.status}; create a new one instead.")
            policy = await self.policies.get(uow, guild_id)
            if name is not None:
                check_name(name.strip(), policy.max_name_length)
                row.name = name.strip()
            if recurrence is not None:
                admin = row.owner_id is None or actor.is_admin
                minimum = self._min_interval(policy, admin=admin)
                check_schedule(recurrence, now, policy.horizon_days, minimum)
                for key, value in recurrence_fields(recurrence).items():
                    setattr(row, key, value)
                row.runs_done = 0
                if row.status != TaskStatus.PAUSED.value:
                    row.next_run_at = recurrence.anchor
            if parameters is not None:
                merged = {**row.parameters, **parameters}
                row.parameters = await validate_parameters(
                    uow, guild_id, TaskType(row.task_type), merged, self._settings.limits
                )
            if on_busy is not None:
                row.on_busy = on_busy.value
            row.updated_at = now
            await uow.commit()
            view = TaskView.of(row)
        self._changed(view)
        return view

    async def ensure_guild(self, guild_id: int) -> TaskView | None:
        """Seed the server's "Daily credit recharge" (00:00 in its zone) exactly once, ever."""
        now = self._clock.now()
        async with self._uow() as uow:
            settings_row = await uow.guilds.get_or_create(guild_id, now)
            if settings_row.daily_recharge_seeded_at is not None:
                return None
            if not await uow.guilds.mark_recharge_seeded(guild_id, now):
                return None  # another process seeded it between our read and write
            zone = settings_row.timezone or self._settings.default_timezone
            recurrence = daily_midnight(now, zone)
            row = ScheduledTask(
                guild_id=guild_id,
                owner_id=None,
                task_type=TaskType.CREDIT_RECHARGE.value,
                name=DAILY_RECHARGE_NAME,
                parameters={"user_id": None, "amount": None},
                runs_done=0,
                next_run_at=recurrence.anchor,
                status=TaskStatus.PENDING.value,
                on_busy=OnBusy.QUEUE.value,
                consecutive_failures=0,
                created_at=now,
                updated_at=now,
                **recurrence_fields(recurrence),
            )
            await uow.tasks.add(row)
            await uow.commit()
            view = TaskView.of(row)
        log.info("seeded daily credit recharge task %s for guild %s", view.id, guild_id)
        self._changed(view)
        return view

    # ----------------------------------------------------------------- internals

    async def _set_status(
        self, task_id: int, guild_id: int | None, actor: Actor, status: TaskStatus
    ) -> TaskView:
        now = self._clock.now()
        async with self._uow() as uow:
            if guild_id is None:
                _check_task_id(task_id)
                row = await uow.tasks.get(task_id)
                if row is None:
                    raise NotFoundError(f"There is no task #{task_id}.")
            else:
                row = await self._reach(uow, guild_id, task_id, actor)
            current = TaskStatus(row.status)
            if current.finished:
                raise ValidationError(f"Task #{task_id} is already {current.value}.")
            if status is TaskStatus.PAUSED and current is TaskStatus.PAUSED:
                raise ValidationError(f"Task #{task_id} is already paused; /tasks resume it.")
            if status is TaskStatus.PENDING:
                if current is not TaskStatus.PAUSED:
                    raise ValidationError(f"Task #{task_id} is not paused.")
                # Occurrences that fell while paused are skipped, not caught up.
                upcoming = TaskView.of(row).recurrence.next_after(now)
                if upcoming is None:
                    raise ValidationError(
                        f"Task #{task_id} has no run left after now; schedule a new one."
                    )
                row.next_run_at = upcoming
                row.consecutive_failures = 0
            if status is TaskStatus.CANCELLED:
                row.next_run_at = None
                row.finished_at = now
            row.status = status.value
            row.updated_at = now
            await uow.commit()
            view = TaskView.of(row)
        log.info("task %s %s by %s", task_id, status.value, actor.user_id)
        self._changed(view)
        if view.owner_id not in (None, actor.user_id) and self.notifier is not None:
            # A member should hear that an admin stopped their task, not find out at 9am.
            verb = {TaskStatus.CANCELLED: "cancelled", TaskStatus.PAUSED: "paused"}.get(status)
            if verb is not None:
                await self.notifier.notify(
                    view.guild_id,
                    view.owner_id,
                    f"Task #{view.id} ({view.name}) was {verb} by a server admin.",
                )
        return view

    async def _reach(
        self, uow: UnitOfWork, guild_id: int, task_id: int, actor: Actor
    ) -> ScheduledTask:
        """The task if the actor may see it; otherwise the same "not found" as a missing one."""
        _check_task_id(task_id)
        row = await uow.tasks.get(task_id)
        visible = (
            row is not None
            and row.guild_id == guild_id
            and (actor.is_admin or (row.owner_id is not None and row.owner_id == actor.user_id))
        )
        if not visible or row is None:
            raise NotFoundError(
                f"You have no task #{task_id} in this server; /tasks list shows yours."
            )
        return row

    async def _views(self, uow: UnitOfWork, rows: Sequence[ScheduledTask]) -> list[TaskView]:
        """Snapshots of ``rows``, each finished one with its last run (one query for them all)."""
        settled = [row.id for row in rows if TaskStatus(row.status) in SETTLED_BY_A_RUN]
        last = await uow.run_summaries.last_finished(settled)
        return [
            TaskView.of(row, LastRun.of(last[row.id]) if row.id in last else None) for row in rows
        ]

    def _min_interval(self, policy: GuildPolicy, *, admin: bool) -> timedelta:
        seconds = (
            self._settings.limits.min_interval_admin_s if admin else policy.min_interval_user_s
        )
        return timedelta(seconds=seconds)

    def _changed(self, view: TaskView) -> None:
        if self.listener is not None:
            active = view.status in (TaskStatus.PENDING, TaskStatus.RUNNING)
            self.listener.task_changed(view.id, view.next_run_at if active else None)


def _check_task_id(task_id: int) -> None:
    """A number outside the id column's range names no task: say so before asking the database."""
    if not 1 <= task_id <= MAX_TASK_ID:
        raise NotFoundError(
            f"There is no task #{number_text(task_id, grouped=False)}: task numbers run from 1 to "
            f"{MAX_TASK_ID:,}. /tasks list shows yours."
        )
