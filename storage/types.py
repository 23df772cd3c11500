"""Column types.

``UTCDateTime`` is the only datetime column type: it refuses naive datetimes, stores the instant in
UTC, and always gives back an aware UTC datetime, on SQLite (which has no time zones and would
otherwise hand back naive values) and on PostgreSQL (``timestamptz``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: store aware datetimes only")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite stores text; SQLAlchemy's fixed-width format with microseconds keeps text order
            # equal to time order, so indexes and comparisons on these columns stay correct.
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
