"""Scheduler benchmark: our rolling-window runner vs the naive "every task is a job" design.

    .venv/bin/python bench/scheduler.py --tasks 10000 100000 1000000 --naive-max 100000

For each N it builds a SQLite file with N pending tasks spread over the next 30 days plus a burst
of 1,000 due at the same instant, then, in a fresh process for each design, measures:

* ``start_to_armed_s``: process start (before imports) to "the window is armed";
* ``peak_rss_mb``: the process's peak resident memory;
* ``burst_latency_ms``: p50/p99/max from each occurrence's due time to its handler starting;
* ``creations_per_s``: tasks created through ``SchedulerService.create_task`` (ours only).

The naive design loads every stored task into APScheduler as a date job at start and claims each
occurrence in its own transaction when it fires.  Both use the same database and the same no-op
handler, side by side in one run.  Prints one JSON object.
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BURST = 1000
BURST_DELAY_S = 15.0  # the burst is due this long after the child starts


def build_database(path: Path, tasks: int) -> None:
    """Migrate, then bulk-insert ``tasks`` pending tasks spread over 30 days, then the burst.

    The burst's ``BURST`` tasks come last (ids above ``tasks``); the caller sets their due time.
    """
    from bot.app import open_engine
    from bot.config import Settings, load_settings

    settings = load_settings(None, env={"CARILLON_DATABASE__URL": f"sqlite+aiosqlite:///{path}"})
    assert isinstance(settings, Settings)

    async def migrate() -> None:
        engine = await open_engine(settings)
        await engine.dispose()

    asyncio.run(migrate())
    rng = random.Random(7)
    now = datetime.now(UTC)
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    created = now.strftime(fmt)

    def rows(count: int, due_of: object) -> object:
        for n in range(count):
            due = due_of(n)  # type: ignore[operator]
            text = due.strftime(fmt)
            yield (
                1 + n % 500,
                None,
                "credit_recharge",
                f"bench {n}",
                '{"user_id": null, "amount": 1}',
                "UTC",
                "none",
                1,
                None,
                text,
                None,
                None,
                None,
                None,
                0,
                None,
                text,
                "pending",
                "queue",
                None,
                0,
                None,
                created,
                created,
            )

    columns = (
        "guild_id, owner_id, task_type, name, parameters, timezone, recurrence_type, "
        "recurrence_interval, cron_expression, anchor_at, time_of_day, weekdays, day_of_month, "
        "recurrence_count, runs_done, until_at, next_run_at, status, on_busy, last_error, "
        "consecutive_failures, finished_at, created_at, updated_at"
    )
    sql = f"INSERT INTO scheduled_tasks ({columns}) VALUES ({', '.join('?' * 24)})"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        later = now + timedelta(hours=1)
        conn.executemany(
            sql, rows(tasks, lambda n: later + timedelta(seconds=rng.randrange(30 * 86_400)))
        )
        conn.executemany(sql, rows(BURST, lambda n: now + timedelta(days=365)))
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def child(design: str, db: Path, burst_at: datetime, creations: int) -> None:
    """Run one design in this (fresh) process and print its figures as JSON."""
    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.tasks.handlers import HandlerResult
    from bot.tasks.runner import TaskRunner
    from storage.engine import create_engine, create_session_factory
    from storage.enums import RunOutcome, TaskType
    from storage.uow import UnitOfWorkFactory

    latencies: list[float] = []
    done = asyncio.Event()

    class NoOp:
        async def execute(self, task: object, due_at: datetime) -> HandlerResult:
            latencies.append((datetime.now(UTC) - due_at).total_seconds() * 1000)
            if len(latencies) >= BURST:
                done.set()
            return HandlerResult(RunOutcome.SUCCEEDED, "bench")

    handlers = {kind: NoOp() for kind in TaskType}
    settings = load_settings(None, env={"CARILLON_DATABASE__URL": f"sqlite+aiosqlite:///{db}"})

    async def main() -> dict[str, object]:
        engine = create_engine(settings.database_url)
        uow = UnitOfWorkFactory(create_session_factory(engine))
        clock = SystemClock()
        runner = TaskRunner(uow, handlers, settings=settings.scheduler, clock=clock)  # type: ignore[arg-type]
        result: dict[str, object] = {}
        if design == "ours":
            await runner.start()
            armed = len(runner.armed)
        else:
            armed = await naive_arm(runner, uow)
        result["start_to_armed_s"] = round(time.perf_counter() - PROCESS_START, 3)
        result["armed_jobs"] = armed
        wait = (burst_at - datetime.now(UTC)).total_seconds() + 30
        try:
            await asyncio.wait_for(done.wait(), timeout=max(wait, 30))
        except TimeoutError:
            result["error"] = f"only {len(latencies)} of {BURST} burst occurrences started"
        result["burst_latency_ms"] = {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p99": round(percentile(latencies, 99), 2) if latencies else None,
            "max": round(max(latencies), 2) if latencies else None,
        }
        await runner.drain()
        if design == "ours" and creations:
            result["creations_per_s"] = await measure_creations(uow, settings, clock, creations)
        await runner.stop()
        await engine.dispose()
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return result

    print(json.dumps(asyncio.run(main())))


async def naive_arm(runner: object, uow: object) -> int:
    """The naive design: every stored task becomes an APScheduler job at start."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from sqlalchemy import select

    from storage.models import ScheduledTask

    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})
    scheduler.start()
    async with uow() as session_uow:  # type: ignore[operator]
        rows = (
            await session_uow.session.execute(
                select(ScheduledTask.id, ScheduledTask.next_run_at).where(
                    ScheduledTask.status == "pending"
                )
            )
        ).all()
    for task_id, due in rows:
        # Each job claims and runs its own occurrence in its own transaction when it fires.
        scheduler.add_job(runner.fire, "date", run_date=due, args=(task_id, due), id=str(task_id))  # type: ignore[attr-defined]
    return len(rows)


async def measure_creations(uow: object, settings: object, clock: object, count: int) -> float:
    from bot.scheduling.recurrence import Recurrence
    from bot.tasks.service import Actor, SchedulerService

    service = SchedulerService(uow, None, settings=settings, clock=clock)  # type: ignore[arg-type]
    admin = Actor(1, is_admin=True)
    start = time.perf_counter()
    for n in range(count):
        due = datetime.now(UTC) + timedelta(days=1, seconds=n)
        await service.create_task(
            guild_id=9,
            name=f"created {n}",
            task_type="credit_recharge",
            parameters={},
            user_id=None,
            recurrence=Recurrence.once(due, "UTC"),
            actor=admin,
        )
    return round(count / (time.perf_counter() - start), 1)


def run_child(design: str, db: Path, burst_at: datetime, creations: int) -> dict[str, object]:
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            design,
            "--db",
            str(db),
            "--burst-at",
            burst_at.isoformat(),
            "--creations",
            str(creations),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or "child failed"}
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--naive-max", type=int, default=100_000)
    parser.add_argument("--creations", type=int, default=2000)
    parser.add_argument("--child", choices=["ours", "naive"])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--burst-at")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, datetime.fromisoformat(args.burst_at), args.creations)
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="carillon-bench-") as tmp:
        for n in args.tasks:
            entry: dict[str, object] = {"stored_tasks": n + BURST, "burst": BURST}
            for design in ("ours", "naive"):
                if design == "naive" and n > args.naive_max:
                    entry[design] = {"skipped": f"more than --naive-max {args.naive_max} tasks"}
                    continue
                db = Path(tmp) / f"{design}-{n}.db"
                build_started = time.perf_counter()
                build_database(db, n)
                # Set after the build (which takes a while at 1M) so the burst is due soon after
                # the child process starts.
                burst_at = datetime.now(UTC) + timedelta(seconds=BURST_DELAY_S)
                with sqlite3.connect(db) as conn:
                    text = burst_at.strftime("%Y-%m-%d %H:%M:%S.%f")
                    conn.execute(
                        "UPDATE scheduled_tasks SET next_run_at = ?, anchor_at = ? WHERE id > ?",
                        (text, text, n),
                    )
                entry.setdefault("build_s", {})[design] = round(  # type: ignore[index]
                    time.perf_counter() - build_started, 1
                )
                entry[design] = run_child(
                    design, db, burst_at, args.creations if design == "ours" else 0
                )
                os.remove(db)
            results.append(entry)
            print(json.dumps(entry), file=sys.stderr)
    print(json.dumps({"benchmark": "scheduler", "results": results}, indent=2))


if __name__ == "__main__":
    main()
