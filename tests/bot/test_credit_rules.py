"""The credit rules, as tables: no clock, no database."""

from __future__ import annotations

import pytest

from bot.credits.rules import (
    BALANCE_LIMIT,
    charged_balance,
    check_grant_amount,
    check_new_balance,
    check_recharge_amount,
    credits_text,
    granted_balance,
    insufficient_credits_message,
    play_cost,
    recharged_balance,
    refunded_balance,
)
from bot.errors import ValidationError


@pytest.mark.parametrize(
    ("old", "amount", "cap", "new"),
    [
        (10, 100, 100, 100),  # lifted to the cap, not above
        (0, 30, 100, 30),  # room to spare: the whole amount
        (99, 1, 100, 100),  # exactly to the cap
        (99, 5, 100, 100),  # the rest is dropped
        (100, 100, 100, 100),  # already full
        (150, 100, 100, 150),  # above the cap (an admin set it): not lowered
        (0, 0, 100, 0),  # an allowance of 0 changes nothing
        (5, 10, 1, 5),  # a tiny cap never takes credits away
    ],
)
def test_recharged_balance(old: int, amount: int, cap: int, new: int) -> None:
    """A recharge adds its amount up to the cap and never lowers a balance."""
    assert recharged_balance(old, amount, cap) == new


@pytest.mark.parametrize(
    ("cost_per_play", "system_task", "cost"),
    [
        (1, False, 1),
        (3, False, 3),
        (0, False, 0),  # plays made free in the config
        (1, True, 0),  # system tasks play for free
        (5, True, 0),
    ],
)
def test_play_cost(cost_per_play: int, system_task: bool, cost: int) -> None:
    """Members pay the configured price per track; system tasks pay nothing."""
    assert play_cost(cost_per_play, system_task=system_task) == cost


def test_play_cost_refuses_a_negative_price() -> None:
    """A negative price is a programming error, not a free play."""
    with pytest.raises(ValueError, match="cost_per_play"):
        play_cost(-1, system_task=False)


@pytest.mark.parametrize(
    ("old", "cost", "new"),
    [(5, 3, 2), (3, 3, 0), (2, 3, None), (0, 1, None), (0, 0, 0)],
)
def test_charged_balance(old: int, cost: int, new: int | None) -> None:
    """A charge goes through only when the balance covers it."""
    assert charged_balance(old, cost) == new


@pytest.mark.parametrize(
    ("old", "amount", "new"),
    [
        (0, 3, 3),
        (99, 1, 100),
        (100, 1, 101),  # not capped: a refund restores what was taken
        (BALANCE_LIMIT - 1, 5, BALANCE_LIMIT),  # only the storage limit bounds it
    ],
)
def test_refunded_balance(old: int, amount: int, new: int) -> None:
    """A refund gives back what a play took, above the maximum if need be."""
    assert refunded_balance(old, amount) == new


@pytest.mark.parametrize(("old", "amount", "new"), [(0, 5, 5), (100, 50, 150), (0, 1, 1)])
def test_granted_balance(old: int, amount: int, new: int) -> None:
    """A grant adds in full, above the maximum balance."""
    assert granted_balance(old, amount) == new


def test_granted_balance_refuses_to_overflow_storage() -> None:
    """A grant past the storage limit is refused with the most that can be granted."""
    with pytest.raises(ValidationError) as caught:
        granted_balance(BALANCE_LIMIT - 10, 11)
    assert "Grant at most 10" in caught.value.message


@pytest.mark.parametrize("amount", [0, -1, -100, True])
def test_check_grant_amount_refuses(amount: int) -> None:
    """A grant must add at least one credit."""
    with pytest.raises(ValidationError, match="at least 1 credit"):
        check_grant_amount(amount)


@pytest.mark.parametrize("amount", [1, 100, BALANCE_LIMIT])
def test_check_grant_amount_accepts(amount: int) -> None:
    """Positive grants pass."""
    check_grant_amount(amount)


@pytest.mark.parametrize(
    ("balance", "message"),
    [(-1, "cannot be negative"), (BALANCE_LIMIT + 1, "cannot exceed"), (False, "negative")],
)
def test_check_new_balance_refuses(balance: int, message: str) -> None:
    """A balance set by an admin is a whole number within the storage range."""
    with pytest.raises(ValidationError, match=message):
        check_new_balance(balance)


@pytest.mark.parametrize("balance", [0, 1, 100, 1000, BALANCE_LIMIT])
def test_check_new_balance_accepts(balance: int) -> None:
    """0 and anything up to the storage limit may be set, above the maximum too."""
    check_new_balance(balance)


@pytest.mark.parametrize("amount", [0, -5])
def test_check_recharge_amount_refuses(amount: int) -> None:
    """An explicit recharge amount is at least 1; the message points at the default."""
    with pytest.raises(ValidationError, match="daily allowance"):
        check_recharge_amount(amount)


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "0 credits"), (1, "1 credit"), (2, "2 credits"), (1000, "1,000 credits")],
)
def test_credits_text(amount: int, text: str) -> None:
    """Amounts read naturally: singular for one, thousands separated."""
    assert credits_text(amount) == text


@pytest.mark.parametrize(
    ("balance", "cost", "allowance", "maximum", "expected"),
    [
        (
            0,
            1,
            100,
            100,
            "Not enough credits: you have 0 credits and this costs 1 credit. The daily recharge "
            "at midnight server time adds 100 credits (up to 100 credits); if you need credits "
            "sooner, ask a server admin.",
        ),
        (
            2,
            5,
            0,
            100,
            "Not enough credits: you have 2 credits and this costs 5 credits. "
            "Ask a server admin for credits.",
        ),
        (
            100,
            150,
            100,
            100,
            "Not enough credits: you have 100 credits and this costs 150 credits. Recharges stop "
            "at 100 credits, so this needs credits from a server admin.",
        ),
    ],
)
def test_insufficient_credits_message(
    balance: int, cost: int, allowance: int, maximum: int, expected: str
) -> None:
    """The refusal says the balance, the cost, and the way to more credits that applies."""
    message = insufficient_credits_message(
        balance, cost, daily_allowance=allowance, max_balance=maximum
    )
    assert message == expected
