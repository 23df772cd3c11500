"""Credit accounts and their ledger.

Balances change only through conditional single-statement updates, each followed by a ledger row in
the same transaction, so concurrent plays can never overdraw an account or lose a change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_ignore
from storage.enums import LedgerReason
from storage.models import CreditAccount, CreditLedgerEntry


class CreditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, guild_id: int, user_id: int) -> CreditAccount | None:
        result = await self._session.execute(
            select(CreditAccount).where(
                CreditAccount.guild_id == guild_id, CreditAccount.user_id == user_id
            )
        )
        return result.scalar_one_or_none()

    async def get_or_open(
        self, guild_id: int, user_id: int, starting_balance: int, now: datetime
    ) -> CreditAccount:
        """The member's account, opened with ``starting_balance`` (and a ledger row) if new."""
        account = await self.get(guild_id, user_id)
        if account is not None:
            return account
        # INSERT .. ON CONFLICT DO NOTHING: two first plays at once open one account, not an error.
        inserted = await self._session.execute(
            insert_ignore(self._session, CreditAccount, ["guild_id", "user_id"])
            .values(
                guild_id=guild_id,
                user_id=user_id,
                balance=starting_balance,
                created_at=now,
                updated_at=now,
            )
            .returning(CreditAccount.id)
        )
        new_id = inserted.scalar_one_or_none()
        account = await self.get(guild_id, user_id)
        assert account is not None
        if new_id is not None:
            self._ledger(account.id, starting_balance, starting_balance, LedgerReason.OPENING, now)
            await self._session.flush()
        return account

    async def charge(
        self,
        account_id: int,
        cost: int,
        now: datetime,
        *,
        task_id: int | None = None,
        command: str | None = None,
        detail: str | None = None,
    ) -> int | None:
        """Take ``cost`` if the balance covers it; the new balance, or None if it did not."""
        result = await self._session.execute(
            update(CreditAccount)
            .where(CreditAccount.id == account_id, CreditAccount.balance >= cost)
            .values(balance=CreditAccount.balance - cost, updated_at=now)
            .returning(CreditAccount.balance)
        )
        balance = result.scalar_one_or_none()
        if balance is None:
            return None
        self._ledger(
            account_id, -cost, balance, LedgerReason.CHARGE, now, task_id, command, None, detail
        )
        await self._session.flush()
        return balance

    async def update_balance(
        self,
        account_id: int,
        new_balance: Callable[[int], int],
        reason: LedgerReason,
        now: datetime,
        *,
        task_id: int | None = None,
        command: str | None = None,
        actor_id: int | None = None,
        detail: str | None = None,
        ledger_unchanged: bool = True,
    ) -> tuple[int, int]:
        """Set the balance to ``new_balance(old)`` and write its ledger row.

        The rule (a cap, a refund, a grant) is the caller's; storage only applies it atomically:
        compare-and-set on the old balance, so a concurrent change makes us re-read and recompute
        instead of overwriting it.  With ``ledger_unchanged=False`` a change of 0 leaves no ledger
        row (a recharge of a full account).  Returns ``(applied delta, new balance)``.
        """
        while True:
            old = await self.balance(account_id)
            new = new_balance(old)
            if new < 0:
                raise ValueError(f"account {account_id}: balance {new} would be negative")
            # An unchanged balance needs no write: the value just read is the current one.
            if new == old or await self._compare_and_set(account_id, old, new, now):
                break
        applied = new - old
        if applied or ledger_unchanged:
            self._ledger(account_id, applied, new, reason, now, task_id, command, actor_id, detail)
        await self._session.flush()
        return applied, new

    async def set_balance(
        self,
        account_id: int,
        balance: int,
        now: datetime,
        *,
        actor_id: int | None = None,
        command: str | None = None,
        detail: str | None = None,
    ) -> tuple[int, int]:
        """Set the balance to ``balance``; the ledger row records the difference (even 0)."""
        return await self.update_balance(
            account_id,
            lambda _old: balance,
            LedgerReason.SET,
            now,
            command=command,
            actor_id=actor_id,
            detail=detail,
        )

    async def accounts_in_guild(self, guild_id: int) -> Sequence[CreditAccount]:
        result = await self._session.execute(
            select(CreditAccount)
            .where(CreditAccount.guild_id == guild_id)
            .order_by(CreditAccount.id)
        )
        return result.scalars().all()

    async def ledger(
        self, account_id: int, limit: int = 20, offset: int = 0
    ) -> Sequence[CreditLedgerEntry]:
        result = await self._session.execute(
            select(CreditLedgerEntry)
            .where(CreditLedgerEntry.account_id == account_id)
            .order_by(CreditLedgerEntry.created_at.desc(), CreditLedgerEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return result.scalars().all()

    async def ledger_sum(self, account_id: int) -> int:
        result = await self._session.execute(
            select(func.coalesce(func.sum(CreditLedgerEntry.delta), 0)).where(
                CreditLedgerEntry.account_id == account_id
            )
        )
        return int(result.scalar_one())

    async def balance(self, account_id: int) -> int:
        """The current balance, read from the database (not from a loaded row)."""
        result = await self._session.execute(
            select(CreditAccount.balance).where(CreditAccount.id == account_id)
        )
        return int(result.scalar_one())

    async def _compare_and_set(self, account_id: int, old: int, new: int, now: datetime) -> bool:
        result = await self._session.execute(
            update(CreditAccount)
            .where(CreditAccount.id == account_id, CreditAccount.balance == old)
            .values(balance=new, updated_at=now)
            .returning(CreditAccount.id)
        )
        return result.scalar_one_or_none() is not None

    def _ledger(
        self,
        account_id: int,
        delta: int,
        balance_after: int,
        reason: LedgerReason,
        now: datetime,
        task_id: int | None = None,
        command: str | None = None,
        actor_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        self._session.add(
            CreditLedgerEntry(
                account_id=account_id,
                delta=delta,
                balance_after=balance_after,
                reason=reason.value,
                task_id=task_id,
                command=command,
                actor_id=actor_id,
                detail=detail,
                created_at=now,
            )
        )
