"""/tasks list|show|cancel|pause|resume|history and task-id autocomplete through the emulator."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from bot import cli
from bot.library.model import SoundView
from bot.scheduling.timelang import parse_when
from bot.services import Services
from bot.tasks.model import TaskStatus, TaskType, TaskView
from bot.tasks.service import Actor
from tests.audio.tones import tone_bytes
from tests.e2e.soundboard import eventually
from tests.emulator import Emulator

pytestmark = pytest.mark.e2e


@pytest.fixture
async def chime(carillon: Services, emulator: Emulator) -> SoundView:
    wav = tone_bytes("wav", "pcm_s16le", seconds=0.3, freq=440.0)
    return await carillon.library.upload(
        emulator.guild.id, emulator.users["alice"].id, "chime", wav
    )


async def make_task(
    carillon: Services,
    emulator: Emulator,
    chime: SoundView,
    user: str,
    name: str,
    when: str = "every day at 9",
) -> TaskView:
    """A task of ``user``'s made through the service (the command is tested in test_schedule)."""
    user_id = emulator.users[user].id
    return await carillon.scheduler.create_task(
        guild_id=emulator.guild.id,
        name=name,
        task_type=TaskType.PLAY_SOUND,
        parameters={"sound_id": chime.id, "channel_id": emulator.channel("Lounge").id},
        user_id=user_id,
        recurrence=parse_when(when, carillon.clock.now(), "UTC"),
    )


async def current_status(carillon: Services, emulator: Emulator, task: TaskView) -> TaskStatus:
    admin = Actor(emulator.users["admin"].id, is_admin=True)
    return (await carillon.scheduler.get_task(emulator.guild.id, task.id, admin)).status


async def test_list_shows_only_your_tasks_filtered_by_status(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """alice sees her tasks (not bob's, not the system recharge); the filter narrows them."""
    morning = await make_task(carillon, emulator, chime, "alice", "morning bell")
    await make_task(carillon, emulator, chime, "alice", "evening bell")
    await make_task(carillon, emulator, chime, "bob", "bob's gong")
    await emulator.slash("alice", "tasks pause", id=morning.id)

    everything = await emulator.slash("alice", "tasks list")
    paused = await emulator.slash("alice", "tasks list", status="paused")
    failed = await emulator.slash("alice", "tasks list", status="failed")

    assert everything.ephemeral
    assert "morning bell" in everything.text and "evening bell" in everything.text
    assert "gong" not in everything.text and "recharge" not in everything.text
    assert "morning bell" in paused.text and "evening bell" not in paused.text
    assert "You have no failed tasks here." in failed.text


async def test_list_is_paginated(carillon: Services, emulator: Emulator, chime: SoundView) -> None:
    """More than a page of tasks gets Next/Previous buttons, honouring limit."""
    for number in range(12):
        await make_task(carillon, emulator, chime, "alice", f"bell {number:02d}")

    first = await emulator.slash("alice", "tasks list")
    limited = await emulator.slash("alice", "tasks list", limit=5)

    assert first.message is not None and limited.message is not None
    assert first.embeds[0]["footer"]["text"] == "Page 1 of 2"
    page_one = first.text  # the click edits this same message
    next_id = next(b["custom_id"] for b in first.message.buttons() if b["label"] == "Next")
    second = await emulator.click("alice", first, next_id)
    assert second.embeds[0]["footer"]["text"] == "Page 2 of 2"
    assert len(re.findall(r"`#\d+`", page_one + second.text)) == 12
    assert len(re.findall(r"`#\d+`", limited.text)) == 5
    assert limited.message.buttons() == []


async def test_show_next_runs_match_carillon_when(
    carillon: Services,
    emulator: Emulator,
    chime: SoundView,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """/tasks show lists the next runs `carillon when` gives for the same text, zone and now."""
    emulator.user_joins_voice("alice", "Lounge")
    text, zone = "every weekday at 9am", "America/New_York"
    now = datetime.now(UTC).isoformat()
    created = await emulator.slash(
        "alice", "schedule sound", sound="chime", when=text, timezone=zone
    )
    found = re.search(r"#(\d+)", created.text)
    assert found is not None

    shown = await emulator.slash("alice", "tasks show", id=int(found.group(1)))
    status = cli.main(["when", text, "--tz", zone, "--now", now, "--count", "3", "--json"])
    expected = json.loads(capsys.readouterr().out)

    assert status == 0
    runs = [int(value) for value in re.findall(r"<t:(\d+):F>", shown.text)]
    assert runs[-3:] == [int(datetime.fromisoformat(r).timestamp()) for r in expected["next_runs"]]
    assert expected["description"] in shown.text
    assert f"Time zone: `{zone}`" in shown.text
    assert "Plays sound **chime**" in shown.text and "pending" in shown.text


async def test_someone_elses_task_is_not_found_but_an_admin_reaches_it(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """bob cannot see, pause, cancel or read the history of alice's task; an admin can."""
    task = await make_task(carillon, emulator, chime, "alice", "alice's bell")

    for command in ("tasks show", "tasks history", "tasks pause", "tasks cancel"):
        reply = await emulator.slash("bob", command, id=task.id)
        assert reply.ephemeral
        assert f"You have no task #{task.id} in this server" in reply.content, command
    as_admin = await emulator.slash("admin", "tasks show", id=task.id)

    assert "alice's bell" in as_admin.text
    assert await current_status(carillon, emulator, task) is TaskStatus.PENDING


async def test_cancel_finishes_a_task_once(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """Cancelling works once; cancelling again says it is already cancelled."""
    task = await make_task(carillon, emulator, chime, "alice", "to cancel")

    first = await emulator.slash("alice", "tasks cancel", id=task.id)
    again = await emulator.slash("alice", "tasks cancel", id=task.id)

    assert f"Cancelled task #{task.id}" in first.content
    assert await current_status(carillon, emulator, task) is TaskStatus.CANCELLED
    assert again.ephemeral and "already cancelled" in again.content
    shown = await emulator.slash("alice", "tasks show", id=task.id)
    assert "No future runs." in shown.text
    assert shown.message is not None and shown.message.buttons() == []


async def test_pause_and_resume(carillon: Services, emulator: Emulator, chime: SoundView) -> None:
    """Pause, pause again (refused), resume, resume again (refused)."""
    task = await make_task(carillon, emulator, chime, "alice", "napping bell")

    paused = await emulator.slash("alice", "tasks pause", id=task.id)
    paused_again = await emulator.slash("alice", "tasks pause", id=task.id)
    assert await current_status(carillon, emulator, task) is TaskStatus.PAUSED
    resumed = await emulator.slash("alice", "tasks resume", id=task.id)
    resumed_again = await emulator.slash("alice", "tasks resume", id=task.id)

    assert f"Paused task #{task.id}" in paused.content
    assert "already paused" in paused_again.content and paused_again.ephemeral
    assert f"Resumed task #{task.id}" in resumed.content and "<t:" in resumed.content
    assert "is not paused" in resumed_again.content and resumed_again.ephemeral
    assert await current_status(carillon, emulator, task) is TaskStatus.PENDING


async def test_history_of_a_task_that_has_not_run(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """A new task has no runs yet (the journey in test_schedule shows a succeeded run)."""
    task = await make_task(carillon, emulator, chime, "alice", "quiet bell")

    reply = await emulator.slash("alice", "tasks history", id=task.id, limit=5)

    assert reply.ephemeral
    assert f"History of task #{task.id}" in reply.text
    assert "has not run yet" in reply.text


async def test_task_id_autocomplete_offers_your_tasks_and_admins_all(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """Members get their own tasks, admins every task; each command offers what it can act on."""
    morning = await make_task(carillon, emulator, chime, "alice", "morning bell")
    evening = await make_task(carillon, emulator, chime, "alice", "evening bell")
    gong = await make_task(carillon, emulator, chime, "bob", "gong")
    await carillon.scheduler.pause_task(
        evening.id, guild_id=emulator.guild.id, actor=Actor(emulator.users["alice"].id)
    )

    mine = await emulator.autocomplete("alice", "tasks show", "id", "")
    by_name = await emulator.autocomplete("alice", "tasks show", "id", "MORN")
    by_number = await emulator.autocomplete("alice", "tasks show", "id", f"#{gong.id}")
    paused = await emulator.autocomplete("alice", "tasks resume", "id", "")
    everyone = await emulator.autocomplete("admin", "tasks cancel", "id", "")

    assert {c["value"] for c in mine} == {morning.id, evening.id}
    assert [c["value"] for c in by_name] == [morning.id]
    assert by_name[0]["name"] == f"#{morning.id} · morning bell · pending"
    assert by_number == []
    assert [c["value"] for c in paused] == [evening.id]
    assert {morning.id, evening.id, gong.id} <= {c["value"] for c in everyone}
    assert any(c["name"].endswith("· system") for c in everyone)  # the daily recharge


async def test_an_admin_sees_the_daily_recharge_system_task(
    carillon: Services, emulator: Emulator
) -> None:
    """The seeded system task is reachable by admins only, and says what it does."""
    admin = Actor(emulator.users["admin"].id, is_admin=True)
    [recharge] = await carillon.scheduler.list_tasks(emulator.guild.id, admin, system_only=True)

    shown = await emulator.slash("admin", "tasks show", id=recharge.id)
    hidden = await emulator.slash("alice", "tasks show", id=recharge.id)

    assert "Daily credit recharge" in shown.text and "a system task" in shown.text
    assert "Recharges every member with an account with the daily allowance" in shown.text
    assert "Every day at 00:00" in shown.text
    assert hidden.ephemeral and f"You have no task #{recharge.id}" in hidden.content


async def finished(carillon: Services, emulator: Emulator, task_id: int) -> TaskView:
    """The task once its run has settled it (the runner starts it at its due time)."""
    admin = Actor(emulator.users["admin"].id, is_admin=True)

    async def settled() -> TaskView | None:
        task = await carillon.scheduler.get_task(emulator.guild.id, task_id, admin)
        return task if task.status.finished else None

    # Generous: a few seconds to the due time, then a voice connect on a loaded machine.
    task = await eventually(settled, within_s=60)
    assert task is not None, f"task {task_id} did not finish"
    return task


async def test_a_one_off_skipped_for_nobody_listening_says_so_in_every_list(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """Its one run was skipped (Lounge is empty): the lists and /tasks show say "skipped" and
    why, not "completed"."""
    created = await emulator.slash(
        "alice",
        "schedule sound",
        sound="chime",
        when="in 3 seconds",
        channel=emulator.channel("Lounge"),
        name="lonely bell",
    )
    found = re.search(r"Scheduled task #(\d+)", created.text)
    assert found is not None
    task_id = int(found.group(1))
    stored = await finished(carillon, emulator, task_id)

    listed = await emulator.slash("alice", "tasks list")
    shown = await emulator.slash("alice", "tasks show", id=task_id)
    everyone = await emulator.slash("admin", "admin tasks")
    named = await emulator.autocomplete("alice", "tasks show", "id", "lonely")

    assert stored.status is TaskStatus.COMPLETED  # the status is unchanged; only the line tells
    line = next(line for line in listed.text.splitlines() if f"`#{task_id}`" in line)
    assert line.startswith(f"⏭️ `#{task_id}` **lonely bell** · skipped — nobody was listening")
    assert "completed" not in line and "✅" not in line
    assert "⏭️ skipped — nobody was listening in the voice channel" in shown.text
    assert "completed" not in shown.text
    assert "skipped — nobody was listening in the voice channel" in everyone.text
    assert [c["name"] for c in named] == [f"#{task_id} · lonely bell · skipped"]


async def test_a_one_off_that_played_still_reads_completed(
    carillon: Services, emulator: Emulator, chime: SoundView
) -> None:
    """A run that succeeded leaves the plain "completed" line."""
    emulator.user_joins_voice("alice", "Lounge")
    task = await make_task(carillon, emulator, chime, "alice", "heard bell", when="in 3 seconds")
    assert (await finished(carillon, emulator, task.id)).status is TaskStatus.COMPLETED

    listed = await emulator.slash("alice", "tasks list")

    line = next(line for line in listed.text.splitlines() if f"`#{task.id}`" in line)
    assert line.startswith(f"✅ `#{task.id}` **heard bell** · completed · <@")
