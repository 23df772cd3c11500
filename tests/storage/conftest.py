"""A real, migrated database per test: a SQLite file, and PostgreSQL when one is available."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.engine import create_engine, create_session_factory
from storage.uow import UnitOfWorkFactory
from tests.dbkit import BACKENDS, fresh_database_url


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated database: every storage test runs on SQLite and on PostgreSQL."""
    async with fresh_database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        yield engine
        await engine.dispose()


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(create_session_factory(engine))
