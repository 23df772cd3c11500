"""The credit rules as pure functions: balances in, balances (or a domain error) out.

No clock, no database: :class:`bot.credits.service.CreditService` applies these through the
repository's compare-and-set, so the arithmetic lives here once and is tested with tables.
"""

from __future__ import annotations

from bot.errors import ValidationError
from storage.columns import INTEGER_MAX

# Balances are stored in an INTEGER column, 32-bit on PostgreSQL: refuse admin requests that would
# overflow it with a message, rather than fail with a database error.
BALANCE_LIMIT = INTEGER_MAX
# The most one recharge (manual, scheduled or the daily allowance) adds to each account: far above
# any sensible allowance, and small enough that a recharge never nears the balance limit in steps.
MAX_RECHARGE_AMOUNT = 1_000_000


def credits_text(amount: int) -> str:
    """``1 credit``, ``5 credits``, ``1,000 credits``."""
    return f"{amount:,} credit" if amount == 1 else f"{amount:,} credits"


def play_cost(cost_per_play: int, *, system_task: bool) -> int:
    """What starting one track costs: system tasks play for free, everything else pays the price."""
    if cost_per_play < 0:
        raise ValueError(f"cost_per_play must be >= 0, got {cost_per_play}")
    return 0 if system_task else cost_per_play


def can_afford(balance: int, cost: int) -> bool:
    """Whether a charge of ``cost`` goes through (the database applies the same test atomically)."""
    return balance >= cost


def charged_balance(old: int, cost: int) -> int | None:
    """The balance after paying ``cost``, or None when it does not cover it (nothing changes)."""
    return old - cost if can_afford(old, cost) else None


def recharged_balance(old: int, amount: int, cap: int) -> int:
    """Add ``amount`` but never above ``cap``, and never lower a balance already above ``cap``.

    An admin may have set a balance above the maximum; a recharge leaves it as it is.
    """
    return max(old, min(old + amount, cap))


def refunded_balance(old: int, amount: int) -> int:
    """Give back ``amount`` that a play took.

    Not capped at the maximum balance: a refund restores what was taken, and a recharge that ran
    between the charge and the refund must not swallow it.  Only the storage limit bounds it.
    """
    return min(old + amount, BALANCE_LIMIT)


def granted_balance(old: int, amount: int) -> int:
    """An admin's grant: added in full (not capped at the maximum), within the storage limit."""
    new = old + amount
    if new > BALANCE_LIMIT:
        raise ValidationError(
            f"That grant would bring the balance to {new:,}; balances cannot exceed "
            f"{BALANCE_LIMIT:,}. Grant at most {BALANCE_LIMIT - old:,}."
        )
    return new


def check_grant_amount(amount: int) -> None:
    """A grant adds a positive whole number of credits."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(
            f"A grant must add at least 1 credit (got {amount!r}); "
            "to take credits away, set the balance instead."
        )


def check_new_balance(balance: int) -> None:
    """A balance an admin sets is a whole number from 0 to the storage limit."""
    if isinstance(balance, bool) or not isinstance(balance, int) or balance < 0:
        raise ValidationError(f"A balance cannot be negative (got {balance!r}); use 0 or more.")
    if balance > BALANCE_LIMIT:
        raise ValidationError(f"A balance cannot exceed {BALANCE_LIMIT:,} (got {balance:,}).")


def check_recharge_amount(amount: int) -> None:
    """An explicit recharge amount is 1 to :data:`MAX_RECHARGE_AMOUNT` credits (leave it out for
    the daily allowance)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValidationError(
            f"A recharge must add at least 1 credit (got {amount!r}); "
            "leave the amount out to use the daily allowance."
        )
    if amount > MAX_RECHARGE_AMOUNT:
        raise ValidationError(
            f"A recharge adds at most {MAX_RECHARGE_AMOUNT:,} credits (got {amount:,}); "
            "give a smaller amount, or leave it out to use the daily allowance. To give one "
            "member more, use /admin credits grant."
        )


def insufficient_credits_message(
    balance: int, cost: int, *, daily_allowance: int, max_balance: int
) -> str:
    """What a member reads when a play costs more than they have: the numbers and what to do."""
    refused = (
        f"Not enough credits: you have {credits_text(balance)} and this costs {credits_text(cost)}."
    )
    if daily_allowance <= 0:
        return f"{refused} Ask a server admin for credits."
    if cost > max_balance:
        return (
            f"{refused} Recharges stop at {credits_text(max_balance)}, so this needs credits "
            "from a server admin."
        )
    return (
        f"{refused} The daily recharge at midnight server time adds "
        f"{credits_text(daily_allowance)} (up to {credits_text(max_balance)}); "
        "if you need credits sooner, ask a server admin."
    )
