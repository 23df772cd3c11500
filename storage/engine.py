"""Engine and session factory.

SQLite gets WAL (readers do not block the writer), foreign keys (off by default in SQLite), a busy
timeout (wait for a lock instead of failing at once) and ``synchronous=NORMAL`` (safe with WAL).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)


def create_engine(url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> AsyncEngine:
    """An async engine for ``url``; the SQLite file's directory is created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": busy_timeout_ms / 1000},
            # Every session ends in commit() or close() (which rolls back), so the pool's own
            # rollback on return is a redundant round trip to the aiosqlite thread.
            pool_reset_on_return=None,
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: services return loaded rows after the unit of work commits.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
