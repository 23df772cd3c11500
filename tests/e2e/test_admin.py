"""/admin through the emulator: every command, autocomplete and main error; the admin journey."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from bot.credits.rules import BALANCE_LIMIT
from bot.scheduling.timelang import parse_when
from bot.services import Services
from bot.tasks.service import Actor
from cogs.access import OWNER_ONLY
from storage.enums import LedgerReason, RunOutcome, TaskStatus, TaskType
from tests.e2e.adminkit import play_task, recharge_task, runs_started, upload_sound
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e

ADMIN = Actor(0, is_admin=True)
DISCORD_TIMESTAMPS = re.compile(r"<t:\d+:F> \(<t:\d+:R>\)")


def task_ids(text: str) -> list[int]:
    return [int(found) for found in re.findall(r"`#(\d+)`", text)]


# ----------------------------------------------------------------------------- /admin tasks


async def test_tasks_lists_every_members_and_system_tasks_in_pages(
    carillon: Services, emulator: Emulator
) -> None:
    """Admins see all of the server's tasks, ten per page, with working Next/Previous buttons."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    alice = await play_task(app, emu, "alice", sound, name="Alice's chime")
    bob = await play_task(app, emu, "bob", sound, name="Bob's chime")
    extra = [await recharge_task(app, emu, name=f"Top-up {n}") for n in range(9)]
    # 11 created + the server's seeded "Daily credit recharge" = 12 tasks, 2 pages.

    first = await emu.slash("admin", "admin tasks")

    assert first.ephemeral
    assert first.embeds[0]["title"] == "Tasks in this server (12)"
    assert first.embeds[0]["footer"]["text"] == "Page 1 of 2"
    page_one = task_ids(first.text)  # read now: the click edits this very message
    (next_button,) = [b for b in first.components[0]["components"] if b["label"] == "Next"]
    second = await emu.click("admin", first, next_button["custom_id"])
    assert second.embeds[0]["footer"]["text"] == "Page 2 of 2"
    shown = set(page_one) | set(task_ids(second.text))
    assert len(page_one) == 10
    assert {alice.id, bob.id, *(t.id for t in extra)} <= shown
    assert len(shown) == 12


async def test_tasks_filters_by_member_and_status(carillon: Services, emulator: Emulator) -> None:
    """``member`` keeps one member's tasks; ``status`` keeps one status."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    kept = await play_task(app, emu, "alice", sound)
    gone = await play_task(app, emu, "alice", sound, name="Evening chime")
    bobs = await play_task(app, emu, "bob", sound)
    await app.scheduler.cancel_task(gone.id, guild_id=emu.guild.id, actor=ADMIN)

    alices = await emu.slash("admin", "admin tasks", member=emu.users["alice"])
    cancelled = await emu.slash("admin", "admin tasks", status="cancelled")

    assert sorted(task_ids(alices.text)) == sorted([kept.id, gone.id])
    assert bobs.id not in task_ids(alices.text)
    assert task_ids(cancelled.text) == [gone.id]


async def test_tasks_says_when_nothing_matches(carillon: Services, emulator: Emulator) -> None:
    """An empty filter answers with a sentence, not an empty embed."""
    reply = await emulator.slash("admin", "admin tasks", status="failed")

    assert "No tasks match." in reply.text


# ----------------------------------------------------------------------------- /admin task-cancel


async def test_task_cancel_cancels_any_members_task(carillon: Services, emulator: Emulator) -> None:
    """An admin cancels a member's task; the owner is named without being pinged."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    task = await play_task(app, emu, "alice", sound)

    reply = await emu.slash("admin", "admin task-cancel", id=task.id)

    assert reply.ephemeral
    assert f"<@{emu.users['alice'].id}>" in reply.content and f"`#{task.id}`" in reply.content
    stored = await app.scheduler.get_task(emu.guild.id, task.id, ADMIN)
    assert stored.status is TaskStatus.CANCELLED
    assert task.id not in app.runner.armed


@pytest.mark.parametrize(
    ("cancel_twice", "expected"),
    [(False, "You have no task #"), (True, "is already cancelled")],
    ids=["unknown task", "already cancelled"],
)
async def test_task_cancel_errors(
    carillon: Services, emulator: Emulator, cancel_twice: bool, expected: str
) -> None:
    """An unknown id or a finished task is an ephemeral error that says so."""
    app, emu = carillon, emulator
    task = await recharge_task(app, emu)
    target = task.id if cancel_twice else task.id + 1000
    if cancel_twice:
        await app.scheduler.cancel_task(task.id, guild_id=emu.guild.id, actor=ADMIN)

    reply = await emu.slash("admin", "admin task-cancel", id=target)

    assert reply.ephemeral and expected in reply.content


async def test_task_cancel_autocomplete_offers_the_servers_active_tasks_to_admins_only(
    carillon: Services, emulator: Emulator
) -> None:
    """Admins get every active task of the server by id or name; members get nothing."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    alices = await play_task(app, emu, "alice", sound, name="Alice's chime")
    done = await play_task(app, emu, "bob", sound, name="Bob's chime")
    await app.scheduler.cancel_task(done.id, guild_id=emu.guild.id, actor=ADMIN)

    everything = await emu.autocomplete("admin", "admin task-cancel", "id", "")
    by_name = await emu.autocomplete("admin", "admin task-cancel", "id", "alice")
    for_member = await emu.autocomplete("alice", "admin task-cancel", "id", "")

    values = [c["value"] for c in everything]
    assert alices.id in values and done.id not in values
    assert any("Daily credit recharge" in c["name"] for c in everything)
    assert [c["value"] for c in by_name] == [alices.id]
    assert for_member == []


# ----------------------------------------------------------------------------- system tasks


async def test_system_task_create_answers_with_the_schedule_preview(
    carillon: Services, emulator: Emulator
) -> None:
    """Description, zone, three runs as Discord timestamps; the task is a system recharge."""
    app, emu = carillon, emulator

    reply = await emu.slash(
        "admin",
        "admin system-task create",
        when="every monday at 9am",
        member=emu.users["alice"],
        amount=25,
        name="Alice's weekly top-up",
        timezone="Europe/Paris",
    )

    assert reply.ephemeral
    assert "**Every Monday at 09:00**" in reply.content
    assert "Time zone: `Europe/Paris`" in reply.content
    assert len(DISCORD_TIMESTAMPS.findall(reply.content)) == 3
    assert f"25 credits for <@{emu.users['alice'].id}>" in reply.content
    (task_id,) = task_ids(reply.content)
    task = await app.scheduler.get_task(emu.guild.id, task_id, ADMIN)
    assert task.is_system and task.task_type is TaskType.CREDIT_RECHARGE
    assert task.parameters == {"user_id": emu.users["alice"].id, "amount": 25}
    assert task.timezone == "Europe/Paris" and task.name == "Alice's weekly top-up"


async def test_system_task_create_uses_the_servers_zone_by_default(
    carillon: Services, emulator: Emulator
) -> None:
    """Without a zone the schedule is read in the server's zone (``/admin settings set``)."""
    app, emu = carillon, emulator
    await app.preferences.set_guild_setting(emu.guild.id, "timezone", "America/New_York")

    reply = await emu.slash("admin", "admin system-task create", when="every day at noon")

    assert "Time zone: `America/New_York`" in reply.content
    assert "the daily allowance for every member with an account" in reply.content


async def test_system_task_create_refuses_text_it_does_not_understand(
    carillon: Services, emulator: Emulator
) -> None:
    """The time language's error comes back privately and nothing is created."""
    app, emu = carillon, emulator
    before = await app.scheduler.list_tasks(emu.guild.id, ADMIN, system_only=True)

    reply = await emu.slash("admin", "admin system-task create", when="whenever you like")

    assert reply.ephemeral and "for example" in reply.content
    assert await app.scheduler.list_tasks(emu.guild.id, ADMIN, system_only=True) == before


async def test_system_task_create_zone_autocomplete(carillon: Services, emulator: Emulator) -> None:
    """The timezone option suggests IANA names."""
    choices = await emulator.autocomplete(
        "admin", "admin system-task create", "timezone", "paris", when="every day at 9"
    )

    assert "Europe/Paris" in [c["value"] for c in choices]


async def test_system_task_list_shows_only_system_tasks(
    carillon: Services, emulator: Emulator
) -> None:
    """Members' tasks are left out; a recharge says whom it credits."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    members = await play_task(app, emu, "alice", sound)
    system = await recharge_task(app, emu, name="Top-up")

    reply = await emu.slash("admin", "admin system-task list")

    ids = task_ids(reply.text)
    assert system.id in ids and members.id not in ids
    assert "the daily allowance for every member with an account" in reply.text


# ----------------------------------------------------------------------------- credits


async def test_credits_grant_set_and_recharge(carillon: Services, emulator: Emulator) -> None:
    """Grant adds, set replaces, recharge tops up to the maximum; the ledger records each."""
    app, emu = carillon, emulator
    guild, alice = emu.guild.id, emu.users["alice"]

    granted = await emu.slash("admin", "admin credits grant", member=alice, amount=5)
    assert granted.ephemeral and "balance is now 105 credits" in granted.content
    assert f"<@{alice.id}>" in granted.content

    reset = await emu.slash("admin", "admin credits set", member=alice, balance=10)
    assert "balance is now 10 credits" in reset.content

    recharged = await emu.slash("admin", "admin credits recharge", member=alice, amount=30)
    assert "1 of 1 account(s) credited, 30 credits in total" in recharged.content
    assert await app.credits.balance(guild, alice.id) == 40

    reasons = [e.reason for e in await app.credits.history(guild, alice.id)]
    assert reasons[:3] == [LedgerReason.RECHARGE, LedgerReason.SET, LedgerReason.GRANT]


async def test_credits_recharge_everyone_stops_at_the_maximum(
    carillon: Services, emulator: Emulator
) -> None:
    """Without a member every account is recharged, by the daily allowance, up to the cap."""
    app, emu = carillon, emulator
    guild = emu.guild.id
    for name, balance in (("alice", 40), ("bob", 100)):
        await app.credits.set_balance(guild, emu.users[name].id, balance, actor_id=1)

    reply = await emu.slash("admin", "admin credits recharge")

    assert "every member with an account" in reply.content
    assert "1 of 2 account(s) credited, 60 credits in total" in reply.content
    assert await app.credits.balance(guild, emu.users["alice"].id) == 100


async def test_credits_grant_refuses_to_overflow_a_balance(
    carillon: Services, emulator: Emulator
) -> None:
    """A grant past the storage limit says how much could be granted, and changes nothing."""
    app, emu = carillon, emulator
    alice = emu.users["alice"]

    reply = await emu.slash("admin", "admin credits grant", member=alice, amount=BALANCE_LIMIT)

    assert reply.ephemeral and "Grant at most" in reply.content
    assert await app.credits.balance(emu.guild.id, alice.id) == 100


# ----------------------------------------------------------------------------- settings


async def test_settings_show_marks_defaults(carillon: Services, emulator: Emulator) -> None:
    """Every setting is listed with its value; untouched ones say (default)."""
    app, emu = carillon, emulator
    await app.preferences.set_guild_setting(emu.guild.id, "max_name_length", "40")

    reply = await emu.slash("admin", "admin settings show")

    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["max_name_length"].startswith("40\n")
    assert fields["timezone"].startswith("`UTC` (default)")
    assert len(fields) == 8


async def test_settings_set_and_reset(carillon: Services, emulator: Emulator) -> None:
    """A value changes the setting; leaving it out restores the default."""
    app, emu = carillon, emulator
    general = emu.channel("general")

    choices = await emu.autocomplete(
        "admin", "admin settings set", "value", "", key="notify_channel"
    )
    assert choices == [{"name": "#general", "value": str(general.id)}]
    changed = await emu.slash(
        "admin", "admin settings set", key="notify_channel", value=str(general.id)
    )
    assert changed.content == f"`notify_channel` is now <#{general.id}>."
    assert (await app.preferences.guild_policy(emu.guild.id)).notify_channel_id == general.id

    reset = await emu.slash("admin", "admin settings set", key="notify_channel")
    assert reset.content == "`notify_channel` is now none (default)."


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("max_name_length", "lots", "is not a whole number"),
        ("timezone", "Mars/Olympus", "Unknown time zone"),
        ("notify_channel", "Lounge", "not a text channel of this server"),
        ("admin_role", "everyone", "@everyone cannot be the admin role"),
    ],
    ids=["not a number", "unknown zone", "voice channel", "everyone role"],
)
async def test_settings_set_refuses_bad_values(
    carillon: Services, emulator: Emulator, key: str, value: str, expected: str
) -> None:
    """A bad value is an ephemeral error that says what is allowed."""
    emu = emulator
    if value == "Lounge":
        value = str(emu.channel("Lounge").id)
    elif value == "everyone":
        value = str(emu.guild.id)  # the @everyone role has the server's id

    reply = await emu.slash("admin", "admin settings set", key=key, value=value)

    assert reply.ephemeral and expected in reply.content


async def test_settings_value_autocomplete_follows_the_key(
    carillon: Services, emulator: Emulator
) -> None:
    """Zones for timezone, roles for admin_role, yes/no for switches."""
    emu = emulator
    zones = await emu.autocomplete("admin", "admin settings set", "value", "tokyo", key="timezone")
    roles = await emu.autocomplete("admin", "admin settings set", "value", "adm", key="admin_role")
    switch = await emu.autocomplete(
        "admin", "admin settings set", "value", "", key="skip_if_nobody_listening"
    )

    assert "Asia/Tokyo" in [c["value"] for c in zones]
    assert roles == [{"name": "@Admins", "value": str(emu.roles["admins"].id)}]
    assert [c["value"] for c in switch] == ["yes", "no"]


# ----------------------------------------------------------------------------- status and sync


async def test_status_shows_uptime_tasks_voice_and_the_last_start(
    carillon: Services, emulator: Emulator
) -> None:
    """The report counts this server's pending tasks and names the next run."""
    app, emu = carillon, emulator
    soon = await recharge_task(app, emu)

    reply = await emu.slash("admin", "admin status")

    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Pending tasks here"] == "2"  # this one and the seeded daily recharge
    assert soon.next_run_at is not None
    # The seeded recharge runs at the server's midnight: late in the day it comes first.
    async with app.uow() as uow:
        pending = await uow.tasks.list(emu.guild.id, statuses=[TaskStatus.PENDING])
    assert soon.id in {task.id for task in pending}
    first = min(task.next_run_at for task in pending if task.next_run_at is not None)
    assert fields["Next run here"].startswith(f"<t:{int(first.timestamp())}:F>")
    assert fields["Voice"] == "0 connection(s) in all servers; not connected here"
    assert "0 overdue task(s)" in fields["Last start"]
    assert fields["Uptime"].startswith("less than a minute")


async def test_sync_publishes_to_this_server_for_bot_owners(
    carillon: Services, emulator: Emulator
) -> None:
    """A copy of the global commands lands on the server, then can be removed again."""
    emu = emulator

    here = await emu.slash("owner", "admin sync", scope="here")

    assert here.ephemeral and "to this server" in here.content and "/admin" in here.content
    assert {"admin", "tasks"} <= set(emu.registered_commands(emu.guild))
    cleared = await emu.slash("owner", "admin sync", scope="clear-here")
    assert cleared.content.startswith("Synced 0 command(s) to this server")
    assert emu.registered_commands(emu.guild) == {}
    everywhere = await emu.slash("owner", "admin sync", scope="global")
    assert "globally" in everywhere.content


async def test_sync_refuses_admins_who_are_not_bot_owners(
    carillon: Services, emulator: Emulator
) -> None:
    """Manage Server is not enough to publish commands."""
    emu = emulator

    reply = await emu.slash("admin", "admin sync", scope="here")

    assert reply.ephemeral and reply.content == OWNER_ONLY
    assert emu.registered_commands(emu.guild) == {}


# ----------------------------------------------------------------------------- the admin journey


async def test_admin_journey_scheduled_recharge_fills_balances_to_the_cap(
    carillon: Services, emulator: Emulator
) -> None:
    """A system recharge made with /admin fires on time, tops every account up to the maximum,
    and the ledger and the run history say so."""
    app, emu = carillon, emulator
    guild = emu.guild.id
    cap = app.settings.credits.max_balance
    for name, balance in (("alice", 10), ("bob", 95), ("admin", 150)):
        await emu.slash("admin", "admin credits set", member=emu.users[name], balance=balance)

    with runs_started(app) as started:
        reply = await emu.slash("admin", "admin system-task create", when="in 2 seconds")
        (task_id,) = task_ids(reply.content)
        async with asyncio.timeout(10):
            assert (await started.get())[0] == task_id
            await app.runner.drain()

    balances = {n: await app.credits.balance(guild, emu.users[n].id) for n in ("alice", "bob")}
    assert balances == {"alice": cap, "bob": cap}
    assert await app.credits.balance(guild, emu.users["admin"].id) == 150  # above the cap: kept
    (latest,) = await app.credits.history(guild, emu.users["alice"].id, limit=1)
    assert latest.reason is LedgerReason.RECHARGE and latest.task_id == task_id
    assert (latest.delta, latest.balance_after) == (cap - 10, cap)
    task = await app.scheduler.get_task(guild, task_id, ADMIN)
    assert task.status is TaskStatus.COMPLETED
    (run,) = await app.scheduler.history(guild, task_id, ADMIN)
    assert run.outcome is RunOutcome.SUCCEEDED
    assert run.detail is not None and "2 of 3 account(s) credited" in run.detail


async def test_preview_of_a_created_recharge_matches_the_time_language(
    carillon: Services, emulator: Emulator
) -> None:
    """The runs the reply shows are the time language's next three runs."""
    app, emu = carillon, emulator

    reply = await emu.slash("admin", "admin system-task create", when="every 2 hours")

    expected = parse_when("every 2 hours", app.clock.now(), "UTC")
    first = expected.anchor
    shown = [int(n) for n in re.findall(r"<t:(\d+):F>", reply.content)]
    assert len(shown) == 3
    assert shown[1] - shown[0] == int(timedelta(hours=2).total_seconds())
    assert abs(shown[0] - first.timestamp()) < 5
