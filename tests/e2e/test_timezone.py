"""/timezone set|show and zone autocomplete through the emulator."""

from __future__ import annotations

import pytest

from bot.services import Services
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e


async def test_set_stores_the_canonical_zone_and_show_says_it_is_yours(
    carillon: Services, emulator: Emulator
) -> None:
    """Any spelling of a zone is stored as its IANA name; /timezone show says it is your own."""
    reply = await emulator.slash("alice", "timezone set", zone="europe/paris")
    shown = await emulator.slash("alice", "timezone show")

    assert reply.ephemeral
    assert "Your time zone is now `Europe/Paris`" in reply.content
    assert "`Europe/Paris` (your own, set with /timezone set)" in shown.content
    assert await carillon.preferences.user_timezone(emulator.users["alice"].id) == "Europe/Paris"


async def test_set_takes_a_city_or_an_abbreviation(carillon: Services, emulator: Emulator) -> None:
    """ "tokyo" and "PST" name the zones people mean."""
    tokyo = await emulator.slash("alice", "timezone set", zone="tokyo")
    pacific = await emulator.slash("bob", "timezone set", zone="PST")

    assert "`Asia/Tokyo`" in tokyo.content
    assert "`America/Los_Angeles`" in pacific.content


async def test_unknown_zone_lists_the_three_closest(carillon: Services, emulator: Emulator) -> None:
    """An unknown zone is an ephemeral error naming three close IANA names; nothing is stored."""
    reply = await emulator.slash("alice", "timezone set", zone="Europe/Pariss")

    assert reply.ephemeral
    assert "Unknown time zone 'Europe/Pariss'" in reply.content
    suggestions = reply.content.split("Did you mean: ", 1)[1].split("?", 1)[0].split(", ")
    assert len(suggestions) == 3 and "Europe/Paris" in suggestions
    assert await carillon.preferences.user_timezone(emulator.users["alice"].id) is None


async def test_show_falls_back_to_the_server_then_the_default(
    carillon: Services, emulator: Emulator
) -> None:
    """Without a zone of your own, the server's applies; without that, the bot's default."""
    default = await emulator.slash("bob", "timezone show")
    await carillon.preferences.set_guild_setting(emulator.guild.id, "timezone", "America/Chicago")
    server = await emulator.slash("bob", "timezone show")

    assert "`UTC` (the bot's default" in default.content
    assert "`America/Chicago` (the server's zone" in server.content


async def test_zone_autocomplete(carillon: Services, emulator: Emulator) -> None:
    """Typing part of a name, a city or an abbreviation offers IANA zones, at most 25."""
    paris = await emulator.autocomplete("alice", "timezone set", "zone", "pari")
    york = await emulator.autocomplete("alice", "timezone set", "zone", "new_y")
    anything = await emulator.autocomplete("alice", "timezone set", "zone", "")

    assert "Europe/Paris" in [c["value"] for c in paris]
    assert york[0]["value"] == "America/New_York"
    assert 0 < len(anything) <= 25
