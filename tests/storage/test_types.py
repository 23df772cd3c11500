"""UTCDateTime keeps instants exact and aware, and refuses naive datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from storage.models import UserSettings
from storage.uow import UnitOfWorkFactory

CASES = [
    datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
    datetime(2026, 3, 8, 3, 0, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-11))),
]


@pytest.mark.parametrize("instant", CASES, ids=str)
async def test_round_trip_is_aware_utc_same_instant(
    uow_factory: UnitOfWorkFactory, instant: datetime
) -> None:
    """Any aware datetime comes back aware, in UTC, and equal to what was written."""
    async with uow_factory() as uow:
        await uow.users.set_timezone(1, "UTC", instant)
        await uow.commit()
    async with uow_factory() as uow:
        row = await uow.users.get(1)
        assert row is not None
        assert row.created_at.tzinfo is UTC
        # Compare in UTC: PEP 495 makes fold=1 datetimes unequal to any other zone's.
        assert row.created_at == instant.astimezone(UTC)
        assert row.created_at.utcoffset() == timedelta(0)


async def test_naive_datetime_is_refused(uow_factory: UnitOfWorkFactory) -> None:
    """Writing a naive datetime fails and writes nothing."""
    async with uow_factory() as uow:
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.users.set_timezone(1, "UTC", datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001
    async with uow_factory() as uow:
        assert await uow.users.get(1) is None


async def test_comparisons_follow_time_order(uow_factory: UnitOfWorkFactory) -> None:
    """Range queries compare instants, not the text of differently-zoned values."""
    paris = ZoneInfo("Europe/Paris")
    async with uow_factory() as uow:
        # 10:00 Paris (09:00 UTC) is earlier than 09:30 UTC although "10" > "09".
        await uow.users.set_timezone(1, None, datetime(2026, 1, 5, 10, 0, tzinfo=paris))
        await uow.users.set_timezone(2, None, datetime(2026, 1, 5, 9, 30, tzinfo=UTC))
        await uow.commit()
        cutoff = datetime(2026, 1, 5, 9, 15, tzinfo=UTC)
        result = await uow.session.execute(
            select(UserSettings.user_id).where(UserSettings.created_at < cutoff)
        )
        assert result.scalars().all() == [1]
