"""Scheduler benchmark: our rolling-window runner vs the naive "every task is a job" design,
on SQLite and PostgreSQL, with one runner process or several sharing the database.

    .venv/bin/python bench/scheduler.py --db sqlite --tasks 10000 100000 1000000 --naive-max 100000
    export POSTGRES_TEST_URL=$(bash .ci/postgres.sh)   # a throwaway local PostgreSQL server
    .venv/bin/python bench/scheduler.py --tasks 10000 --db sqlite postgresql --runners 1 2 \\
        --naive-max 0

``--db`` takes ``sqlite`` and/or ``postgresql`` (repeatable).  By default both run when a
PostgreSQL server is named (``--postgres-url`` or ``POSTGRES_TEST_URL``, either
``postgresql://`` or ``postgresql+asyncpg://``), else SQLite alone and the JSON says why.  On
PostgreSQL each measurement gets a throwaway database on that server (``CREATE DATABASE``, dropped
afterwards).  ``--tasks`` defaults to 10,000 when PostgreSQL is among the backends, else to
10,000 / 100,000 / 1,000,000.  ``--runners`` (default ``1 2``) lists how many runner processes
share the database: each is a fresh child process with its own ``CARILLON_SCHEDULER__RUNNER_NAME``.

For each backend, N and runner count it builds a fresh database (migrated by the app's own
``open_engine``, then N pending tasks bulk-loaded over the next 30 days, then a burst of 1,000 due
at the same instant), starts the runner process(es) and measures:

* ``burst_latency_ms``: p50/p99/max from each occurrence's due time to its handler starting, over
  the union of every runner's handler starts;
* ``ran_by_runner`` / ``started``: how many burst occurrences each runner started, and in all;
  ``doubles`` and ``lost`` come from the (task id, due) pairs started, against the 1,000 expected;
* per runner: ``start_to_armed_s`` (process start, before imports, to "the window is armed"),
  ``peak_rss_mb``, and with one runner ``creations_per_s`` (tasks created through
  ``SchedulerService.create_task``, ours only).

The parent decides that a burst is over when the database holds a finished run for each of the
1,000 occurrences (or ``--burst-timeout`` seconds after the due time), then tells the children to
report.  Goals: p99 <= 15 ms with one runner, <= 50 ms with two.

The naive design loads every stored task into APScheduler as a date job at start and claims each
occurrence in its own transaction when it fires; it runs with one runner, on every backend asked
for, while N <= ``--naive-max``.  Both designs use the same no-op handler.  Prints one JSON object
on stdout (progress on stderr); ``summary`` has one row per backend, N, design and runner count.
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BURST = 1000
BURST_DELAY_S = 15.0  # the burst is due this long after the children start
GOAL_P99_MS = {1: 15.0, 2: 50.0}
BACKENDS = ("sqlite", "postgresql")
POLL_S = 0.2  # how often the parent counts the burst's finished runs
CHILD_REPORT_TIMEOUT_S = 900  # drain, creations and shutdown after the burst
SQLITE_TEXT = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime stores an instant on SQLite
COLUMNS = (
    "guild_id",
    "owner_id",
    "task_type",
    "name",
    "parameters",
    "timezone",
    "recurrence_type",
    "recurrence_interval",
    "cron_expression",
    "anchor_at",
    "time_of_day",
    "weekdays",
    "day_of_month",
    "recurrence_count",
    "runs_done",
    "until_at",
    "next_run_at",
    "status",
    "on_busy",
    "last_error",
    "consecutive_failures",
    "finished_at",
    "created_at",
    "updated_at",
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- databases


def task_rows(tasks: int, now: datetime, stamp: Callable[[datetime], Any]) -> Iterator[tuple]:
    """``tasks`` pending one-shots spread over 30 days from an hour ahead, then the burst.

    The burst's ``BURST`` tasks come last (ids ``tasks + 1`` to ``tasks + BURST`` in a fresh
    database); they are due in a year until :meth:`BenchDatabase.set_burst` sets their due time.
    """
    rng = random.Random(7)
    created = stamp(now)
    later = now + timedelta(hours=1)
    dues = (later + timedelta(seconds=rng.randrange(30 * 86_400)) for _ in range(tasks))
    burst = (now + timedelta(days=365) for _ in range(BURST))
    for n, due in enumerate(itertools.chain(dues, burst)):
        at = stamp(due)
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
            at,
            None,
            None,
            None,
            None,
            0,
            None,
            at,
            "pending",
            "queue",
            None,
            0,
            None,
            created,
            created,
        )


async def migrate(url: str) -> None:
    """The app's own path: ``open_engine`` migrates the schema to head."""
    from bot.config import Settings, load_settings
    from bot.services import open_engine

    settings = load_settings(None, env={"CARILLON_DATABASE__URL": url})
    assert isinstance(settings, Settings)
    engine = await open_engine(settings)
    await engine.dispose()


class BenchDatabase:
    """One throwaway database: create, migrate and load, set the burst, watch it, drop."""

    backend = ""
    url = ""  # the SQLAlchemy URL the runner processes use

    async def build(self, tasks: int) -> None:
        await self.create()
        await migrate(self.url)
        await self.load(tasks)

    async def create(self) -> None:
        pass

    async def load(self, tasks: int) -> None:
        raise NotImplementedError

    async def set_burst(self, first_id: int, burst_at: datetime) -> None:
        raise NotImplementedError

    async def finished(self, first_id: int) -> int:
        """How many burst occurrences (task ids from ``first_id``) have a finished run."""
        raise NotImplementedError

    async def close(self) -> None:
        pass

    async def drop(self) -> None:
        pass


class SqliteDatabase(BenchDatabase):
    backend = "sqlite"

    def __init__(self, directory: Path, label: str) -> None:
        self.path = directory / f"{label}.db"
        self.url = f"sqlite+aiosqlite:///{self.path}"

    async def load(self, tasks: int) -> None:
        names = ", ".join(COLUMNS)
        sql = f"INSERT INTO scheduled_tasks ({names}) VALUES ({', '.join('?' * len(COLUMNS))})"
        rows = task_rows(tasks, datetime.now(UTC), lambda at: at.strftime(SQLITE_TEXT))
        with sqlite3.connect(self.path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executemany(sql, rows)
            conn.commit()
            last = conn.execute("SELECT max(id) FROM scheduled_tasks").fetchone()[0]
            assert last == tasks + BURST, f"burst ids end at {last}, not {tasks + BURST}"
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def set_burst(self, first_id: int, burst_at: datetime) -> None:
        text = burst_at.strftime(SQLITE_TEXT)
        with sqlite3.connect(self.path) as conn:
            conn.execute(
                "UPDATE scheduled_tasks SET next_run_at = ?, anchor_at = ? WHERE id >= ?",
                (text, text, first_id),
            )

    async def finished(self, first_id: int) -> int:
        with sqlite3.connect(self.path, timeout=1) as conn:
            row = conn.execute(
                "SELECT count(*) FROM task_runs WHERE task_id BETWEEN ? AND ?"
                " AND outcome IS NOT NULL",
                (first_id, first_id + BURST - 1),
            ).fetchone()
        return int(row[0])

    async def drop(self) -> None:
        remove_files(*(self.path.with_name(self.path.name + end) for end in ("", "-wal", "-shm")))


def remove_files(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


class PostgresDatabase(BenchDatabase):
    """A database of its own on the server, made and dropped the way ``tests/dbkit.py`` does.

    ``UTCDateTime`` is ``timestamptz`` on PostgreSQL, so the load passes aware UTC datetimes.
    """

    backend = "postgresql"

    def __init__(self, server_url: str, label: str) -> None:
        from sqlalchemy.engine import make_url

        server = make_url(server_url)
        self.name = f"carillon_bench_{label.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        self.admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
        database = server.set(database=self.name)
        self.dsn = database.set(drivername="postgresql").render_as_string(hide_password=False)
        self.url = database.set(drivername="postgresql+asyncpg").render_as_string(
            hide_password=False
        )
        self._created = False
        self._conn: Any = None

    async def create(self) -> None:
        import asyncpg

        admin = await asyncpg.connect(self.admin_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{self.name}"')
            self._created = True
        finally:
            await admin.close()

    async def _connection(self) -> Any:
        import asyncpg

        if self._conn is None:
            self._conn = await asyncpg.connect(self.dsn)
        return self._conn

    async def load(self, tasks: int) -> None:
        conn = await self._connection()
        rows = task_rows(tasks, datetime.now(UTC), lambda at: at)
        await conn.copy_records_to_table("scheduled_tasks", records=rows, columns=COLUMNS)
        last = await conn.fetchval("SELECT max(id) FROM scheduled_tasks")
        assert last == tasks + BURST, f"burst ids end at {last}, not {tasks + BURST}"
        # Planner statistics, as autovacuum would have gathered on a live database.
        await conn.execute("ANALYZE")

    async def set_burst(self, first_id: int, burst_at: datetime) -> None:
        conn = await self._connection()
        await conn.execute(
            "UPDATE scheduled_tasks SET next_run_at = $1, anchor_at = $1 WHERE id >= $2",
            burst_at,
            first_id,
        )

    async def finished(self, first_id: int) -> int:
        conn = await self._connection()
        count = await conn.fetchval(
            "SELECT count(*) FROM task_runs WHERE task_id BETWEEN $1 AND $2"
            " AND outcome IS NOT NULL",
            first_id,
            first_id + BURST - 1,
        )
        return int(count)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def drop(self) -> None:
        import asyncpg

        await self.close()
        if not self._created:
            return
        admin = await asyncpg.connect(self.admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await admin.close()


async def postgres_server_info(server_url: str) -> dict[str, object]:
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    conn = await asyncpg.connect(
        server.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        info: dict[str, object] = {"server": f"{server.host}:{server.port or 5432}"}
        for setting in ("server_version", "fsync", "synchronous_commit", "max_connections"):
            info[setting] = await conn.fetchval(f"SHOW {setting}")
        info["load"] = "a throwaway database each run; asyncpg COPY, then ANALYZE"
    finally:
        await conn.close()
    return info


# --------------------------------------------------------------------------- figures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def latency_figures(values: list[float]) -> dict[str, float | None]:
    return {
        "p50": round(statistics.median(values), 2) if values else None,
        "p99": round(percentile(values, 99), 2) if values else None,
        "max": round(max(values), 2) if values else None,
    }


def combine(children: list[dict[str, Any]], first_id: int, burst_at: datetime) -> dict[str, Any]:
    """The burst over the union of every child's handler starts, checked pair by pair."""
    expected = {(first_id + k, burst_at) for k in range(BURST)}
    started: Counter[tuple[int, datetime]] = Counter()
    latencies: list[float] = []
    ran: dict[str, int] = {}
    unexpected = 0
    for child in children:
        starts = child.pop("starts", None) or []
        name = str(child.get("runner", f"child-{len(ran) + 1}"))
        ran[name] = 0
        for task_id, due_text, latency in starts:
            pair = (int(task_id), datetime.fromisoformat(due_text))
            if pair not in expected:
                unexpected += 1
                continue
            started[pair] += 1
            ran[name] += 1
            latencies.append(float(latency))
    result: dict[str, Any] = {
        "burst_latency_ms": latency_figures(latencies),
        "ran_by_runner": ran,
        "started": sum(started.values()),
        "doubles": sum(count - 1 for count in started.values() if count > 1),
        "lost": len(expected - started.keys()),
    }
    if unexpected:
        result["unexpected_starts"] = unexpected
    return result


# --------------------------------------------------------------------------- one runner process


def child(design: str, burst_at: datetime, creations: int) -> None:
    """Run one runner of ``design`` in this (fresh) process; print its figures as JSON.

    The database URL and the runner's name come from ``CARILLON_DATABASE__URL`` and
    ``CARILLON_SCHEDULER__RUNNER_NAME``.  It reports when it has started the whole burst itself,
    when the parent writes a line on stdin (the burst is over, whoever ran it), or on a timeout.
    """
    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.tasks.handlers import HandlerResult
    from bot.tasks.runner import TaskRunner
    from storage.engine import create_engine, create_session_factory
    from storage.enums import RunOutcome, TaskType
    from storage.uow import UnitOfWorkFactory

    starts: list[tuple[int, datetime, float]] = []
    latencies: list[float] = []
    done = asyncio.Event()

    class NoOp:
        async def execute(self, task: Any, due_at: datetime) -> HandlerResult:
            latency = (datetime.now(UTC) - due_at).total_seconds() * 1000
            latencies.append(latency)
            starts.append((task.id, due_at, latency))  # formatted after the burst
            if len(latencies) >= BURST:
                done.set()
            return HandlerResult(RunOutcome.SUCCEEDED, "bench")

    handlers = {kind: NoOp() for kind in TaskType}
    env = {
        key: os.environ[key]
        for key in ("CARILLON_DATABASE__URL", "CARILLON_SCHEDULER__RUNNER_NAME")
        if key in os.environ
    }
    settings = load_settings(None, env=env)

    async def main() -> dict[str, object]:
        loop = asyncio.get_running_loop()
        parent = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(parent), sys.stdin)
        engine = create_engine(
            settings.database_url, busy_timeout_ms=settings.database.busy_timeout_ms
        )
        uow = UnitOfWorkFactory(create_session_factory(engine))
        clock = SystemClock()
        runner = TaskRunner(uow, handlers, settings=settings.scheduler, clock=clock)  # type: ignore[arg-type]
        result: dict[str, object] = {"runner": runner.name}
        if design == "ours":
            await runner.start()
            armed = len(runner.armed)
        else:
            armed = await naive_arm(runner, uow)
        result["start_to_armed_s"] = round(time.perf_counter() - PROCESS_START, 3)
        result["armed_jobs"] = armed
        told = asyncio.ensure_future(parent.readline())
        finished = asyncio.ensure_future(done.wait())
        # A safety net only: the parent says when the burst is over.
        wait = (burst_at - datetime.now(UTC)).total_seconds() + 600
        await asyncio.wait({told, finished}, timeout=max(wait, 60), return_when="FIRST_COMPLETED")
        for future in (told, finished):
            future.cancel()
        await runner.drain()
        result["ran"] = len(latencies)
        result["burst_latency_ms"] = latency_figures(latencies)
        if design == "ours" and creations:
            result["creations_per_s"] = await measure_creations(uow, settings, clock, creations)
        await runner.stop()
        await engine.dispose()
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        result["starts"] = [(task_id, due.isoformat(), ms) for task_id, due, ms in starts]
        return result

    print(json.dumps(asyncio.run(main())), flush=True)


async def naive_arm(runner: Any, uow: Any) -> int:
    """The naive design: every stored task becomes an APScheduler job at start."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from sqlalchemy import select

    from storage.models import ScheduledTask

    scheduler = AsyncIOScheduler(timezone=UTC, job_defaults={"misfire_grace_time": None})
    scheduler.start()
    async with uow() as session_uow:
        rows = (
            await session_uow.session.execute(
                select(ScheduledTask.id, ScheduledTask.next_run_at).where(
                    ScheduledTask.status == "pending"
                )
            )
        ).all()
    for task_id, due in rows:
        # Each job claims and runs its own occurrence in its own transaction when it fires.
        scheduler.add_job(runner.fire, "date", run_date=due, args=(task_id, due), id=str(task_id))
    return len(rows)


async def measure_creations(uow: Any, settings: Any, clock: Any, count: int) -> float:
    from bot.scheduling.recurrence import Recurrence
    from bot.tasks.service import Actor, SchedulerService

    service = SchedulerService(uow, None, settings=settings, clock=clock)
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


# --------------------------------------------------------------------------- the parent


async def run_children(
    db: BenchDatabase,
    design: str,
    runners: int,
    first_id: int,
    burst_at: datetime,
    creations: int,
    burst_timeout: float,
) -> dict[str, Any]:
    """Start ``runners`` children on ``db``; when the burst is over, collect and combine them."""
    started = time.perf_counter()
    procs = []
    for k in range(1, runners + 1):
        env = dict(os.environ)
        env["CARILLON_DATABASE__URL"] = db.url
        env["CARILLON_SCHEDULER__RUNNER_NAME"] = f"bench-{design}-{k}"
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--child",
                design,
                "--burst-at",
                burst_at.isoformat(),
                "--creations",
                str(creations if k == 1 else 0),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
            )
        )
    outputs = [asyncio.ensure_future(p.stdout.read()) for p in procs]  # type: ignore[union-attr]
    errors = [asyncio.ensure_future(p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    exited = asyncio.ensure_future(asyncio.gather(*(p.wait() for p in procs)))
    watch = asyncio.ensure_future(watch_burst(db, first_id, burst_at, burst_timeout))
    try:
        await asyncio.wait({exited, watch}, return_when="FIRST_COMPLETED")
        finished = watch.result() if watch.done() else None
        watch.cancel()
        for proc in procs:
            try:
                proc.stdin.write(b"report\n")  # type: ignore[union-attr]
                await proc.stdin.drain()  # type: ignore[union-attr]
                proc.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, ConnectionResetError):
                pass  # it has already reported and exited
        await asyncio.wait_for(asyncio.shield(exited), timeout=CHILD_REPORT_TIMEOUT_S)
    finally:
        watch.cancel()
        for proc in procs:
            if proc.returncode is None:  # only ever our own children
                proc.kill()
        await exited
    children: list[dict[str, Any]] = []
    for k, proc in enumerate(procs):
        out = (await outputs[k]).decode()
        err = (await errors[k]).decode()
        lines = out.strip().splitlines()
        if proc.returncode != 0 or not lines:
            children.append(
                {
                    "runner": f"bench-{design}-{k + 1}",
                    "error": err.strip().splitlines()[-1:] or f"exit status {proc.returncode}",
                }
            )
            continue
        children.append(json.loads(lines[-1]))
    result: dict[str, Any] = {"runners": runners}
    result.update(combine(children, first_id, burst_at))
    result["finished_runs_in_db"] = finished
    goal = GOAL_P99_MS.get(runners)
    if goal is not None:
        p99 = result["burst_latency_ms"]["p99"]
        result["goal_p99_ms"] = goal
        result["goal_met"] = (
            p99 is not None and p99 <= goal and not result["lost"] and not result["doubles"]
        )
    result["by_runner"] = children
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


async def watch_burst(
    db: BenchDatabase, first_id: int, burst_at: datetime, burst_timeout: float
) -> int:
    """Wait until every burst occurrence has a finished run (or the timeout); how many have."""
    await asyncio.sleep(max(0.0, (burst_at - datetime.now(UTC)).total_seconds()))
    deadline = burst_at + timedelta(seconds=burst_timeout)
    while True:
        try:
            count = await db.finished(first_id)
        except (sqlite3.OperationalError, OSError):
            count = -1  # locked for a moment: ask again
        if count >= BURST or datetime.now(UTC) >= deadline:
            return count
        await asyncio.sleep(POLL_S)


async def measure(
    backend: str,
    tasks: int,
    design: str,
    runners: int,
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    label = f"{design}-{tasks}-r{runners}"
    db: BenchDatabase = (
        SqliteDatabase(tmp, label) if backend == "sqlite" else PostgresDatabase(args.pg_url, label)
    )
    try:
        build_started = time.perf_counter()
        await db.build(tasks)
        # Set after the build (which takes a while at 1M) so that the burst is due soon after
        # the children start.
        burst_at = datetime.now(UTC) + timedelta(seconds=BURST_DELAY_S)
        await db.set_burst(tasks + 1, burst_at)
        build_s = round(time.perf_counter() - build_started, 1)
        creations = args.creations if design == "ours" and runners == 1 else 0
        result = await run_children(
            db, design, runners, tasks + 1, burst_at, creations, args.burst_timeout
        )
        result["build_s"] = build_s
        return result
    finally:
        await db.drop()


def summary_row(backend: str, stored: int, design: str, result: dict[str, Any]) -> dict[str, Any]:
    latency = result.get("burst_latency_ms") or {}
    row: dict[str, Any] = {
        "db": backend,
        "stored_tasks": stored,
        "design": design,
        "runners": result.get("runners"),
        "p50_ms": latency.get("p50"),
        "p99_ms": latency.get("p99"),
        "max_ms": latency.get("max"),
        "ran_by_runner": result.get("ran_by_runner"),
        "started": result.get("started"),
        "doubles": result.get("doubles"),
        "lost": result.get("lost"),
    }
    if "goal_p99_ms" in result:
        row["goal_p99_ms"] = result["goal_p99_ms"]
        row["goal_met"] = result["goal_met"]
    if "error" in result:
        row["error"] = result["error"]
    return row


async def orchestrate(args: argparse.Namespace, notes: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "benchmark": "scheduler",
        "burst": BURST,
        "goal_p99_ms_by_runners": {str(k): v for k, v in GOAL_P99_MS.items()},
        "backends": {},
        "results": {},
        "summary": [],
    }
    if notes:
        report["notes"] = notes
    for backend in args.dbs:
        if backend == "postgresql":
            report["backends"][backend] = await postgres_server_info(args.pg_url)
        else:
            report["backends"][backend] = {
                "sqlite_version": sqlite3.sqlite_version,
                "load": "a fresh file each run; sqlite3 executemany",
            }
    with tempfile.TemporaryDirectory(prefix="carillon-bench-") as tmp:
        for backend in args.dbs:
            by_size: dict[str, Any] = report["results"].setdefault(backend, {})
            for n in args.tasks:
                entry: dict[str, Any] = {"stored_tasks": n + BURST}
                by_size[str(n)] = entry
                runs: list[tuple[str, int]] = [("ours", r) for r in args.runners]
                runs.append(("naive", 1))
                for design, runners in runs:
                    key = f"{runners}_runner" + ("s" if runners > 1 else "")
                    if design == "naive" and n > args.naive_max:
                        skipped = f"more than --naive-max {args.naive_max} tasks"
                        entry.setdefault(design, {})[key] = {"skipped": skipped}
                        continue
                    log(f"{backend}: {n + BURST} stored tasks, {design}, {runners} runner(s)")
                    try:
                        result = await measure(backend, n, design, runners, args, Path(tmp))
                    except Exception as exc:  # one broken measurement must not lose the others
                        result = {"runners": runners, "error": f"{type(exc).__name__}: {exc}"}
                    entry.setdefault(design, {})[key] = result
                    row = summary_row(backend, n + BURST, design, result)
                    report["summary"].append(row)
                    log(json.dumps(row))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db",
        dest="dbs",
        nargs="+",
        action="extend",
        choices=BACKENDS,
        help="backends to measure (default: both when a PostgreSQL URL is set, else sqlite)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("POSTGRES_TEST_URL", "").strip(),
        help="PostgreSQL server to make throwaway databases on (default: $POSTGRES_TEST_URL)",
    )
    parser.add_argument(
        "--tasks",
        type=int,
        nargs="+",
        help="stored pending tasks besides the burst "
        "(default: 10000 with postgresql, else 10000 100000 1000000)",
    )
    parser.add_argument("--runners", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--naive-max", type=int, default=100_000)
    parser.add_argument("--creations", type=int, default=2000)
    parser.add_argument(
        "--burst-timeout",
        type=float,
        default=120.0,
        help="seconds after the due time to give up waiting for the burst",
    )
    parser.add_argument("--child", choices=["ours", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--burst-at", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, datetime.fromisoformat(args.burst_at), args.creations)
        return
    notes: list[str] = []
    if args.dbs is None:
        if args.postgres_url:
            args.dbs = list(BACKENDS)
        else:
            args.dbs = ["sqlite"]
            notes.append(
                "postgresql not measured: no server URL (--postgres-url or POSTGRES_TEST_URL; "
                "bash .ci/postgres.sh starts one)"
            )
    args.dbs = list(dict.fromkeys(args.dbs))
    if "postgresql" in args.dbs and not args.postgres_url:
        parser.error("--db postgresql needs --postgres-url or POSTGRES_TEST_URL")
    if args.postgres_url:
        from sqlalchemy.engine import make_url

        args.pg_url = make_url(args.postgres_url).set(drivername="postgresql+asyncpg")
        args.pg_url = args.pg_url.render_as_string(hide_password=False)
    if args.tasks is None:
        big = [10_000, 100_000, 1_000_000]
        args.tasks = [10_000] if "postgresql" in args.dbs else big
    if any(r < 1 for r in args.runners):
        parser.error("--runners takes counts of 1 or more")
    args.runners = list(dict.fromkeys(args.runners))
    print(json.dumps(asyncio.run(orchestrate(args, notes)), indent=2))


if __name__ == "__main__":
    main()
