"""Benchmark of the time language: latency, first call, and event-loop stalls.

Prints one JSON object::

    python bench/timelang.py

* ``p50_ms`` / ``p99_ms``: parse latency over a mixed corpus after warm-up (goal <= 1 / <= 5 ms);
* ``first_call_ms``: the first parse in a fresh process, for a phrase our grammar reads and for one
  that falls through to dateparser (which loads its language data on first use);
* ``stall_ms``: the longest event-loop stall while parsing from async code (goal <= 20 ms):
  ``parse_when_async`` and sync ``parse_when`` on the loop once ``warm_up`` has run (the bot's
  steady state); ``parse_when_async`` while ``warm_up`` is still running in a thread (dateparser's
  ``regex`` compiles its patterns in C holding the GIL, so this one varies, 9-30 ms); and sync
  calls on a cold process (the worst case: why start-up should call ``warm_up`` before the gateway
  connects).

Each cold figure is measured in its own fresh interpreter.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CORPUS = [
    "in 5 minutes", "in 2h30m", "in half an hour", "tomorrow at 9am", "next friday 6pm",
    "dec 25 at 7am", "2026-12-01 10:00", "at noon", "tonight at 8", "at 5", "this weekend",
    "end of month", "tomorrow at 9am PST", "every day at 9", "every weekday at 9am",
    "every monday and wednesday at 18:00", "every 15 minutes", "every 2 hours", "hourly",
    "every month on the 1st at 10:00", "every year on march 3 at 8am",
    "every day at 9 starting tomorrow until dec 31 10 times", "0 9 * * 1-5", "*/15 * * * *",
    "30 14 1 * *", "every 2 weeks on monday at 18:30", "friday at 6pm london", "the 3rd",
    "in 3 days at 9am", "every month on the 31st", "banana", "every blursday",
    "3rd of next month", "a week from today", "at 9:30", "on mondays at 6pm",
]  # fmt: skip
DATEPARSER_PHRASE = "3rd of next month"  # our grammar passes this one to dateparser
NOW = datetime(2026, 6, 15, 14, 30, tzinfo=ZoneInfo("America/New_York"))


def _parse(text: str) -> None:
    from bot.errors import ParseError
    from bot.scheduling.timelang import parse_when

    try:
        parse_when(text, NOW, "America/New_York")
    except ParseError:
        pass


def scenario_first_call(text: str) -> dict[str, float]:
    started = time.perf_counter()
    import bot.scheduling.timelang  # noqa: F401

    imported = time.perf_counter()
    _parse(text)
    done = time.perf_counter()
    return {"import_ms": (imported - started) * 1e3, "first_call_ms": (done - imported) * 1e3}


def scenario_latency() -> dict[str, float]:
    from bot.scheduling.timelang import warm_up

    warm_up()
    for text in CORPUS:
        _parse(text)
    samples: list[float] = []
    for _ in range(30):
        for text in CORPUS:
            started = time.perf_counter()
            _parse(text)
            samples.append((time.perf_counter() - started) * 1e3)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p99_ms": samples[int(len(samples) * 0.99) - 1],
        "max_ms": samples[-1],
        "samples": len(samples),
    }


async def _watch(stop: asyncio.Event, stalls: list[float]) -> None:
    """Sleep 1 ms at a time and record how late each wake-up is: that is the loop's stall."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.001)
        stalls.append((time.perf_counter() - before) * 1e3 - 1.0)


async def _stall(mode: str) -> float:
    from bot.errors import ParseError
    from bot.scheduling.timelang import parse_when, parse_when_async, warm_up

    stop = asyncio.Event()
    stalls: list[float] = []
    watcher = asyncio.create_task(_watch(stop, stalls), name="stall-watcher")
    await asyncio.sleep(0.01)
    warming = None
    if mode == "async_with_background_warm_up":
        warming = asyncio.create_task(asyncio.to_thread(warm_up), name="warm-up")
    elif mode.endswith("after_warm_up"):
        await asyncio.to_thread(warm_up)
        await asyncio.sleep(0.01)
        stalls.clear()  # the figure is for serving requests, not for start-up
    for _ in range(5):
        for text in CORPUS:
            try:
                if mode.startswith("async"):
                    await parse_when_async(text, NOW, "America/New_York")
                else:
                    parse_when(text, NOW, "America/New_York")
            except ParseError:
                pass
            await asyncio.sleep(0)
    if warming is not None:
        await warming
    stop.set()
    await watcher
    return max(stalls)


def scenario_stall(mode: str) -> dict[str, float]:
    return {"stall_ms": asyncio.run(_stall(mode))}


def _fresh(*args: str) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def main() -> None:
    if len(sys.argv) > 1:
        name, *rest = sys.argv[1:]
        scenarios = {
            "first": lambda: scenario_first_call(rest[0]),
            "latency": scenario_latency,
            "stall": lambda: scenario_stall(rest[0]),
        }
        print(json.dumps(scenarios[name]()))
        return
    grammar = _fresh("first", "tomorrow at 9am")
    fallback = _fresh("first", DATEPARSER_PHRASE)
    latency = _fresh("latency")
    stalls = {
        mode: round(_fresh("stall", mode)["stall_ms"], 2)
        for mode in (
            "async_after_warm_up",
            "sync_after_warm_up",
            "async_with_background_warm_up",
            "sync_cold",
        )
    }
    report = {
        "p50_ms": round(latency["p50_ms"], 3),
        "p99_ms": round(latency["p99_ms"], 3),
        "max_ms": round(latency["max_ms"], 3),
        "samples": latency["samples"],
        "import_ms": round(grammar["import_ms"], 1),
        "first_call_ms": {
            "grammar_phrase": round(grammar["first_call_ms"], 1),
            "dateparser_phrase": round(fallback["first_call_ms"], 1),
        },
        "stall_ms": stalls,
        "goals": {"p50_ms": 1, "p99_ms": 5, "stall_ms": 20},
        "python": sys.version.split()[0],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
