"""Alembic migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.recurrence import Recurrence, RecurrenceType
from bot.tasks.model import recurrence_fields, recurrence_of
from storage import migrate
from storage.base import Base
from storage.engine import create_engine, create_session_factory
from storage.models import ScheduledTask
from storage.types import UTCDateTime

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


# --- 0003: recurrence shapes ---------------------------------------------------------------------

SHAPE_COLUMNS = {"weekday_ordinal", "more_times", "step_minutes"}
CREATED = datetime(2026, 11, 1, tzinfo=UTC)


def _task_table_0002() -> sa.TableClause:
    """The columns of scheduled_tasks a row needs at revision 0002 (no ORM: the models are 0003)."""
    names = ["id", "guild_id", "task_type", "name", "timezone", "recurrence_type"]
    names += ["recurrence_interval", "time_of_day", "runs_done", "status", "on_busy"]
    names += ["consecutive_failures"]
    columns: list[sa.ColumnClause[object]] = [sa.column(name) for name in names]
    columns += [sa.column(name, UTCDateTime()) for name in ("anchor_at", "created_at")]
    columns += [sa.column("updated_at", UTCDateTime()), sa.column("parameters", sa.JSON())]
    return sa.table("scheduled_tasks", *columns)


async def _seed_at_0002(engine: AsyncEngine) -> None:
    """A daily task at 09:00 UTC with one run and a ledger entry that points at it."""
    tasks = _task_table_0002()
    runs = sa.table("task_runs", sa.column("id"), sa.column("task_id"), sa.column("attempt"))
    runs.append_column(sa.column("due_at", UTCDateTime()))
    accounts = sa.table("credit_accounts", *map(sa.column, ["id", "guild_id", "user_id"]))
    accounts.append_column(sa.column("balance"))
    for name in ("created_at", "updated_at"):
        accounts.append_column(sa.column(name, UTCDateTime()))
    ledger = sa.table("credit_ledger", *map(sa.column, ["id", "account_id", "delta", "task_id"]))
    for name in ("balance_after", "reason"):
        ledger.append_column(sa.column(name))
    ledger.append_column(sa.column("created_at", UTCDateTime()))
    async with engine.begin() as conn:
        await conn.execute(
            tasks.insert().values(
                id=1, guild_id=1, task_type="play_sound", name="bells", parameters={},
                timezone="UTC", recurrence_type="daily", recurrence_interval=1,
                time_of_day="09:00", runs_done=1, status="pending", on_busy="queue",
                consecutive_failures=0, anchor_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
                created_at=CREATED, updated_at=CREATED,
            )
        )  # fmt: skip
        due = datetime(2026, 11, 2, 9, tzinfo=UTC)
        await conn.execute(runs.insert().values(id=1, task_id=1, attempt=1, due_at=due))
        await conn.execute(
            accounts.insert().values(
                id=1, guild_id=1, user_id=2, balance=4, created_at=CREATED, updated_at=CREATED
            )
        )
        await conn.execute(
            ledger.insert().values(
                id=1, account_id=1, delta=-1, task_id=1, balance_after=4, reason="charge",
                created_at=CREATED,
            )
        )  # fmt: skip


async def _task_columns(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        columns = await conn.run_sync(lambda c: inspect(c).get_columns("scheduled_tasks"))
    return {column["name"] for column in columns}


async def _linked_rows(engine: AsyncEngine) -> tuple[int, int | None]:
    """How many task runs there are, and the task id the ledger entry points at."""
    async with engine.connect() as conn:
        runs = (await conn.execute(sa.text("SELECT count(*) FROM task_runs"))).scalar_one()
        task = (await conn.execute(sa.text("SELECT task_id FROM credit_ledger"))).scalar_one()
    return runs, task


async def test_0003_adds_the_shape_columns_and_keeps_every_row(engine: AsyncEngine) -> None:
    """0002 -> 0003 keeps tasks, their runs and ledger links; old rows read as before."""
    await migrate.downgrade(engine, "0002")
    assert not SHAPE_COLUMNS & await _task_columns(engine)
    await _seed_at_0002(engine)
    await migrate.upgrade(engine)
    assert SHAPE_COLUMNS <= await _task_columns(engine)
    assert await _linked_rows(engine) == (1, 1)
    async with create_session_factory(engine)() as session:
        row = await session.get(ScheduledTask, 1)
        assert row is not None
        assert (row.weekday_ordinal, row.more_times, row.step_minutes) == (None, None, None)
        expected = Recurrence(
            RecurrenceType.DAILY, datetime(2026, 11, 2, 9, tzinfo=UTC), "UTC", time_of_day=time(9)
        )
        assert recurrence_of(row) == expected


async def test_0003_down_and_up_again_keeps_every_row(engine: AsyncEngine) -> None:
    """Down to 0002 drops the shape columns and keeps the rows; up again restores the columns."""
    await migrate.downgrade(engine, "0002")
    await _seed_at_0002(engine)
    await migrate.upgrade(engine)
    await migrate.downgrade(engine, "0002")
    assert not SHAPE_COLUMNS & await _task_columns(engine)
    assert await _linked_rows(engine) == (1, 1)
    await migrate.upgrade(engine)
    assert SHAPE_COLUMNS <= await _task_columns(engine)
    assert await _linked_rows(engine) == (1, 1)


async def test_new_shapes_are_stored_and_read_back(engine: AsyncEngine) -> None:
    """A several-times rule, an nth weekday and a minutes step survive the database."""
    anchor = datetime(2026, 12, 7, 14, tzinfo=UTC)
    shapes = [
        Recurrence(
            RecurrenceType.DAILY,
            anchor,
            "America/New_York",
            time_of_day=time(9),
            more_times=tuple(time(hour, 30) for hour in range(23)),
        ),
        Recurrence(
            RecurrenceType.MONTHLY,
            anchor,
            "America/New_York",
            time_of_day=time(9),
            weekdays=(0,),
            ordinal=1,
        ),
        Recurrence(RecurrenceType.HOURLY, anchor, "Australia/Lord_Howe", step_minutes=45),
    ]
    factory = create_session_factory(engine)
    async with factory() as session:
        for number, shape in enumerate(shapes, start=1):
            session.add(
                ScheduledTask(
                    id=number, guild_id=1, task_type="play_sound", name=f"t{number}",
                    parameters={}, runs_done=0, status="pending", on_busy="queue",
                    consecutive_failures=0, created_at=CREATED, updated_at=CREATED,
                    **recurrence_fields(shape),
                )
            )  # fmt: skip
        await session.commit()
    async with factory() as session:
        rows = [await session.get(ScheduledTask, number) for number in (1, 2, 3)]
        assert [recurrence_of(row) for row in rows if row is not None] == shapes
