"""recurrence shapes: several times a day, nth weekday of the month, any minutes step

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

Only nullable columns are added, so SQLite takes a plain ``ALTER TABLE ... ADD COLUMN``: a batch
rebuild of ``scheduled_tasks`` would drop the table inside the migration's transaction, where
``PRAGMA foreign_keys`` cannot be turned off, and the drop would delete every task run and clear
the ledger's task ids (ON DELETE CASCADE / SET NULL).  Existing rows keep their meaning: NULL in
all three columns is the schedule they had.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_tasks", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("weekday_ordinal", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("more_times", sa.String(length=140), nullable=True))
        batch_op.add_column(sa.Column("step_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Lossy by nature: before 0003 these shapes do not exist.  Several-times rules keep their
    # first time and minute steps become hourly; nth-weekday rows no longer load (cancel them
    # before going back).
    with op.batch_alter_table("scheduled_tasks", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("step_minutes")
        batch_op.drop_column("more_times")
        batch_op.drop_column("weekday_ordinal")
