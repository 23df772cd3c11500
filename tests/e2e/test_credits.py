"""/credits balance|history through the emulator."""

from __future__ import annotations

import re

import pytest

from bot.services import Services
from tests.emulator import CommandRefused, Emulator

pytestmark = pytest.mark.e2e


async def test_balance_of_a_new_member_is_the_starting_balance(
    carillon: Services, emulator: Emulator
) -> None:
    """The first look opens the account with the configured starting balance."""
    reply = await emulator.slash("bob", "credits balance")

    assert reply.ephemeral
    assert "You have **100 credits** in this server" in reply.content
    assert "costs 1 credit" in reply.content and "up to 100 credits" in reply.content


async def test_balance_follows_charges(carillon: Services, emulator: Emulator) -> None:
    """A play's charge shows in the balance."""
    guild_id, alice = emulator.guild.id, emulator.users["alice"].id
    await carillon.credits.charge(guild_id, alice, 3, command="sound play", detail="chime")

    reply = await emulator.slash("alice", "credits balance")

    assert "You have **97 credits**" in reply.content


async def test_history_lists_the_ledger_newest_first(
    carillon: Services, emulator: Emulator
) -> None:
    """Opening, charge and grant rows, newest first, with what caused each."""
    guild_id, alice = emulator.guild.id, emulator.users["alice"].id
    await carillon.credits.charge(guild_id, alice, 1, command="sound play", detail="chime")
    await carillon.credits.grant(guild_id, alice, 5, actor_id=emulator.users["admin"].id)

    reply = await emulator.slash("alice", "credits history")

    assert reply.ephemeral
    lines = reply.embeds[0]["description"].splitlines()
    assert len(lines) == 3
    assert "**+5** → 104" in lines[0] and "granted by an admin" in lines[0]
    assert "**-1** → 99" in lines[1] and "/sound play" in lines[1] and "chime" in lines[1]
    assert "**+100** → 100" in lines[2] and "opening balance" in lines[2]


async def test_history_is_paginated_and_limited(carillon: Services, emulator: Emulator) -> None:
    """More than a page of changes gets Previous/Next; limit caps how many are shown."""
    guild_id, alice = emulator.guild.id, emulator.users["alice"].id
    for _ in range(12):
        await carillon.credits.charge(guild_id, alice, 1, command="sound play")

    everything = await emulator.slash("alice", "credits history")
    limited = await emulator.slash("alice", "credits history", limit=4)

    assert everything.embeds[0]["footer"]["text"] == "Page 1 of 2"
    assert len(re.findall(r"<t:\d+:f>", limited.text)) == 4
    assert limited.message is not None and limited.message.buttons() == []


async def test_history_limit_is_bounded(carillon: Services, emulator: Emulator) -> None:
    """limit is 1-100: Discord itself refuses anything else."""
    with pytest.raises(CommandRefused):
        await emulator.slash("alice", "credits history", limit=500)
