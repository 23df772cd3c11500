"""CreditService on a real SQLite file with a fake clock: every rule, concurrency, the ledger."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import CreditSettings
from bot.credits import rules as credit_rules
from bot.credits.service import CreditService, LedgerEntry, RechargeSummary
from bot.errors import InsufficientCredits, ValidationError
from storage.enums import LedgerReason, RunOutcome, TaskStatus, TaskType
from storage.models import ScheduledTask, TaskRun
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock

GUILD = 1000
OTHER_GUILD = 2000
ALICE = 11
BOB = 12
CAROL = 13
ADMIN = 99

DEFAULTS = CreditSettings()  # starting 100, allowance 100, maximum 100, 1 per play


@pytest.fixture
def credits(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> CreditService:
    return CreditService(uow_factory, clock, DEFAULTS)


def service(uow_factory: UnitOfWorkFactory, clock: FakeClock, **overrides: int) -> CreditService:
    return CreditService(uow_factory, clock, dataclasses.replace(DEFAULTS, **overrides))


async def full_ledger(
    uow_factory: UnitOfWorkFactory, guild_id: int, user_id: int
) -> list[LedgerEntry]:
    """Every ledger row of one account, oldest first."""
    async with uow_factory() as uow:
        account = await uow.credits.get(guild_id, user_id)
        assert account is not None
        rows = await uow.credits.ledger(account.id, limit=100_000)
    return [LedgerEntry.from_row(row) for row in reversed(rows)]


async def assert_ledgers_agree(uow_factory: UnitOfWorkFactory, guild_id: int) -> dict[int, int]:
    """Each account's ledger replays to its balance row by row; the balances by user."""
    balances: dict[int, int] = {}
    async with uow_factory() as uow:
        accounts = await uow.credits.accounts_in_guild(guild_id)
        for account in accounts:
            balance = await uow.credits.balance(account.id)
            rows = list(reversed(await uow.credits.ledger(account.id, limit=100_000)))
            assert rows[0].reason == LedgerReason.OPENING
            running = 0
            for row in rows:
                running += row.delta
                assert row.balance_after == running, f"account {account.id} row {row.id}"
            assert running == balance == await uow.credits.ledger_sum(account.id)
            balances[account.user_id] = balance
    return balances


async def add_system_task(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> int:
    """A stored credit_recharge system task, for ledger rows that name their task."""
    async with uow_factory() as uow:
        task = await uow.tasks.add(
            ScheduledTask(
                guild_id=GUILD,
                owner_id=None,
                task_type=TaskType.CREDIT_RECHARGE.value,
                name="Daily credit recharge",
                parameters={"user_id": None, "amount": None},
                timezone="UTC",
                recurrence_type="daily",
                recurrence_interval=1,
                anchor_at=clock.now(),
                next_run_at=clock.now(),
                status=TaskStatus.PENDING.value,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        await uow.commit()
        return task.id


# --- balance and history -------------------------------------------------------------------------


async def test_first_balance_opens_the_account(
    credits: CreditService, uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A member's first balance is the starting balance, recorded once as an opening row."""
    assert await credits.balance(GUILD, ALICE) == 100
    assert await credits.balance(GUILD, ALICE) == 100
    entries = await full_ledger(uow_factory, GUILD, ALICE)
    assert [(e.reason, e.delta, e.balance_after, e.created_at) for e in entries] == [
        (LedgerReason.OPENING, 100, 100, clock.now())
    ]


async def test_starting_balance_comes_from_settings(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """The starting balance is the configured one."""
    assert await service(uow_factory, clock, starting_balance=7).balance(GUILD, ALICE) == 7


async def test_accounts_are_per_server_and_member(credits: CreditService) -> None:
    """Spending in one server touches neither another server nor another member."""
    await credits.charge(GUILD, ALICE, 30)
    assert await credits.balance(GUILD, ALICE) == 70
    assert await credits.balance(OTHER_GUILD, ALICE) == 100
    assert await credits.balance(GUILD, BOB) == 100


async def test_concurrent_first_use_opens_one_account(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """Many first requests at once open one account with one opening row."""
    results = await asyncio.gather(*(credits.balance(GUILD, ALICE) for _ in range(20)))
    assert set(results) == {100}
    entries = await full_ledger(uow_factory, GUILD, ALICE)
    assert [e.reason for e in entries] == [LedgerReason.OPENING]


async def test_history_is_newest_first_and_pages(credits: CreditService, clock: FakeClock) -> None:
    """History lists changes newest first, with limit and offset."""
    for cost in (1, 2, 3, 4):
        clock.advance(timedelta(minutes=1))
        await credits.charge(GUILD, ALICE, cost, command="sound play")
    first = await credits.history(GUILD, ALICE, limit=2)
    assert [(e.reason, e.delta, e.balance_after) for e in first] == [
        (LedgerReason.CHARGE, -4, 90),
        (LedgerReason.CHARGE, -3, 94),
    ]
    rest = await credits.history(GUILD, ALICE, limit=10, offset=2)
    assert [e.delta for e in rest] == [-2, -1, 100]
    assert rest[-1].reason is LedgerReason.OPENING
    assert all(isinstance(e, LedgerEntry) for e in first + rest)


async def test_history_orders_same_instant_by_insertion(credits: CreditService) -> None:
    """Changes made at the same instant still come back newest first."""
    await credits.charge(GUILD, ALICE, 1)
    await credits.charge(GUILD, ALICE, 2)
    history = await credits.history(GUILD, ALICE)
    assert [e.delta for e in history] == [-2, -1, 100]


async def test_history_of_a_new_member_shows_the_opening(credits: CreditService) -> None:
    """A member who never played sees their opening balance, like /credits balance."""
    history = await credits.history(GUILD, ALICE)
    assert [(e.reason, e.delta) for e in history] == [(LedgerReason.OPENING, 100)]


async def test_history_entries_are_frozen(credits: CreditService) -> None:
    """History returns plain frozen values, not ORM rows."""
    (entry,) = await credits.history(GUILD, ALICE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.delta = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("limit", "offset", "message"),
    [
        (0, 0, "between 1 and 100, not 0"),
        (101, 0, "between 1 and 100, not 101"),
        (10, -1, "offset must be between 0 and 2,147,483,647, not -1"),
        # past any database's OFFSET (a driver error on PostgreSQL, OverflowError on SQLite)
        (10, 2**63, "offset must be between 0 and 2,147,483,647, not 9,223,372,036,854,775,808"),
    ],
)
async def test_history_refuses_bad_paging(
    credits: CreditService, limit: int, offset: int, message: str
) -> None:
    """Limit and offset outside their range are a validation error."""
    with pytest.raises(ValidationError, match=message):
        await credits.history(GUILD, ALICE, limit=limit, offset=offset)


# --- charge --------------------------------------------------------------------------------------


async def test_charge_takes_the_cost_and_records_it(
    credits: CreditService, uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A charge returns the new balance and ledgers it with its task, command and detail."""
    task_id = await add_system_task(uow_factory, clock)
    clock.advance(timedelta(hours=1))
    assert await credits.charge(GUILD, ALICE, 3, task_id=task_id, command="c", detail="d") == 97
    last = (await full_ledger(uow_factory, GUILD, ALICE))[-1]
    assert last == LedgerEntry(
        id=last.id,
        delta=-3,
        balance_after=97,
        reason=LedgerReason.CHARGE,
        created_at=clock.now(),
        task_id=task_id,
        command="c",
        actor_id=None,
        detail="d",
    )


async def test_charge_to_exactly_zero(credits: CreditService) -> None:
    """The last credits can be spent."""
    assert await credits.charge(GUILD, ALICE, 100) == 0


async def test_insufficient_credits_changes_nothing(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """A charge above the balance is refused, takes nothing and writes no ledger row."""
    await credits.charge(GUILD, ALICE, 98)
    with pytest.raises(InsufficientCredits):
        await credits.charge(GUILD, ALICE, 3)
    assert await credits.balance(GUILD, ALICE) == 2
    assert [e.reason for e in await full_ledger(uow_factory, GUILD, ALICE)] == [
        LedgerReason.OPENING,
        LedgerReason.CHARGE,
    ]


async def test_insufficient_credits_message(credits: CreditService) -> None:
    """The refusal says the balance, the cost, the midnight recharge and the admin."""
    await credits.charge(GUILD, ALICE, 99)
    with pytest.raises(InsufficientCredits) as caught:
        await credits.charge(GUILD, ALICE, 5)
    assert caught.value.message == (
        "Not enough credits: you have 1 credit and this costs 5 credits. The daily recharge at "
        "midnight server time adds 100 credits (up to 100 credits); if you need credits sooner, "
        "ask a server admin."
    )
    assert str(caught.value) == caught.value.message


async def test_insufficient_credits_when_recharges_cannot_help(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A cost above the maximum balance points only at the admins."""
    credits = service(uow_factory, clock, cost_per_play=150)
    with pytest.raises(InsufficientCredits, match="Recharges stop at 100 credits"):
        await credits.charge(GUILD, ALICE, 150)


async def test_refused_first_charge_keeps_the_new_account(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A refused first charge still opens the account (once), so history starts at first use."""
    credits = service(uow_factory, clock, starting_balance=0)
    with pytest.raises(InsufficientCredits, match="you have 0 credits"):
        await credits.charge(GUILD, ALICE, 1)
    assert [e.reason for e in await full_ledger(uow_factory, GUILD, ALICE)] == [
        LedgerReason.OPENING
    ]


async def test_free_charge_writes_nothing(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """A charge of 0 (a free play) returns the balance and leaves the ledger alone."""
    assert await credits.charge(GUILD, ALICE, 0) == 100
    assert len(await full_ledger(uow_factory, GUILD, ALICE)) == 1


async def test_system_task_plays_free(credits: CreditService) -> None:
    """Through the play-cost rule, a system task's play costs nothing even at 0 credits."""
    await credits.charge(GUILD, ALICE, 100)
    cost = credit_rules.play_cost(DEFAULTS.cost_per_play, system_task=True)
    assert await credits.charge(GUILD, ALICE, cost) == 0


async def test_negative_charge_is_a_bug(credits: CreditService) -> None:
    """A negative cost is a programming error, never a hidden credit."""
    with pytest.raises(ValueError, match="negative"):
        await credits.charge(GUILD, ALICE, -1)


async def test_concurrent_charges_never_overdraw(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """100 concurrent one-credit charges on 30 credits: 30 succeed, each credit spent once."""
    credits = service(uow_factory, clock, starting_balance=30)
    await credits.balance(GUILD, ALICE)

    async def play() -> int | None:
        try:
            return await credits.charge(GUILD, ALICE, 1, command="sound play")
        except InsufficientCredits:
            return None

    results = await asyncio.gather(*(play() for _ in range(100)))
    spent = sorted(r for r in results if r is not None)
    assert spent == list(range(30))  # every balance from 29 down to 0 exactly once
    assert results.count(None) == 70
    assert await assert_ledgers_agree(uow_factory, GUILD) == {ALICE: 0}


async def test_concurrent_mixed_operations_keep_the_ledger(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Charges, refunds, grants and recharges racing on several accounts keep ledger = balance."""
    credits = service(uow_factory, clock, starting_balance=10, max_balance=40, daily_allowance=15)
    users = [ALICE, BOB, CAROL]
    for user in users:
        await credits.balance(GUILD, user)
    rng = random.Random(7)

    async def operation(index: int) -> None:
        user = rng.choice(users)
        kind = index % 5
        if kind in (0, 1):
            try:
                await credits.charge(GUILD, user, rng.randint(1, 6))
            except InsufficientCredits:
                pass
        elif kind == 2:
            await credits.refund(GUILD, user, rng.randint(1, 3))
        elif kind == 3:
            await credits.grant(GUILD, user, rng.randint(1, 5), actor_id=ADMIN)
        else:
            await credits.recharge(GUILD, None, None)

    await asyncio.gather(*(operation(i) for i in range(120)))
    balances = await assert_ledgers_agree(uow_factory, GUILD)
    assert set(balances) == set(users)
    assert all(balance >= 0 for balance in balances.values())


# --- refund --------------------------------------------------------------------------------------


async def test_refund_restores_the_charge(
    credits: CreditService, uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A refund gives back what the play took, recorded with its reason and task."""
    task_id = await add_system_task(uow_factory, clock)
    await credits.charge(GUILD, ALICE, 4, task_id=task_id)
    assert await credits.refund(GUILD, ALICE, 4, task_id=task_id, detail="no audio sent") == 100
    last = (await full_ledger(uow_factory, GUILD, ALICE))[-1]
    assert (last.reason, last.delta, last.task_id, last.detail) == (
        LedgerReason.REFUND,
        4,
        task_id,
        "no audio sent",
    )


async def test_refund_is_not_capped(credits: CreditService) -> None:
    """A recharge between charge and refund does not swallow the refund."""
    await credits.charge(GUILD, ALICE, 5)
    await credits.recharge(GUILD, ALICE, None)
    assert await credits.balance(GUILD, ALICE) == 100
    assert await credits.refund(GUILD, ALICE, 5) == 105


async def test_refund_of_zero_writes_nothing(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """Refunding a free play changes nothing."""
    assert await credits.refund(GUILD, ALICE, 0) == 100
    assert len(await full_ledger(uow_factory, GUILD, ALICE)) == 1


async def test_negative_refund_is_a_bug(credits: CreditService) -> None:
    """A negative refund is a programming error, never a hidden charge."""
    with pytest.raises(ValueError, match="negative"):
        await credits.refund(GUILD, ALICE, -1)


async def test_long_command_and_detail_are_clipped(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """Free text is clipped to its column width instead of failing on PostgreSQL."""
    await credits.charge(GUILD, ALICE, 1, command="c" * 100, detail="d" * 500)
    last = (await full_ledger(uow_factory, GUILD, ALICE))[-1]
    assert (len(last.command or ""), len(last.detail or "")) == (64, 200)


# --- grant and set -------------------------------------------------------------------------------


async def test_grant_adds_above_the_maximum(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """An admin's grant is added in full and names the admin."""
    assert await credits.grant(GUILD, ALICE, 50, actor_id=ADMIN, detail="event prize") == 150
    last = (await full_ledger(uow_factory, GUILD, ALICE))[-1]
    assert (last.reason, last.delta, last.actor_id, last.detail) == (
        LedgerReason.GRANT,
        50,
        ADMIN,
        "event prize",
    )


@pytest.mark.parametrize("amount", [0, -10])
async def test_grant_must_be_positive(credits: CreditService, amount: int) -> None:
    """A grant of nothing or less is refused with what to do instead."""
    with pytest.raises(ValidationError, match="set the balance instead"):
        await credits.grant(GUILD, ALICE, amount, actor_id=ADMIN)


async def test_grant_cannot_overflow(credits: CreditService) -> None:
    """A grant past the storage limit is refused and changes nothing."""
    with pytest.raises(ValidationError, match="cannot exceed"):
        await credits.grant(GUILD, ALICE, credit_rules.BALANCE_LIMIT, actor_id=ADMIN)
    assert await credits.balance(GUILD, ALICE) == 100


async def test_set_balance_records_the_difference(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """Setting a balance writes the change as a delta, so the ledger still sums to it."""
    assert await credits.set_balance(GUILD, ALICE, 30, actor_id=ADMIN) == 30
    assert await credits.set_balance(GUILD, ALICE, 250, actor_id=ADMIN) == 250
    entries = await full_ledger(uow_factory, GUILD, ALICE)
    assert [(e.reason, e.delta, e.actor_id) for e in entries[1:]] == [
        (LedgerReason.SET, -70, ADMIN),
        (LedgerReason.SET, 220, ADMIN),
    ]
    await assert_ledgers_agree(uow_factory, GUILD)


async def test_set_balance_to_zero(credits: CreditService) -> None:
    """Zero is a valid balance."""
    assert await credits.set_balance(GUILD, ALICE, 0, actor_id=ADMIN) == 0


@pytest.mark.parametrize("balance", [-1, credit_rules.BALANCE_LIMIT + 1])
async def test_set_balance_refuses_out_of_range(credits: CreditService, balance: int) -> None:
    """Negative or oversized balances are refused."""
    with pytest.raises(ValidationError):
        await credits.set_balance(GUILD, ALICE, balance, actor_id=ADMIN)


# --- recharge ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "amount", "final", "credited"),
    [
        (10, None, 100, 90),  # the daily allowance, up to the maximum
        (10, 30, 40, 30),
        (100, 50, 100, 0),  # already full
        (150, 50, 150, 0),  # above the maximum: not lowered
        (0, 100, 100, 100),
    ],
)
async def test_recharge_one_member(
    credits: CreditService,
    uow_factory: UnitOfWorkFactory,
    start: int,
    amount: int | None,
    final: int,
    credited: int,
) -> None:
    """A recharge adds up to the maximum, never lowers, and reports what it credited."""
    await credits.set_balance(GUILD, ALICE, start, actor_id=ADMIN)
    summary = await credits.recharge(GUILD, ALICE, amount, actor_id=ADMIN)
    assert summary == RechargeSummary(
        guild_id=GUILD,
        user_id=ALICE,
        amount=amount or 100,
        accounts=1,
        credited_accounts=1 if credited else 0,
        total_credited=credited,
    )
    assert await credits.balance(GUILD, ALICE) == final
    await assert_ledgers_agree(uow_factory, GUILD)


async def test_recharge_of_a_full_account_leaves_no_ledger_row(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """A recharge that adds nothing is not written to the ledger."""
    await credits.recharge(GUILD, ALICE, None)
    assert [e.reason for e in await full_ledger(uow_factory, GUILD, ALICE)] == [
        LedgerReason.OPENING
    ]


async def test_recharge_of_a_new_member_opens_the_account(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A recharge naming a member without an account opens it first."""
    credits = service(uow_factory, clock, starting_balance=20)
    summary = await credits.recharge(GUILD, ALICE, 30)
    assert (summary.accounts, summary.total_credited) == (1, 30)
    assert await credits.balance(GUILD, ALICE) == 50


async def test_recharge_every_member_of_the_server(
    credits: CreditService, uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """With no member, every account of that server is recharged, and no other server's."""
    task_id = await add_system_task(uow_factory, clock)
    await credits.set_balance(GUILD, ALICE, 10, actor_id=ADMIN)
    await credits.set_balance(GUILD, BOB, 95, actor_id=ADMIN)
    await credits.set_balance(GUILD, CAROL, 300, actor_id=ADMIN)
    await credits.set_balance(OTHER_GUILD, ALICE, 0, actor_id=ADMIN)
    clock.advance(timedelta(hours=12))
    summary = await credits.recharge(GUILD, None, None, task_id=task_id)
    assert summary == RechargeSummary(
        guild_id=GUILD,
        user_id=None,
        amount=100,
        accounts=3,
        credited_accounts=2,
        total_credited=95,
    )
    assert summary.detail == (
        "Recharge of 100 credits for every member: 2 of 3 account(s) credited, 95 credits in total."
    )
    assert await assert_ledgers_agree(uow_factory, GUILD) == {ALICE: 100, BOB: 100, CAROL: 300}
    assert await credits.balance(OTHER_GUILD, ALICE) == 0
    last = (await full_ledger(uow_factory, GUILD, ALICE))[-1]
    assert (last.reason, last.task_id, last.created_at) == (
        LedgerReason.RECHARGE,
        task_id,
        clock.now(),
    )


async def test_recharge_of_an_empty_server(credits: CreditService) -> None:
    """A server where nobody has an account is a recharge of nothing, not an error."""
    summary = await credits.recharge(GUILD, None, None)
    assert (summary.accounts, summary.credited_accounts, summary.total_credited) == (0, 0, 0)


async def test_zero_daily_allowance_recharges_nothing(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """With recharges switched off in the config, the daily recharge is a no-op."""
    credits = service(uow_factory, clock, daily_allowance=0)
    await credits.charge(GUILD, ALICE, 10)
    summary = await credits.recharge(GUILD, None, None)
    assert (summary.amount, summary.total_credited) == (0, 0)
    assert await credits.balance(GUILD, ALICE) == 90


@pytest.mark.parametrize("amount", [0, -5])
async def test_recharge_amount_must_be_positive(credits: CreditService, amount: int) -> None:
    """An explicit recharge amount below 1 is refused."""
    with pytest.raises(ValidationError, match="at least 1 credit"):
        await credits.recharge(GUILD, None, amount)


async def test_apply_recharge_does_not_commit(
    credits: CreditService, uow_factory: UnitOfWorkFactory
) -> None:
    """apply_recharge leaves the commit to its caller: without it nothing is credited."""
    await credits.charge(GUILD, ALICE, 50)
    async with uow_factory() as uow:
        summary = await credits.apply_recharge(uow, GUILD, None, None, task_id=None, actor_id=None)
        assert summary.total_credited == 50
    assert await credits.balance(GUILD, ALICE) == 50


async def test_recharge_and_run_outcome_commit_together(
    credits: CreditService, uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """The runner's pattern: claim, recharge, record, commit once; a crash credits nothing and a
    retry of the same occurrence cannot credit twice."""
    task_id = await add_system_task(uow_factory, clock)
    await credits.charge(GUILD, ALICE, 60)
    due = clock.now()

    async def run_occurrence(*, crash: bool) -> RechargeSummary | None:
        async with uow_factory() as uow:
            run_ids = await uow.runs.claim_many([(task_id, due)], claimed_by="test")
            run_id = run_ids.get(task_id)
            if run_id is None:
                return None
            run = await uow.session.get(TaskRun, run_id)
            assert run is not None
            summary = await credits.apply_recharge(
                uow, GUILD, None, None, task_id=task_id, actor_id=None
            )
            if crash:
                raise RuntimeError("process died before the commit")
            run.outcome = RunOutcome.SUCCEEDED.value
            run.detail = summary.detail
            run.finished_at = clock.now()
            await uow.commit()
            return summary

    with pytest.raises(RuntimeError):
        await run_occurrence(crash=True)
    assert await credits.balance(GUILD, ALICE) == 40
    first = await run_occurrence(crash=False)
    assert first is not None and first.total_credited == 60
    assert await run_occurrence(crash=False) is None  # already claimed: no second credit
    assert await credits.balance(GUILD, ALICE) == 100
    async with uow_factory() as uow:
        (run,) = await uow.runs.history(task_id)
    assert (run.outcome, run.detail) == ("succeeded", first.detail)


# --- the ledger always agrees with the balance ---------------------------------------------------

USERS = st.sampled_from([ALICE, BOB, CAROL])
OPERATIONS = st.one_of(
    st.tuples(st.just("balance"), USERS, st.just(0)),
    st.tuples(st.just("charge"), USERS, st.integers(0, 40)),
    st.tuples(st.just("refund"), USERS, st.integers(0, 40)),
    st.tuples(st.just("grant"), USERS, st.integers(1, 50)),
    st.tuples(st.just("set"), USERS, st.integers(0, 200)),
    st.tuples(st.just("recharge"), st.none() | USERS, st.none() | st.integers(1, 80)),
)
RULES = CreditSettings(starting_balance=20, daily_allowance=30, max_balance=60, cost_per_play=1)
_guilds = itertools.count(10_000)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(OPERATIONS, max_size=25))
async def test_any_sequence_keeps_ledger_equal_to_balance(
    uow_factory: UnitOfWorkFactory,
    clock: FakeClock,
    operations: list[tuple[str, int | None, int | None]],
) -> None:
    """After any sequence of operations every account's ledger replays to its balance, and the
    balances are the ones the pure rules predict."""
    guild = next(_guilds)  # a fresh server per example, on the test's one database
    credits = CreditService(uow_factory, clock, RULES)
    model: dict[int, int] = {}

    def opened(user: int) -> int:
        return model.setdefault(user, RULES.starting_balance)

    for kind, user, amount in operations:
        clock.advance(timedelta(minutes=7))
        if kind == "recharge":
            resolved = RULES.daily_allowance if amount is None else amount
            targets = list(model) if user is None else [user]
            for target in targets:
                model[target] = credit_rules.recharged_balance(
                    opened(target), resolved, RULES.max_balance
                )
            await credits.recharge(guild, user, amount, actor_id=ADMIN)
            continue
        assert user is not None and amount is not None
        old = opened(user)
        if kind == "balance":
            assert await credits.balance(guild, user) == old
        elif kind == "charge":
            expected = credit_rules.charged_balance(old, amount)
            if expected is None:
                with pytest.raises(InsufficientCredits):
                    await credits.charge(guild, user, amount)
            else:
                assert await credits.charge(guild, user, amount) == expected
                model[user] = expected
        elif kind == "refund":
            model[user] = credit_rules.refunded_balance(old, amount)
            assert await credits.refund(guild, user, amount) == model[user]
        elif kind == "grant":
            model[user] = credit_rules.granted_balance(old, amount)
            assert await credits.grant(guild, user, amount, actor_id=ADMIN) == model[user]
        else:
            model[user] = amount
            assert await credits.set_balance(guild, user, amount, actor_id=ADMIN) == amount

    assert await assert_ledgers_agree(uow_factory, guild) == model
