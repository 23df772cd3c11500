"""What a finished task did: its last run, read for a whole page of tasks in one query."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduling.recurrence import RecurrenceType
from bot.tasks.model import LastRun, TaskState, TaskView
from bot.tasks.service import Actor
from storage.enums import RunOutcome, TaskStatus, TaskType
from storage.models import TaskRun
from storage.uow import UnitOfWorkFactory
from tests.bot.conftest import FakeClock
from tests.bot.taskkit import ALICE, CHANNEL, GUILD, Backend, add_sound, build_backend

NOBODY = "nobody was listening in the voice channel"


@contextmanager
def statements_on_runs(factory: UnitOfWorkFactory) -> Iterator[list[str]]:
    """Every SQL statement that reads task_runs while the block runs."""
    engine: AsyncEngine = factory._sessions.kw["bind"]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "task_runs" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def one_off(backend: Backend, sound: int, name: str, at: timedelta) -> int:
    now = backend.service._clock.now()
    task = await backend.service.create_task(
        guild_id=GUILD,
        name=name,
        task_type=TaskType.PLAY_SOUND,
        parameters={"sound_id": sound, "channel_id": CHANNEL},
        user_id=ALICE,
        scheduled_at=now + at,
        timezone="UTC",
    )
    return task.id


async def settle(
    factory: UnitOfWorkFactory,
    task_id: int,
    status: TaskStatus,
    runs: list[tuple[datetime, RunOutcome | None, str | None]],
) -> None:
    """Give a task runs (outcome None: still running) and a status, as the runner would."""
    async with factory() as uow:
        row = await uow.tasks.get(task_id)
        assert row is not None
        for due, outcome, detail in runs:
            uow.session.add(
                TaskRun(
                    task_id=task_id,
                    due_at=due,
                    attempt=1,
                    outcome=None if outcome is None else outcome.value,
                    detail=detail,
                    finished_at=None if outcome is None else due,
                )
            )
        row.status = status.value
        if status.finished:
            row.next_run_at = None
        await uow.commit()


async def test_last_finished_picks_each_tasks_newest_outcome(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Newest by due time; a run still running is not an outcome; a task without runs is absent."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    now = clock.now()
    a = await one_off(backend, sound, "a", timedelta(hours=1))
    b = await one_off(backend, sound, "b", timedelta(hours=2))
    c = await one_off(backend, sound, "c", timedelta(hours=3))
    await settle(
        any_uow_factory,
        a,
        TaskStatus.COMPLETED,
        [
            (now - timedelta(hours=2), RunOutcome.SUCCEEDED, "played 1 track(s)"),
            (now - timedelta(hours=1), RunOutcome.SKIPPED, NOBODY),
        ],
    )
    await settle(
        any_uow_factory,
        b,
        TaskStatus.RUNNING,
        [
            (now - timedelta(hours=3), RunOutcome.FAILED, "boom"),
            (now, None, None),  # claimed, no outcome yet
        ],
    )

    with statements_on_runs(any_uow_factory) as seen:
        async with any_uow_factory() as uow:
            found = await uow.run_summaries.last_finished([a, b, c])
            nothing = await uow.run_summaries.last_finished([])

    assert len(seen) == 1  # one query for the three tasks, none for an empty page
    assert nothing == {}
    assert set(found) == {a, b}
    assert (found[a].outcome, found[a].detail) == ("skipped", NOBODY)
    assert found[a].due_at == now - timedelta(hours=1)
    assert (found[b].outcome, found[b].detail) == ("failed", "boom")


async def test_a_page_of_finished_tasks_costs_one_query_for_their_runs(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Ten skipped one-offs list as skipped, with one read of task_runs (not one per task)."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    ids = []
    for n in range(10):
        task_id = await one_off(backend, sound, f"bell {n}", timedelta(hours=n + 1))
        await settle(
            any_uow_factory,
            task_id,
            TaskStatus.COMPLETED,
            [(clock.now() - timedelta(minutes=n + 1), RunOutcome.SKIPPED, NOBODY)],
        )
        ids.append(task_id)
    pending = await one_off(backend, sound, "later", timedelta(days=2))

    with statements_on_runs(any_uow_factory) as seen:
        listed = await backend.service.list_tasks(GUILD, Actor(ALICE), limit=25)

    assert len(seen) == 1
    by_id = {t.id: t for t in listed}
    assert set(by_id) == {*ids, pending}
    assert all(by_id[i].state == TaskState("skipped", NOBODY) for i in ids)
    assert by_id[pending].state == TaskState("pending") and by_id[pending].last_run is None


async def test_a_page_of_active_tasks_reads_no_runs(
    uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """Pending tasks have no outcome to show: the list makes no query on task_runs."""
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    await one_off(backend, sound, "soon", timedelta(hours=1))

    with statements_on_runs(uow_factory) as seen:
        listed = await backend.service.list_tasks(GUILD, Actor(ALICE))

    assert seen == [] and [t.state.word for t in listed] == ["pending"]


async def test_get_task_carries_its_last_run(
    any_uow_factory: UnitOfWorkFactory, clock: FakeClock
) -> None:
    """/tasks show reads the same summary for its one task."""
    backend = build_backend(any_uow_factory, clock)
    sound = await add_sound(any_uow_factory, clock.now())
    task_id = await one_off(backend, sound, "late", timedelta(hours=1))
    due = clock.now() - timedelta(minutes=20)
    detail = "missed: 20 min late, beyond the lateness allowance"
    await settle(any_uow_factory, task_id, TaskStatus.EXPIRED, [(due, RunOutcome.MISSED, detail)])

    task = await backend.service.get_task(GUILD, task_id, Actor(ALICE))

    assert task.last_run == LastRun(due, RunOutcome.MISSED, detail)
    assert task.state == TaskState("missed", "20 min late, beyond the lateness allowance")


# ----------------------------------------------------------------------------- TaskState


@pytest.fixture
async def base_view(uow_factory: UnitOfWorkFactory, clock: FakeClock) -> TaskView:
    backend = build_backend(uow_factory, clock)
    sound = await add_sound(uow_factory, clock.now())
    task_id = await one_off(backend, sound, "bell", timedelta(hours=1))
    return await backend.service.get_task(GUILD, task_id, Actor(ALICE))


def _run(outcome: RunOutcome, detail: str | None) -> LastRun:
    return LastRun(datetime(2026, 11, 27, 12, 0, tzinfo=UTC), outcome, detail)


STATES = [
    # one-offs: the run's outcome is what happened
    (TaskStatus.COMPLETED, False, _run(RunOutcome.SKIPPED, NOBODY), TaskState("skipped", NOBODY)),
    (TaskStatus.COMPLETED, False, _run(RunOutcome.SUCCEEDED, "played"), TaskState("completed")),
    (
        TaskStatus.EXPIRED,
        False,
        _run(RunOutcome.MISSED, "missed: 6 min late"),
        TaskState("missed", "6 min late"),
    ),
    (
        TaskStatus.FAILED,
        False,
        _run(RunOutcome.FAILED, "the sound was deleted"),
        TaskState("failed", "the sound was deleted"),
    ),
    # repeating: the status, and the last run when it did not succeed
    (
        TaskStatus.COMPLETED,
        True,
        _run(RunOutcome.SKIPPED, NOBODY),
        TaskState("completed", f"last run skipped: {NOBODY}"),
    ),
    (TaskStatus.COMPLETED, True, _run(RunOutcome.SUCCEEDED, "played"), TaskState("completed")),
    # no run read, cancelled, or still active: the status
    (TaskStatus.COMPLETED, False, None, TaskState("completed")),
    (TaskStatus.EXPIRED, False, None, TaskState("expired", "its time passed")),
    (TaskStatus.CANCELLED, False, _run(RunOutcome.SKIPPED, NOBODY), TaskState("cancelled")),
    (TaskStatus.PENDING, True, _run(RunOutcome.FAILED, "boom"), TaskState("pending")),
]


@pytest.mark.parametrize(
    ("status", "recurring", "last_run", "state"),
    STATES,
    ids=[f"{s[0].value}-{'repeat' if s[1] else 'once'}-{s[3].word}" for s in STATES],
)
def test_state_says_what_happened(
    base_view: TaskView,
    status: TaskStatus,
    recurring: bool,
    last_run: LastRun | None,
    state: TaskState,
) -> None:
    """A finished one-off shows its run's outcome; others their status (and a bad last run)."""
    recurrence = base_view.recurrence
    if recurring:
        recurrence = dataclasses.replace(recurrence, kind=RecurrenceType.HOURLY)
    last_error = "its time passed" if status is TaskStatus.EXPIRED else None
    view = dataclasses.replace(
        base_view, status=status, last_run=last_run, recurrence=recurrence, last_error=last_error
    )
    assert view.state == state
