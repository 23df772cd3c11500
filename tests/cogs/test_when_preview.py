"""The live preview of a ``when`` option (cogs/when_preview.py), as tables with a fixed ``now``."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import ParseError, ValidationError
from bot.scheduling.recurrence import Recurrence, RecurrenceType
from cogs import when_preview
from cogs.when_preview import (
    CHOICE_LIMIT,
    SCHEDULE_EXAMPLES,
    STILL_READING,
    WhenPreviews,
    error_name,
    fit,
    format_run,
    preview_choice,
    reading_name,
    short_error,
    shorten,
    time_until,
    when_choices,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=PARIS)  # a Wednesday
MEMBER_LIMITS = (1826, timedelta(minutes=15))
ADMIN_LIMITS = (1826, timedelta(minutes=1))


def paris(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


# --------------------------------------------------------------------------- pieces of a name


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (paris(12, 8, 9), "Tue 8 Dec 09:00"),
        (paris(12, 2, 18, 30), "Wed 2 Dec 18:30"),
        (paris(1, 1, 0, year=2027), "Fri 1 Jan 2027 00:00"),
        (datetime(2026, 12, 3, 2, 30, tzinfo=NEW_YORK), "Thu 3 Dec 02:30"),
    ],
)
def test_format_run(run: datetime, expected: str) -> None:
    """Day, date and time in the run's zone; the year only when it is not this year."""
    assert format_run(run, NOW) == expected


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        (NOW + timedelta(seconds=1), "in 1 second"),
        (NOW + timedelta(seconds=45), "in 45 seconds"),
        (NOW + timedelta(minutes=10), "in 10 minutes"),
        (NOW + timedelta(minutes=59, seconds=20), "in 59 minutes"),
        (NOW + timedelta(hours=2), "in 2 hours"),
        (NOW + timedelta(hours=1), "in 1 hour"),
        (NOW + timedelta(hours=3, minutes=20), "in 3 h 20 min"),
        (paris(12, 3, 9), "tomorrow"),
        (paris(12, 8, 9), "in 6 days"),
        (paris(1, 1, 0, year=2027), "in 30 days"),
        (paris(6, 2, 9, year=2027), "in 6 months"),
        (paris(12, 2, 9, year=2036), "in 10 years"),
    ],
)
def test_time_until(run: datetime, expected: str) -> None:
    """Elapsed time under a day, calendar days from one day on, months and years after that."""
    assert time_until(run, NOW) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("every weekday at 09:00", 16, "every weekday…"),
        ("abcdefghij", 5, "abcd…"),
        ("then every day, until tomorrow", 17, "then every day…"),
    ],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    """Cut at a word when one is near, without a dangling comma, and mark the cut with "…"."""
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


@pytest.mark.parametrize(
    ("reading", "notes", "expected"),
    [
        ("→ reading", [], "→ reading"),
        ("→ reading", ["limit"], "→ reading ⚠ limit"),
        ("→ reading", ["one", "two"], "→ reading ⚠ one ⚠ two"),
        ("→ " + "r" * 120, [], "→ " + "r" * 97 + "…"),
    ],
)
def test_fit_short_cases(reading: str, notes: list[str], expected: str) -> None:
    """Warnings follow the reading, each marked ⚠; a lone reading is cut to 100."""
    assert fit(reading, notes) == expected


LONG_READING = (
    "→ Thu 3 Dec 09:00 (America/Los_Angeles), then every 5 minutes, between 09:00 and 09:59"
)
LIMIT_NOTE = "shortest allowed: every 15 minutes"
DST_NOTE = (
    "Sun 14 Mar 2027: 02:30 does not exist in America/New_York (clocks spring forward), so ..."
)


def test_fit_gives_a_short_first_warning_its_whole_text() -> None:
    """A long reading gives way (down to 40 characters) so that a limit shows whole; a later
    warning with no useful room left is left out."""
    name = fit(LONG_READING, [LIMIT_NOTE, DST_NOTE])

    assert name == (
        "→ Thu 3 Dec 09:00 (America/Los_Angeles), then every 5 minutes… ⚠ shortest allowed: "
        "every 15 minutes"
    )


def test_fit_keeps_64_characters_of_the_reading_before_a_long_warning() -> None:
    """A long warning (DST) is cut, not the first 64 characters of the reading."""
    name = fit(LONG_READING, [DST_NOTE])

    assert len(name) <= CHOICE_LIMIT
    assert name.startswith("→ Thu 3 Dec 09:00 (America/Los_Angeles), then every 5 minutes… ⚠")
    assert "⚠ Sun 14 Mar 2027: 02:30" in name


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "I could not understand 'blorp'. Try for example 'in 2 hours' or 'tomorrow at 9am'.",
            "not understood: 'blorp'",
        ),
        (
            "I could not understand 'tomorrow blorp' in 'tomorrow at 9 blorp'. Try for example "
            "'in 2 hours' or 'tomorrow at 9am'.",
            "not understood: 'tomorrow blorp'",
        ),
        (
            "The cron expression '0 0 31 2 *' never fires. Try for example '0 9 * * 1-5'.",
            "The cron expression '0 0 31 2 *' never fires",
        ),
        ("Say when, for example 'in 2 hours' or 'tomorrow at 9am'.", "Say when"),
        (
            "I do not know the word 'blorp' in 'tomorrow blorp'. Try for example 'in 2 hours'.",
            "not understood: 'blorp'",
        ),
        (
            "Cron minute field '61': 61 is out of range (0-59). Examples: '0 9 * * 1-5'.",
            "Cron minute field '61': 61 is out of range (0-59)",
        ),
        (
            "repeat_count needs a repeating time, such as 'every day at 9'; this one happens once.",
            "repeat_count needs a repeating time, such as 'every day at 9'; this one happens once",
        ),
    ],
)
def test_short_error(message: str, expected: str) -> None:
    """Examples and the echo of the whole text go; the word not understood stays."""
    assert short_error(message) == expected


def test_error_name_is_marked_and_within_the_limit() -> None:
    """An error choice starts with ✗ and never passes 100 characters."""
    error = ParseError(f"I could not understand {'blorp ' * 40!r}. Try for example 'in 2 hours'.")
    name = error_name(error, ["240 characters: a pick keeps 100"])

    assert name.startswith("✗ not understood: 'blorp blorp")
    assert "⚠ 240 characters: a pick keeps 100" in name
    assert len(name) <= CHOICE_LIMIT


# --------------------------------------------------------------------------- a parsed schedule


WEEKDAYS_9AM = Recurrence(
    RecurrenceType.WEEKLY,
    paris(12, 3, 9),
    "Europe/Paris",
    time_of_day=time(9),
    weekdays=(0, 1, 2, 3, 4),
)


@pytest.mark.parametrize(
    ("recurrence", "expected"),
    [
        (
            Recurrence.once(paris(12, 8, 9), "Europe/Paris"),
            "→ Tue 8 Dec 09:00 (Europe/Paris), in 6 days",
        ),
        (
            Recurrence.once(paris(12, 2, 9, 10), "Europe/Paris"),
            "→ Wed 2 Dec 09:10 (Europe/Paris), in 10 minutes",
        ),
        (
            Recurrence.once(paris(1, 1, 0, year=2027), "Europe/Paris"),
            "→ Fri 1 Jan 2027 00:00 (Europe/Paris), in 30 days",
        ),
        (WEEKDAYS_9AM, "→ Thu 3 Dec 09:00 (Europe/Paris), then every weekday at 09:00"),
        (
            Recurrence(RecurrenceType.DAILY, paris(12, 3, 9), "Europe/Paris", time_of_day=time(9)),
            "→ Thu 3 Dec 09:00 (Europe/Paris), then every day at 09:00",
        ),
        (
            Recurrence(RecurrenceType.HOURLY, paris(12, 2, 10), "Europe/Paris", interval=2),
            "→ Wed 2 Dec 10:00 (Europe/Paris), then every 2 hours (real time)",
        ),
        (
            Recurrence(RecurrenceType.CRON, paris(12, 3, 9), "Europe/Paris", cron="0 9 * * 1-5"),
            "→ Thu 3 Dec 09:00 (Europe/Paris), then at 09:00, Monday through Friday",
        ),
    ],
    ids=["in-6-days", "in-10-minutes", "next-year", "weekdays", "daily", "hourly", "cron"],
)
def test_reading_name(recurrence: Recurrence, expected: str) -> None:
    """First run, zone, then how far away it is (one-shots) or how it repeats."""
    assert reading_name(recurrence, NOW) == expected


def test_reading_name_warns_of_a_dst_gap_after_the_reading() -> None:
    """A run moved out of a spring-forward gap is flagged after the reading, within 100."""
    now = datetime(2027, 3, 12, 12, 0, tzinfo=NEW_YORK)
    daily = Recurrence(
        RecurrenceType.DAILY,
        datetime(2027, 3, 13, 2, 30, tzinfo=NEW_YORK),
        "America/New_York",
        time_of_day=time(2, 30),
    )
    name = reading_name(daily, now)

    assert name.startswith("→ Sat 13 Mar 02:30 (America/New_York), then every day at 02:30 ⚠ ")
    assert "Sun 14 Mar" in name
    assert len(name) <= CHOICE_LIMIT


# --------------------------------------------------------------------------- typed text


def test_a_phrase_previews_with_its_text_as_the_value() -> None:
    """The choice names the reading; its value is exactly what was typed."""
    choice = preview_choice("every weekday at 9am", NOW, "Europe/Paris", limits=MEMBER_LIMITS)

    assert choice.name == "→ Thu 3 Dec 09:00 (Europe/Paris), then every weekday at 09:00"
    assert choice.value == "every weekday at 9am"


def test_junk_names_the_word_not_understood() -> None:
    """Text the time language cannot read is a ✗ choice naming the word."""
    choice = preview_choice("blorp", NOW, "Europe/Paris", limits=MEMBER_LIMITS)

    assert choice.name.startswith("✗ ") and "'blorp'" in choice.name
    assert "Try for example" not in choice.name
    assert choice.value == "blorp"


@pytest.mark.parametrize(
    ("text", "limits", "warning"),
    [
        ("every 5 minutes", MEMBER_LIMITS, "⚠ shortest allowed: every 15 minutes"),
        ("every 5 minutes", ADMIN_LIMITS, None),
        ("every 15 minutes", MEMBER_LIMITS, None),
        ("in 10 years", MEMBER_LIMITS, "⚠ over 5 years ahead, the furthest allowed"),
        ("in 4 years", MEMBER_LIMITS, None),
    ],
)
def test_limits_show_in_the_preview(
    text: str, limits: tuple[int, timedelta], warning: str | None
) -> None:
    """The shortest interval and the horizon show after the reading, as create_task has them."""
    name = preview_choice(text, NOW, "Europe/Paris", limits=limits).name

    assert name.startswith("→ ")
    if warning is None:
        assert "⚠" not in name
    else:
        assert name.endswith(warning)


def test_the_timezone_option_wins_over_the_users_zone() -> None:
    """A filled-in timezone option is the zone the time is read in."""
    choice = preview_choice("every day at 9", NOW, "UTC", typed_zone="europe/paris")

    assert choice.name == "→ Thu 3 Dec 09:00 (Europe/Paris), then every day at 09:00"


def test_an_unknown_timezone_option_is_flagged_and_the_default_used() -> None:
    """A timezone option that names no zone is a warning; the time reads in the user's zone."""
    choice = preview_choice("every day at 9", NOW, "UTC", typed_zone="pari")

    assert choice.name.startswith("→ Wed 2 Dec 09:00 (UTC), then every day at 09:00")
    assert choice.name.endswith("⚠ unknown time zone 'pari'; read in UTC")


def test_text_over_100_characters_says_so_and_the_value_fits() -> None:
    """Discord takes at most 100 characters as a value: the name says the pick would cut it."""
    text = (
        "every monday and tuesday and wednesday and thursday and friday and saturday at 9am "
        "until december 31 2027"
    )
    choice = preview_choice(text, NOW, "Europe/Paris")

    assert choice.name.startswith("→ Thu 3 Dec 09:00 (Europe/Paris), then every Monday")
    assert f"⚠ {len(text)} characters: a pick keeps 100" in choice.name
    assert choice.value == text[:100]
    assert len(choice.name) <= CHOICE_LIMIT


def test_a_refusal_of_the_other_options_is_an_error_choice() -> None:
    """The command's other options apply (repeat_count on a one-shot is refused up front)."""

    def refine(recurrence: Recurrence) -> Recurrence:
        raise ValidationError("repeat_count needs a repeating time, such as 'every day at 9'.")

    choice = preview_choice("in 2 hours", NOW, "Europe/Paris", refine=refine)

    assert choice.name == "✗ repeat_count needs a repeating time, such as 'every day at 9'"


@pytest.mark.parametrize("current", ["", "   "])
def test_empty_input_offers_examples(current: str) -> None:
    """An empty option offers the example phrases, named with what each means now."""
    choices = when_choices(current, NOW, "Europe/Paris", limits=MEMBER_LIMITS)

    assert [c.value for c in choices] == list(SCHEDULE_EXAMPLES)
    assert choices[1].name == "tomorrow at 9am → Thu 3 Dec 09:00 (Europe/Paris), tomorrow"
    assert all(c.name.startswith(c.value) and len(c.name) <= CHOICE_LIMIT for c in choices)


@pytest.mark.parametrize(
    "text",
    [
        "in 10 minutes",
        "tomorrow at 9am",
        "every weekday at 18:30 until december 31 2027",
        "every monday and wednesday at 18:00 10 times",
        "every day at 2:30am in America/New_York",
        "0 9 * * 1-5",
        "every 5 minutes",
        "blorp " * 50,
    ],
)
def test_every_name_fits_discord(text: str) -> None:
    """Whatever is typed, the one choice has a name of 1-100 characters and a value of <= 100."""
    choices = when_choices(text, NOW, "Europe/Paris", limits=MEMBER_LIMITS)

    assert len(choices) == 1
    assert 1 <= len(choices[0].name) <= CHOICE_LIMIT and len(choices[0].value) <= CHOICE_LIMIT


# --------------------------------------------------------------------------- the deadline


class FixedClock:
    def now(self) -> datetime:
        return NOW


class StuckScheduler:
    """A task service whose limits never come (a locked database, say)."""

    async def schedule_limits(self, guild_id: int, *, admin: bool) -> tuple[int, timedelta]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class Scheduler:
    async def schedule_limits(self, guild_id: int, *, admin: bool) -> tuple[int, timedelta]:
        return ADMIN_LIMITS if admin else MEMBER_LIMITS


async def test_previews_read_with_the_members_or_admins_limits() -> None:
    """A member's "every 5 minutes" is flagged; an admin's is not."""
    previews = WhenPreviews(Scheduler(), FixedClock())  # type: ignore[arg-type]

    member = await previews.choices("every 5 minutes", guild_id=1, zone="UTC", admin=False)
    admin = await previews.choices("every 5 minutes", guild_id=1, zone="UTC", admin=True)

    assert "⚠ shortest allowed" in member[0].name and "⚠" not in admin[0].name


async def test_a_preview_over_its_budget_answers_still_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the budget the answer is "still reading" (with the typed value), not a miss."""
    monkeypatch.setattr(when_preview, "BUDGET_S", 0.05)
    previews = WhenPreviews(StuckScheduler(), FixedClock())  # type: ignore[arg-type]

    typed = await previews.choices("every day at 9", guild_id=1, zone="UTC", admin=False)
    empty = await previews.choices("", guild_id=1, zone="UTC", admin=False)

    assert [(c.name, c.value) for c in typed] == [(STILL_READING, "every day at 9")]
    assert [c.value for c in empty] == list(SCHEDULE_EXAMPLES)
