"""How answers look: safe text, Discord timestamps, one-line summaries of tasks and sounds.

Nothing a member typed may ping anyone or break formatting: names go through :func:`safe`, and
every message is sent with ``allowed_mentions=NONE``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import discord

from bot.tasks.model import RunView, TaskView
from bot.tasks.service import Preview

NONE = discord.AllowedMentions.none()
EMBED_COLOUR = discord.Colour.from_rgb(201, 162, 39)  # bell bronze

STATUS_ICONS = {
    "pending": "🕒",
    "running": "🔔",
    "paused": "⏸️",
    "completed": "✅",
    "failed": "❌",
    "cancelled": "🚫",
    "expired": "⌛",
}
OUTCOME_ICONS = {"succeeded": "✅", "failed": "❌", "skipped": "⏭️", "missed": "⌛", None: "🔔"}
# A finished one-off shows its run's outcome in place of its status (bot.tasks.model.TaskState).
STATE_ICONS = {**STATUS_ICONS, "skipped": "⏭️", "missed": "⌛"}
REASON_LIMIT = 120  # characters of a reason on a task's line; /tasks history has the rest


def safe(text: str) -> str:
    """User text made inert: no mentions, no markdown."""
    return discord.utils.escape_markdown(discord.utils.escape_mentions(text))


def ts(instant: datetime, style: str = "F") -> str:
    """A Discord timestamp: every reader sees it in their own zone."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def when(instant: datetime | None) -> str:
    if instant is None:
        return "—"
    return f"{ts(instant, 'F')} ({ts(instant, 'R')})"


def duration(seconds: float) -> str:
    whole = int(round(seconds))
    if whole < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest:02d} s"


def state_text(task: TaskView) -> str:
    """``skipped — nobody was listening in the voice channel``, ``pending``: what a task is at."""
    state = task.state
    if state.reason is None:
        return state.word
    reason = state.reason
    if len(reason) > REASON_LIMIT:
        reason = reason[: REASON_LIMIT - 1].rstrip() + "…"
    return f"{state.word} — {safe(reason)}"


def state_icon(task: TaskView) -> str:
    return STATE_ICONS.get(task.state.word, "•")


def task_line(task: TaskView) -> str:
    owner = "system" if task.is_system else f"<@{task.owner_id}>"
    nxt = f" · next {ts(task.next_run_at, 'R')}" if task.next_run_at else ""
    return (
        f"{state_icon(task)} `#{task.id}` **{safe(task.name)}** · {state_text(task)} · {owner}{nxt}"
    )


def run_line(run: RunView) -> str:
    icon = OUTCOME_ICONS.get(None if run.outcome is None else run.outcome.value, "•")
    outcome = run.outcome.value if run.outcome else "running"
    attempt = f" · attempt {run.attempt}" if run.attempt > 1 else ""
    detail = f" — {safe(run.detail)}" if run.detail else ""
    return f"{icon} {ts(run.due_at, 'f')} · {outcome}{attempt}{detail}"


def preview_lines(preview: Preview) -> list[str]:
    """Description, zone, next runs and warnings: what every schedule answer shows."""
    lines = [f"**{safe(preview.description)}**", f"Time zone: `{preview.timezone}`"]
    if preview.next_runs:
        lines.append("Next runs:")
        lines.extend(f"• {when(run)}" for run in preview.next_runs)
    else:
        lines.append("No future runs.")
    lines.extend(f"⚠️ {safe(warning)}" for warning in preview.warnings)
    return lines


def bullet(items: Iterable[str], empty: str) -> str:
    text = "\n".join(items)
    return text or empty
