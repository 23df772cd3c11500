"""The credit economy's use cases: balance, history, charge, refund, grant, set and recharge.

Every method takes plain IDs, opens one unit of work and commits once.  The arithmetic is in
:mod:`bot.credits.rules`; the repository applies it atomically (a conditional ``UPDATE … RETURNING``
for charges, compare-and-set for the rest) with a ledger row in the same transaction, so the ledger
of every account always sums to its balance.

:meth:`CreditService.apply_recharge` is the one use case that also runs inside a caller's unit of
work: the task runner applies a scheduled recharge and records the run's success in one
transaction, so a crash or a retry can never credit twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.bounds import check_page
from bot.clock import Clock
from bot.config import CreditSettings
from bot.credits import rules as credit_rules
from bot.errors import InsufficientCredits
from storage.enums import LedgerReason
from storage.models import CreditLedgerEntry
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Column widths of credit_ledger (PostgreSQL enforces them; SQLite would not).
_COMMAND_WIDTH = 64
_DETAIL_WIDTH = 200


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One change of a balance, as the services and cogs see it (not an ORM row)."""

    id: int
    delta: int
    balance_after: int
    reason: LedgerReason
    created_at: datetime
    task_id: int | None = None
    command: str | None = None
    actor_id: int | None = None
    detail: str | None = None

    @classmethod
    def from_row(cls, row: CreditLedgerEntry) -> LedgerEntry:
        return cls(
            id=row.id,
            delta=row.delta,
            balance_after=row.balance_after,
            reason=LedgerReason(row.reason),
            created_at=row.created_at,
            task_id=row.task_id,
            command=row.command,
            actor_id=row.actor_id,
            detail=row.detail,
        )


@dataclass(frozen=True, slots=True)
class RechargeSummary:
    """What a recharge did: how many accounts it looked at, how many it raised, and by how much."""

    guild_id: int
    user_id: int | None  # None: every member with an account in the server
    amount: int
    accounts: int
    credited_accounts: int
    total_credited: int

    @property
    def detail(self) -> str:
        """A one-line account of the recharge, for a task run's history or an admin's reply."""
        target = f"member {self.user_id}" if self.user_id is not None else "every member"
        return (
            f"Recharge of {credit_rules.credits_text(self.amount)} for {target}: "
            f"{self.credited_accounts} of {self.accounts} account(s) credited, "
            f"{credit_rules.credits_text(self.total_credited)} in total."
        )


def _clip(text: str | None, width: int) -> str | None:
    return None if text is None else text[:width]


class CreditService:
    """Per-server, per-member balances and their ledger."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, settings: CreditSettings
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._settings = settings

    async def balance(self, guild_id: int, user_id: int) -> int:
        """The member's balance; the first use opens the account with the starting balance."""
        async with self._uow_factory() as uow:
            account_id = await self._open(uow, guild_id, user_id, self._clock.now())
            balance = await uow.credits.balance(account_id)
            await uow.commit()
        return balance

    async def history(
        self, guild_id: int, user_id: int, limit: int = 10, offset: int = 0
    ) -> list[LedgerEntry]:
        """The member's ledger, newest first; opens the account like :meth:`balance`."""
        check_page(limit, offset)
        async with self._uow_factory() as uow:
            account_id = await self._open(uow, guild_id, user_id, self._clock.now())
            rows = await uow.credits.ledger(account_id, limit=limit, offset=offset)
            entries = [LedgerEntry.from_row(row) for row in rows]
            await uow.commit()
        return entries

    async def charge(
        self,
        guild_id: int,
        user_id: int,
        cost: int,
        *,
        task_id: int | None = None,
        command: str | None = None,
        detail: str | None = None,
    ) -> int:
        """Take ``cost`` from the member's balance and return the new balance.

        Raises :class:`InsufficientCredits` (nothing taken) when the balance does not cover it.
        A cost of 0 (free plays, system tasks) changes nothing and writes no ledger row.
        """
        if cost < 0:
            raise ValueError(f"a charge cannot be negative, got {cost}")
        now = self._clock.now()
        async with self._uow_factory() as uow:
            account_id = await self._open(uow, guild_id, user_id, now)
            if cost == 0:
                balance = await uow.credits.balance(account_id)
                await uow.commit()
                return balance
            while True:
                charged = await uow.credits.charge(
                    account_id,
                    cost,
                    now,
                    task_id=task_id,
                    command=_clip(command, _COMMAND_WIDTH),
                    detail=_clip(detail, _DETAIL_WIDTH),
                )
                if charged is not None:
                    await uow.commit()
                    return charged
                balance = await uow.credits.balance(account_id)
                # A recharge may have landed between the refused UPDATE and this read: try again
                # rather than tell the member they cannot afford what they now can.
                if not credit_rules.can_afford(balance, cost):
                    break
            # Keep a newly opened account even though the charge was refused.
            await uow.commit()
        log.info(
            "charge refused: guild=%s user=%s balance=%s cost=%s task=%s command=%s",
            guild_id,
            user_id,
            balance,
            cost,
            task_id,
            command,
        )
        raise self._insufficient(balance, cost)

    async def ensure_affordable(self, guild_id: int, user_id: int, cost: int) -> None:
        """Refuse early (before joining voice) when the balance cannot cover ``cost``.

        Only a courtesy: the charge itself is atomic and may still be declined later.
        """
        balance = await self.balance(guild_id, user_id)
        if not credit_rules.can_afford(balance, cost):
            raise self._insufficient(balance, cost)

    def _insufficient(self, balance: int, cost: int) -> InsufficientCredits:
        return InsufficientCredits(
            credit_rules.insufficient_credits_message(
                balance,
                cost,
                daily_allowance=self._settings.daily_allowance,
                max_balance=self._settings.max_balance,
            )
        )

    async def refund(
        self,
        guild_id: int,
        user_id: int,
        amount: int,
        *,
        task_id: int | None = None,
        command: str | None = None,
        detail: str | None = None,
    ) -> int:
        """Give back ``amount`` a play took (playback failed before any audio was sent).

        Not capped at the maximum balance: a refund restores what was taken, even if a recharge
        filled the account in between.  Returns the new balance.
        """
        if amount < 0:
            raise ValueError(f"a refund cannot be negative, got {amount}")
        now = self._clock.now()
        async with self._uow_factory() as uow:
            account_id = await self._open(uow, guild_id, user_id, now)
            if amount == 0:
                balance = await uow.credits.balance(account_id)
            else:
                _, balance = await uow.credits.update_balance(
                    account_id,
                    lambda old: credit_rules.refunded_balance(old, amount),
                    LedgerReason.REFUND,
                    now,
                    task_id=task_id,
                    command=_clip(command, _COMMAND_WIDTH),
                    detail=_clip(detail, _DETAIL_WIDTH),
                )
            await uow.commit()
        return balance

    async def grant(
        self,
        guild_id: int,
        user_id: int,
        amount: int,
        *,
        actor_id: int,
        detail: str | None = None,
    ) -> int:
        """An admin adds ``amount`` (> 0) credits; not capped at the maximum.  The new balance."""
        credit_rules.check_grant_amount(amount)
        now = self._clock.now()
        async with self._uow_factory() as uow:
            account_id = await self._open(uow, guild_id, user_id, now)
            _, balance = await uow.credits.update_balance(
                account_id,
                lambda old: credit_rules.granted_balance(old, amount),
                LedgerReason.GRANT,
                now,
                actor_id=actor_id,
                detail=_clip(detail, _DETAIL_WIDTH),
            )
            await uow.commit()
        log.info(
            "credits granted: guild=%s user=%s amount=%s balance=%s actor=%s",
            guild_id,
            user_id,
            amount,
            balance,
            actor_id,
        )
        return balance

    async def set_balance(
        self,
        guild_id: int,
        user_id: int,
        balance: int,
        *,
        actor_id: int,
        detail: str | None = None,
    ) -> int:
        """An admin sets the balance (>= 0, may exceed the maximum); the ledger records it."""
        credit_rules.check_new_balance(balance)
        now = self._clock.now()
        async with self._uow_factory() as uow:
            account_id = await self._open(uow, guild_id, user_id, now)
            delta, new = await uow.credits.set_balance(
                account_id, balance, now, actor_id=actor_id, detail=_clip(detail, _DETAIL_WIDTH)
            )
            await uow.commit()
        log.info(
            "credits set: guild=%s user=%s balance=%s delta=%s actor=%s",
            guild_id,
            user_id,
            new,
            delta,
            actor_id,
        )
        return new

    async def recharge(
        self,
        guild_id: int,
        user_id: int | None,
        amount: int | None,
        *,
        task_id: int | None = None,
        actor_id: int | None = None,
    ) -> RechargeSummary:
        """Recharge one member, or (``user_id`` None) every member with an account, and commit.

        ``amount`` None means the daily allowance.  See :meth:`apply_recharge` for the rule.
        """
        async with self._uow_factory() as uow:
            summary = await self.apply_recharge(
                uow, guild_id, user_id, amount, task_id=task_id, actor_id=actor_id
            )
            await uow.commit()
        log.info(
            "recharge: guild=%s user=%s amount=%s accounts=%s credited=%s total=%s task=%s "
            "actor=%s",
            guild_id,
            user_id,
            summary.amount,
            summary.accounts,
            summary.credited_accounts,
            summary.total_credited,
            task_id,
            actor_id,
        )
        return summary

    async def apply_recharge(
        self,
        uow: UnitOfWork,
        guild_id: int,
        user_id: int | None,
        amount: int | None,
        *,
        task_id: int | None,
        actor_id: int | None,
    ) -> RechargeSummary:
        """Recharge inside the caller's unit of work, without committing.

        Each account gains ``amount`` (default: the daily allowance) up to the maximum balance; a
        balance already at or above the maximum is left as it is and gets no ledger row.  A named
        member without an account gets one first (with the starting balance).  The caller commits,
        together with whatever else belongs to the same transaction (a task run's outcome).
        """
        if amount is not None:
            credit_rules.check_recharge_amount(amount)
        resolved = self._settings.daily_allowance if amount is None else amount
        cap = self._settings.max_balance
        now = self._clock.now()
        if user_id is not None:
            account_ids = [await self._open(uow, guild_id, user_id, now)]
        else:
            account_ids = [account.id for account in await uow.credits.accounts_in_guild(guild_id)]
        credited_accounts = 0
        total = 0
        for account_id in account_ids:
            applied, _ = await uow.credits.update_balance(
                account_id,
                lambda old: credit_rules.recharged_balance(old, resolved, cap),
                LedgerReason.RECHARGE,
                now,
                task_id=task_id,
                actor_id=actor_id,
                ledger_unchanged=False,
            )
            if applied:
                credited_accounts += 1
                total += applied
        summary = RechargeSummary(
            guild_id=guild_id,
            user_id=user_id,
            amount=resolved,
            accounts=len(account_ids),
            credited_accounts=credited_accounts,
            total_credited=total,
        )
        log.debug("recharge applied (not yet committed): %s", summary)
        return summary

    async def _open(self, uow: UnitOfWork, guild_id: int, user_id: int, now: datetime) -> int:
        account = await uow.credits.get_or_open(
            guild_id, user_id, self._settings.starting_balance, now
        )
        return account.id
