"""The stored vocabulary: enum values as they appear in the database.

Plain ``StrEnum`` with no SQLAlchemy in it, so the services and the pure scheduling code can share
them; columns store the ``.value`` strings and check constraints keep the database honest.
"""

from __future__ import annotations

import enum


class TaskType(enum.StrEnum):
    PLAY_SOUND = "play_sound"
    PLAY_PLAYLIST = "play_playlist"
    CREDIT_RECHARGE = "credit_recharge"


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def finished(self) -> bool:
        return self in FINISHED_STATUSES


FINISHED_STATUSES = frozenset(
    {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.EXPIRED}
)


class RecurrenceType(enum.StrEnum):
    NONE = "none"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    CRON = "cron"


class RunOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    MISSED = "missed"


class OnBusy(enum.StrEnum):
    QUEUE = "queue"
    SKIP = "skip"
    INTERRUPT = "interrupt"


class LedgerReason(enum.StrEnum):
    OPENING = "opening"  # starting balance of a new account
    CHARGE = "charge"  # a play
    REFUND = "refund"  # playback failed before any audio was sent
    GRANT = "grant"  # admin added credits
    SET = "set"  # admin set the balance
    RECHARGE = "recharge"  # scheduled or manual recharge


def sql_in(enum_cls: type[enum.StrEnum]) -> str:
    """``'a', 'b', 'c'`` for a CHECK constraint listing an enum's values."""
    return ", ".join(f"'{member.value}'" for member in enum_cls)
