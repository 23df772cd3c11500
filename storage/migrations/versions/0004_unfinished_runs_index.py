"""unfinished runs: a partial index over the runs that have no outcome yet

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Every heartbeat a runner looks for runs that are still owed or were interrupted (released by a
clean stop, or claimed by a runner that has gone silent).  Those are the few rows with no outcome;
a partial index over them keeps that look-up one small index scan however long the history is.
SQLite and PostgreSQL both support ``CREATE INDEX ... WHERE``.

Before this revision a run's start was written only with its outcome, so an unfinished run left
by an older version may have been playing when it stopped.  Those runs keep the meaning they had
(interrupted, never repeated): their start is set to their due time.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("outcome IS NULL")


def upgrade() -> None:
    op.execute(
        "UPDATE task_runs SET started_at = due_at "
        "WHERE outcome IS NULL AND started_at IS NULL AND retry_at IS NULL"
    )
    op.create_index(
        "ix_task_runs_unfinished",
        "task_runs",
        ["claimed_by", "due_at"],
        sqlite_where=UNFINISHED,
        postgresql_where=UNFINISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_task_runs_unfinished", table_name="task_runs")
