"""Fixtures for the services: a real, migrated SQLite file per test and a clock the test moves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from audio.blobstore import BlobStore
from audio.ingest import Ingestor
from audio.limits import AudioLimits
from bot.config import Settings
from bot.library.playlists import PlaylistService
from bot.library.service import LibraryService
from storage import migrate
from storage.engine import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.bot.librarykit import CountingIngestor
from tests.dbkit import BACKENDS, fresh_database_url

START = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class FakeClock:
    """A :class:`bot.clock.Clock` that stands still until the test advances it."""

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'carillon.db'}")
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(create_session_factory(engine))


@pytest.fixture(params=BACKENDS)
async def any_uow_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[UnitOfWorkFactory]:
    """Like ``uow_factory``, on SQLite and on PostgreSQL (for the concurrency tests)."""
    async with fresh_database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        yield UnitOfWorkFactory(create_session_factory(engine))
        await engine.dispose()


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "sounds")


@pytest.fixture
def ingestor(store: BlobStore) -> CountingIngestor:
    return CountingIngestor(Ingestor(store, AudioLimits(max_duration_s=2.0)))


@pytest.fixture
def library(
    uow_factory: UnitOfWorkFactory,
    ingestor: CountingIngestor,
    store: BlobStore,
    clock: FakeClock,
) -> LibraryService:
    return LibraryService(uow_factory, ingestor, store, clock, Settings())


@pytest.fixture
def playlists(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> PlaylistService:
    return PlaylistService(uow_factory, clock)
