"""What the fault tests share: runner processes, the database seen from outside, and the checks.

* :class:`RunnerProcess` starts ``python -m tests.faults.runner_process`` (a real runner with the
  real APScheduler and a logging handler), waits for its ``STARTING``/``READY`` lines, and ends it
  with SIGKILL or SIGTERM, recording when each happened (:class:`Life`).
* :class:`Observer` reads the database and the execution log from the test process: a
  :class:`State` is every task, every run and every log line at one moment.  Taken right after a
  runner died (and before anything else could write), it is exactly what the runner left behind.
* :func:`generic_violations` and friends compare the final state, the snapshots and the log.

The log is the ground truth for "executed": the handler appends and fsyncs its line *before*
playing, so a line exists for every play that began, even one killed a microsecond later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.recurrence import Recurrence
from storage.enums import RecurrenceType
from storage.models import ScheduledTask, TaskRun
from storage.uow import UnitOfWorkFactory
from tests.bot.taskkit import system_play_row

REPO = Path(__file__).resolve().parents[2]
LEAD = timedelta(seconds=2)  # the runner claims this long before the due time (bot.tasks.runner)
MARGIN_S = 0.5  # slack when deciding whether a restart came inside a lateness allowance
EXAMPLES = 6  # violations shown per kind

# Generous bounds: the machine may be slow and loaded.  Waiting never takes longer than needed.
READY_TIMEOUT_S = 60.0
EVENT_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 30.0

Occ = tuple[int, datetime]  # one occurrence: (task id, due time)
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def occ_str(occ: Occ) -> str:
    return f"task {occ[0]} due {occ[1]:%H:%M:%S.%f}"[:-3]


# --------------------------------------------------------------------------- runner processes


@dataclass
class Life:
    """One runner process, from spawn to death."""

    name: str
    allowance_s: int | None  # scheduler.lateness.play_sound of this process
    spawned_at: datetime
    pid: int = 0
    starting_at: datetime | None = None
    ready_at: datetime | None = None
    ended_at: datetime | None = None
    end_kind: str = ""  # "kill" (SIGKILL) or "term" (SIGTERM)
    exit_code: int | None = None
    ready_line: str = ""
    stderr: Path | None = None

    def describe(self, origin: datetime) -> str:
        def at(moment: datetime | None) -> str:
            return "-" if moment is None else f"{(moment - origin).total_seconds():7.2f}"

        return (
            f"{self.name} pid {self.pid} allowance {self.allowance_s}:"
            f" spawned {at(self.spawned_at)} ready {at(self.ready_at)}"
            f" {self.end_kind or 'alive'} {at(self.ended_at)}"
            f" exit {self.exit_code}"
        )


def runner_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a runner process: ours without any ``CARILLON_*`` (a developer's own
    settings must not leak in), an empty config file, and ``settings`` as ``CARILLON_*``."""
    config = tmp_path / "empty-config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARILLON_")}
    env["CARILLON_CONFIG"] = str(config)
    env["CARILLON_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


def _open_for_append(path: Path) -> Any:
    return path.open("ab")


def tail(path: Path | None, lines: int = 25) -> str:
    if path is None or not path.exists():
        return "(no stderr)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


class RunnerProcess:
    """``python -m tests.faults.runner_process`` and what it has said on stdout."""

    def __init__(
        self,
        *,
        db_url: str,
        log: Path,
        notify: Path,
        name: str,
        env: Mapping[str, str],
        stderr: Path,
        play_s: float = 0.3,
    ) -> None:
        self.life = Life(
            name=name,
            allowance_s=_allowance(env),
            spawned_at=utcnow(),
            stderr=stderr,
        )
        self._args = [
            sys.executable,
            "-m",
            "tests.faults.runner_process",
            "--db",
            db_url,
            "--log",
            str(log),
            "--notify",
            str(notify),
            "--name",
            name,
            "--play-s",
            str(play_s),
        ]
        self._env = dict(env)
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._seen: dict[str, asyncio.Event] = {}

    async def start(self) -> RunnerProcess:
        err = _open_for_append(self.life.stderr)  # type: ignore[arg-type]
        try:
            self.life.spawned_at = utcnow()
            self._proc = await asyncio.create_subprocess_exec(
                *self._args,
                cwd=REPO,
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )
        finally:
            err.close()
        self.life.pid = self._proc.pid
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        async for raw in self._proc.stdout:
            line = raw.decode(errors="replace").strip()
            if not line:
                continue
            word = line.split()[0]
            if word == "STARTING":
                self.life.starting_at = utcnow()
            elif word == "READY":
                self.life.ready_at = utcnow()
                self.life.ready_line = line
            self._event(word).set()

    def _event(self, word: str) -> asyncio.Event:
        return self._seen.setdefault(word, asyncio.Event())

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def wait_for(self, word: str, within_s: float = READY_TIMEOUT_S) -> datetime:
        """Wait for the stdout line starting with ``word``; fail if the process dies first."""
        assert self._proc is not None
        said = asyncio.ensure_future(self._event(word).wait())
        died = asyncio.ensure_future(self._proc.wait())
        try:
            await asyncio.wait({said, died}, timeout=within_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            said.cancel()
            died.cancel()
        if self._event(word).is_set():
            return utcnow()
        state = "exited" if self._proc.returncode is not None else "still silent"
        raise AssertionError(
            f"runner {self.life.name} (pid {self._proc.pid}) did not say {word} within "
            f"{within_s:.0f} s ({state}, exit {self._proc.returncode}); its stderr ends:\n"
            f"{tail(self.life.stderr)}"
        )

    async def kill(self) -> Life:
        """SIGKILL, and wait until the process is gone (its writes have all landed)."""
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):
            self._proc.send_signal(signal.SIGKILL)
        self.life.exit_code = await self._proc.wait()
        self.life.ended_at = utcnow()
        self.life.end_kind = "kill"
        await self._finish_reader()
        return self.life

    async def terminate(self, within_s: float = EXIT_TIMEOUT_S) -> Life:
        """SIGTERM (a clean stop), and wait for the exit; SIGKILL if it hangs past ``within_s``."""
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):
            self._proc.send_signal(signal.SIGTERM)
        try:
            self.life.exit_code = await asyncio.wait_for(self._proc.wait(), within_s)
            self.life.end_kind = "term"
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._proc.send_signal(signal.SIGKILL)
            await self._proc.wait()
            self.life.exit_code = None  # hung: recorded as a violation by the test
            self.life.end_kind = "term"
        self.life.ended_at = utcnow()
        await self._finish_reader()
        return self.life

    async def _finish_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)

    async def ensure_dead(self) -> None:
        """Clean-up after a failed test: only our own process, by its id."""
        if self.alive:
            await self.kill()


def _allowance(env: Mapping[str, str]) -> int | None:
    value = env.get("CARILLON_SCHEDULER__LATENESS__PLAY_SOUND")
    if value is None:
        return 300  # LatenessSettings.play_sound's default
    return None if value.strip().lower() in ("", "none") else int(value)


# --------------------------------------------------------------------------- the database


@dataclass(frozen=True)
class RunRow:
    id: int
    task_id: int
    due_at: datetime
    started_at: datetime | None
    outcome: str | None
    detail: str | None
    claimed_by: str | None
    retry_at: datetime | None

    @property
    def occ(self) -> Occ:
        return (self.task_id, self.due_at)

    @property
    def interrupted(self) -> bool:
        return self.outcome == "failed" and "interrupted" in (self.detail or "").lower()

    def describe(self) -> str:
        started = "-" if self.started_at is None else f"{self.started_at:%H:%M:%S.%f}"[:-3]
        return (
            f"run {self.id} ({occ_str(self.occ)}, claimed by {self.claimed_by}, started {started}):"
            f" {self.outcome or 'no outcome'}{f' ({self.detail})' if self.detail else ''}"
        )


@dataclass(frozen=True)
class TaskRow:
    id: int
    name: str
    status: str
    recurrence_type: str
    next_run_at: datetime | None
    last_error: str | None

    @property
    def one_off(self) -> bool:
        return self.recurrence_type == "none"


@dataclass(frozen=True)
class LogLine:
    task_id: int
    due_at: datetime
    runner: str
    pid: int

    @property
    def occ(self) -> Occ:
        return (self.task_id, self.due_at)


def read_log(path: Path) -> list[LogLine]:
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        task_id, due, runner, pid = raw.split()
        lines.append(
            LogLine(int(task_id), datetime.fromisoformat(due).astimezone(UTC), runner, int(pid))
        )
    return lines


def read_notifications(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(raw) for raw in path.read_text(encoding="utf-8").splitlines() if raw]


@dataclass
class State:
    """Every task, run and log line at one moment (``at``)."""

    at: datetime
    tasks: dict[int, TaskRow]
    runs: list[RunRow]
    log: list[LogLine]
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.run_of: dict[Occ, RunRow] = {run.occ: run for run in self.runs}
        self.logged: Counter[Occ] = Counter(line.occ for line in self.log)

    def phase(self, occ: Occ) -> str | None:
        """``finished`` (has an outcome), ``started`` (start mark or log line, no outcome),
        ``claimed`` (a run row, never started: owed), ``pending`` (no run row yet: the task's
        next run), or None (not known here)."""
        run = self.run_of.get(occ)
        if run is not None:
            if run.outcome is not None:
                return "finished"
            if run.started_at is not None or self.logged[occ]:
                return "started"
            return "claimed"
        if self.logged[occ]:
            return "started"
        task = self.tasks.get(occ[0])
        if (
            task is not None
            and task.status in ("pending", "running")
            and task.next_run_at == occ[1]
        ):
            return "pending"
        return None

    def owed(self) -> set[Occ]:
        """Occurrences not started and without an outcome: claimed but unstarted, or pending."""
        occs = {run.occ for run in self.runs if run.outcome is None}
        occs |= {
            (task.id, task.next_run_at)
            for task in self.tasks.values()
            if task.next_run_at is not None and task.status in ("pending", "running")
        }
        return {occ for occ in occs if self.phase(occ) in ("claimed", "pending")}

    def started_unfinished(self) -> set[Occ]:
        occs = {run.occ for run in self.runs if run.outcome is None} | set(self.logged)
        return {occ for occ in occs if self.phase(occ) == "started"}


class Observer:
    """The database and the log, read from the test process."""

    def __init__(self, engine: AsyncEngine, uow: UnitOfWorkFactory, log: Path, notify: Path):
        self.engine = engine
        self.uow = uow
        self.log = log
        self.notify = notify

    async def state(self) -> State:
        at = utcnow()
        async with self.uow() as uow:
            tasks = {
                row.id: TaskRow(*row)
                for row in (
                    await uow.session.execute(
                        select(
                            ScheduledTask.id,
                            ScheduledTask.name,
                            ScheduledTask.status,
                            ScheduledTask.recurrence_type,
                            ScheduledTask.next_run_at,
                            ScheduledTask.last_error,
                        )
                    )
                ).all()
            }
            runs = [
                RunRow(*row)
                for row in (
                    await uow.session.execute(
                        select(
                            TaskRun.id,
                            TaskRun.task_id,
                            TaskRun.due_at,
                            TaskRun.started_at,
                            TaskRun.outcome,
                            TaskRun.detail,
                            TaskRun.claimed_by,
                            TaskRun.retry_at,
                        ).order_by(TaskRun.id)
                    )
                ).all()
            ]
        return State(at, tasks, runs, read_log(self.log), read_notifications(self.notify))

    async def run_count(self, task_ids: Iterable[int]) -> int:
        async with self.uow() as uow:
            result = await uow.session.execute(
                select(func.count()).select_from(TaskRun).where(TaskRun.task_id.in_(list(task_ids)))
            )
            return int(result.scalar_one())

    def logged(self, task_ids: set[int]) -> list[LogLine]:
        return [line for line in read_log(self.log) if line.task_id in task_ids]


async def poll(
    check: Callable[[], Awaitable[T]], within_s: float, interval: float = 0.05
) -> T | None:
    """``await check()`` until it is truthy (returned) or ``within_s`` seconds passed (None)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() >= deadline:
            return None
        await asyncio.sleep(interval)


async def sleep_until(moment: datetime) -> None:
    delay = (moment - utcnow()).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)


# --------------------------------------------------------------------------- building tasks


async def add_burst(
    uow_factory: UnitOfWorkFactory, sound: int, due: datetime, count: int, label: str
) -> set[int]:
    """``count`` one-off system plays all due at ``due``; their ids."""
    now = utcnow()
    rows = [
        system_play_row(f"{label}-{n}", Recurrence.once(due, "UTC"), due, now, sound)
        for n in range(count)
    ]
    async with uow_factory() as uow:
        uow.session.add_all(rows)
        await uow.commit()
    return {row.id for row in rows}


async def add_every_minute(
    uow_factory: UnitOfWorkFactory, sound: int, first: datetime, second: datetime, label: str
) -> int:
    """A repeating play every minute (the shortest real-time step) whose next run is ``first``
    and the one after it ``second`` (< ``first`` + 1 min): the rule is anchored so that its grid
    passes through ``second``, and ``next_run_at`` is set to ``first`` directly."""
    anchor = second - timedelta(minutes=1)
    recurrence = Recurrence(RecurrenceType.HOURLY, anchor, "UTC", step_minutes=1)
    assert recurrence.next_after(first) == second
    async with uow_factory() as uow:
        row = system_play_row(label, recurrence, first, utcnow(), sound)
        uow.session.add(row)
        await uow.commit()
        return row.id


async def add_daily(uow_factory: UnitOfWorkFactory, sound: int, first: datetime, label: str) -> int:
    """A daily play whose next run is ``first`` (the following one is a day later)."""
    recurrence = Recurrence(RecurrenceType.DAILY, first, "UTC", time_of_day=first.time())
    async with uow_factory() as uow:
        row = system_play_row(label, recurrence, first, utcnow(), sound)
        uow.session.add(row)
        await uow.commit()
        return row.id


# --------------------------------------------------------------------------- checks


class Violations:
    """Problems found, by kind; rendered with a few examples of each."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, kind: str, example: str) -> None:
        self.found.setdefault(kind, []).append(example)

    def __bool__(self) -> bool:
        return bool(self.found)

    def render(self) -> str:
        parts = []
        for kind, examples in self.found.items():
            shown = "\n      ".join(examples[:EXAMPLES])
            more = (
                f"\n      ... and {len(examples) - EXAMPLES} more"
                if len(examples) > EXAMPLES
                else ""
            )
            parts.append(f"  [{len(examples)}] {kind}\n      {shown}{more}")
        return "\n".join(parts)


DOUBLE = "executed twice: two log lines for one occurrence"
TWO_RUNS = "two run rows for one occurrence"
SILENT = "silent: due by the end but no run with an outcome"
STUCK = "silent: task still pending/running with a past (or no) next run"
ONE_OFF_RUNS = "one-off task without exactly one run row"
NO_OUTCOME = "run due by the end still without an outcome"
LOGGED_NOT_RECORDED = "executed (log line) but recorded neither succeeded nor failed"
SUCCEEDED_UNLOGGED = "recorded succeeded but never executed (no log line)"
INTERRUPTED_UNSTARTED = "recorded interrupted but started_at is NULL"
INTERRUPTED_NEVER_STARTED = (
    "recorded interrupted although it had not started when its runner died (it was owed)"
)
STARTED_NOT_INTERRUPTED = (
    "had started when its runner died, but not recorded interrupted (or it ran again)"
)
NO_START_MARK = "handler ran (log line) while started_at was still NULL (no start mark first)"
INTERRUPTED_TASK = "interrupted one-off task not failed with last_error set"
INTERRUPTED_UNTOLD = "interrupted one-off task: its owner got no message"


def interrupted_task_violations(
    final: State, runs: Iterable[RunRow], told_required: Callable[[RunRow], bool], v: Violations
) -> None:
    """One-offs interrupted: failed with ``last_error`` set, and (when required) a message."""
    told = {
        int(match)
        for note in final.notifications
        for match in re.findall(r"#(\d+)\b", str(note.get("message", "")))
    }
    for run in runs:
        task = final.tasks.get(run.task_id)
        if task is None or not task.one_off:
            continue
        if task.status != "failed" or not task.last_error:
            v.add(
                INTERRUPTED_TASK,
                f"task {task.id}: status {task.status}, last_error {task.last_error!r}",
            )
        if told_required(run) and task.id not in told:
            v.add(INTERRUPTED_UNTOLD, f"task {task.id}: no notification naming #{task.id}")


def generic_violations(final: State, cutoff: datetime, universe: set[Occ], v: Violations) -> None:
    """What must hold at the end whatever happened: once, recorded, never silent."""
    for occ, count in final.logged.items():
        if count > 1:
            runners = [f"{line.runner}/{line.pid}" for line in final.log if line.occ == occ]
            v.add(DOUBLE, f"{occ_str(occ)}: {count} times by {', '.join(runners)}")
    per_occ = Counter(run.occ for run in final.runs)
    for occ, count in per_occ.items():
        if count > 1:
            v.add(TWO_RUNS, f"{occ_str(occ)}: {count} runs")
    per_task = Counter(run.task_id for run in final.runs)
    for task in final.tasks.values():
        if task.one_off and per_task[task.id] != 1:
            v.add(ONE_OFF_RUNS, f"task {task.id} ({task.status}): {per_task[task.id]} run rows")
        if task.status in ("pending", "running") and (
            task.next_run_at is None or task.next_run_at <= cutoff
        ):
            v.add(STUCK, f"task {task.id}: {task.status}, next run {task.next_run_at}")
    for run in final.runs:
        if run.outcome is None and run.due_at <= cutoff:
            v.add(NO_OUTCOME, run.describe())
        if run.interrupted and run.started_at is None:
            v.add(INTERRUPTED_UNSTARTED, run.describe())
        if run.outcome == "succeeded" and not final.logged[run.occ]:
            v.add(SUCCEEDED_UNLOGGED, run.describe())
    for occ in sorted(universe):
        run = final.run_of.get(occ)
        if run is None or run.outcome is None:
            v.add(SILENT, run.describe() if run is not None else f"{occ_str(occ)}: no run row")
            continue
        if final.logged[occ] and run.outcome not in ("succeeded", "failed"):
            v.add(LOGGED_NOT_RECORDED, run.describe())


def start_mark_violations(
    state: State, where: str, v: Violations, runner: str | None = None
) -> None:
    """In a snapshot taken after a runner died: every play that began (by ``runner``, or by
    anyone) had its start mark."""
    logged = {line.occ for line in state.log if runner is None or line.runner == runner}
    for occ in sorted(logged):
        run = state.run_of.get(occ)
        if run is None:
            v.add(NO_START_MARK, f"{where}: {occ_str(occ)} logged with no run row at all")
        elif run.outcome is None and run.started_at is None:
            v.add(NO_START_MARK, f"{where}: {run.describe()}")


def universe_of(states: Iterable[State], cutoff: datetime) -> set[Occ]:
    """Every occurrence due by ``cutoff`` that any state knows of."""
    occs: set[Occ] = set()
    for state in states:
        occs |= {run.occ for run in state.runs}
        occs |= set(state.logged)
        occs |= {
            (task.id, task.next_run_at)
            for task in state.tasks.values()
            if task.next_run_at is not None and task.status in ("pending", "running")
        }
    return {occ for occ in occs if occ[1] <= cutoff}


TRIES = 3  # scenarios a very loaded machine kept from their moments are run again, never passed


async def until_exercised(
    scenario: Callable[[Path, int], Awaitable[str | None]], tmp_path: Path
) -> None:
    """Run ``scenario(folder, seed)`` until one exercises everything it is for (it returns None),
    at most :data:`TRIES` times; a scenario fails the test itself on any violation. Each try's
    seed is printed for replay (``FAULTS_SEED``)."""
    seed = int(os.environ.get("FAULTS_SEED") or time.time_ns() % 1_000_000)
    unexercised: list[str] = []
    for attempt in range(TRIES):
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        print(f"fault test seed {seed + attempt} (replay with FAULTS_SEED={seed + attempt})")
        missing = await scenario(folder, seed + attempt)
        if missing is None:
            return
        unexercised.append(missing)
    pytest.fail(
        f"not exercised in {TRIES} tries (a harness problem):\n" + "\n".join(unexercised),
        pytrace=False,
    )
