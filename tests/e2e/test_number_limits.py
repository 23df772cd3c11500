"""Numbers past their limits through the emulator: a clear private answer, and nothing stored.

Discord integer options carry min_value/max_value (the emulator refuses out-of-range values as
Discord does); numbers inside text (the time, a setting's value) reach the bot and are refused by
the same services the API and the CLI call.
"""

from __future__ import annotations

import pytest

from bot.library.model import SoundView
from bot.scheduling.limits import MAX_COUNT
from bot.services import Services
from bot.tasks.service import Actor
from tests.audio.tones import tone_bytes
from tests.emulator import CommandRefused, Emulator

pytestmark = pytest.mark.e2e

INT32_MAX = 2**31 - 1


@pytest.fixture
async def chime(carillon: Services, emulator: Emulator) -> SoundView:
    wav = tone_bytes("wav", "pcm_s16le", seconds=0.3, freq=440.0)
    return await carillon.library.upload(
        emulator.guild.id, emulator.users["alice"].id, "chime", wav
    )


async def alices_tasks(carillon: Services, emulator: Emulator) -> list[str]:
    alice = Actor(emulator.users["alice"].id)
    return [t.name for t in await carillon.scheduler.list_tasks(emulator.guild.id, alice)]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            "every day at 9 2147483648 times",
            "2,147,483,648 times is more than a schedule may run (10,000 at most)",
        ),
        ("every day at 9 10001 times", "10,001 times is more than a schedule may run"),
        ("in 10000 years", "100 years ahead is the furthest I schedule"),
        ("on 1 jan 99999", "The year 99999 is more than 100 years ahead"),
        ("every 2147483648 days", "the longest repeat is every 3,660 days"),
        ("every month on the 2147483648th", "There is no 2147483648th day of a month"),
    ],
    ids=["2^31 times", "one past the limit", "10000 years", "year 99999", "2^31 days", "day 2^31"],
)
async def test_schedule_with_a_huge_number_answers_clearly_and_stores_nothing(
    carillon: Services, emulator: Emulator, chime: SoundView, when: str, expected: str
) -> None:
    """The member reads what was too large and the limit, privately; no task is created."""
    reply = await emulator.slash(
        "alice", "schedule sound", sound="chime", when=when, channel=emulator.channel("Lounge")
    )

    assert reply.ephemeral
    assert expected in reply.content
    assert "Something went wrong" not in reply.content
    assert await alices_tasks(carillon, emulator) == []


async def test_repeat_count_at_the_limit_is_taken_and_one_past_is_refused_by_discord(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """repeat_count carries max_value 10,000: the client refuses 10,001 before the bot sees it."""
    lounge = emulator.channel("Lounge")
    taken = await emulator.slash(
        "alice",
        "schedule sound",
        sound="chime",
        when="every day at 9",
        channel=lounge,
        repeat_count=MAX_COUNT,
        name="ten thousand",
    )
    with pytest.raises(CommandRefused, match="outside"):
        await emulator.slash(
            "alice",
            "schedule sound",
            sound="chime",
            when="every day at 9",
            channel=lounge,
            repeat_count=MAX_COUNT + 1,
        )

    assert not taken.ephemeral and "Scheduled task #" in taken.text
    assert await alices_tasks(carillon, emulator) == ["ten thousand"]


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("tasks show", {"id": INT32_MAX + 1}),
        ("tasks cancel", {"id": 2**53}),
        ("tasks list", {"limit": 101}),
        ("credits history", {"limit": 0}),
    ],
)
async def test_integer_options_carry_their_bounds(
    carillon: Services, emulator: Emulator, command: str, options: dict[str, int]
) -> None:
    """Task numbers past the id column and page sizes past a page never reach the bot."""
    with pytest.raises(CommandRefused, match="outside"):
        await emulator.slash("alice", command, **options)


async def test_the_largest_task_number_is_simply_not_found(
    carillon: Services, emulator: Emulator
) -> None:
    """2,147,483,647 is a task number the options allow: the answer is "no such task"."""
    reply = await emulator.slash("alice", "tasks show", id=INT32_MAX)

    assert reply.ephemeral
    assert f"You have no task #{INT32_MAX} in this server" in reply.content


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        (
            "max_pending_tasks_per_user",
            "2147483648",
            "max_pending_tasks_per_user must be between 1 and 1,000 tasks, not 2,147,483,648.",
        ),
        ("horizon_days", "3654", "horizon_days must be between 1 and 3,653 days, not 3,654."),
        (
            "min_interval_user_minutes",
            "9" * 40,
            "min_interval_user_minutes must be between 1 and 10,080 minutes, not a 40-digit number",
        ),
        ("admin_role", str(2**64), "is not a role; pick one from the list"),
    ],
    ids=["2^31 tasks", "one day past", "40 digits", "role id past 64 bits"],
)
async def test_admin_setting_past_its_limit_is_refused_and_unchanged(
    carillon: Services, emulator: Emulator, key: str, value: str, expected: str
) -> None:
    """The admin reads the number, the range and what to do; the setting keeps its value."""
    before = await carillon.preferences.guild_policy(emulator.guild.id)

    reply = await emulator.slash("admin", "admin settings set", key=key, value=value)

    assert reply.ephemeral and expected in reply.content
    assert await carillon.preferences.guild_policy(emulator.guild.id) == before


async def test_admin_recharge_amount_is_bounded_by_discord(
    carillon: Services, emulator: Emulator
) -> None:
    """/admin credits recharge refuses more than a recharge may add before the bot sees it."""
    with pytest.raises(CommandRefused, match="outside"):
        await emulator.slash("admin", "admin credits recharge", amount=1_000_001)
