"""Task owners hear about failures: a DM, else the server's notify channel, via the emulator."""

from __future__ import annotations

import logging

import pytest

from bot.services import Services
from bot.tasks.service import Actor
from storage.enums import TaskStatus
from tests.e2e.adminkit import play_task, run_now, upload_sound
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e

ADMIN = Actor(0, is_admin=True)


async def use_notify_channel_id(app: Services, emu: Emulator) -> None:
    channel_id = str(emu.channel("general").id)
    await app.preferences.set_guild_setting(emu.guild.id, "notify_channel", channel_id)


def refuse_dms_to(emu: Emulator, user: str) -> None:
    """The member closed DMs: Discord answers 403 (50007) to the bot's message."""
    dm = emu.world.dm_channel(emu.users[user])
    emu.faults.http_error("POST", rf"/channels/{dm.id}/messages$", status=403, times=10)


async def test_owner_gets_a_dm_when_a_one_shot_fails_for_good(
    carillon: Services, emulator: Emulator
) -> None:
    """The sound was deleted before the run: the task fails and its owner is told why, in a DM."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    task = await play_task(app, emu, "alice", sound, name="Morning chime")
    await app.library.delete_sound(emu.guild.id, "chime", Actor(emu.users["alice"].id))

    await run_now(app, task)

    (dm,) = await emu.wait_for(lambda: emu.dm_messages("alice"), "a DM to alice")
    assert dm.content.startswith(f"Carillon in {emu.guild.name}: Task #{task.id} (Morning chime)")
    assert "failed: The sound of this task no longer exists" in dm.content
    stored = await app.scheduler.get_task(emu.guild.id, task.id, ADMIN)
    assert stored.status is TaskStatus.FAILED
    assert emu.messages("general") == []


async def test_owner_gets_a_dm_when_a_recurring_task_is_paused(
    carillon: Services, emulator: Emulator
) -> None:
    """Five failed occurrences in a row pause the task; the DM says why and how to resume."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    # A text channel: the bot can never play there, a permanent failure each time.
    task = await play_task(app, emu, "alice", sound, channel="general", hourly=True)

    for _ in range(app.settings.scheduler.max_consecutive_failures):
        assert not emu.dm_messages("alice")
        await run_now(app, await app.scheduler.get_task(emu.guild.id, task.id, ADMIN))

    (dm,) = await emu.wait_for(lambda: emu.dm_messages("alice"), "a DM to alice")
    assert "was paused after 5 failed runs in a row" in dm.content
    assert "is not a voice channel" in dm.content and f"/tasks resume {task.id}" in dm.content
    stored = await app.scheduler.get_task(emu.guild.id, task.id, ADMIN)
    assert stored.status is TaskStatus.PAUSED


async def test_closed_dms_fall_back_to_the_notify_channel(
    carillon: Services, emulator: Emulator
) -> None:
    """When the DM is refused the owner is mentioned in the configured channel instead, and the
    task name they typed stays inert text there."""
    app, emu = carillon, emulator
    await use_notify_channel_id(app, emu)
    refuse_dms_to(emu, "alice")
    sound = await upload_sound(app, emu, "alice")
    task = await play_task(app, emu, "alice", sound, name="@everyone *loud*")
    await app.library.delete_sound(emu.guild.id, "chime", Actor(emu.users["alice"].id))

    await run_now(app, task)

    posted = await emu.wait_for_message("general", f"Task #{task.id}")
    alice = emu.users["alice"].id
    assert posted.content.startswith(f"<@{alice}> Task #{task.id} (@\u200beveryone \\*loud\\*)")
    assert emu.dm_messages("alice") == []


async def test_system_task_problems_go_to_the_notify_channel(
    carillon: Services, emulator: Emulator
) -> None:
    """A system task has no owner to DM: its failure is posted in the channel, pinging nobody."""
    app, emu = carillon, emulator
    await use_notify_channel_id(app, emu)
    sound = await upload_sound(app, emu, "admin")
    task = await play_task(app, emu, None, sound, name="Hourly bell")
    await app.library.delete_sound(emu.guild.id, "chime", Actor(0, is_admin=True))

    await run_now(app, task)

    posted = await emu.wait_for_message("general", f"Task #{task.id}")
    assert posted.content.startswith(f"Task #{task.id} (Hourly bell) failed")
    assert "<@" not in posted.content
    assert all(emu.dm_messages(name) == [] for name in ("owner", "admin", "alice", "bob"))


async def test_nobody_reachable_is_logged_not_raised(
    carillon: Services, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Closed DMs and no notify channel: the task still settles, and the log says who missed out."""
    app, emu = carillon, emulator
    refuse_dms_to(emu, "alice")
    sound = await upload_sound(app, emu, "alice")
    task = await play_task(app, emu, "alice", sound)
    await app.library.delete_sound(emu.guild.id, "chime", Actor(emu.users["alice"].id))

    with caplog.at_level(logging.WARNING, logger="bot.client.notify"):
        await run_now(app, task)

    stored = await app.scheduler.get_task(emu.guild.id, task.id, ADMIN)
    assert stored.status is TaskStatus.FAILED
    assert any("nobody reachable" in r.getMessage() for r in caplog.records)
    assert emu.messages("general") == []


async def test_owner_hears_when_an_admin_cancels_their_task(
    carillon: Services, emulator: Emulator
) -> None:
    """/admin task-cancel on a member's task tells the member; cancelling your own does not."""
    app, emu = carillon, emulator
    sound = await upload_sound(app, emu, "alice")
    task = await play_task(app, emu, "alice", sound, name="Morning chime")
    own = await play_task(app, emu, "alice", sound, name="Evening chime")

    reply = await emu.slash("admin", "admin task-cancel", id=task.id)
    assert "cancelled" in reply.content.lower()
    (dm,) = await emu.wait_for(lambda: emu.dm_messages("alice"), "a DM to alice")
    assert f"Task #{task.id} (Morning chime) was cancelled by a server admin." in dm.content

    await emu.slash("alice", "tasks cancel", id=own.id)
    assert len(emu.dm_messages("alice")) == 1
