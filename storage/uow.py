"""Unit of work: one session, the repositories over it, and one commit at the boundary.

Repositories never commit.  A use case opens a unit of work, calls repositories, and commits once;
leaving the block without ``commit()`` (or by an exception) rolls everything back, so the database
is never left half-written.

    async with uow_factory() as uow:
        account = await uow.credits.get_or_open(guild_id, user_id, ...)
        await uow.commit()
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories.credits import CreditRepository
from storage.repositories.library import PlaylistRepository, SoundRepository
from storage.repositories.run_summaries import RunSummaryRepository
from storage.repositories.settings import GuildSettingsRepository, UserSettingsRepository
from storage.repositories.tasks import RunnerRepository, TaskRepository, TaskRunRepository


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.guilds = GuildSettingsRepository(session)
        self.users = UserSettingsRepository(session)
        self.credits = CreditRepository(session)
        self.sounds = SoundRepository(session)
        self.playlists = PlaylistRepository(session)
        self.tasks = TaskRepository(session)
        self.runs = TaskRunRepository(session)
        self.run_summaries = RunSummaryRepository(session)
        self.runners = RunnerRepository(session)

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches the loaded rows without
        # expiring them (rollback() would), so services can return what they read.
        await self.session.close()


class UnitOfWorkFactory:
    """Callable that opens a new :class:`UnitOfWork`; services receive one of these."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions())
