"""``carillon doctor --live``: a real process asks the emulator about the token, the gateway and
the bot's permissions in each server; every failure is one line, never a traceback."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from tests.e2e.test_process import environment
from tests.emulator import Emulator
from tests.emulator.state import MEMBER_PERMISSIONS, SPEAK, VOICE_CHANNEL

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


async def doctor(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run ``carillon doctor --live`` to the end (the emulator answers in this same loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", "--live", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        # A whole interpreter starts and imports discord.py: generous on a loaded machine.
        async with asyncio.timeout(180):
            stdout, stderr = await process.communicate()
    except BaseException:
        process.kill()
        await process.wait()
        raise
    out, err = stdout.decode(), stderr.decode()
    assert "Traceback" not in out + err, out + err
    assert process.returncode is not None
    return process.returncode, out


def squash(text: str) -> str:
    """``text`` with each run of blanks as one space (the columns' width varies)."""
    return " ".join(text.split())


def lines(out: str, name: str) -> list[str]:
    """The lines of check ``name``, each followed by its fix line when it has one, squashed."""
    found = []
    all_lines = out.splitlines()
    for i, text in enumerate(all_lines):
        if text[6:].startswith(name + " "):
            nxt = all_lines[i + 1] if i + 1 < len(all_lines) else ""
            found.append(squash(text + (" " + nxt if "fix: " in nxt else "")))
    return found


async def test_all_is_well(emulator: Emulator, tmp_path: Path) -> None:
    """A good token: the bot's name and id, HELLO from the gateway (no IDENTIFY), and the one
    server with every permission; exit 0, and the data directory is still not created."""
    status, out = await doctor(environment(emulator, tmp_path))
    assert status == 0, out
    assert "FAIL" not in out
    bot = emulator.bot_user
    (token,) = lines(out, "Discord token")
    assert f"Discord accepts it: the bot is {bot.name.lower()} (id {bot.id})" in token
    (gateway,) = lines(out, "Discord gateway")
    assert f"{emulator.gateway_url} answered HELLO (heartbeat every 41.2 s)" in gateway
    assert "999 of 1000 session starts left" in gateway
    guild = emulator.guild
    assert lines(out, "server") == [
        f"ok server {guild.name} ({guild.id}): can View Channels, Send Messages, Connect and Speak"
    ]
    assert emulator.gateway.identifies == 0  # HELLO only: no session start used
    assert len(emulator.gateway.handshakes) == 1
    asked = [(r.method, r.path, r.status) for r in emulator.requests]
    assert ("GET", "/users/@me", 200) in asked
    assert ("GET", "/users/@me/guilds", 200) in asked
    assert ("GET", f"/guilds/{guild.id}", 200) in asked
    assert ("GET", f"/guilds/{guild.id}/members/{bot.id}", 200) in asked
    assert not (tmp_path / "data").exists()
    await emulator.wait_idle()  # the process closed its websocket and connections


async def test_quiet_prints_nothing_when_all_is_well(emulator: Emulator, tmp_path: Path) -> None:
    status, out = await doctor(environment(emulator, tmp_path), "--quiet")
    assert (status, out) == (0, "")


async def test_a_wrong_token_fails(emulator: Emulator, tmp_path: Path) -> None:
    env = environment(emulator, tmp_path, DISCORD_TOKEN="MTA4.wrong.token-that-discord-refuses")
    status, out = await doctor(env)
    assert status == 1
    (token,) = lines(out, "Discord token")
    assert token.startswith("FAIL Discord token Discord refused the token (401 Unauthorized)")
    assert "fix: copy a fresh token from the Bot page of your application" in token
    assert not lines(out, "server")  # nothing else is asked with a refused token
    quiet_status, quiet = await doctor(env, "-q")
    assert quiet_status == 1
    assert squash(quiet.splitlines()[0]).startswith("FAIL Discord token Discord refused the token")


async def test_a_server_where_the_bot_cannot_speak(emulator: Emulator, tmp_path: Path) -> None:
    """A second server whose roles do not give Speak: its line names Speak and the fix; the
    first server stays ok."""
    world = emulator.world
    owner = emulator.users["owner"]
    muted = world.add_guild("Quiet Library", owner)
    muted.everyone.permissions = MEMBER_PERMISSIONS & ~SPEAK
    role = world.add_role(muted, "Carillon", MEMBER_PERMISSIONS & ~SPEAK)
    world.add_member(muted, world.bot, [role])
    world.add_channel(muted, "Reading Room", VOICE_CHANNEL)
    status, out = await doctor(environment(emulator, tmp_path))
    assert status == 1
    servers = lines(out, "server")
    assert len(servers) == 2, out
    good, bad = servers
    assert good.startswith(f"ok server {emulator.guild.name}")
    assert bad.startswith(
        f"FAIL server Quiet Library ({muted.id}): missing Speak "
        "(has View Channels, Send Messages and Connect)"
    )
    bot_id = emulator.bot_user.id
    assert "fix: give the bot's role Speak in Server Settings > Roles, or re-invite it with " in bad
    assert (
        f"https://discord.com/oauth2/authorize?client_id={bot_id}&scope=bot+applications.commands"
        f"&permissions=3148800&guild_id={muted.id}&disable_guild_select=true"
    ) in bad


async def test_an_administrator_role_or_ownership_gives_everything(
    emulator: Emulator, tmp_path: Path
) -> None:
    world = emulator.world
    bot = world.bot
    nothing = world.add_guild("Admin Only", emulator.users["owner"])
    nothing.everyone.permissions = 0
    world.add_member(nothing, bot, [world.add_role(nothing, "Boss", 1 << 3)])
    owned = world.add_guild("Bot's Own", bot)
    owned.everyone.permissions = 0
    status, out = await doctor(environment(emulator, tmp_path))
    assert status == 0, out
    assert len([s for s in lines(out, "server") if s.startswith("ok ")]) == 3


async def test_no_server_yet_is_a_warning_with_the_invite(
    emulator: Emulator, tmp_path: Path
) -> None:
    del emulator.guild.members[emulator.bot_user.id]
    status, out = await doctor(environment(emulator, tmp_path))
    assert status == 0, out
    (servers,) = lines(out, "servers")
    assert servers.startswith("warn servers the bot is in no server yet")
    assert (
        "fix: invite it to your server: https://discord.com/oauth2/authorize?client_id="
        f"{emulator.bot_user.id}&scope=bot+applications.commands&permissions=3148800"
    ) in servers


async def test_a_rate_limit_is_waited_out_once(emulator: Emulator, tmp_path: Path) -> None:
    fault = emulator.faults.rate_limit("GET", r"^/users/@me/guilds", retry_after=0.2)
    status, out = await doctor(environment(emulator, tmp_path))
    assert status == 0, out
    assert len(fault.hits) == 1
    statuses = [r.status for r in emulator.requests if r.path == "/users/@me/guilds"]
    assert statuses == [429, 200]


async def test_an_unreachable_api_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    """A closed port as discord.api_base_url: one FAIL line naming it and the likely cause."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        base = f"http://127.0.0.1:{port}/api/v10"
        status, out = await doctor(
            environment(emulator, tmp_path, CARILLON_DISCORD__API_BASE_URL=base)
        )
    assert status == 1
    failed = [squash(text) for text in out.splitlines() if text.startswith("FAIL")]
    assert failed == [
        f"FAIL Discord API cannot reach {base}: connection refused: nothing listens there "
        "(wrong port, or a proxy or firewall in the way)"
    ], out
    assert f"fix: check discord.api_base_url ({base}) and that the service there runs" in out


async def test_an_unreachable_gateway_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        gateway = f"ws://127.0.0.1:{closed.getsockname()[1]}/gateway"
        env = environment(emulator, tmp_path, CARILLON_DISCORD__GATEWAY_URL=gateway)
        status, out = await doctor(env)
    assert status == 1
    (line,) = lines(out, "Discord gateway")
    assert line.startswith(
        f"FAIL Discord gateway cannot open the gateway websocket {gateway}: connection refused"
    )
    assert "fix: check discord.gateway_url" in line
    assert lines(out, "server")  # the servers are still checked


async def test_an_untrusted_certificate_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    """Without discord.ca_file the emulator's throwaway CA is not trusted: a TLS line."""
    status, out = await doctor(environment(emulator, tmp_path, CARILLON_DISCORD__CA_FILE=""))
    assert status == 1
    failed = [squash(text) for text in out.splitlines() if text.startswith("FAIL")]
    assert failed == [
        f"FAIL Discord API cannot reach {emulator.api_base_url}: its TLS certificate is not "
        "trusted (a proxy that intercepts TLS needs its CA in discord.ca_file)"
    ], out


async def test_an_api_that_never_answers_times_out_in_one_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    """A port that accepts connections and never answers: the request times out (10 s)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
        base = f"http://127.0.0.1:{silent.getsockname()[1]}/api/v10"
        status, out = await doctor(
            environment(emulator, tmp_path, CARILLON_DISCORD__API_BASE_URL=base)
        )
    assert status == 1
    failed = [squash(text) for text in out.splitlines() if text.startswith("FAIL")]
    assert failed == [
        f"FAIL Discord API cannot reach {base}: no answer in time (network down, "
        "or a firewall dropping the traffic)"
    ], out
