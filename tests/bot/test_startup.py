"""The pieces behind one-line start-up failures: backoff, network causes, the log filter, the
health file, and a command line that answers without loading the bot."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.cli.failures import explain
from bot.client.connect import Backoff
from bot.config import Settings
from bot.errors import ConfigError, DatabaseOpenError
from bot.ops import health
from bot.ops.logsetup import NetworkTracebackFilter
from bot.ops.netcause import describe, is_network_error

ROOT = Path(__file__).resolve().parents[2]


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    backoff = Backoff(first_s=1.0, cap_s=60.0)
    rng = random.Random(7)
    ceilings = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    for attempt, ceiling in enumerate(ceilings, start=1):
        draws = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        assert max(draws) - min(draws) > ceiling / 4  # spread, not one fixed delay


def _connector_error(os_error: OSError) -> aiohttp.ClientConnectorError:
    from aiohttp.client_reqrep import ConnectionKey

    key = ConnectionKey("discord.com", 443, True, True, None, None, None)
    return aiohttp.ClientConnectorError(key, os_error)


def test_network_failures_are_told_by_their_likely_cause() -> None:
    refused = _connector_error(ConnectionRefusedError(111, "Connection refused"))
    assert is_network_error(refused)
    assert describe(refused).startswith("connection refused")
    unreachable = _connector_error(OSError(101, "Network is unreachable"))
    assert "network unreachable" in describe(unreachable)
    assert "no answer in time" in describe(TimeoutError())
    assert not is_network_error(ValueError("a bug"))
    assert not is_network_error(KeyError("x"))


def _record(exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord(
            "discord.client", logging.ERROR, __file__, 1, "Attempting a reconnect in %.2fs",
            (4.25,), sys.exc_info(),
        )  # fmt: skip


def test_a_reconnect_traceback_becomes_one_warning_line_and_a_bug_keeps_its_traceback() -> None:
    flt = NetworkTracebackFilter()
    network = _record(_connector_error(ConnectionRefusedError(111, "Connection refused")))
    assert flt.filter(network)
    assert network.exc_info is None and network.levelname == "WARNING"
    assert network.getMessage() == (
        "Attempting a reconnect in 4.25s: connection refused: nothing listens there "
        "(wrong port, or a proxy or firewall in the way)"
    )
    bug = _record(ZeroDivisionError("division by zero"))
    assert flt.filter(bug)
    assert bug.exc_info is not None and bug.levelname == "ERROR"


def test_start_up_errors_are_classed_2_for_what_was_given_and_1_for_the_rest(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    assert explain(ConfigError("data_dir is bad"), settings) == (2, "data_dir is bad")
    import sqlite3

    try:
        try:
            raise sqlite3.DatabaseError("file is not a database")
        except sqlite3.DatabaseError as inner:
            raise DatabaseOpenError("open") from inner
    except DatabaseOpenError as outer:
        status, line = explain(outer, settings)
    assert status == 2 and "is not a SQLite database file" in line and str(tmp_path) in line
    status, line = explain(RuntimeError("something odd\nsecond line"), settings)
    assert (status, line) == (1, "start-up failed: RuntimeError: something odd")


def test_the_health_file_says_healthy_only_while_fresh_and_connected(tmp_path: Path) -> None:
    path = health.health_path(tmp_path)
    assert not health.judge(path).healthy  # no bot running
    state = health.GatewayState()
    health.write(path, state, now=1000.0)
    entry = json.loads(path.read_text())
    assert entry["gateway"] == "disconnected"
    state.connected, state.since = True, 900.0
    health.write(path, state, now=1000.0)
    assert health.judge(path, now=1010.0) == health.Verdict(True, "gateway connected for 110 s")
    stale = health.judge(path, now=1000.0 + health.STALE_S + 1)
    assert not stale.healthy and "stuck or stopped" in stale.line
    state.connected, state.since = False, 990.0
    health.write(path, state, now=1000.0)
    assert health.judge(path, now=1005.0).healthy  # a reconnect in progress
    state.since = 1000.0 - health.GRACE_S - 1
    health.write(path, state, now=1000.0)
    assert not health.judge(path, now=1001.0).healthy
    path.write_text("{half")
    assert "cannot be read" in health.judge(path).line


HEAVY = (
    "discord",
    "aiohttp",
    "sqlalchemy",
    "av",
    "dateparser",
    "bot.app",
    "storage.engine",
    "audio.ingest",
)


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["doctor", "--help"]])
def test_the_command_line_answers_without_loading_the_bot(argv: list[str]) -> None:
    """`carillon --help` parses its arguments without importing Discord, the database or audio
    (2.2 s before; they load inside the command that needs them)."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]", result.stderr
    assert "usage: carillon" in result.stdout
