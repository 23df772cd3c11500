"""The live preview of ``when`` options through the emulator: what the text means, as it is typed.

Expectations come from the bot's own clock (read before and after the round trip), so no test
depends on the time of day it runs at.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from discord import app_commands

from bot.services import Services
from cogs.schedule import ScheduleCog
from cogs.when_preview import RECHARGE_EXAMPLES, SCHEDULE_EXAMPLES, when_choices
from tests.audio.tones import tone_bytes
from tests.emulator import Emulator
from tests.emulator.interactions import AnswerRefused

pytestmark = pytest.mark.e2e

RUN = r"\w{3} \d{1,2} \w{3}(?: \d{4})? \d\d:\d\d"  # "Tue 8 Dec 09:00", "Fri 1 Jan 2027 00:00"


async def preview(
    carillon: Services, emulator: Emulator, user: str, command: str, text: str, **options: Any
) -> tuple[list[dict[str, Any]], Callable[[str], list[str]]]:
    """The choices for ``text`` typed into ``when``, and what the preview would name at the
    instants before and after the round trip, in a zone (to compare with, whatever the clock)."""
    before = carillon.clock.now()
    choices = await emulator.autocomplete(user, command, "when", text, **options)
    after = carillon.clock.now()

    def expected(zone: str) -> list[str]:
        return [when_choices(text, now, zone)[0].name for now in (before, after)]

    return choices, expected


def schedule_cog(carillon: Services) -> ScheduleCog:
    return next(cog for cog in carillon.bot.cogs.values() if isinstance(cog, ScheduleCog))


async def test_a_one_shot_shows_its_first_run_zone_and_distance(
    carillon: Services, emulator: Emulator
) -> None:
    """ "in 2 hours" reads as its date and time in the default zone, "in 2 hours"; same value."""
    choices, expected = await preview(carillon, emulator, "alice", "schedule sound", "in 2 hours")

    assert [c["value"] for c in choices] == ["in 2 hours"]
    name = choices[0]["name"]
    assert re.fullmatch(rf"→ {RUN} \(UTC\), in 2 hours", name), name
    assert name in expected("UTC")


async def test_a_recurrence_reads_in_the_timezone_option(
    carillon: Services, emulator: Emulator
) -> None:
    """With the timezone option filled in, "every weekday at 9am" reads in that zone."""
    choices, expected = await preview(
        carillon,
        emulator,
        "alice",
        "schedule playlist",
        "every weekday at 9am",
        timezone="europe/paris",
    )

    assert [c["value"] for c in choices] == ["every weekday at 9am"]
    name = choices[0]["name"]
    assert re.fullmatch(rf"→ {RUN} \(Europe/Paris\), then every weekday at 09:00", name), name
    assert name in expected("Europe/Paris")


async def test_without_the_option_the_members_own_zone_applies(
    carillon: Services, emulator: Emulator
) -> None:
    """A member's /timezone set zone is the one the preview reads in, as /schedule does."""
    await emulator.slash("alice", "timezone set", zone="tokyo")

    choices, expected = await preview(
        carillon, emulator, "alice", "schedule sound", "tomorrow at 9am"
    )

    assert re.fullmatch(rf"→ {RUN} \(Asia/Tokyo\), .+", choices[0]["name"])
    assert choices[0]["name"] in expected("Asia/Tokyo")


async def test_junk_names_the_word_not_understood(carillon: Services, emulator: Emulator) -> None:
    """Text that is not a time is a ✗ choice naming the word; the value is still the text."""
    choices, _ = await preview(carillon, emulator, "alice", "schedule sound", "blorp")

    assert [c["value"] for c in choices] == ["blorp"]
    assert choices[0]["name"].startswith("✗ ") and "'blorp'" in choices[0]["name"]


async def test_a_members_too_frequent_repeat_is_flagged_before_sending(
    carillon: Services, emulator: Emulator
) -> None:
    """ "every 5 minutes" warns a member (15-minute minimum) and not an admin (1 minute)."""
    member, _ = await preview(carillon, emulator, "alice", "schedule sound", "every 5 minutes")
    admin, _ = await preview(carillon, emulator, "admin", "schedule sound", "every 5 minutes")

    assert re.fullmatch(
        # "(real time)" as the description says for elapsed schedules, whichever grammar is in
        rf"→ {RUN} \(UTC\), then every 5 minutes(?: \(real time\))? "
        r"⚠ shortest allowed: every 15 minutes",
        member[0]["name"],
    ), member[0]["name"]
    assert admin[0]["name"].startswith("→ ") and "⚠" not in admin[0]["name"]
    assert [c["value"] for c in member + admin] == ["every 5 minutes"] * 2


async def test_the_preview_warns_of_what_sending_refuses(
    carillon: Services, emulator: Emulator
) -> None:
    """The preview's ⚠ and ✗ come from the rules the command applies once sent."""
    wav = tone_bytes("wav", "pcm_s16le", seconds=0.2, freq=660.0)
    await carillon.library.upload(emulator.guild.id, emulator.users["alice"].id, "chime", wav)
    hall = emulator.channel("Hall")

    frequent, _ = await preview(carillon, emulator, "alice", "schedule sound", "every 5 minutes")
    once, _ = await preview(
        carillon, emulator, "alice", "schedule sound", "in 2 hours", repeat_count=3
    )
    sent = await emulator.slash(
        "alice", "schedule sound", sound="chime", when="every 5 minutes", channel=hall
    )
    sent_once = await emulator.slash(
        "alice", "schedule sound", sound="chime", when="in 2 hours", channel=hall, repeat_count=3
    )

    assert frequent[0]["name"].endswith("⚠ shortest allowed: every 15 minutes")
    assert sent.ephemeral and "the shortest interval allowed is 15 minutes" in sent.content
    assert once[0]["name"].startswith("✗ repeat_count needs a repeating time")
    assert sent_once.ephemeral and "repeat_count needs a repeating time" in sent_once.content


async def test_empty_input_offers_examples(carillon: Services, emulator: Emulator) -> None:
    """An empty when offers example phrases; each value is the phrase, each name its reading."""
    choices, _ = await preview(carillon, emulator, "alice", "schedule sound", "")

    assert [c["value"] for c in choices] == list(SCHEDULE_EXAMPLES)
    for choice in choices:
        assert re.fullmatch(rf"{re.escape(choice['value'])} → {RUN} \(UTC\), .+", choice["name"])


async def test_text_over_100_characters_is_flagged_and_its_value_fits(
    carillon: Services, emulator: Emulator
) -> None:
    """Discord holds 100 characters in a value: the preview says a pick would keep only those."""
    text = "blorp " * 25

    choices, _ = await preview(carillon, emulator, "alice", "schedule sound", text)

    assert choices[0]["value"] == text[:100]
    assert choices[0]["name"].startswith("✗ ")
    assert choices[0]["name"].endswith(f"⚠ {len(text)} characters: a pick keeps 100")


async def test_system_task_create_previews_for_admins_only(
    carillon: Services, emulator: Emulator
) -> None:
    """/admin system-task create previews its when in the server's zone, with recharge examples;
    a member granted the command is shown nothing."""
    await carillon.preferences.set_guild_setting(emulator.guild.id, "timezone", "America/Chicago")

    choices, expected = await preview(
        carillon, emulator, "admin", "admin system-task create", "every day at 0:00"
    )
    examples, _ = await preview(carillon, emulator, "admin", "admin system-task create", "")
    member, _ = await preview(
        carillon, emulator, "alice", "admin system-task create", "every day at 0:00"
    )

    assert re.fullmatch(
        rf"→ {RUN} \(America/Chicago\), then every day at 00:00", choices[0]["name"]
    )
    assert choices[0]["name"] in expected("America/Chicago")
    assert [c["value"] for c in examples] == list(RECHARGE_EXAMPLES)
    assert member == []


# --------------------------------------------------------------------------- Discord's limits


async def test_the_emulator_refuses_choices_discord_would_refuse(
    carillon: Services, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, allow_error_logs: None
) -> None:
    """Over 25 choices, or a name or value over 100 characters, is a 400 from Discord."""
    answers = [
        ([app_commands.Choice(name=f"c{n}", value=f"c{n}") for n in range(26)], "25 or fewer"),
        ([app_commands.Choice(name="n" * 101, value="v")], "name: Must be between 1 and 100"),
        ([app_commands.Choice(name="n", value="v" * 101)], "value: Must be 100 or fewer"),
    ]
    cog = schedule_cog(carillon)
    for answer, problem in answers:

        async def choices(
            current: str, answer: list[app_commands.Choice[str]] = answer, **_: Any
        ) -> list[app_commands.Choice[str]]:
            return answer

        monkeypatch.setattr(cog.when_previews, "choices", choices)
        with pytest.raises(AnswerRefused, match=problem):
            await emulator.autocomplete("alice", "schedule sound", "when", "in 2 hours")


async def test_the_emulator_refuses_an_answer_after_the_deadline(
    carillon: Services, emulator: Emulator, monkeypatch: pytest.MonkeyPatch, allow_error_logs: None
) -> None:
    """An autocomplete answered after Discord's deadline is refused (10062 Unknown interaction)."""
    emulator.server.webhooks.response_deadline = 0.2  # Discord's 3 s, shortened for the test
    never = asyncio.Event()

    async def choices(current: str, **_: Any) -> list[app_commands.Choice[str]]:
        try:
            await asyncio.wait_for(never.wait(), timeout=0.5)  # past the deadline, then answer
        except TimeoutError:
            pass
        return [app_commands.Choice(name="late", value=current)]

    monkeypatch.setattr(schedule_cog(carillon).when_previews, "choices", choices)

    with pytest.raises(AnswerRefused, match="past the 0.2s limit"):
        await emulator.autocomplete("alice", "schedule sound", "when", "in 2 hours")
