"""Autocomplete for ``when`` options: what the typed text means, shown while it is typed.

Discord shows a choice's name and sends its value.  The one choice offered is named after the
reading ("→ Tue 8 Dec 09:00 (Europe/Paris), then every weekday at 09:00", "✗ not understood:
'blorp'") and its value is the typed text itself, so picking it changes nothing.  Limits that would
refuse the schedule (members' shortest interval, the one-shot horizon) follow the reading, from the
rules the task service applies (:func:`bot.tasks.rules.schedule_refusal`), so nobody learns of them
only after sending.  An empty option offers example phrases instead.

Discord drops an autocomplete answer after 3 seconds and refuses a choice name or value over 100
characters: the reading runs in a worker thread under a shorter budget, and names are cut to fit,
the reading first and the warnings after it.

Cogs bind this from their own autocomplete callbacks, so the services stay injected::

    @sound.autocomplete("when")
    async def _when(self, interaction, current):
        return await self.when_previews.choices(current, guild_id=..., zone=..., admin=...)
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from discord import app_commands

from bot.clock import Clock
from bot.errors import CarillonError
from bot.scheduling.describe import DAY_NAMES, describe, dst_warnings, format_instant
from bot.scheduling.recurrence import Recurrence
from bot.scheduling.timelang import parse_when
from bot.scheduling.zones import resolve_zone
from bot.tasks.rules import schedule_refusal
from bot.tasks.service import SchedulerService

log = logging.getLogger(__name__)

CHOICE_LIMIT = 100  # Discord refuses a choice name or a string value longer than this
# Discord drops an autocomplete answer after 3 s; leave room for the gateway and the HTTP reply.
BUDGET_S = 2.0
READING_MIN = 64  # the part of a name the reading keeps when warnings follow it
READING_FLOOR = 40  # ... and what it keeps when a short first warning needs the room
NOTE_MIN = 16  # a later warning cut shorter than this says nothing: it is left out
PREVIEW_RUNS = 3  # runs looked at for DST warnings, as in the reply to the command
SCHEDULE_EXAMPLES = ("in 10 minutes", "tomorrow at 9am", "every weekday at 18:30")
RECHARGE_EXAMPLES = ("every day at 0:00", "every monday at 9am", "in 2 hours")
STILL_READING = "… still reading this; send it and the reply will say what it means"

Limits = tuple[int, timedelta]  # (horizon in days, shortest interval), as the service gives them
Refine = Callable[[Recurrence], Recurrence]  # the command's other options applied to the reading

_NOT_UNDERSTOOD = re.compile(
    r"I (?:could not|couldn't|cannot|can't|did not|didn't|do not|don't) (?:understand|read|know)"
    r"(?: the words?)? (.+?)"
    r"(?: in (['\"]).*\2)?\.?",
    re.DOTALL,
)
_EXAMPLES_TAIL = re.compile(
    r"(?:(?<=[.?!;])\s+|,\s*)(?:try|for example|examples?:|e\.g\.)(?![a-z]).*$",
    re.IGNORECASE | re.DOTALL,
)
_MONTHS = frozenset("january february march april may june july august september october "
                    "november december".split())  # fmt: skip


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at a word where one is near, with "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    room = text[: limit - 1]
    space = room.rfind(" ")
    if text[limit - 1] != " " and space >= limit * 0.6:
        room = room[:space]  # do not end on part of a word
    return room.rstrip(" ,;:·") + "…"


def fit(reading: str, notes: Sequence[str], limit: int = CHOICE_LIMIT) -> str:
    """The reading, then each note as "⚠ note", in ``limit`` characters.

    The reading comes first and whole when it can; when it cannot, it keeps ``READING_MIN``
    characters (down to ``READING_FLOOR`` for a short first note, such as a limit, to show whole)
    and the notes share what is left in order: the first always shows, a later one only if a
    useful part of it fits.
    """
    tail = " ".join(f"⚠ {note}" for note in notes)
    if not tail:
        return shorten(reading, limit)
    whole = f"{reading} {tail}"
    if len(whole) <= limit:
        return whole
    keep = max(limit - 1 - len(tail), min(len(reading), READING_MIN))
    first = f"⚠ {notes[0]}"
    if keep + 1 + len(first) > limit and len(first) <= limit - 1 - READING_FLOOR:
        keep = limit - 1 - len(first)  # a short first warning (a limit) is worth more words
    head = shorten(reading, keep)
    room = limit - len(head)
    shown: list[str] = []
    for note in notes:
        marked = f" ⚠ {note}"
        if len(marked) > room:
            if room >= NOTE_MIN or not shown:
                shown.append(" " + shorten(marked[1:], room - 1))
            break
        shown.append(marked)
        room -= len(marked)
    return head + "".join(shown)


def short_error(message: str) -> str:
    """A time-language error in a few words, still naming what was not understood.

    "I could not understand 'blorp'. Try for example ..." -> "not understood: 'blorp'"; other
    messages lose their examples (the empty option shows examples) and their final full stop.
    """
    text = " ".join(message.split())
    text = _EXAMPLES_TAIL.sub("", text).strip()
    found = _NOT_UNDERSTOOD.fullmatch(text)
    if found is not None:
        return f"not understood: {found.group(1)}"
    return text.rstrip(".")


def format_run(run: datetime, now: datetime) -> str:
    """'Tue 8 Dec 09:00' in the run's own zone; the year too when it is not this year."""
    year = "" if run.year == now.astimezone(run.tzinfo).year else f" {run.year}"
    return f"{DAY_NAMES[run.weekday()][:3]} {run.day} {run:%b}{year} {run:%H:%M}"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def time_until(run: datetime, now: datetime) -> str:
    """'in 45 seconds', 'in 10 minutes', 'in 3 h 20 min', 'tomorrow', 'in 6 days', 'in 2 years'.

    Under a day it counts elapsed time; from a day on it counts calendar days in the run's zone.
    """
    seconds = (run - now).total_seconds()
    if seconds < 90:
        return f"in {_plural(max(round(seconds), 0), 'second')}"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"in {_plural(minutes, 'minute')}"
    if seconds < 86_400:
        hours, rest = divmod(minutes, 60)
        return f"in {hours} h {rest} min" if rest else f"in {_plural(hours, 'hour')}"
    days = (run.date() - now.astimezone(run.tzinfo).date()).days
    if days <= 1:
        return "tomorrow"
    if days < 60:
        return f"in {days} days"
    if days < 730:
        return f"in {round(days / 30.44)} months"
    return f"in {round(days / 365.25)} years"


def rule_text(recurrence: Recurrence) -> str:
    """The description of a repeating schedule, to follow "then ..." (its first run is shown)."""
    text = describe(recurrence)
    # Real-time schedules say where they start; the preview has just said it.
    text = text.replace(f", from {format_instant(recurrence.local_anchor)}", "")
    first = text.split(" ", 1)[0]
    if first[1:].islower() and first.lower() not in _MONTHS and first not in DAY_NAMES:
        text = text[:1].lower() + text[1:]
    return text


def reading_name(
    recurrence: Recurrence, now: datetime, notes: Sequence[str] = (), *, check_dst: bool = True
) -> str:
    """The name of the choice for a schedule that was understood, with ``notes`` as warnings.

    "→ Tue 8 Dec 09:00 (Europe/Paris), in 6 days" or "→ ..., then every weekday at 09:00"; DST
    warnings for the first runs follow the notes.
    """
    runs = list(itertools.islice(recurrence.occurrences(after=now), PREVIEW_RUNS))
    first = runs[0] if runs else recurrence.local_anchor
    head = f"→ {format_run(first, now)} ({recurrence.timezone})"
    if recurrence.is_once:
        reading = f"{head}, {time_until(first, now)}"
    else:
        reading = f"{head}, then {rule_text(recurrence)}"
    warnings = [*notes, *(dst_warnings(recurrence, runs) if check_dst else ())]
    return fit(reading, warnings)


def error_name(error: CarillonError, notes: Sequence[str] = ()) -> str:
    """The name of the choice for text that was not understood (or is not allowed)."""
    return fit(f"✗ {short_error(error.message)}", notes)


def preview_choice(
    text: str,
    now: datetime,
    zone: str,
    *,
    limits: Limits | None = None,
    typed_zone: str | None = None,
    refine: Refine | None = None,
) -> app_commands.Choice[str]:
    """The one choice for ``text`` typed at ``now`` by someone whose zone is ``zone``.

    ``typed_zone`` is the command's timezone option if it is filled in (it wins over ``zone``);
    ``limits`` are the server's (see :meth:`SchedulerService.schedule_limits`); ``refine`` applies
    the command's other options and may refuse them.  Pure: reads no clock.
    """
    notes: list[str] = []
    if len(text) > CHOICE_LIMIT:
        notes.append(f"{len(text)} characters: a pick keeps {CHOICE_LIMIT}")
    if typed_zone:
        try:
            zone = str(resolve_zone(typed_zone).key)
        except CarillonError:
            notes.append(f"unknown time zone {typed_zone.strip()!r}; read in {zone}")
    value = text[:CHOICE_LIMIT]
    try:
        recurrence = parse_when(text, now, zone)
        if refine is not None:
            recurrence = refine(recurrence)
    except CarillonError as error:
        return app_commands.Choice(name=error_name(error, notes), value=value)
    if limits is not None:
        refusal = schedule_refusal(recurrence, now, *limits)
        if refusal is not None:
            notes.insert(0, refusal.short)
    return app_commands.Choice(name=reading_name(recurrence, now, notes), value=value)


def example_choices(
    examples: Sequence[str], now: datetime, zone: str
) -> list[app_commands.Choice[str]]:
    """Example phrases for an empty option, each named with what it means now."""
    choices = []
    for example in examples:
        try:
            reading = reading_name(parse_when(example, now, zone), now, check_dst=False)
        except CarillonError:
            name = example  # the grammar changed under the examples: still show the phrase
        else:
            name = shorten(f"{example} {reading}", CHOICE_LIMIT)
        choices.append(app_commands.Choice(name=name, value=example))
    return choices


def when_choices(
    current: str,
    now: datetime,
    zone: str,
    *,
    limits: Limits | None = None,
    typed_zone: str | None = None,
    refine: Refine | None = None,
    examples: Sequence[str] = SCHEDULE_EXAMPLES,
) -> list[app_commands.Choice[str]]:
    """What the ``when`` option offers for ``current``: its reading, or examples when empty."""
    if not current.strip():
        if typed_zone:
            try:
                zone = str(resolve_zone(typed_zone).key)
            except CarillonError:
                pass  # the examples still read; the timezone option says what is wrong there
        return example_choices(examples, now, zone)
    choice = preview_choice(current, now, zone, limits=limits, typed_zone=typed_zone, refine=refine)
    return [choice]


class WhenPreviews:
    """The live preview of a ``when`` option, given the task service and the injected clock."""

    def __init__(self, scheduler: SchedulerService, clock: Clock) -> None:
        self._scheduler = scheduler
        self._clock = clock

    async def choices(
        self,
        current: str,
        *,
        guild_id: int,
        zone: str,
        admin: bool,
        typed_zone: str | None = None,
        refine: Refine | None = None,
        examples: Sequence[str] = SCHEDULE_EXAMPLES,
    ) -> list[app_commands.Choice[str]]:
        """The choices for ``current``, within :data:`BUDGET_S` whatever the text.

        ``admin`` picks the shortest interval that applies (an admin's or a member's); the rest is
        as :func:`when_choices` says.  Parsing runs in a worker thread: a slow reading neither
        stalls the event loop nor misses Discord's deadline (it answers "still reading" instead).
        """
        now = self._clock.now()
        try:
            async with asyncio.timeout(BUDGET_S):
                limits = await self._scheduler.schedule_limits(guild_id, admin=admin)
                return await asyncio.to_thread(
                    when_choices,
                    current,
                    now,
                    zone,
                    limits=limits,
                    typed_zone=typed_zone,
                    refine=refine,
                    examples=examples,
                )
        except TimeoutError:
            log.warning("when preview over %.1fs guild=%s text=%r", BUDGET_S, guild_id, current)
            if not current.strip():
                return [app_commands.Choice(name=e, value=e) for e in examples]
            return [app_commands.Choice(name=STILL_READING, value=current[:CHOICE_LIMIT])]
