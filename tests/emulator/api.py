"""The test-side face of the emulator.

    async with Emulator() as emu:
        ...start the bot with emu.api_base_url / emu.gateway_url / emu.ca_file / emu.token...
        reply = await emu.slash("alice", "sound play", name="chime")
        emu.user_joins_voice("alice", "Lounge")
        audio = await emu.audio_in("Lounge")

Users and channels can be passed as objects or by name (``emu.users`` keys, channel names).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar

from . import interactions as ix
from . import payloads
from .audio import ReceivedAudio
from .faults import Faults
from .gateway import Gateway
from .interactions import CommandRefused, InteractionRecord, Reply
from .oauth import OAuth2
from .rest import RequestRecord
from .server import EmulatorServer
from .state import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    TEXT_CHANNEL,
    VOICE_CHANNEL,
    Channel,
    Guild,
    Message,
    User,
    World,
)
from .voice import VoiceServer

T = TypeVar("T")
UserRef = User | str
ChannelRef = Channel | str


class Emulator:
    """A Discord-compatible server on 127.0.0.1 with one guild, four people and three channels.

    People: ``owner`` (owns the guild), ``admin`` (role with Manage Server), ``alice`` and ``bob``
    (plain members). Channels: text ``general``, voice ``Lounge`` and ``Hall``.
    """

    def __init__(
        self, *, tls: bool = True, response_deadline: float = 3.0, token: str | None = None
    ) -> None:
        world = self.world = World()
        owner = world.add_user("Owner")
        guild = self.guild = world.add_guild("Carillon Test Server", owner)
        admins = world.add_role(guild, "Admins", MEMBER_PERMISSIONS | MANAGE_GUILD)
        bot_role = world.add_role(guild, "Carillon", MEMBER_PERMISSIONS)
        world.add_member(guild, world.bot, [bot_role])
        self.users: dict[str, User] = {"owner": owner}
        self.roles = {"admins": admins, "bot": bot_role}
        self.add_member("admin", roles=["admins"])
        self.add_member("alice")
        self.add_member("bob")
        world.add_channel(guild, "general", TEXT_CHANNEL)
        world.add_channel(guild, "Lounge", VOICE_CHANNEL)
        world.add_channel(guild, "Hall", VOICE_CHANNEL)
        self.timeout = 5.0  # bound on every wait below; raise it for long plays
        # Three dot-separated parts, like a real bot token (Carillon's config checks the shape).
        self.token = token or f"EMU{world.bot.id}.emu.{secrets.token_urlsafe(24)}"
        self.server = EmulatorServer(
            world, owner, self.token, tls=tls, response_deadline=response_deadline
        )
        self.server.oauth.names = self.users  # so tests can sign in by name

    # --- lifecycle and endpoints --------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start()

    async def close(self) -> None:
        await self.server.close()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def api_base_url(self) -> str:
        return self.server.api_base_url

    @property
    def gateway_url(self) -> str:
        return self.server.gateway_url

    @property
    def ca_file(self) -> str | None:
        return self.server.ca_file

    @property
    def faults(self) -> Faults:
        return self.server.faults

    @property
    def gateway(self) -> Gateway:
        return self.server.gateway

    @property
    def voice(self) -> VoiceServer:
        return self.server.voice

    @property
    def oauth(self) -> OAuth2:
        """Discord's OAuth2 for a web app's "Sign in with Discord": ``client_id`` and
        ``client_secret`` (this application's), ``redirect_uris`` (set them), ``authorize_url``,
        ``sign_in(user)``, ``auto_approve``, ``advance(seconds)``, ``revoke_all(user)``,
        ``issue_token(user)``, and the ``exchanges`` and ``consents`` made. See oauth.py."""
        return self.server.oauth

    @property
    def requests(self) -> list[RequestRecord]:
        """Every REST request made, in order: the bot's (``auth == "bot"``) and, if a web app
        signs people in, its OAuth2 calls (``"client"``) and bearer calls (``"bearer"``)."""
        return self.server.rest.requests

    @property
    def bot_user(self) -> User:
        return self.world.bot

    @property
    def application_id(self) -> int:
        return self.world.application_id

    async def wait_idle(self) -> None:
        """Wait until the bot holds no connection to the emulator."""
        await self.wait_for(
            lambda: self.server.open_connections == 0, "the bot to close its sockets"
        )

    async def wait_for(self, check: Callable[[], T | None | bool], what: str) -> T:
        """``check()`` once truthy (re-checked on every change in the emulator), or a
        TimeoutError naming ``what`` after ``self.timeout`` seconds."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self.world.changed.wait_for(check)
        except TimeoutError:
            raise TimeoutError(f"timed out after {self.timeout}s waiting for {what}") from None

    # --- the world ----------------------------------------------------------------------------

    def user(self, ref: UserRef) -> User:
        return self.users[ref] if isinstance(ref, str) else ref

    def channel(self, ref: ChannelRef, guild: Guild | None = None) -> Channel:
        if isinstance(ref, Channel):
            return ref
        matches = [c for c in (guild or self.guild).channels.values() if c.name == ref]
        if not matches:
            raise KeyError(f"no channel named {ref!r}")
        return matches[0]

    def add_member(self, name: str, *, roles: Sequence[str] = ()) -> User:
        """A new person in the guild; ``roles`` are keys of ``emu.roles``."""
        user = self.world.add_user(name.capitalize())
        self.world.add_member(self.guild, user, [self.roles[r] for r in roles])
        self.users[name] = user
        return user

    def registered_commands(self, guild: Guild | None = None) -> dict[str, dict[str, Any]]:
        """Commands synced globally (``guild=None``) or to ``guild``, by name."""
        scope = guild.id if guild else None
        return {c.name: c.data for c in self.world.commands.values() if c.guild_id == scope}

    def messages(self, channel: ChannelRef) -> list[Message]:
        return self.world.channel_messages(self.channel(channel).id)

    def dm_messages(self, user: UserRef) -> list[Message]:
        return self.world.channel_messages(self.world.dm_channel(self.user(user)).id)

    async def wait_for_message(self, channel: ChannelRef, text: str = "") -> Message:
        """The first message in ``channel`` whose content contains ``text``."""
        channel_id = self.channel(channel).id

        def find() -> Message | None:
            found = self.world.channel_messages(channel_id)
            return next((m for m in found if text in m.content), None)

        return await self.wait_for(find, f"a message with {text!r}")

    # --- interactions -------------------------------------------------------------------------

    async def slash(
        self,
        user: UserRef,
        command: str,
        /,
        *,
        in_channel: ChannelRef = "general",
        override_permissions: bool = False,
        **options: Any,
    ) -> Reply:
        """Run ``/command`` ("group sub") as ``user`` in ``in_channel`` and return the bot's
        (final) answer. ``options`` are the command's options by name (``user``, ``channel`` and
        ``command`` included: the first two parameters are positional-only).

        ``override_permissions`` stands for a server admin granting the command to this member in
        Server Settings > Integrations, so the bot's own server-side check can be tested.
        """
        who, where = self.user(user), self.channel(in_channel)
        guild = self.world.guild_of(where)
        cmd, sub_path = ix.find_command(self.world, guild, command)
        if not override_permissions:
            ix.check_access(self.world, cmd, guild, who)
        data = ix.command_data(self.world, cmd, sub_path, dict(options), guild)
        record = self._send(ix.APPLICATION_COMMAND, who, where, data)
        return await self._reply(record, f"/{command}")

    async def autocomplete(
        self,
        user: UserRef,
        command: str,
        option: str,
        value: str,
        /,
        *,
        in_channel: ChannelRef = "general",
        **options: Any,
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while ``user`` types ``value`` into ``option``.

        Raises :class:`~tests.emulator.interactions.AnswerRefused` when Discord would refuse the
        answer: after the 3-second deadline, over 25 choices, a name or value over 100 characters.
        """
        who, where = self.user(user), self.channel(in_channel)
        guild = self.world.guild_of(where)
        cmd, sub_path = ix.find_command(self.world, guild, command)
        values = {**options, option: value}
        data = ix.command_data(self.world, cmd, sub_path, values, guild, focused=option)
        focused = ix.focused_option(data)
        record = self._send(ix.AUTOCOMPLETE, who, where, data)
        record.focused_type = None if focused is None else focused["type"]

        def answered() -> list[dict[str, Any]] | None:
            if record.refusal is not None:
                raise ix.AnswerRefused(f"/{command} {option}: {record.refusal}")
            return record.choices

        return await self.wait_for(answered, f"choices for /{command} {option}")

    async def click(self, user: UserRef, message: Message | Reply, custom_id: str) -> Reply:
        """Press the button ``custom_id`` on ``message`` and return the bot's answer."""
        source = message.message if isinstance(message, Reply) else message
        if source is None:
            raise CommandRefused("that reply has no message to click on")
        button = next((b for b in source.buttons() if b.get("custom_id") == custom_id), None)
        if button is None or button.get("disabled"):
            raise CommandRefused(f"no enabled button {custom_id!r} on message {source.id}")
        data = {"custom_id": custom_id, "component_type": 2}
        where = self.world.channels[source.channel_id]
        record = self._send(ix.MESSAGE_COMPONENT, self.user(user), where, data, source)
        return await self._reply(record, f"button {custom_id!r}")

    def _send(
        self,
        kind: int,
        user: User,
        channel: Channel,
        data: dict[str, Any],
        source: Message | None = None,
    ) -> InteractionRecord:
        if self.gateway.live_session() is None:
            raise RuntimeError("the bot is not connected to the gateway")
        now = asyncio.get_running_loop().time()
        record = ix.new_record(self.world, kind, user, channel, now)
        record.source_message = source
        self.server.book.add(record)
        payload = ix.interaction_payload(self.world, record, channel, data)
        self.gateway.dispatch("INTERACTION_CREATE", payload)
        return record

    async def _reply(self, record: InteractionRecord, what: str) -> Reply:
        def answered() -> Reply | None:
            if record.response_type is None:
                return None
            original = record.original
            if original is not None and original.deleted:
                # The bot removed its deferred placeholder and answered with a new follow-up.
                return Reply(record, record.followups[0]) if record.followups else None
            if original is not None and original.loading:
                return None  # deferred: wait for the follow-up or the edit
            return Reply(record, original)

        return await self.wait_for(answered, f"the bot to answer {what}")

    def remove_member(self, user: UserRef, guild: Guild | None = None) -> None:
        """``user`` leaves (or is kicked from) the guild. The bot, without the members intent,
        gets no event; voice is left first, as Discord does (VOICE_STATE_UPDATE)."""
        who, where = self.user(user), guild or self.guild
        if who.id in where.voice_states:
            self.user_leaves_voice(who, where)
        del where.members[who.id]
        self.world.changed.notify()

    def set_member_roles(
        self, user: UserRef, roles: Sequence[str], guild: Guild | None = None
    ) -> None:
        """Replace ``user``'s roles (keys of ``emu.roles``), e.g. ``[]`` to take Manage Server
        away from ``admin``. No gateway event: the bot has no members intent."""
        member = (guild or self.guild).members[self.user(user).id]
        member.role_ids = [self.roles[r].id for r in roles]
        self.world.changed.notify()

    def set_role_permissions(self, role: str, permissions: int) -> None:
        """Change a role's permissions ("everyone", "bot", "admins") and tell the bot, as Discord
        does with GUILD_ROLE_UPDATE."""
        found = self.guild.everyone if role == "everyone" else self.roles[role]
        found.permissions = permissions
        self.gateway.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(self.guild.id), "role": payloads.role(found)}
        )
        self.world.changed.notify()

    # --- voice --------------------------------------------------------------------------------

    def user_joins_voice(self, user: UserRef, channel: ChannelRef) -> None:
        where = self.channel(channel)
        assert where.guild_id is not None and where.type == VOICE_CHANNEL
        self.voice.set_user_channel(where.guild_id, self.user(user).id, where.id)

    def user_leaves_voice(self, user: UserRef, guild: Guild | None = None) -> None:
        self.voice.set_user_channel((guild or self.guild).id, self.user(user).id, None)

    def bot_voice_channel(self, guild: Guild | None = None) -> Channel | None:
        state = (guild or self.guild).voice_states.get(self.world.bot.id)
        return self.world.channels[state.channel_id] if state else None

    async def wait_bot_voice(self, channel: ChannelRef | None) -> None:
        """Wait until the bot is connected in ``channel`` (media key given), or out of voice."""
        target = self.channel(channel) if channel is not None else None

        def settled() -> bool:
            here = self.bot_voice_channel(self.world.guild_of(target) if target else None)
            if target is None:
                return here is None
            live = any(c.key is not None for c in self.voice.connections.values())
            return here is not None and here.id == target.id and live

        await self.wait_for(settled, f"the bot in voice {channel!r}")

    def move_bot(self, channel: ChannelRef) -> None:
        """An admin drags the bot into ``channel``: VOICE_STATE_UPDATE, VOICE_SERVER_UPDATE and
        the old voice websocket closed with 4014. The bot's own op 4 to another channel
        (``VoiceClient.move_to``) gets the same answer; discord.py 2.7.1 then may stall up to
        30 s in IP discovery, because its socket reader still selects on the replaced UDP socket.
        """
        self._force_bot(self.channel(channel).guild_id or self.guild.id, self.channel(channel).id)

    def kick_bot_from_voice(self, guild: Guild | None = None) -> None:
        """An admin disconnects the bot from voice."""
        self._force_bot((guild or self.guild).id, None)

    def _force_bot(self, guild_id: int, channel_id: int | None) -> None:
        state = self.world.guilds[guild_id].voice_states.get(self.world.bot.id)
        if state is None:
            raise RuntimeError("the bot is not in voice")
        self.voice.place_bot(guild_id, channel_id, state.session_id)

    async def audio_in(self, channel: ChannelRef) -> ReceivedAudio:
        """PCM of every utterance the bot finished in ``channel`` since the last call."""
        audio = self.voice.audio(self.channel(channel).id)
        return await self.wait_for(audio.take, f"audio in {channel!r}")

    # --- gateway ------------------------------------------------------------------------------

    async def disconnect_gateway(self, *, resumable: bool = True, code: int = 4000) -> None:
        """Drop the bot's gateway connection; it should RESUME (or IDENTIFY if not resumable)."""
        await self.gateway.disconnect(code=code, resumable=resumable)

    async def wait_gateway(self, *, identifies: int = 1, resumes: int = 0) -> None:
        """Wait until the bot has a live session after at least these many IDENTIFYs/RESUMEs."""

        def reached() -> bool:
            gw = self.gateway
            live = gw.live_session() is not None
            return live and gw.identifies >= identifies and gw.resumes >= resumes

        await self.wait_for(reached, "the bot's gateway session")
