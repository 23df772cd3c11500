"""The unit of work commits once or not at all; credit updates are conditional and ledgered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from storage.enums import LedgerReason
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


async def test_leaving_without_commit_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    """An exception inside a unit of work leaves nothing behind."""
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.credits.get_or_open(1, 2, 100, NOW)
            raise RuntimeError("boom")
    async with uow_factory() as uow:
        assert await uow.credits.get(1, 2) is None


async def test_open_account_writes_opening_ledger_row(uow_factory: UnitOfWorkFactory) -> None:
    """A new account starts at the starting balance, recorded in the ledger."""
    async with uow_factory() as uow:
        account = await uow.credits.get_or_open(1, 2, 100, NOW)
        again = await uow.credits.get_or_open(1, 2, 100, NOW)
        await uow.commit()
    assert again.id == account.id
    async with uow_factory() as uow:
        entries = await uow.credits.ledger(account.id)
    assert [(e.reason, e.delta, e.balance_after) for e in entries] == [("opening", 100, 100)]


async def test_charge_never_overdraws(uow_factory: UnitOfWorkFactory) -> None:
    """A charge larger than the balance is refused and changes nothing."""
    async with uow_factory() as uow:
        account = await uow.credits.get_or_open(1, 2, 3, NOW)
        assert await uow.credits.charge(account.id, 2, NOW) == 1
        assert await uow.credits.charge(account.id, 2, NOW) is None
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.credits.ledger_sum(account.id) == 1


async def test_concurrent_charges_spend_each_credit_once(uow_factory: UnitOfWorkFactory) -> None:
    """Twenty concurrent one-credit charges on a balance of 5: exactly five succeed."""
    async with uow_factory() as uow:
        account = await uow.credits.get_or_open(1, 2, 5, NOW)
        await uow.commit()

    async def charge() -> int | None:
        async with uow_factory() as uow:
            balance = await uow.credits.charge(account.id, 1, NOW)
            await uow.commit()
            return balance

    results = await asyncio.gather(*(charge() for _ in range(20)))
    assert sorted(r for r in results if r is not None) == [0, 1, 2, 3, 4]
    async with uow_factory() as uow:
        fresh = await uow.credits.get(1, 2)
        assert fresh is not None and fresh.balance == 0
        assert await uow.credits.ledger_sum(account.id) == 0


@pytest.mark.parametrize(("start", "target", "ledger_rows"), [(10, 100, 2), (100, 100, 1)])
async def test_update_balance_applies_the_callers_rule(
    uow_factory: UnitOfWorkFactory, start: int, target: int, ledger_rows: int
) -> None:
    """update_balance applies new_balance(old) and ledgers it (no row when unchanged)."""
    async with uow_factory() as uow:
        account = await uow.credits.get_or_open(1, 2, start, NOW)
        result = await uow.credits.update_balance(
            account.id,
            lambda old: max(old, target),
            LedgerReason.RECHARGE,
            NOW,
            ledger_unchanged=False,
        )
        await uow.commit()
    assert result == (target - start, target)
    async with uow_factory() as uow:
        assert await uow.credits.ledger_sum(account.id) == target
        assert len(await uow.credits.ledger(account.id)) == ledger_rows
