"""What ``/admin status`` shows, and the counts the admin task listings page with.

Everything here is cheap on purpose: an admin may ask for the status of a server with thousands of
tasks, so the task figures are one aggregate query and the rest is read from memory (the runner's
last start report, the voice connections the client holds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.tasks.runner import CatchUpReport
from storage.enums import TaskStatus
from storage.uow import UnitOfWorkFactory


class StartReports(Protocol):
    """The part of the task runner the status reads (:class:`bot.tasks.runner.TaskRunner`)."""

    @property
    def last_start(self) -> CatchUpReport: ...


@dataclass(frozen=True)
class StatusReport:
    """A server's view of the bot at one instant."""

    now: datetime
    started_at: datetime
    pending_tasks: int
    next_run_at: datetime | None
    voice_connections: int  # across every server this process serves
    last_start: CatchUpReport

    @property
    def uptime(self) -> timedelta:
        return max(timedelta(0), self.now - self.started_at)


class StatusService:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        runner: StartReports,
        clock: Clock,
        *,
        started_at: datetime,
        voice_connections: Callable[[], int],
    ) -> None:
        """``voice_connections`` counts the client's live voice connections (kept as a callable
        so this module needs no Discord client)."""
        self._uow = uow_factory
        self._runner = runner
        self._clock = clock
        self._started_at = started_at
        self._voice_connections = voice_connections

    async def report(self, guild_id: int) -> StatusReport:
        async with self._uow() as uow:
            pending, next_run_at = await uow.tasks.pending_summary(guild_id)
        return StatusReport(
            now=self._clock.now(),
            started_at=self._started_at,
            pending_tasks=pending,
            next_run_at=next_run_at,
            voice_connections=self._voice_connections(),
            last_start=self._runner.last_start,
        )

    async def count_tasks(
        self,
        guild_id: int,
        *,
        owner_id: int | None = None,
        system_only: bool = False,
        status: TaskStatus | None = None,
    ) -> int:
        """How many of the server's tasks match, so an admin listing can say "page 2 of 7"."""
        async with self._uow() as uow:
            return await uow.tasks.count(
                guild_id,
                owner_id=owner_id,
                system_only=system_only,
                statuses=() if status is None else (status,),
            )


def uptime_text(delta: timedelta) -> str:
    """``3 d 4 h 5 min``: coarse enough to read at a glance."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return "less than a minute"
