"""The ``carillon`` process itself against the emulator: run until SIGTERM, sync, a bad token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.emulator import Emulator

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def environment(
    emulator: Emulator, tmp_path: Path, token: str | None = None, **overrides: str
) -> dict[str, str]:
    """A `carillon` process's environment: the emulator's endpoints, a data dir in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARILLON_")}
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    env.update(
        {
            "DISCORD_TOKEN": token or emulator.token,
            "CARILLON_CONFIG": str(tmp_path / "config.toml"),
            "CARILLON_DATA_DIR": str(tmp_path / "data"),
            "CARILLON_DISCORD__API_BASE_URL": emulator.api_base_url,
            "CARILLON_DISCORD__GATEWAY_URL": emulator.gateway_url,
            "CARILLON_DISCORD__CA_FILE": str(emulator.ca_file),
            **overrides,
        }
    )
    return env


async def carillon(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_run_serves_until_sigterm_then_exits_cleanly(
    emulator: Emulator, tmp_path: Path
) -> None:
    """`carillon run` logs in, and on SIGTERM closes everything and exits with status 0."""
    # A whole process starts (interpreter, migrations, the time language's warm-up): on a
    # loaded machine that takes far longer than the emulator's in-process waits allow.
    emulator.timeout = 60.0
    process = await carillon("run", env=environment(emulator, tmp_path))
    try:
        await emulator.wait_gateway(identifies=1)
    except BaseException:
        process.kill()
        raise
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(30):
        _, stderr = await process.communicate()
    log = stderr.decode()
    assert process.returncode == 0, log
    assert "shutting down" in log and "stopped" in log
    assert (tmp_path / "data" / "carillon.db").is_file()
    await emulator.wait_for(lambda: emulator.gateway.live_session() is None, "the bot to leave")


async def test_sync_publishes_the_commands_to_a_server(emulator: Emulator, tmp_path: Path) -> None:
    """`carillon sync --guild ID` logs in, syncs the command tree there, says what, and exits."""
    guild = emulator.guild
    process = await carillon("sync", "--guild", str(guild.id), env=environment(emulator, tmp_path))
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    synced = set(emulator.registered_commands(guild))
    assert {"sound", "schedule", "tasks", "admin"} <= synced
    assert f"to server {guild.id}: " in stdout.decode()
    assert "/schedule" in stdout.decode()


async def test_sync_dev_publishes_to_the_configured_dev_servers(
    emulator: Emulator, tmp_path: Path
) -> None:
    """`carillon sync --dev` syncs to discord.dev_guild_ids; without any it says what to set."""
    guild = emulator.guild
    env = environment(emulator, tmp_path)
    unset = await carillon("sync", "--dev", env=env)
    async with asyncio.timeout(60):
        _, stderr = await unset.communicate()
    assert unset.returncode == 2 and "dev_guild_ids" in stderr.decode()
    assert emulator.registered_commands(guild) == {}
    env["CARILLON_DISCORD__DEV_GUILD_IDS"] = f"[{guild.id}]"
    process = await carillon("sync", "--dev", env=env)
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert {"sound", "schedule", "tasks", "admin"} <= set(emulator.registered_commands(guild))
    assert f"to server {guild.id}: " in stdout.decode()


async def test_a_refused_token_exits_2_with_advice(emulator: Emulator, tmp_path: Path) -> None:
    """A well-formed token Discord refuses stops `carillon run` with status 2 and what to do."""
    env = environment(emulator, tmp_path, token="MTA4.wrong.token-that-discord-refuses")
    process = await carillon("run", env=env)
    async with asyncio.timeout(60):
        _, stderr = await process.communicate()
    assert process.returncode == 2
    assert "Discord refused the token" in stderr.decode()
