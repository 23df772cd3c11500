"""Voice: op 4 on the main gateway, the voice websocket (gateway v8) and the UDP media socket."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import secrets
import struct
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import WSMsgType, web

from . import payloads
from .audio import ChannelAudio, decrypt_rtpsize, is_rtp, rtp_ssrc
from .faults import Faults, VoiceStall
from .gateway import VOICE_STATES_INTENT, Gateway, GatewaySession
from .state import VOICE_CHANNEL, VoiceState, World

log = logging.getLogger(__name__)

IDENTIFY, SELECT_PROTOCOL, READY, HEARTBEAT, SESSION_DESCRIPTION, SPEAKING = 0, 1, 2, 3, 4, 5
HEARTBEAT_ACK, RESUME, HELLO, RESUMED = 6, 7, 8, 9
# discord.py 2.7.1 skips the first mode it does not know, which checks it reads the list.
OFFERED_MODES = ["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"]
SUPPORTED_MODES = {"aead_xchacha20_poly1305_rtpsize"}


@dataclass
class VoiceGrant:
    """What a VOICE_SERVER_UPDATE promised: the token the voice IDENTIFY must bring."""

    guild_id: int
    user_id: int
    session_id: str


@dataclass
class VoiceConnection:
    ssrc: int
    guild_id: int
    user_id: int
    session_id: str
    token: str
    ws: web.WebSocketResponse
    key: bytes | None = None
    mode: str | None = None
    speaking: int = 0


class VoiceUdp(asyncio.DatagramProtocol):
    def __init__(self, server: VoiceServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if len(data) == 74 and data[:4] == struct.pack(">HH", 1, 70):
            # IP discovery: echo the address and port we saw, as Discord does.
            ssrc = struct.unpack_from(">I", data, 4)[0]
            reply = struct.pack(">HHI", 2, 70, ssrc) + str(addr[0]).encode().ljust(64, b"\0")
            assert self.transport is not None
            self.transport.sendto(reply + struct.pack(">H", addr[1]), addr)
        elif is_rtp(data):
            self.server.on_rtp(data)


class VoiceServer:
    def __init__(self, world: World, gateway: Gateway, faults: Faults) -> None:
        self.world = world
        self.gateway = gateway
        self.faults = faults
        self.endpoint = ""  # "127.0.0.1:PORT" of the TLS websocket
        self.udp_port = 0
        self.grants: dict[str, VoiceGrant] = {}
        self.connections: dict[int, VoiceConnection] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.channels: dict[int, ChannelAudio] = {}
        self.requests: list[tuple[int, int | None]] = []  # (guild, channel) of every op 4
        self.identifies = 0
        self.decrypt_errors = 0
        self._ssrcs = itertools.count(1000)
        self._udp: VoiceUdp | None = None
        self._closing: set[asyncio.Task[bool]] = set()
        gateway.on_voice_state = self.on_voice_state

    def install(self, app: web.Application) -> None:
        # discord.py always dials wss://{endpoint}/?v=8
        app.add_routes([web.get("/", self.handle)])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: VoiceUdp(self), local_addr=("127.0.0.1", 0)
        )
        self._udp = protocol
        self.udp_port = transport.get_extra_info("sockname")[1]

    async def close(self) -> None:
        for task in list(self._closing):
            task.cancel()
        await asyncio.gather(*self._closing, return_exceptions=True)
        for ws in list(self.sockets):
            await ws.close(code=1001)
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()

    def audio(self, channel_id: int) -> ChannelAudio:
        return self.channels.setdefault(channel_id, ChannelAudio(channel_id))

    # --- op 4 on the main gateway, and an admin moving the bot ---------------------------------

    def on_voice_state(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self.world.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        channel_id = data.get("channel_id")
        self.requests.append((guild.id, int(channel_id) if channel_id is not None else None))
        self.world.changed.notify()
        if data.get("channel_id") is None:
            # The bot leaves and closes its own voice websocket. Without this answer
            # discord.py's disconnect() waits its whole timeout.
            guild.voice_states.pop(self.world.bot.id, None)
            self._dispatch_state(guild.id, self.world.bot.id)
            return
        if self.faults.voice_stall is VoiceStall.GATEWAY:
            return
        channel = guild.channels.get(int(data["channel_id"]))
        if channel is None or channel.type != VOICE_CHANNEL:
            return
        mute, deaf = bool(data.get("self_mute")), bool(data.get("self_deaf"))
        self.place_bot(guild.id, channel.id, session.id, self_mute=mute, self_deaf=deaf)

    def place_bot(
        self,
        guild_id: int,
        channel_id: int | None,
        session_id: str,
        *,
        self_mute: bool = False,
        self_deaf: bool = False,
    ) -> None:
        """Put the bot in ``channel_id`` and tell it, as Discord does; with ``None`` it is
        disconnected by force (an admin's "Disconnect"), which also closes its voice websocket."""
        guild, bot = self.world.guilds[guild_id], self.world.bot
        previous = guild.voice_states.get(bot.id)
        if channel_id is None:
            guild.voice_states.pop(bot.id, None)
            self._dispatch_state(guild_id, bot.id)
            self._close_bot_sockets(guild_id)
            return
        state = VoiceState(bot.id, channel_id, session_id, self_mute, self_deaf)
        guild.voice_states[bot.id] = state
        self._dispatch_state(guild_id, bot.id)
        token = secrets.token_hex(16)
        self.grants[token] = VoiceGrant(guild_id, bot.id, session_id)
        update = {"token": token, "guild_id": str(guild_id), "endpoint": self.endpoint}
        self.gateway.dispatch("VOICE_SERVER_UPDATE", update)
        if previous is not None and previous.channel_id != channel_id:
            # A move ends the old voice session: its websocket is closed with 4014.
            self._close_bot_sockets(guild_id)

    def _close_bot_sockets(self, guild_id: int) -> None:
        for connection in list(self.connections.values()):
            if connection.guild_id == guild_id and connection.user_id == self.world.bot.id:
                self.connections.pop(connection.ssrc, None)
                # discord.py answers the close frame only after its reconnect, so closing must
                # not hold up the gateway frame that caused it.
                task = asyncio.create_task(
                    connection.ws.close(code=4014, message=b"Disconnected."),
                    name=f"emulator-voice-close-{connection.ssrc}",
                )
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    def _dispatch_state(self, guild_id: int, user_id: int) -> None:
        guild = self.world.guilds[guild_id]
        state = guild.voice_states.get(user_id)
        body = payloads.voice_state(guild, state, user_id)
        self.gateway.dispatch("VOICE_STATE_UPDATE", body, intent=VOICE_STATES_INTENT)
        self.world.changed.notify()

    def set_user_channel(self, guild_id: int, user_id: int, channel_id: int | None) -> None:
        """A human joins, moves or (``None``) leaves voice."""
        guild = self.world.guilds[guild_id]
        if channel_id is None:
            guild.voice_states.pop(user_id, None)
        else:
            guild.voice_states[user_id] = VoiceState(user_id, channel_id, secrets.token_hex(16))
        self._dispatch_state(guild_id, user_id)

    # --- the voice websocket ------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        if request.query.get("v") != "8":
            await ws.close(code=4012, message=b"unknown protocol version")
            return ws
        self.sockets.add(ws)
        sequence = itertools.count(1)
        connection: VoiceConnection | None = None

        async def send(op: int, data: Any) -> None:
            await ws.send_str(json.dumps({"op": op, "d": data, "seq": next(sequence)}))

        try:
            await send(HELLO, {"v": 8, "heartbeat_interval": 13_750})
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                op, data = frame.get("op"), frame.get("d") or {}
                if op == IDENTIFY:
                    connection = self._identify(data, ws)
                    if connection is None:
                        await ws.close(code=4004, message=b"authentication failed")
                        break
                    if self.faults.voice_stall is VoiceStall.WEBSOCKET:
                        continue
                    await send(READY, self._ready(connection))
                elif connection is None or self.faults.voice_stall is VoiceStall.WEBSOCKET:
                    continue
                elif op == SELECT_PROTOCOL:
                    mode = data.get("data", {}).get("mode")
                    if mode not in SUPPORTED_MODES:
                        await ws.close(code=4016, message=b"unknown encryption mode")
                        break
                    connection.mode, connection.key = mode, os.urandom(32)
                    await send(SESSION_DESCRIPTION, self._session_description(connection))
                elif op == HEARTBEAT:
                    nonce = data.get("t") if isinstance(data, dict) else data
                    await send(HEARTBEAT_ACK, {"t": nonce})
                elif op == SPEAKING:
                    connection.speaking = int(data.get("speaking", 0))
                    self.world.changed.notify()
                elif op == RESUME:
                    await send(RESUMED, None)
        except ConnectionError:
            log.debug("voice websocket dropped")
        finally:
            self.sockets.discard(ws)
            if connection is not None:
                self.connections.pop(connection.ssrc, None)
            with contextlib.suppress(ConnectionError):
                await ws.close()
            self.world.changed.notify()
        return ws

    def _identify(self, data: dict[str, Any], ws: web.WebSocketResponse) -> VoiceConnection | None:
        token = str(data.get("token"))
        grant = self.grants.get(token)
        if grant is None or str(grant.guild_id) != str(data.get("server_id")):
            return None
        if str(grant.user_id) != str(data.get("user_id")) or grant.session_id != data.get(
            "session_id"
        ):
            return None
        self.identifies += 1
        connection = VoiceConnection(
            next(self._ssrcs), grant.guild_id, grant.user_id, grant.session_id, token, ws
        )
        self.connections[connection.ssrc] = connection
        return connection

    def _ready(self, connection: VoiceConnection) -> dict[str, Any]:
        return {
            "ssrc": connection.ssrc,
            "ip": "127.0.0.1",
            "port": self.udp_port,
            "modes": OFFERED_MODES,
            "experiments": [],
        }

    def _session_description(self, connection: VoiceConnection) -> dict[str, Any]:
        assert connection.key is not None
        return {
            "mode": connection.mode,
            "secret_key": list(connection.key),
            "audio_codec": "opus",
            "video_codec": "H264",
            "media_session_id": secrets.token_hex(8),
            # 0: no DAVE end-to-end layer, the payload inside the transport encryption is Opus.
            "dave_protocol_version": 0,
        }

    # --- UDP media ----------------------------------------------------------------------------

    def on_rtp(self, datagram: bytes) -> None:
        connection = self.connections.get(rtp_ssrc(datagram))
        if connection is None or connection.key is None:
            return
        try:
            packet = decrypt_rtpsize(datagram, connection.key)
        except Exception:
            self.decrypt_errors += 1
            log.exception("could not decrypt an RTP packet from ssrc %s", connection.ssrc)
            return
        state = self.world.guilds[connection.guild_id].voice_states.get(connection.user_id)
        if state is None:
            return
        if self.audio(state.channel_id).feed(packet):
            self.world.changed.notify()
