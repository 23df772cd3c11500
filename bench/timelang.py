"""Benchmark of the time language: latency, first call, and event-loop stalls.

Prints one JSON object::

    .venv/bin/python bench/timelang.py

* ``p50_ms`` / ``p99_ms``: parse latency after warm-up (goal <= 1 / <= 5 ms) over the labelled
  corpus (tests/scheduling/corpus.py: every phrase, valid or junk, at its own clock) and the
  DESIGN examples (cron included); ``corpus`` gives the same figures for the corpus alone;
* ``first_call_ms``: the first parse in a fresh process (no ``warm_up``), for a phrase our grammar
  reads and for one that falls through to Duckling (which starts its Haskell runtime on first use);
* ``warm_up_ms``: how long ``warm_up()`` takes in a fresh process (zones and Duckling);
* ``stall_ms``: the longest event-loop stall (goal <= 20 ms): ``*_warm_up_before_loop``: what
  ``carillon run`` does (``warm_up`` before ``asyncio.run``, then async or sync parses from the
  loop's first tick); ``parse_when_async`` and sync
  ``parse_when`` on the loop once ``warm_up`` has run (the bot's steady state; the autocomplete
  preview calls ``parse_when`` on the loop); ``idle_with_background_warm_up``: nothing but
  ``warm_up`` running in a thread, as at start-up (a stall here is the warm-up holding the GIL);
  ``async_with_background_warm_up``: ``parse_when_async`` while ``warm_up`` runs in a thread;
  ``sync_with_background_warm_up``: sync calls while it runs (they wait for Duckling's start: why
  start-up awaits ``warm_up`` before the gateway connects); ``sync_cold``: sync calls on a cold
  process without ``warm_up`` (the worst case).

Each figure is measured in its own fresh interpreter.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scheduling.corpus import CORPUS as LABELLED  # noqa: E402

DESIGN_EXAMPLES = [
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
FALLBACK_PHRASE = "last day of february"  # our grammar passes this one to Duckling
NOW = datetime(2026, 6, 15, 14, 30, tzinfo=ZoneInfo("America/New_York"))

# (text, now, zone): the labelled corpus at its own clocks, then the DESIGN examples.
Phrase = tuple[str, datetime, str]
CORPUS_PHRASES: list[Phrase] = [(case.text, case.now, case.zone) for case in LABELLED]
PHRASES: list[Phrase] = CORPUS_PHRASES + [
    (text, NOW, "America/New_York") for text in DESIGN_EXAMPLES
]


def _parse(text: str, now: datetime = NOW, zone: str = "America/New_York") -> None:
    from bot.errors import ParseError
    from bot.scheduling.timelang import parse_when

    try:
        parse_when(text, now, zone)
    except ParseError:
        pass


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)],
        "max_ms": ordered[-1],
        "samples": len(ordered),
    }


def scenario_first_call(text: str) -> dict[str, float]:
    started = time.perf_counter()
    import bot.scheduling.timelang  # noqa: F401

    imported = time.perf_counter()
    _parse(text)
    done = time.perf_counter()
    return {"import_ms": (imported - started) * 1e3, "first_call_ms": (done - imported) * 1e3}


def scenario_warm_up() -> dict[str, float]:
    import bot.scheduling.timelang as timelang

    started = time.perf_counter()
    timelang.warm_up()
    return {"warm_up_ms": (time.perf_counter() - started) * 1e3}


def scenario_latency() -> dict[str, object]:
    from bot.scheduling.timelang import warm_up

    warm_up()
    for text, now, zone in PHRASES:
        _parse(text, now, zone)
    everything: list[float] = []
    corpus: list[float] = []
    for _ in range(10):
        for index, (text, now, zone) in enumerate(PHRASES):
            started = time.perf_counter()
            _parse(text, now, zone)
            took = (time.perf_counter() - started) * 1e3
            everything.append(took)
            if index < len(CORPUS_PHRASES):
                corpus.append(took)
    return {**_percentiles(everything), "corpus": _percentiles(corpus)}


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
    if mode.endswith("with_background_warm_up"):
        warming = asyncio.create_task(asyncio.to_thread(warm_up), name="warm-up")
    elif mode.endswith("after_warm_up"):
        await asyncio.to_thread(warm_up)
        await asyncio.sleep(0.01)
        stalls.clear()  # the figure is for serving requests, not for start-up
    rounds = 0 if mode.startswith("idle") else 2
    for _ in range(rounds):
        for text, now, zone in PHRASES:
            try:
                if mode.startswith("async"):
                    await parse_when_async(text, now, zone)
                else:
                    parse_when(text, now, zone)
            except ParseError:
                pass
            await asyncio.sleep(0)
    if warming is not None:
        await warming
        await asyncio.sleep(0.01)
    stop.set()
    await watcher
    return max(stalls)


def scenario_stall(mode: str) -> dict[str, float]:
    if mode.endswith("warm_up_before_loop"):
        # As `carillon run` does: warm up before the loop exists, then serve from its first tick.
        from bot.scheduling.timelang import warm_up

        warm_up()
    return {"stall_ms": asyncio.run(_stall(mode))}


def _fresh(*args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def main() -> None:
    if len(sys.argv) > 1:
        name, *rest = sys.argv[1:]
        scenarios: dict[str, Callable[[], object]] = {
            "first": lambda: scenario_first_call(rest[0]),
            "latency": scenario_latency,
            "warm_up": scenario_warm_up,
            "stall": lambda: scenario_stall(rest[0]),
        }
        print(json.dumps(scenarios[name]()))
        return
    grammar = _fresh("first", "tomorrow at 9am")
    fallback = _fresh("first", FALLBACK_PHRASE)
    warming = _fresh("warm_up")
    latency = _fresh("latency")
    stalls = {
        mode: round(_fresh("stall", mode)["stall_ms"], 2)
        for mode in (
            "async_warm_up_before_loop",
            "sync_warm_up_before_loop",
            "async_after_warm_up",
            "sync_after_warm_up",
            "idle_with_background_warm_up",
            "async_with_background_warm_up",
            "sync_with_background_warm_up",
            "sync_cold",
        )
    }
    corpus = latency["corpus"]
    report = {
        "p50_ms": round(latency["p50_ms"], 3),
        "p99_ms": round(latency["p99_ms"], 3),
        "max_ms": round(latency["max_ms"], 3),
        "samples": latency["samples"],
        "corpus": {key: round(value, 3) for key, value in corpus.items()},
        "import_ms": round(grammar["import_ms"], 1),
        "first_call_ms": {
            "grammar_phrase": round(grammar["first_call_ms"], 1),
            "fallback_phrase": round(fallback["first_call_ms"], 1),
        },
        "warm_up_ms": round(warming["warm_up_ms"], 1),
        "stall_ms": stalls,
        "goals": {"p50_ms": 1, "p99_ms": 5, "stall_ms": 20},
        "goals_met": {
            "p50_ms": latency["p50_ms"] <= 1,
            "p99_ms": latency["p99_ms"] <= 5,
            # the modes `carillon run` runs in: warm-up before its loop, then parses in worker
            # threads (/schedule and /admin await parse_when_async; the live preview runs
            # parse_when in asyncio.to_thread). Sync parses on the loop are reported, not used.
            "stall_ms": max(
                stalls["async_warm_up_before_loop"],
                stalls["async_after_warm_up"],
            )
            <= 20,
            # warm-up in a thread of a running loop (the tests' in-process app): Duckling's first
            # parse holds the GIL ~20 ms whatever thread runs it, so this is reported, not hidden
            "stall_ms_with_background_warm_up": max(
                stalls["idle_with_background_warm_up"],
                stalls["async_with_background_warm_up"],
            )
            <= 20,
        },
        "python": sys.version.split()[0],
        # latency and stalls are wall-clock: a busy machine inflates them (2 cores here)
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
