"""Who may change what: every changing command × every kind of caller, as DESIGN.md says.

Discord's own gate (``default_permissions``) is tested once; the matrix then sends every command
with ``override_permissions=True`` (a server owner granting it to everyone) so the bot's
server-side check is what decides, and judges by the effect, not the wording of the reply.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.errors import NotFoundError
from bot.services import Services
from bot.tasks.model import TaskView
from bot.tasks.service import Actor
from storage.enums import TaskStatus
from tests.e2e.adminkit import play_task, recharge_task, upload_sound
from tests.emulator import Emulator
from tests.emulator.interactions import CommandRefused
from tests.emulator.state import MANAGE_GUILD, MEMBER_PERMISSIONS

pytestmark = pytest.mark.e2e

ADMIN = Actor(0, is_admin=True)
MANAGE_GUILD_BITS = str(MANAGE_GUILD)

# Callers. "task owner" is alice, who owns every task and sound the cases act on.
MEMBER, TASK_OWNER, ADMIN_USER, ADMIN_ROLE, BOT_OWNER, OWNER_ONLY = (
    "member",
    "task owner",
    "admin (Manage Server)",
    "admin role",
    "bot owner (server owner)",
    "bot owner without Manage Server",
)
USERS = {
    MEMBER: "bob",
    TASK_OWNER: "alice",
    ADMIN_USER: "admin",
    ADMIN_ROLE: "carol",
    BOT_OWNER: "owner",
    OWNER_ONLY: "keeper",
}
ADMINS = {ADMIN_USER, ADMIN_ROLE, BOT_OWNER, OWNER_ONLY}
BOT_OWNERS = {BOT_OWNER, OWNER_ONLY}
WHO_MAY = {
    "admins": ADMINS,
    "bot owners": BOT_OWNERS,
    "the owner and admins": ADMINS | {TASK_OWNER},
}


@dataclass
class Ctx:
    app: Services
    emu: Emulator
    task: TaskView | None = None
    serial: int = 0

    @property
    def guild(self) -> int:
        return self.emu.guild.id

    def uid(self, name: str) -> int:
        return self.emu.users[name].id

    async def status(self) -> TaskStatus:
        assert self.task is not None
        return (await self.app.scheduler.get_task(self.guild, self.task.id, ADMIN)).status


@dataclass(frozen=True)
class Case:
    command: str
    who_may: str  # a key of WHO_MAY
    prepare: Callable[[Ctx], Awaitable[dict[str, Any]]]  # fresh state; returns the options
    changed: Callable[[Ctx], Awaitable[bool]]  # whether the command took effect


async def _alices_task(ctx: Ctx) -> dict[str, Any]:
    sound = await upload_sound(ctx.app, ctx.emu, "alice", f"tune-{ctx.serial}")
    ctx.task = await play_task(ctx.app, ctx.emu, "alice", sound)
    return {"id": ctx.task.id}


async def _cancelled(ctx: Ctx) -> bool:
    return await ctx.status() is TaskStatus.CANCELLED


async def _paused(ctx: Ctx) -> bool:
    return await ctx.status() is TaskStatus.PAUSED


async def _system_create(ctx: Ctx) -> dict[str, Any]:
    return {"when": "every day at 7am", "name": f"Recharge {ctx.serial}"}


async def _system_created(ctx: Ctx) -> bool:
    found = await ctx.app.scheduler.list_tasks(ctx.guild, ADMIN, system_only=True, limit=100)
    return any(t.name == f"Recharge {ctx.serial}" for t in found)


async def _bob_at(ctx: Ctx, balance: int) -> None:
    await ctx.app.credits.set_balance(ctx.guild, ctx.uid("bob"), balance, actor_id=1)


async def _grant(ctx: Ctx) -> dict[str, Any]:
    await _bob_at(ctx, 50)
    return {"member": ctx.emu.users["bob"], "amount": 7}


async def _set(ctx: Ctx) -> dict[str, Any]:
    await _bob_at(ctx, 50)
    return {"member": ctx.emu.users["bob"], "balance": 57}


async def _recharge(ctx: Ctx) -> dict[str, Any]:
    await _bob_at(ctx, 50)
    return {"member": ctx.emu.users["bob"], "amount": 7}


async def _bob_has_57(ctx: Ctx) -> bool:
    return await ctx.app.credits.balance(ctx.guild, ctx.uid("bob")) == 57


async def _setting(ctx: Ctx) -> dict[str, Any]:
    await ctx.app.preferences.set_guild_setting(ctx.guild, "max_name_length", None)
    return {"key": "max_name_length", "value": "42"}


async def _setting_changed(ctx: Ctx) -> bool:
    return (await ctx.app.preferences.guild_policy(ctx.guild)).max_name_length == 42


async def _sync(ctx: Ctx) -> dict[str, Any]:
    return {"scope": "here"}


async def _synced(ctx: Ctx) -> bool:
    return bool(ctx.emu.registered_commands(ctx.emu.guild))


async def _alices_sound(ctx: Ctx) -> dict[str, Any]:
    sound = await upload_sound(ctx.app, ctx.emu, "alice", f"bell-{ctx.serial}")
    return {"name": sound.name}


async def _sound_gone(ctx: Ctx) -> bool:
    try:
        await ctx.app.library.find_sound(ctx.guild, f"bell-{ctx.serial}")
    except NotFoundError:
        return True
    return False


CASES = [
    Case("admin task-cancel", "admins", _alices_task, _cancelled),
    Case("admin system-task create", "admins", _system_create, _system_created),
    Case("admin credits grant", "admins", _grant, _bob_has_57),
    Case("admin credits set", "admins", _set, _bob_has_57),
    Case("admin credits recharge", "admins", _recharge, _bob_has_57),
    Case("admin settings set", "admins", _setting, _setting_changed),
    Case("admin sync", "bot owners", _sync, _synced),
    Case("tasks cancel", "the owner and admins", _alices_task, _cancelled),
    Case("tasks pause", "the owner and admins", _alices_task, _paused),
    Case("sound delete", "the owner and admins", _alices_sound, _sound_gone),
]
READ_ONLY_ADMIN = ["admin tasks", "admin system-task list", "admin settings show", "admin status"]


@pytest.fixture
def people(emulator: Emulator) -> Emulator:
    """carol has the role the server configures as its admin role (no Manage Server); keeper is
    a plain member whom the test makes a bot owner.  Added before the bot connects, so its cache
    knows the role."""
    ringers = emulator.world.add_role(emulator.guild, "Ringers", MEMBER_PERMISSIONS)
    emulator.roles["ringers"] = ringers
    emulator.add_member("carol", roles=["ringers"])
    emulator.add_member("keeper")
    return emulator


async def _as_caller(app: Services, emu: Emulator, role: str) -> str:
    """Set up what makes ``role`` what it is; returns the user name to act as."""
    await app.preferences.set_guild_setting(
        emu.guild.id, "admin_role", str(emu.roles["ringers"].id)
    )
    if role == OWNER_ONLY:
        # The config's [discord] owner_ids, as discord.py reads it (the fixture sets "owner").
        app.bot.owner_ids = {emu.users["owner"].id, emu.users["keeper"].id}
    return USERS[role]


@pytest.mark.parametrize("role", list(USERS))
async def test_every_changing_command_allows_exactly_whom_design_says(
    people: Emulator, carillon: Services, role: str
) -> None:
    """Each command takes effect for the callers DESIGN.md allows and is refused (ephemerally,
    with nothing changed) for everyone else."""
    app, emu = carillon, people
    user = await _as_caller(app, emu, role)
    wrong: list[str] = []
    for serial, case in zip(itertools.count(1), CASES, strict=False):
        ctx = Ctx(app, emu, serial=serial)
        options = await case.prepare(ctx)
        reply = await emu.slash(user, case.command, override_permissions=True, **options)
        expected = role in WHO_MAY[case.who_may]
        took_effect = await case.changed(ctx)
        if took_effect != expected or (not expected and not reply.ephemeral):
            verdict = "allowed" if took_effect else "refused"
            wrong.append(f"/{case.command}: {verdict} ({reply.content[:80]!r})")
    assert not wrong, f"{role}:\n  " + "\n  ".join(wrong)


@pytest.mark.parametrize("role", [MEMBER, TASK_OWNER])
async def test_read_only_admin_commands_are_refused_to_members(
    people: Emulator, carillon: Services, role: str
) -> None:
    """Even granted by the server, members cannot list everyone's tasks, settings or status."""
    emu = people
    user = await _as_caller(carillon, emu, role)
    for command in READ_ONLY_ADMIN:
        reply = await emu.slash(user, command, override_permissions=True)
        assert reply.ephemeral and reply.content.startswith("Only server admins"), command


async def test_discord_hides_admin_commands_from_members(
    people: Emulator, carillon: Services
) -> None:
    """/admin carries default_member_permissions = Manage Server and is not offered in DMs;
    members without it cannot even send it."""
    emu = people
    admin = emu.registered_commands()["admin"]

    assert admin["default_member_permissions"] == MANAGE_GUILD_BITS
    assert admin.get("contexts") in (None, [0]) and admin.get("dm_permission") in (None, False)
    for user in ("alice", "bob", "carol", "keeper"):
        with pytest.raises(CommandRefused):
            await emu.slash(user, "admin status")
    assert (await emu.slash("admin", "admin status")).ephemeral


async def test_members_get_no_admin_autocomplete(people: Emulator, carillon: Services) -> None:
    """Autocomplete skips discord.py's checks, so the cog checks: nothing is revealed."""
    app, emu = carillon, people
    await recharge_task(app, emu)

    tasks = await emu.autocomplete("bob", "admin task-cancel", "id", "")
    values = await emu.autocomplete("bob", "admin settings set", "value", "", key="admin_role")

    assert tasks == [] and values == []
