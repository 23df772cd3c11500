"""The emulated Discord world: users, one or more guilds, channels, messages and commands.

Plain data plus a change signal the test side awaits; no networking here.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
CONNECT = 1 << 20
SPEAK = 1 << 21
USE_VAD = 1 << 25
USE_APPLICATION_COMMANDS = 1 << 31
ALL_PERMISSIONS = (1 << 51) - 1
MEMBER_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | CONNECT
    | SPEAK
    | USE_VAD
    | USE_APPLICATION_COMMANDS
)

TEXT_CHANNEL = 0
DM_CHANNEL = 1
VOICE_CHANNEL = 2

EPHEMERAL = 1 << 6
LOADING = 1 << 7

T = TypeVar("T")


class Snowflakes:
    """Increasing, time-based IDs like Discord's."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


@dataclass
class User:
    id: int
    name: str
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0


@dataclass
class Channel:
    id: int
    name: str
    type: int
    guild_id: int | None
    position: int = 0
    recipient_ids: list[int] = field(default_factory=list)


@dataclass
class Member:
    user: User
    role_ids: list[int]
    joined_at: str


@dataclass
class VoiceState:
    user_id: int
    channel_id: int
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]


@dataclass
class Attachment:
    id: int
    filename: str
    content_type: str
    data: bytes
    url: str


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    edits: int = 0
    deleted: bool = False
    timestamp: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button in the message's action rows."""
        return [c for row in self.components for c in row.get("components", []) if c["type"] == 2]


@dataclass
class Command:
    """An application command as registered by a bulk PUT."""

    id: int
    application_id: int
    guild_id: int | None
    version: int
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.data["name"])


class Signal:
    """Wakes waiters whenever the world changes, so tests await conditions instead of sleeping."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for(self, check: Callable[[], T | None | bool]) -> T:
        """Return ``check()`` once it is truthy. Callers bound it with ``asyncio.timeout``."""
        loop = asyncio.get_running_loop()
        while True:
            result = check()
            if result is not None and result is not False:
                return result  # type: ignore[return-value]
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            await waiter


class World:
    """Everything the emulator knows; the REST, gateway and voice layers read and change it."""

    def __init__(self) -> None:
        self.ids = Snowflakes()
        self.changed = Signal()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.attachments: dict[int, Attachment] = {}
        self.commands: dict[int, Command] = {}
        self.command_version = 0
        self.cdn_base = ""  # set once the server knows its port
        self.bot = self.add_user("Carillon", bot=True)
        self.application_id = self.ids.next()

    # --- building -----------------------------------------------------------------------------

    def add_user(self, name: str, *, bot: bool = False) -> User:
        user = User(self.ids.next(), name, bot=bot)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, owner: User) -> Guild:
        guild = Guild(self.ids.next(), name, owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", MEMBER_PERMISSIONS)
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        return guild

    def add_role(self, guild: Guild, name: str, permissions: int) -> Role:
        role = Role(self.ids.next(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_channel(self, guild: Guild, name: str, type_: int) -> Channel:
        channel = Channel(self.ids.next(), name, type_, guild.id, position=len(guild.channels))
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_member(self, guild: Guild, user: User, roles: list[Role] | None = None) -> Member:
        joined = datetime.now(UTC).isoformat()
        member = Member(user, [r.id for r in roles or []], joined)
        guild.members[user.id] = member
        return member

    def dm_channel(self, user: User) -> Channel:
        for channel in self.channels.values():
            if channel.type == DM_CHANNEL and channel.recipient_ids == [user.id]:
                return channel
        channel = Channel(self.ids.next(), "", DM_CHANNEL, None, recipient_ids=[user.id])
        self.channels[channel.id] = channel
        return channel

    # --- queries ------------------------------------------------------------------------------

    def permissions(self, guild: Guild, user_id: int) -> int:
        """Guild-level permissions (channel overwrites are not modelled)."""
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        member = guild.members.get(user_id)
        value = guild.everyone.permissions
        for role_id in member.role_ids if member else []:
            value |= guild.roles[role_id].permissions
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def channel_messages(self, channel_id: int) -> list[Message]:
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]

    def commands_for(self, guild_id: int | None) -> list[Command]:
        """Commands a member of ``guild_id`` can see: global ones plus that guild's."""
        return [c for c in self.commands.values() if c.guild_id in (None, guild_id)]

    def replace_commands(
        self, guild_id: int | None, payloads: list[dict[str, Any]]
    ) -> list[Command]:
        """Bulk overwrite like Discord: same name keeps its ID, others are created or dropped."""
        old = {c.name: c for c in self.commands.values() if c.guild_id == guild_id}
        for command in old.values():
            del self.commands[command.id]
        self.command_version += 1
        created = []
        for payload in payloads:
            payload = dict(payload)
            if payload.get("default_member_permissions") is not None:
                # Clients may send an integer; Discord stores and returns the string form.
                payload["default_member_permissions"] = str(payload["default_member_permissions"])
            previous = old.get(payload["name"])
            cid = previous.id if previous else self.ids.next()
            command = Command(cid, self.application_id, guild_id, self.command_version, payload)
            self.commands[cid] = command
            created.append(command)
        self.changed.notify()
        return created
