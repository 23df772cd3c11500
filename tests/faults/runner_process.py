"""A real task runner in a process of its own, for the fault tests.

    python -m tests.faults.runner_process --db URL --log PATH --name NAME [--play-s 0.3]
                                          [--notify PATH]

Settings come from the environment (``CARILLON_<SECTION>__<KEY>``, e.g.
``CARILLON_SCHEDULER__HEARTBEAT_S=1``) through :func:`bot.config.load_settings`; ``--db`` and
``--name`` override the database URL and ``scheduler.runner_name``.  The schema is migrated to
head (as ``bot.app.open_engine`` does), then a :class:`bot.tasks.runner.TaskRunner` with the real
APScheduler and the system clock runs a *logging handler* for every task type: on each execution
it first appends ``task_id due_at_iso runner_name pid`` to ``--log`` (opened ``O_APPEND``, then
``fsync``: a line in the log is a play that really started, even if the process is killed the
next instant), then "plays" for ``--play-s`` seconds, then succeeds.  ``--notify`` records what
the runner tells task owners, one JSON object a line, fsynced likewise.

Stdout says ``STARTING`` once the engine is open (just before ``runner.start()``) and ``READY``
once ``start()`` has returned; SIGTERM (or SIGINT) awaits ``runner.stop()``, prints ``STOPPED``
and exits 0.  A SIGKILL, of course, says nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import sys
import time
from datetime import datetime

from bot.clock import SystemClock
from bot.config import load_settings
from bot.tasks.handlers import HandlerResult, TaskHandler
from bot.tasks.model import TaskView
from bot.tasks.runner import TaskRunner
from storage import migrate
from storage.engine import create_engine, create_session_factory
from storage.enums import RunOutcome, TaskType
from storage.uow import UnitOfWorkFactory

log = logging.getLogger("tests.faults.runner_process")


def append_synced(fd: int, line: str) -> None:
    """One ``write`` on an ``O_APPEND`` descriptor (atomic for a short line, even with another
    process appending to the same file), then ``fsync``: on disk before we go on."""
    os.write(fd, line.encode())
    os.fsync(fd)


def open_append(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


class LoggingHandler:
    """Every task type: log the start (synced), take ``play_s`` seconds, succeed."""

    def __init__(self, fd: int, runner_name: str, play_s: float) -> None:
        self._fd = fd
        self._name = runner_name
        self._play_s = play_s

    async def execute(self, task: TaskView, due_at: datetime) -> HandlerResult:
        append_synced(self._fd, f"{task.id} {due_at.isoformat()} {self._name} {os.getpid()}\n")
        await asyncio.sleep(self._play_s)
        return HandlerResult(RunOutcome.SUCCEEDED, f"logged by {self._name}")


class FileNotifier:
    """The runner's notifier: what the owner (or the server, for system tasks) would be told."""

    def __init__(self, fd: int, runner_name: str) -> None:
        self._fd = fd
        self._name = runner_name

    async def notify(self, guild_id: int, user_id: int | None, message: str) -> None:
        record = {
            "guild_id": guild_id,
            "user_id": user_id,
            "message": message,
            "runner": self._name,
            "pid": os.getpid(),
        }
        append_synced(self._fd, json.dumps(record) + "\n")


def say(word: str) -> None:
    print(word, flush=True)


async def main(args: argparse.Namespace) -> int:
    settings = load_settings(None, env=os.environ)
    scheduler = dataclasses.replace(settings.scheduler, runner_name=args.name)
    settings = dataclasses.replace(
        settings,
        scheduler=scheduler,
        database=dataclasses.replace(settings.database, url=args.db),
    )
    engine = create_engine(
        settings.database_url,
        busy_timeout_ms=settings.database.busy_timeout_ms,
        echo=settings.database.echo,
    )
    await migrate.upgrade(engine)  # what bot.app.open_engine does
    log_fd = open_append(args.log)
    notify_fd = open_append(args.notify) if args.notify else None
    handler = LoggingHandler(log_fd, args.name, args.play_s)
    handlers: dict[TaskType, TaskHandler] = {task_type: handler for task_type in TaskType}
    runner = TaskRunner(
        UnitOfWorkFactory(create_session_factory(engine)),
        handlers,
        settings=settings.scheduler,
        clock=SystemClock(),
        notifier=None if notify_fd is None else FileNotifier(notify_fd, args.name),
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    log.info(
        "runner %s (pid %d): heartbeat %ss, timeout %ss, lateness %s",
        args.name,
        os.getpid(),
        settings.scheduler.heartbeat_s,
        settings.scheduler.runner_timeout_s,
        settings.scheduler.lateness,
    )
    say("STARTING")
    began = time.monotonic()
    report = await runner.start()  # the real APScheduler (use_scheduler=True)
    say(f"READY {time.monotonic() - began:.3f}s {report.summary()}")
    await stopping.wait()
    log.info("runner %s: stopping", args.name)
    await runner.stop()
    await engine.dispose()
    say("STOPPED")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.runner_process")
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of the database")
    parser.add_argument("--log", required=True, help="the execution log, appended and fsynced")
    parser.add_argument("--name", required=True, help="scheduler.runner_name")
    parser.add_argument("--play-s", type=float, default=0.3, help="how long each play takes")
    parser.add_argument("--notify", help="where to record the runner's notifications")
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s.%(msecs)03d %(process)d %(name)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )
    sys.exit(asyncio.run(main(parse_args(sys.argv[1:]))))
