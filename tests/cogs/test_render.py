"""A task's line in /tasks list, /admin tasks and the task autocomplete: what happened, not just
"completed"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.scheduling.recurrence import Recurrence, RecurrenceType
from bot.tasks.model import LastRun, OnBusy, RunOutcome, TaskStatus, TaskType, TaskView
from cogs.render import REASON_LIMIT, state_text, task_line
from cogs.task_choices import task_choice_name

DUE = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NOBODY = "nobody was listening in the voice channel"


def task(
    status: TaskStatus,
    last_run: LastRun | None = None,
    *,
    recurring: bool = False,
    last_error: str | None = None,
    next_run_at: datetime | None = None,
) -> TaskView:
    recurrence = (
        Recurrence(RecurrenceType.HOURLY, DUE, "UTC") if recurring else Recurrence.once(DUE, "UTC")
    )
    return TaskView(
        id=12,
        guild_id=1,
        owner_id=7,
        task_type=TaskType.PLAY_SOUND,
        name="chime · in 10 minutes",
        parameters={},
        timezone="UTC",
        recurrence=recurrence,
        runs_done=1,
        next_run_at=next_run_at,
        status=status,
        on_busy=OnBusy.QUEUE,
        last_error=last_error,
        consecutive_failures=0,
        created_at=DUE,
        updated_at=DUE,
        last_run=last_run,
    )


LINES = [
    (
        task(TaskStatus.COMPLETED, LastRun(DUE, RunOutcome.SKIPPED, NOBODY)),
        f"⏭️ `#12` **chime · in 10 minutes** · skipped — {NOBODY} · <@7>",
    ),
    (
        task(TaskStatus.EXPIRED, LastRun(DUE, RunOutcome.MISSED, "missed: 6 min late")),
        "⌛ `#12` **chime · in 10 minutes** · missed — 6 min late · <@7>",
    ),
    (
        task(
            TaskStatus.FAILED,
            LastRun(DUE, RunOutcome.FAILED, "I may not join <#5>"),
            last_error="I may not join <#5>",
        ),
        "❌ `#12` **chime · in 10 minutes** · failed — I may not join <#5> · <@7>",
    ),
    (
        task(TaskStatus.COMPLETED, LastRun(DUE, RunOutcome.SUCCEEDED, "played 1 track(s)")),
        "✅ `#12` **chime · in 10 minutes** · completed · <@7>",
    ),
    (
        task(TaskStatus.COMPLETED, LastRun(DUE, RunOutcome.SKIPPED, NOBODY), recurring=True),
        f"✅ `#12` **chime · in 10 minutes** · completed — last run skipped: {NOBODY} · <@7>",
    ),
    (
        task(TaskStatus.PENDING, next_run_at=DUE),
        f"🕒 `#12` **chime · in 10 minutes** · pending · <@7> · next <t:{int(DUE.timestamp())}:R>",
    ),
]


@pytest.mark.parametrize(("view", "line"), LINES, ids=[v.state.word for v, _ in LINES])
def test_a_tasks_line_says_what_happened(view: TaskView, line: str) -> None:
    assert task_line(view) == line


def test_a_long_reason_is_cut_and_made_inert() -> None:
    """A failure detail can be long and carry markdown: the line stays short and plain."""
    detail = "**boom** " + "x" * 300
    view = task(TaskStatus.FAILED, LastRun(DUE, RunOutcome.FAILED, detail))
    text = state_text(view)
    assert text.startswith("failed — \\*\\*boom\\*\\* x")
    assert text.endswith("…") and len(text) < REASON_LIMIT + 30


def test_the_autocomplete_names_the_outcome_too() -> None:
    view = task(TaskStatus.COMPLETED, LastRun(DUE, RunOutcome.SKIPPED, NOBODY))
    assert task_choice_name(view) == "#12 · chime · in 10 minutes · skipped"
