"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def insert_ignore(session: AsyncSession, model: type[Any], conflict_columns: Sequence[str]) -> Any:
    """``INSERT … ON CONFLICT (cols) DO NOTHING`` for the session's database."""
    name = dialect_name(session)
    if name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(
            index_elements=list(conflict_columns)
        )
    if name == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing(index_elements=list(conflict_columns))
    raise NotImplementedError(f"database {name!r} is not supported")
