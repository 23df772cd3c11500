"""The bot's own report of its gateway connection, for a container health check.

``carillon run`` rewrites ``<data_dir>/health.json`` every :data:`EVERY_S` seconds with the
gateway state; ``carillon health`` (the Docker image's HEALTHCHECK) reads it and says whether the
bot is up: the file is fresh, and the gateway is connected or was lost only briefly (discord.py
reconnects by itself; a check that failed on every reconnect would restart healthy bots).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

HEALTH_FILE = "health.json"
EVERY_S = 15.0
STALE_S = 4 * EVERY_S  # no rewrite for this long: the process is stuck or gone
GRACE_S = 180.0  # disconnected (or still connecting) for longer than this is unhealthy


def health_path(data_dir: Path) -> Path:
    return data_dir / HEALTH_FILE


class GatewayState:
    """What the gateway is doing, from the client's connect / disconnect events."""

    def __init__(self) -> None:
        self.connected = False
        self.since = time.time()

    async def up(self) -> None:  # coroutines: discord.py listeners must be
        if not self.connected:
            self.connected, self.since = True, time.time()

    async def down(self) -> None:
        if self.connected:
            self.connected, self.since = False, time.time()


def write(path: Path, state: GatewayState, *, now: float | None = None) -> None:
    """Replace the file in one step (a reader never sees half of it)."""
    entry = {
        "pid": os.getpid(),
        "gateway": "connected" if state.connected else "disconnected",
        "since": state.since,
        "updated_at": time.time() if now is None else now,
    }
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(entry), encoding="utf-8")
    os.replace(partial, path)


async def report_forever(path: Path, state: GatewayState, every_s: float = EVERY_S) -> None:
    """Rewrite the file every ``every_s`` seconds until cancelled; a failed write is logged
    once per kind of failure, and never stops the bot."""
    last_problem = ""
    while True:
        try:
            await asyncio.to_thread(write, path, state)
            last_problem = ""
        except OSError as exc:
            problem = exc.strerror or str(exc)
            if problem != last_problem:
                log.warning("cannot write the health file %s: %s", path, problem)
                last_problem = problem
        await asyncio.sleep(every_s)


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    line: str


def judge(path: Path, *, now: float | None = None) -> Verdict:
    """Whether the bot that writes ``path`` is up, with one line saying why."""
    now = time.time() if now is None else now
    try:
        entry: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        updated = float(entry["updated_at"])
        since = float(entry["since"])
        connected = entry["gateway"] == "connected"
    except FileNotFoundError:
        return Verdict(False, f"{path} does not exist: carillon run is not running (yet)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Verdict(False, f"{path} cannot be read: {exc}")
    if now - updated > STALE_S:
        return Verdict(
            False, f"the bot last reported {now - updated:.0f} s ago: it is stuck or stopped"
        )
    if connected:
        return Verdict(True, f"gateway connected for {now - since:.0f} s")
    if now - since > GRACE_S:
        return Verdict(False, f"gateway not connected for {now - since:.0f} s")
    return Verdict(True, f"gateway connecting ({now - since:.0f} s)")
