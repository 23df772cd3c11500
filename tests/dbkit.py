"""Fresh databases for tests: a SQLite file, or a new database on the test PostgreSQL server.

PostgreSQL runs when ``POSTGRES_TEST_URL`` names a server (``.ci/postgres.sh`` starts
one and ``.ci/run`` exports it); otherwise the PostgreSQL variants skip and say why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("POSTGRES_TEST_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"]


@asynccontextmanager
async def fresh_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'carillon.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set POSTGRES_TEST_URL (see .ci/postgres.sh)")
    import asyncpg

    server = make_url(POSTGRES_URL)
    name = f"carillon_test_{uuid.uuid4().hex[:12]}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
