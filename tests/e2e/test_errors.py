"""The one error handler (bot.client.tree.CarillonTree): failures reach only whoever caused them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.client.endpoints import apply_endpoints, make_connector, reset_endpoints
from bot.client.tree import CarillonTree
from bot.errors import ValidationError
from tests.emulator import Emulator
from tests.emulator.harness import running_bot

pytestmark = pytest.mark.e2e


class Failing(commands.Cog):
    @app_commands.command(name="public-fail")
    async def public_fail(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Defers publicly, then fails."""
        await interaction.response.defer(thinking=True)
        raise ValidationError("That will not do; try another name.")

    @app_commands.command(name="private-fail")
    async def private_fail(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Defers privately, shows progress, then fails."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.edit_original_response(content="Working on it...")
        raise ValidationError("The file is broken; upload it again.")

    @app_commands.command(name="crash")
    async def crash(self, interaction: discord.Interaction[discord.Client]) -> None:
        """A bug."""
        raise RuntimeError("boom")


@pytest.fixture
async def failing_bot(emulator: Emulator) -> AsyncIterator[commands.Bot]:
    apply_endpoints(emulator.api_base_url, emulator.gateway_url, emulator.ca_file)
    try:
        intents = discord.Intents.none()
        intents.guilds = True
        bot = commands.Bot(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=CarillonTree,
            connector=make_connector(emulator.ca_file),
            guild_ready_timeout=0.1,
        )
        await bot.add_cog(Failing())
        async with running_bot(emulator, bot):
            yield bot
    finally:
        reset_endpoints()


async def test_error_after_public_defer_is_private(
    failing_bot: commands.Bot, emulator: Emulator
) -> None:
    """The public 'thinking' placeholder goes; the error is an ephemeral message."""
    reply = await emulator.slash("alice", "public-fail")
    assert reply.ephemeral
    assert reply.content == "That will not do; try another name."
    assert reply.interaction.original is not None and reply.interaction.original.deleted


async def test_error_after_private_progress_replaces_it(
    failing_bot: commands.Bot, emulator: Emulator
) -> None:
    """A private deferral's progress text is replaced by the error, not left behind."""
    reply = await emulator.slash("alice", "private-fail")  # answered by the progress edit
    error = "The file is broken; upload it again."
    await emulator.wait_for(lambda: reply.content == error, "the error to replace the progress")
    assert reply.ephemeral
    assert reply.interaction.followups == []


@pytest.mark.usefixtures("allow_error_logs")
async def test_bug_is_logged_and_answered_with_a_reference(
    failing_bot: commands.Bot, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception is logged with guild, user and command; the user gets a ref."""
    reply = await emulator.slash("alice", "crash")
    assert reply.ephemeral and "Something went wrong on my side (ref `" in reply.content
    [record] = [r for r in caplog.records if "failed (ref" in r.getMessage()]
    message = record.getMessage()
    assert "command /crash" in message
    assert f"guild={emulator.guild.id}" in message
    assert f"user={emulator.users['alice'].id}" in message
