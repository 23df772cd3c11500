"""The real discord.py client against the emulator: login, sync and interaction round trips."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.e2e.harness_bot import HarnessBot
from tests.emulator import CommandRefused, Emulator, Upload

pytestmark = pytest.mark.e2e

GUILDS_AND_VOICE_STATES = (1 << 0) | (1 << 7)


async def test_login_identifies_with_intents_and_syncs_commands(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """The bot logs in over TLS, identifies on a zlib-stream gateway and bulk-syncs its commands."""
    session = emulator.gateway.live_session()
    assert session is not None and session.intents == GUILDS_AND_VOICE_STATES
    assert emulator.gateway.handshakes[0] == {
        "v": "10",
        "encoding": "json",
        "compress": "zlib-stream",
    }
    assert [(r.method, r.path) for r in emulator.requests[:2]] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
    ]
    commands = emulator.registered_commands()
    assert {"ping", "slow", "sound", "admin", "counter", "inspect", "dm", "tone"} <= set(commands)
    assert commands["admin"]["default_member_permissions"] == str(1 << 5)
    assert harness_bot.user is not None and harness_bot.user.id == emulator.bot_user.id
    assert harness_bot.application_id == emulator.application_id
    assert [g.id for g in harness_bot.guilds] == [emulator.guild.id]


async def test_slash_command_gets_an_immediate_reply(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A type 4 callback becomes the visible reply."""
    reply = await emulator.slash("alice", "ping")

    assert reply.content == "pong"
    assert reply.interaction.response_type == 4
    assert not reply.ephemeral


async def test_deferred_command_follows_up_after_slow_work(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A deferred reply shows "thinking" and the follow-up replaces it after the slow work."""
    # 0.5 s of work would miss a 0.2 s deadline without the defer.
    emulator.server.webhooks.response_deadline = 0.2

    reply = await emulator.slash("bob", "slow", text="hello", seconds=0.5)

    assert reply.interaction.response_type == 5
    assert reply.content == "done: hello"
    assert reply.message is not None and reply.message is reply.interaction.original
    assert not reply.message.loading


async def test_autocomplete_offers_matching_choices(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """Typing into an autocomplete option returns the bot's filtered choices."""
    choices = await emulator.autocomplete("alice", "sound play", "name", "chi")

    assert choices == [
        {"name": "Chime", "value": "chime"},
        {"name": "Wind Chimes", "value": "wind chimes"},
    ]
    reply = await emulator.slash("alice", "sound play", name=choices[0]["value"])
    assert reply.content == "would play chime" and reply.ephemeral


async def test_admin_command_is_hidden_from_members(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """Discord itself refuses a member without Manage Server (default_member_permissions)."""
    with pytest.raises(CommandRefused, match="may not use /admin"):
        await emulator.slash("alice", "admin status")


async def test_admin_command_checks_permissions_on_the_server_too(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """When a server owner grants the command to a member anyway, the bot's own check refuses."""
    refused = await emulator.slash("alice", "admin status", override_permissions=True)
    allowed = await emulator.slash("admin", "admin status")

    assert refused.ephemeral
    assert "Manage Server" in refused.content
    assert allowed.content == "all systems go"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, "required"),
        ({"text": 5}, "wants type"),
        ({"text": "x", "seconds": 9.0}, "outside"),
        ({"text": "x", "colour": "red"}, "unknown options"),
    ],
)
async def test_emulator_refuses_what_the_client_would_not_send(
    harness_bot: HarnessBot, emulator: Emulator, options: dict[str, Any], problem: str
) -> None:
    """Missing, mistyped, out-of-range and unknown options never reach the bot."""
    with pytest.raises(CommandRefused, match=problem):
        await emulator.slash("alice", "slow", **options)


async def test_button_click_updates_the_message(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """A component interaction answered with type 7 edits the message in place."""
    reply = await emulator.slash("alice", "counter")
    assert reply.message is not None
    assert [b["custom_id"] for b in reply.message.buttons()] == ["counter:add"]

    await emulator.click("bob", reply, "counter:add")
    clicked = await emulator.click("alice", reply, "counter:add")

    assert clicked.interaction.response_type == 7
    assert clicked.message is reply.message
    assert reply.content == "count: 2"


async def test_uploaded_attachment_is_downloaded_from_the_cdn(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """The bot reads an attachment option's bytes over TLS from the emulator's CDN route."""
    data = bytes(range(256)) * 40

    reply = await emulator.slash("alice", "inspect", file=Upload("chime.ogg", data, "audio/ogg"))

    assert reply.content == f"chime.ogg: {len(data)} bytes {hashlib.sha256(data).hexdigest()[:12]}"


async def test_direct_message_lands_in_the_users_dm_channel(
    harness_bot: HarnessBot, emulator: Emulator
) -> None:
    """The bot opens a DM channel and posts into it."""
    reply = await emulator.slash("bob", "dm")

    assert reply.content == "sent"
    assert [m.content for m in emulator.dm_messages("bob")] == ["hello in private"]
