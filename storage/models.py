"""The tables.  Every instant is a :class:`UTCDateTime`; ids are Discord snowflakes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base
from storage.enums import (
    LedgerReason,
    OnBusy,
    RecurrenceType,
    RunOutcome,
    TaskStatus,
    TaskType,
    sql_in,
)
from storage.types import UTCDateTime


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class GuildSettings(Timestamped, Base):
    """Per-server settings; a NULL column means "use the config default"."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    admin_role_id: Mapped[int | None] = mapped_column(BigInteger)
    notify_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    skip_if_nobody_listening: Mapped[bool | None] = mapped_column(Boolean)
    max_pending_tasks_per_user: Mapped[int | None] = mapped_column(Integer)
    min_interval_user_s: Mapped[int | None] = mapped_column(Integer)
    horizon_days: Mapped[int | None] = mapped_column(Integer)
    max_name_length: Mapped[int | None] = mapped_column(Integer)
    # Set once the "Daily credit recharge" system task was created, so it is never recreated after
    # an admin cancels it.
    daily_recharge_seeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSettings(Timestamped, Base):
    """A member's own preferences, across servers."""

    __tablename__ = "user_settings"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))


class CreditAccount(Timestamped, Base):
    __tablename__ = "credit_accounts"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    balance: Mapped[int] = mapped_column(Integer, nullable=False)


class CreditLedgerEntry(Base):
    """Every change of a balance, written in the same transaction as the change."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        CheckConstraint(f"reason IN ({sql_in(LedgerReason)})", name="reason"),
        Index("ix_credit_ledger_account_created", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("credit_accounts.id", ondelete="CASCADE"), nullable=False
    )
    delta: Mapped[int] = mapped_column(Integer, nullable=False)
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("scheduled_tasks.id", ondelete="SET NULL")
    )
    command: Mapped[str | None] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Blob(Base):
    """Encoded audio stored under the data directory by its SHA-256; shared by equal uploads."""

    __tablename__ = "blobs"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    duration_s: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Sound(Timestamped, Base):
    __tablename__ = "sounds"
    __table_args__ = (UniqueConstraint("guild_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    # casefolded name: names are unique per server regardless of case
    name_key: Mapped[str] = mapped_column(String(32), nullable=False)
    blob_hash: Mapped[str] = mapped_column(ForeignKey("blobs.hash"), nullable=False)
    uploader_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    duration_s: Mapped[float] = mapped_column(Float, nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    original_filename: Mapped[str | None] = mapped_column(String(200))
    play_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Playlist(Timestamped, Base):
    __tablename__ = "playlists"
    __table_args__ = (UniqueConstraint("guild_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    name_key: Mapped[str] = mapped_column(String(32), nullable=False)
    owner_id: Mapped[int] = mapped_column(BigInteger, nullable=False)

    items: Mapped[list[PlaylistItem]] = relationship(
        order_by="PlaylistItem.position", cascade="all, delete-orphan", lazy="raise"
    )


class PlaylistItem(Base):
    __tablename__ = "playlist_items"
    __table_args__ = (UniqueConstraint("playlist_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playlist_id: Mapped[int] = mapped_column(
        ForeignKey("playlists.id", ondelete="CASCADE"), nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    sound_id: Mapped[int] = mapped_column(
        ForeignKey("sounds.id", ondelete="CASCADE"), nullable=False, index=True
    )


class ScheduledTask(Timestamped, Base):
    """A task: what to do, when (recurrence in its own zone), and where it stands.

    ``owner_id`` is NULL for system tasks.  ``next_run_at`` is the due time of the next occurrence
    (NULL once finished) and is indexed with ``status`` so the runner's window refill is one range
    scan, however many tasks are stored.
    """

    __tablename__ = "scheduled_tasks"
    __table_args__ = (
        CheckConstraint(f"task_type IN ({sql_in(TaskType)})", name="task_type"),
        CheckConstraint(f"status IN ({sql_in(TaskStatus)})", name="status"),
        CheckConstraint(f"recurrence_type IN ({sql_in(RecurrenceType)})", name="recurrence_type"),
        CheckConstraint(f"on_busy IN ({sql_in(OnBusy)})", name="on_busy"),
        CheckConstraint("recurrence_interval >= 1", name="recurrence_interval"),
        CheckConstraint(
            "recurrence_count IS NULL OR recurrence_count >= 1", name="recurrence_count"
        ),
        Index("ix_scheduled_tasks_status_next_run_at", "status", "next_run_at"),
        Index("ix_scheduled_tasks_guild_owner_status", "guild_id", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    task_type: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    recurrence_type: Mapped[str] = mapped_column(String(16), nullable=False)
    recurrence_interval: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    cron_expression: Mapped[str | None] = mapped_column(String(120))
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # Calendar detail the anchor alone cannot carry (it may be a DST- or month-end-moved first
    # occurrence): local "HH:MM" (the earliest time), weekday set "mon,wed", day of month 1-31, or
    # the nth (1-5, -1 the last) of the one weekday.
    time_of_day: Mapped[str | None] = mapped_column(String(5))
    weekdays: Mapped[str | None] = mapped_column(String(27))
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    weekday_ordinal: Mapped[int | None] = mapped_column(Integer)
    # The other times of day, "17:00,21:00" (at most 23: 137 characters).  A column of its own
    # rather than a wider time_of_day: widening needs a table rebuild on SQLite, and dropping
    # this table with foreign keys on would cascade onto task_runs and credit_ledger.
    more_times: Mapped[str | None] = mapped_column(String(140))
    # Hourly only: the period in minutes of real time ("every 45 minutes"); NULL = interval hours.
    step_minutes: Mapped[int | None] = mapped_column(Integer)
    recurrence_count: Mapped[int | None] = mapped_column(Integer)
    runs_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    until_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    on_busy: Mapped[str] = mapped_column(String(16), nullable=False, default=OnBusy.QUEUE.value)
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_system(self) -> bool:
        return self.owner_id is None


class TaskRun(Base):
    """One occurrence of a task.  Unique on (task, due time): claiming it is what makes it once."""

    __tablename__ = "task_runs"
    __table_args__ = (
        UniqueConstraint("task_id", "due_at"),
        CheckConstraint(f"outcome IS NULL OR outcome IN ({sql_in(RunOutcome)})", name="outcome"),
        # The few runs with no outcome yet (owed, playing, waiting to retry): what a heartbeat
        # looks through for released claims and silent runners' runs (migration 0004).
        Index(
            "ix_task_runs_unfinished",
            "claimed_by",
            "due_at",
            sqlite_where=text("outcome IS NULL"),
            postgresql_where=text("outcome IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(
        ForeignKey("scheduled_tasks.id", ondelete="CASCADE"), nullable=False
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # NULL while claimed and running (or waiting to retry).
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Set while a transiently failed occurrence waits for its next attempt; kept in the database
    # so the retry survives a restart.
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The runner (``scheduler.runner_name``) that claimed it: after a crash only that runner's
    # unfinished runs are settled, never those another live process is playing.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class Runner(Base):
    """A live task runner and its heartbeat (several processes may share one database)."""

    __tablename__ = "runners"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
