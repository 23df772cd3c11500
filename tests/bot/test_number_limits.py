"""Numbers given to the services, held to their limits before they reach a column or a query.

Each path gets several numbers: inside, at the limit, one past it, and absurdly large (past the
32-bit ``Integer`` columns, past 64 bits).  The database tests run on SQLite and PostgreSQL
(``any_uow_factory``): PostgreSQL is where an unchecked number used to end as a driver error.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from bot.config import LimitSettings, Settings, load_settings
from bot.credits.rules import BALANCE_LIMIT, MAX_RECHARGE_AMOUNT, check_recharge_amount
from bot.credits.service import CreditService
from bot.errors import ConfigError, NotFoundError, ValidationError
from bot.plays.port import PlayMode
from bot.plays.service import playlist_max_duration
from bot.preferences import SETTINGS, PreferenceService
from bot.scheduling.limits import MAX_COUNT
from bot.scheduling.recurrence import Recurrence
from bot.tasks.params import check_max_duration
from bot.tasks.policy import GuildPolicies
from bot.tasks.service import MAX_TASKS_LISTED, Actor
from storage.columns import BIGINT_MAX, INTEGER_MAX
from storage.enums import RecurrenceType, TaskType
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock
from tests.bot.taskkit import ALICE, CHANNEL, GUILD, Backend, add_sound, build_backend

PAST_INT32 = INTEGER_MAX + 1
PAST_INT64 = BIGINT_MAX + 1
ADMIN = Actor(99, is_admin=True)


async def stored_tasks(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return await uow.tasks.count(GUILD)


async def daily_task(backend: Backend, sound_id: int, **fields: Any) -> Any:
    now = backend.service._clock.now()
    return await backend.service.create_task(
        guild_id=GUILD,
        name="ding",
        task_type=TaskType.PLAY_SOUND,
        parameters={"sound_id": sound_id, "channel_id": CHANNEL},
        user_id=ALICE,
        scheduled_at=now + timedelta(hours=1),
        timezone="UTC",
        recurrence_type=RecurrenceType.DAILY,
        **fields,
    )


# ----------------------------------------------------------------------------- task schedules


@pytest.mark.parametrize("count", [1, 10, MAX_COUNT])
async def test_a_repeat_count_up_to_the_limit_is_stored(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock, count: int
) -> None:
    """The original design's recurrence_count, up to 10,000, lands in its 32-bit column."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    task = await daily_task(backend, sound, recurrence_count=count)
    stored = await backend.service.get_task(GUILD, task.id, Actor(ALICE))
    assert stored.recurrence.count == count


@pytest.mark.parametrize(
    ("count", "message"),
    [
        (MAX_COUNT + 1, "10,001 times is more than a schedule may run (10,000 at most)"),
        (PAST_INT32, "2,147,483,648 times is more than a schedule may run"),
        (PAST_INT64, "9,223,372,036,854,775,808 times"),
        (10**40, "a 41-digit number times"),
        (0, "0 times is not a number of runs; give at least 1"),
        (-1, "-1 times is not a number of runs"),
    ],
)
async def test_a_repeat_count_past_the_limit_is_refused_and_nothing_stored(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock, count: int, message: str
) -> None:
    """A ValidationError naming the count and the limit, not a DBAPIError or an OverflowError."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    before = await stored_tasks(any_uow_factory)
    with pytest.raises(ValidationError, match=re.escape(message)):
        await daily_task(backend, sound, recurrence_count=count)
    assert await stored_tasks(any_uow_factory) == before


def _huge(kind: RecurrenceType, now: Any, **fields: Any) -> Recurrence:
    return Recurrence(kind, now + timedelta(hours=1), "UTC", **fields)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda now: _huge(RecurrenceType.HOURLY, now, count=PAST_INT32), "2,147,483,648 times"),
        (
            lambda now: _huge(RecurrenceType.HOURLY, now, interval=PAST_INT32),
            "too far apart for a repeat in real time",
        ),
        (
            lambda now: _huge(RecurrenceType.HOURLY, now, interval=8785),
            "Every 527,100 minutes is too far apart",
        ),
        (
            lambda now: Recurrence(
                RecurrenceType.DAILY,
                now + timedelta(hours=1),
                "UTC",
                interval=3661,
                time_of_day=(now + timedelta(hours=1)).time(),
            ),
            "Every 3,661 days is too far apart: the longest repeat is every 3,660 days",
        ),
        (
            lambda now: Recurrence(RecurrenceType.HOURLY, now + timedelta(days=365 * 101), "UTC"),
            "more than 100 years ahead",
        ),
    ],
    ids=["count 2^31", "interval 2^31 hours", "one hour past", "one day past", "101 years"],
)
async def test_a_schedule_given_whole_is_held_to_the_same_limits(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock, make: Any, message: str
) -> None:
    """A Recurrence handed to create_task (as an API would) is checked like typed text."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    with pytest.raises(ValidationError, match=message):
        await backend.service.create_task(
            guild_id=GUILD,
            name="api",
            task_type=TaskType.PLAY_SOUND,
            parameters={"sound_id": sound, "channel_id": CHANNEL},
            user_id=ALICE,
            recurrence=make(clock.now()),
            actor=Actor(ALICE, is_admin=True),
        )
    assert await stored_tasks(any_uow_factory) == 0


async def test_an_edit_is_held_to_the_count_limit(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """edit_task checks a new schedule as create_task does."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    task = await daily_task(backend, sound)
    too_many = Recurrence(
        RecurrenceType.HOURLY, clock.now() + timedelta(hours=1), "UTC", count=10**9
    )
    with pytest.raises(ValidationError, match="1,000,000,000 times is more than"):
        await backend.service.edit_task(
            task.id, guild_id=GUILD, actor=Actor(ALICE), recurrence=too_many
        )
    assert (await backend.service.get_task(GUILD, task.id, Actor(ALICE))).recurrence.count is None


# ----------------------------------------------------------------------------- task numbers


@pytest.mark.parametrize("task_id", [0, -1, PAST_INT32, PAST_INT64, 2**53])
async def test_a_task_number_no_task_can_have_is_not_found_by_name(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock, task_id: int
) -> None:
    """Every use case that takes a task number says it names no task, and the range."""
    backend = build_backend(any_uow_factory, clock)
    service = backend.service
    expected = f"There is no task #{task_id}: task numbers run from 1 to 2,147,483,647"
    calls = [
        service.get_task(GUILD, task_id, Actor(ALICE)),
        service.history(GUILD, task_id, Actor(ALICE)),
        service.pause_task(task_id, guild_id=GUILD, actor=Actor(ALICE)),
        service.resume_task(task_id, guild_id=GUILD, actor=Actor(ALICE)),
        service.cancel_task(task_id, guild_id=GUILD, actor=ADMIN),
        service.cancel_task(task_id),
        service.edit_task(task_id, guild_id=GUILD, actor=ADMIN, name="x"),
    ]
    for call in calls:
        with pytest.raises(NotFoundError, match=expected):
            await call


async def test_the_largest_task_number_is_looked_up(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """2,147,483,647 fits the column: it is looked for, and simply not there."""
    backend = build_backend(any_uow_factory, clock)
    with pytest.raises(NotFoundError, match=f"You have no task #{INTEGER_MAX} in this server"):
        await backend.service.get_task(GUILD, INTEGER_MAX, Actor(ALICE))


@pytest.mark.parametrize(
    ("limit", "offset", "message"),
    [
        (0, 0, "rows to show must be between 1 and 200, not 0"),
        (MAX_TASKS_LISTED + 1, 0, "between 1 and 200, not 201"),
        (PAST_INT64, 0, "not 9,223,372,036,854,775,808"),
        (10, -1, "offset must be between 0 and 2,147,483,647, not -1"),
        (10, PAST_INT32, "offset must be between 0 and 2,147,483,647, not 2,147,483,648"),
        (10, PAST_INT64, "offset must be between 0 and 2,147,483,647"),
    ],
)
async def test_task_lists_are_paged_within_bounds(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock, limit: int, offset: int, message: str
) -> None:
    """Page sizes and offsets past any list are refused before the query."""
    backend = build_backend(any_uow_factory, clock)
    with pytest.raises(ValidationError, match=message):
        await backend.service.list_tasks(GUILD, Actor(ALICE), limit=limit, offset=offset)


async def test_task_lists_at_their_bounds_answer(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """The largest page and the largest offset are queries like any other."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    task = await daily_task(backend, sound)
    mine = Actor(ALICE)
    assert [t.id for t in await backend.service.list_tasks(GUILD, mine, limit=200)] == [task.id]
    assert await backend.service.list_tasks(GUILD, mine, offset=INTEGER_MAX) == []
    assert await backend.service.history(GUILD, task.id, mine, limit=100, offset=INTEGER_MAX) == []
    with pytest.raises(ValidationError, match="between 1 and 100, not 101"):
        await backend.service.history(GUILD, task.id, mine, limit=101)


# ----------------------------------------------------------------------------- task parameters


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"sound_id": PAST_INT32, "channel_id": CHANNEL}, "2147483648 cannot be the id of a sound"),
        ({"sound_id": 0, "channel_id": CHANNEL}, "0 cannot be the id of a sound"),
        ({"channel_id": PAST_INT64}, "cannot be the id of a voice channel"),
    ],
)
async def test_ids_in_parameters_are_held_to_their_columns(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock, parameters: dict[str, int], message: str
) -> None:
    """A sound id past 32 bits or a channel past 64 names nothing: not found, before a query."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    with pytest.raises(NotFoundError, match=message):
        await backend.service.create_task(
            guild_id=GUILD,
            name="ding",
            task_type=TaskType.PLAY_SOUND,
            parameters={"sound_id": sound, **parameters},
            user_id=ALICE,
            scheduled_at=clock.now() + timedelta(hours=1),
        )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (MAX_RECHARGE_AMOUNT + 1, "A recharge adds at most 1,000,000 credits \\(got 1,000,001\\)"),
        (PAST_INT32, "got 2,147,483,648"),
        (0, "at least 1 credit"),
    ],
)
async def test_a_recharge_task_amount_is_held_to_the_recharge_limit(
    uow_factory: UnitOfWorkFactory, clock: FakeClock, amount: int, message: str
) -> None:
    """The same rule as /admin credits recharge: one check for both."""
    backend = build_backend(uow_factory, clock)
    with pytest.raises(ValidationError, match=message):
        await backend.service.create_task(
            guild_id=GUILD,
            name="bonus",
            task_type=TaskType.CREDIT_RECHARGE,
            parameters={"amount": amount},
            user_id=None,
            scheduled_at=clock.now() + timedelta(hours=1),
            actor=ADMIN,
        )
    task = await backend.service.create_task(
        guild_id=GUILD,
        name="bonus",
        task_type=TaskType.CREDIT_RECHARGE,
        parameters={"amount": MAX_RECHARGE_AMOUNT},
        user_id=None,
        scheduled_at=clock.now() + timedelta(hours=1),
        actor=ADMIN,
    )
    assert task.parameters["amount"] == MAX_RECHARGE_AMOUNT


@pytest.mark.parametrize(
    ("seconds", "ok"), [(1, True), (3600, True), (3601, False), (0, False), (PAST_INT64, False)]
)
def test_max_duration_one_rule_for_plays_and_tasks(seconds: int, ok: bool) -> None:
    """/playlist play and a play_playlist task share the check; the refusal names the number."""
    limits = LimitSettings()
    if ok:
        assert check_max_duration(seconds, limits) == seconds
        assert playlist_max_duration(PlayMode.LOOP, seconds, limits) == seconds
        return
    expected = f"between 1 and 3600 seconds \\(60 minutes\\), not {seconds:,} seconds"
    for check in (
        lambda: check_max_duration(seconds, limits),
        lambda: playlist_max_duration(PlayMode.LOOP, seconds, limits),
    ):
        with pytest.raises(ValidationError, match=expected):
            check()


# ----------------------------------------------------------------------------- credits


@pytest.mark.parametrize("amount", [1, 100, MAX_RECHARGE_AMOUNT])
def test_recharge_amounts_up_to_the_limit(amount: int) -> None:
    check_recharge_amount(amount)


async def test_a_manual_recharge_past_the_limit_is_refused(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """/admin credits recharge's service refuses what its option refuses, for the API too."""
    credits = CreditService(any_uow_factory, clock, Settings().credits)
    for amount in (MAX_RECHARGE_AMOUNT + 1, PAST_INT32, 2**40):
        with pytest.raises(
            ValidationError, match=f"at most 1,000,000 credits \\(got {amount:,}\\)"
        ):
            await credits.recharge(GUILD, ALICE, amount)
    summary = await credits.recharge(GUILD, ALICE, MAX_RECHARGE_AMOUNT)
    assert summary.amount == MAX_RECHARGE_AMOUNT
    assert await credits.balance(GUILD, ALICE) == Settings().credits.max_balance


async def test_grants_and_balances_stop_at_the_column(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """A grant or a balance past 32 bits is a message on PostgreSQL too, never a driver error."""
    credits = CreditService(any_uow_factory, clock, Settings().credits)
    with pytest.raises(ValidationError, match="Grant at most 2,147,483,547"):
        await credits.grant(GUILD, ALICE, PAST_INT32, actor_id=1)
    with pytest.raises(ValidationError, match="cannot exceed 2,147,483,647"):
        await credits.set_balance(GUILD, ALICE, PAST_INT32, actor_id=1)
    assert await credits.set_balance(GUILD, ALICE, BALANCE_LIMIT, actor_id=1) == BALANCE_LIMIT
    with pytest.raises(ValidationError, match="offset must be between 0 and 2,147,483,647"):
        await credits.history(GUILD, ALICE, offset=PAST_INT64)


# ----------------------------------------------------------------------------- server settings


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("max_pending_tasks_per_user", "1", 1),
        ("max_pending_tasks_per_user", "1000", 1000),
        ("min_interval_user_minutes", "1", 60),
        ("min_interval_user_minutes", "10080", 604_800),
        ("horizon_days", "3653", 3653),
        ("max_name_length", "100", 100),
        ("admin_role", str(BIGINT_MAX), BIGINT_MAX),
        ("notify_channel", f"<#{BIGINT_MAX}>", BIGINT_MAX),
    ],
)
def test_settings_at_their_limits_are_read(key: str, value: str, stored: int) -> None:
    assert SETTINGS[key].parse(value) == stored


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("max_pending_tasks_per_user", "1001", "between 1 and 1,000 tasks, not 1,001"),
        ("max_pending_tasks_per_user", str(PAST_INT32), "not 2,147,483,648"),
        ("max_pending_tasks_per_user", "0", "not 0"),
        ("min_interval_user_minutes", "10081", "between 1 and 10,080 minutes, not 10,081"),
        ("horizon_days", "3654", "between 1 and 3,653 days, not 3,654"),
        ("horizon_days", "9" * 5000, "is not a whole number of days"),
        ("max_name_length", "101", "between 1 and 100 characters, not 101"),
        ("max_name_length", "9" * 30, "not a 30-digit number"),
        ("admin_role", str(PAST_INT64), "is not a role; pick one from the list"),
        ("notify_channel", "0", "is not a channel"),
    ],
)
def test_settings_past_their_limits_are_refused_by_name(key: str, value: str, message: str) -> None:
    """Each message names what was given and the range, and stays short whatever was pasted."""
    with pytest.raises(ValidationError, match=message) as caught:
        SETTINGS[key].parse(value)
    assert len(caught.value.message) < 300


async def test_a_refused_setting_leaves_the_stored_one(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Nothing is written when the value is refused (the column is 32-bit on PostgreSQL)."""
    settings = Settings()
    prefs = PreferenceService(any_uow_factory, clock, settings, GuildPolicies(settings))
    await prefs.set_guild_setting(GUILD, "horizon_days", "30")
    for value in ("3654", str(PAST_INT32), str(PAST_INT64)):
        with pytest.raises(ValidationError):
            await prefs.set_guild_setting(GUILD, "horizon_days", value)
    with pytest.raises(ValidationError):
        await prefs.set_guild_setting(GUILD, "admin_role", str(PAST_INT64))
    policy = await prefs.guild_policy(GUILD)
    assert policy.horizon_days == 30 and policy.admin_role_id is None


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"CARILLON_CREDITS__STARTING_BALANCE": str(PAST_INT32)},
            "credits from 0 to 2,147,483,647",
        ),
        ({"CARILLON_CREDITS__MAX_BALANCE": str(PAST_INT32)}, "credits.max_balance = 2147483648"),
        ({"CARILLON_CREDITS__DAILY_ALLOWANCE": "1000001"}, "credits from 0 to 1,000,000"),
        ({"CARILLON_CREDITS__COST_PER_PLAY": str(PAST_INT32)}, "credits.cost_per_play"),
        ({"CARILLON_LIMITS__HORIZON_DAYS": "3654"}, "days from 1 to 3,653"),
        ({"CARILLON_LIMITS__MAX_PENDING_TASKS_PER_USER": "1001"}, "tasks from 1 to 1,000"),
        ({"CARILLON_LIMITS__MIN_INTERVAL_USER_S": "604801"}, "seconds from 60 to 604,800"),
        ({"CARILLON_LIMITS__MAX_DURATION_S": "86401"}, "seconds from 1 to 86,400"),
        ({"CARILLON_LIMITS__MAX_NAME_LENGTH": "101"}, "characters from 1 to 100"),
    ],
)
def test_config_defaults_share_the_settings_ranges(env: dict[str, str], expected: str) -> None:
    """The config holds what a server setting could: an absurd default is a start-up error."""
    with pytest.raises(ConfigError) as caught:
        load_settings(None, env=env)
    assert expected in caught.value.message


def test_config_at_the_ranges_loads() -> None:
    settings = load_settings(
        None,
        env={
            "CARILLON_CREDITS__MAX_BALANCE": str(BALANCE_LIMIT),
            "CARILLON_LIMITS__HORIZON_DAYS": "3653",
            "CARILLON_LIMITS__MAX_PENDING_TASKS_PER_USER": "1000",
            "CARILLON_LIMITS__MAX_DURATION_S": "86400",
        },
    )
    assert settings.credits.max_balance == BALANCE_LIMIT
    assert settings.limits.horizon_days == 3653
