"""`carillon run` meeting a world that is not ready: each failure is one line and a clear status.

Discord unreachable: the bot says so in one line per attempt and keeps trying with backoff, comes
up by itself once the network does, and SIGTERM during the retries exits 0. A data directory that
cannot be used, or a database that is not one, stops it with status 2 and the fix, before it
connects anywhere. No traceback reaches the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.test_process import ROOT, carillon, environment
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e

UNREACHABLE = "cannot reach Discord at"
WAIT_S = 120.0  # a whole process on a loaded machine: generous, and only ever waited on events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def lines_until(
    process: asyncio.subprocess.Process, needle: str, count: int = 1
) -> list[str]:
    """Read stderr lines until ``needle`` has appeared ``count`` times; return all read."""
    assert process.stderr is not None
    seen: list[str] = []
    async with asyncio.timeout(WAIT_S):
        while sum(needle in line for line in seen) < count:
            raw = await process.stderr.readline()
            if not raw:
                raise AssertionError(f"process ended before {needle!r}:\n" + "".join(seen))
            seen.append(raw.decode())
    return seen


async def finish(process: asyncio.subprocess.Process) -> str:
    async with asyncio.timeout(WAIT_S):
        _, rest = await process.communicate()
    return rest.decode()


@contextlib.asynccontextmanager
async def forwarder(port: int, target: int) -> AsyncIterator[None]:
    """A TCP relay from ``port`` to ``target``: the network "coming up" at a known address."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def relay(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(pipe(client_r, server_w), pipe(server_r, client_w))

    server = await asyncio.start_server(relay, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()


async def test_unreachable_discord_is_one_line_per_attempt_and_sigterm_exits_0(
    emulator: Emulator, tmp_path: Path
) -> None:
    env = environment(emulator, tmp_path)
    env["CARILLON_DISCORD__API_BASE_URL"] = f"https://127.0.0.1:{free_port()}/api/v10"
    process = await carillon("run", env=env)
    try:
        seen = await lines_until(process, UNREACHABLE, count=2)
    except BaseException:
        process.kill()
        raise
    process.send_signal(signal.SIGTERM)
    log = "".join(seen) + await finish(process)
    assert process.returncode == 0, log
    assert "Traceback" not in log
    attempts = [line for line in log.splitlines() if UNREACHABLE in line]
    assert "connection refused" in attempts[0] and "(attempt 1)" in attempts[0]
    assert "(attempt 2)" in attempts[1] and "trying again in" in attempts[1]
    assert not (tmp_path / "data" / "health.json").exists()  # a stopped bot reports nothing


async def test_a_bot_started_before_the_network_comes_up_by_itself(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.timeout = WAIT_S
    port = free_port()
    env = environment(emulator, tmp_path)
    env["CARILLON_DISCORD__API_BASE_URL"] = f"https://127.0.0.1:{port}/api/v10"
    process = await carillon("run", env=env)
    try:
        await lines_until(process, UNREACHABLE, count=1)
        async with forwarder(port, emulator.server.port):
            await emulator.wait_gateway(identifies=1)
            health = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bot", "health"],
                env=env,
                capture_output=True,
                text=True,
                timeout=WAIT_S,
            )
            process.send_signal(signal.SIGTERM)
            log = await finish(process)
    except BaseException:
        process.kill()
        raise
    assert process.returncode == 0, log
    assert "reached Discord at" in log and "Traceback" not in log
    # The health file is rewritten every 15 s: right after the IDENTIFY it may still say
    # "connecting", which a health check counts as healthy during the start-up grace.
    assert health.returncode == 0, health.stdout + health.stderr
    assert health.stdout.startswith("healthy: gateway")


def _read_only_wrapper(folder: Path) -> list[str] | None:
    """A command prefix under which ``folder`` is read-only, or None if this machine has none."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return []
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind -o ro '{folder}' '{folder}'"],
        capture_output=True,
    )
    if probe.returncode != 0:
        return None
    # A private mount namespace: the read-only mount exists for that one process only.
    return ["unshare", "-m", "sh", "-c", f'mount --bind -o ro "{folder}" "{folder}" && exec "$@"',
            "sh"]  # fmt: skip


async def _run_fails(env: dict[str, str], prefix: tuple[str, ...] = ()) -> str:
    if prefix:
        process = await asyncio.create_subprocess_exec(
            *prefix, sys.executable, "-m", "bot", "run",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    else:
        process = await carillon("run", env=env)
    log = await finish(process)
    assert process.returncode == 2, log
    assert "Traceback" not in log
    return log


@pytest.mark.parametrize("case", ["file", "under a file", "read-only", "proc"])
async def test_an_unusable_data_directory_exits_2_with_the_fix(
    emulator: Emulator, tmp_path: Path, case: str
) -> None:
    env = environment(emulator, tmp_path)
    prefix: list[str] = []
    if case == "file":
        data = tmp_path / "data.txt"
        data.write_text("not a folder")
        expected = f"data_dir {data} is a file, not a folder"
    elif case == "under a file":
        (tmp_path / "data.txt").write_text("not a folder")
        data = tmp_path / "data.txt" / "sub"
        expected = f"{tmp_path / 'data.txt'} is a file, not a folder"
    elif case == "read-only":
        data = tmp_path / "ro"
        data.mkdir()
        wrapper = _read_only_wrapper(data)
        if wrapper is None:
            pytest.skip("no way to make a read-only folder here (root without unshare)")
        prefix = wrapper
        expected = f"cannot write a file in data_dir {data}"
    else:
        data = Path("/proc/1")
        expected = "takes no new files"
    env["CARILLON_DATA_DIR"] = str(data)
    log = await _run_fails(env, tuple(prefix))
    assert expected in log, log
    assert "Fix:" in log
    assert len([line for line in log.splitlines() if line.startswith("carillon:")]) == 1, log
    if case == "read-only":
        # Root under a read-only mount is told of the mount; anyone else of the permission, and
        # of the Docker image's user.
        assert ("read-only file system" in log) if prefix[:1] == ["unshare"] else ("10001" in log)
    assert "logging in" not in log  # checked before connecting anywhere


async def test_a_file_that_is_not_a_database_exits_2_naming_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    env = environment(emulator, tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "carillon.db").write_bytes(b"this is a text file, not SQLite\n" * 200)
    log = await _run_fails(env)
    assert "is not a SQLite database file" in log and "carillon.db" in log, log


async def test_a_database_server_that_comes_up_later_is_waited_for(
    emulator: Emulator, tmp_path: Path
) -> None:
    """PostgreSQL not up yet (one compose file, one boot): one line per attempt, no password
    shown; once it answers (a relay opened later) the bot migrates and connects. Without a
    test server, SIGTERM during the waiting exits 0."""
    from sqlalchemy.engine import make_url

    from tests.dbkit import POSTGRES_URL, fresh_database_url

    emulator.timeout = WAIT_S
    port = free_port()
    async with contextlib.AsyncExitStack() as stack:
        if POSTGRES_URL:
            real = make_url(
                await stack.enter_async_context(fresh_database_url("postgresql", tmp_path))
            )
        else:
            real = make_url("postgresql+asyncpg://bot:secret@127.0.0.1:5432/carillon")
        url = real.set(host="127.0.0.1", port=port, password="secret")
        env = environment(emulator, tmp_path)
        env["CARILLON_DATABASE__URL"] = url.render_as_string(hide_password=False)
        process = await carillon("run", env=env)
        try:
            seen = await lines_until(process, "cannot reach the database at", count=2)
            if POSTGRES_URL:
                await stack.enter_async_context(forwarder(port, real.port or 5432))
                await emulator.wait_gateway(identifies=1)
            process.send_signal(signal.SIGTERM)
            log = "".join(seen) + await finish(process)
        except BaseException:
            process.kill()
            raise
    assert process.returncode == 0, log
    assert "Traceback" not in log and "secret" not in log
    attempts = [line for line in log.splitlines() if "cannot reach the database at" in line]
    assert f"127.0.0.1:{port}: connection refused" in attempts[0] and "(attempt 1)" in attempts[0]
    if POSTGRES_URL:
        assert "reached the database at" in log
