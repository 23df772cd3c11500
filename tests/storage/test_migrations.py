"""Alembic migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import migrate
from storage.base import Base
from storage.engine import create_engine

TABLES = {
    "guild_settings",
    "user_settings",
    "credit_accounts",
    "credit_ledger",
    "blobs",
    "sounds",
    "playlists",
    "playlist_items",
    "scheduled_tasks",
    "task_runs",
    "runners",
}


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {
            "alembic_version"
        }


async def test_upgrade_creates_every_table_at_head(engine: AsyncEngine) -> None:
    """After upgrade the database is at head and has every table."""
    assert await migrate.current_revision(engine) == migrate.head_revision()
    assert await _tables(engine) == TABLES


async def test_migrations_match_models(engine: AsyncEngine) -> None:
    """Autogenerate finds no difference between the migrated database and the models."""

    def diff(conn: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_downgrade_to_base_and_upgrade_again(engine: AsyncEngine) -> None:
    """Downgrade to base leaves no table; upgrading again restores them all."""
    await migrate.downgrade(engine, "base")
    assert await migrate.current_revision(engine) is None
    assert await _tables(engine) == set()
    await migrate.upgrade(engine)
    assert await _tables(engine) == TABLES


async def test_task_indexes_exist(engine: AsyncEngine) -> None:
    """The runner's window refill and run uniqueness are backed by the database."""
    async with engine.connect() as conn:
        indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("scheduled_tasks"))
        uniques = await conn.run_sync(lambda c: inspect(c).get_unique_constraints("task_runs"))
    assert any(ix["column_names"] == ["status", "next_run_at"] for ix in indexes)
    assert any(uq["column_names"] == ["task_id", "due_at"] for uq in uniques)


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    """SQLite runs in WAL mode with foreign keys enforced and a busy timeout."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=1234)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 1234
    finally:
        await engine.dispose()
