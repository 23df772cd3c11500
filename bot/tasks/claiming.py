"""Claiming occurrences in batches: the step that makes every occurrence run exactly once.

One transaction handles a whole burst (a thousand tasks due at 09:00 cost one commit, not a
thousand).  For each ``(task, due)`` it applies the lateness policy, records missed occurrences,
moves ``next_run_at`` on *only if it still equals* ``due`` (so a second process, a duplicate job
or a restart claims nothing), and inserts the run row that is unique on (task, due time).

A run claimed ahead of its due time is *owed* until its start is recorded (``started_at``): the
runner records it in one transaction per burst just before starting it.  Runs already due when
claimed are recorded as started by the claim itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.config import LatenessSettings
from bot.tasks.catchup import CatchUpPlan, plan_catch_up
from bot.tasks.model import TaskView, allowance_for
from storage.enums import RunOutcome, TaskStatus
from storage.uow import UnitOfWork

CLAIMABLE = (TaskStatus.PENDING.value, TaskStatus.RUNNING.value)


@dataclass(frozen=True)
class Claim:
    task: TaskView
    run_id: int
    due_at: datetime
    attempt: int = 1
    started: bool = False  # its start is recorded (claimed when already due, or a retry)


@dataclass
class ClaimBatch:
    claims: list[Claim] = field(default_factory=list)
    moved: dict[int, datetime | None] = field(default_factory=dict)  # task -> its new next run
    missed: int = 0
    expired: int = 0


def late_text(late: timedelta | float) -> str:
    """How late, for a run's detail: "42 s", "17 min", "3 h"."""
    seconds = late.total_seconds() if isinstance(late, timedelta) else late
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds // 60:.0f} min"
    return f"{seconds // 3600:.0f} h"


async def claim_batch(
    uow: UnitOfWork,
    items: Sequence[tuple[int, datetime]],
    now: datetime,
    lateness: LatenessSettings,
    runner: str,
) -> ClaimBatch:
    """Claim ``(task id, due)`` pairs for ``runner`` inside ``uow`` (the caller commits).

    The hot path is three statements whatever the batch size: one locking SELECT of the tasks,
    one guarded UPDATE moving their ``next_run_at`` on that returns the rows it moved, and one
    multi-row INSERT of their runs.  A task another process moved (or, on PostgreSQL, is claiming
    right now: its row is locked and skipped) is simply not in this batch.
    """
    batch = ClaimBatch()
    rows = await uow.tasks.lock_many([task_id for task_id, _ in items])
    changes: list[dict[str, object]] = []
    runs: list[tuple[TaskView, datetime]] = []
    plans: dict[int, tuple[CatchUpPlan, datetime | None, TaskView]] = {}
    for task_id, due_at in items:
        row = rows.get(task_id)
        if row is None or row.next_run_at != due_at or row.status not in CLAIMABLE:
            continue  # stale: already claimed, moved, paused, cancelled or deleted
        task = TaskView.of(row)
        recurrence = task.recurrence
        plan = plan_catch_up(
            due_at, now, allowance_for(task.task_type, lateness), recurrence.next_after
        )
        next_due = plan.next_due
        change: dict[str, object] = {
            "id": task_id,
            "expected": due_at,
            "next_run_at": next_due,
            "status": row.status,
            "finished_at": row.finished_at,
            "last_error": row.last_error,
            "updated_at": now,
        }
        if plan.run_due is None:
            if next_due is None:
                change["status"] = (
                    TaskStatus.EXPIRED.value if recurrence.is_once else TaskStatus.COMPLETED.value
                )
                change["finished_at"] = now
                change["last_error"] = "its time passed while the bot was offline"
        else:
            if recurrence.count is not None and task.runs_done + 1 >= recurrence.count:
                next_due = change["next_run_at"] = None  # the last counted occurrence
            change["status"] = TaskStatus.RUNNING.value
            runs.append((task, plan.run_due))
        changes.append(change)
        plans[task_id] = (plan, next_due, task)
    moved = await uow.tasks.advance_many(changes)
    runs = [(task, due) for task, due in runs if task.id in moved]
    for task_id, (plan, next_due, task) in plans.items():
        if task_id not in moved:
            continue  # another runner claimed it first
        batch.moved[task_id] = next_due
        if plan.run_due is None and next_due is None:
            batch.expired += int(task.recurrence.is_once)
        for missed in plan.missed:
            late = (now - missed).total_seconds()
            await uow.runs.record(
                task_id,
                missed,
                RunOutcome.MISSED,
                f"missed: {late_text(late)} late, beyond the lateness allowance",
                now,
            )
        for collapsed in plan.collapsed:
            await uow.runs.record(
                task_id,
                collapsed,
                RunOutcome.MISSED,
                f"collapsed into the catch-up run due {plan.run_due:%Y-%m-%d %H:%M} UTC",
                now,
            )
        batch.missed += plan.missed_total + len(plan.collapsed)
    run_ids = await uow.runs.claim_many([(task.id, due) for task, due in runs], runner, now)
    for task, due in runs:
        if task.id in run_ids:
            batch.claims.append(Claim(task, run_ids[task.id], due, started=due <= now))
            continue
        # A run for this due time already exists (recorded earlier): nothing to start, so the
        # task must not stay "running".
        next_due = batch.moved[task.id]
        status = TaskStatus.PENDING if next_due is not None else TaskStatus.COMPLETED
        await uow.tasks.advance(task.id, next_due, {"status": status.value, "updated_at": now})
    return batch
