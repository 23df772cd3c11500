"""``carillon doctor --live``: ask Discord (or the configured endpoint) what ``run`` would find.

Three checks, each one or more :class:`~bot.ops.checks.Check` lines:

* the token: ``GET /users/@me`` (the bot's name and id, or that Discord refused the token);
* the gateway: ``GET /gateway/bot``, then the websocket ``run`` would open must send HELLO
  (op 10); it is closed at once, without IDENTIFY, so no session start is used;
* the permissions in each server the bot is in (``GET /users/@me/guilds``, then per server
  ``GET /guilds/{id}`` for the roles and ``GET /guilds/{id}/members/{bot}`` for the bot's own):
  guild-wide View Channels, Send Messages, Connect and Speak.

It uses the same endpoints and CA file as the bot (``discord.api_base_url``, ``gateway_url``,
``ca_file``; see :mod:`bot.client.endpoints`), one aiohttp session, a timeout on every request
and one retry after a 429. A failure is a line naming the endpoint and the likely cause, never a
traceback.
"""

from __future__ import annotations

import asyncio
import json
import platform
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import DiscordSettings, Settings
from bot.ops.checks import Check, fail, guarded_async, ok, unexpected, warn

if TYPE_CHECKING:
    import aiohttp

REQUEST_TIMEOUT_S = 10.0
MAX_RETRY_AFTER_S = 30.0  # a longer 429 is reported rather than waited out
MAX_SERVERS = 50  # servers checked in detail (two requests each)

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
CONNECT = 1 << 20
SPEAK = 1 << 21
NEEDED = (
    (VIEW_CHANNEL, "View Channels"),
    (SEND_MESSAGES, "Send Messages"),
    (CONNECT, "Connect"),
    (SPEAK, "Speak"),
)
INVITE_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | CONNECT | SPEAK  # 3148800
ALL_PERMISSIONS = (1 << 64) - 1
DEVELOPER_PORTAL = "https://discord.com/developers/applications"


def invite_url(application_id: int, guild_id: int | None = None) -> str:
    """The OAuth2 URL that adds the bot with the permissions it needs (to ``guild_id`` if given).
    A bot's application id is its user id."""
    url = (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS}"
    )
    if guild_id is not None:
        url += f"&guild_id={guild_id}&disable_guild_select=true"
    return url


def guild_permissions(
    guild_id: int, owner_id: int, roles: dict[int, int], member_role_ids: list[int], user_id: int
) -> int:
    """A member's guild-level permissions: @everyone (the role whose id is the guild's) plus
    each of the member's roles; the owner and an administrator have every permission."""
    if user_id == owner_id:
        return ALL_PERMISSIONS
    value = roles.get(guild_id, 0)
    for role_id in member_role_ids:
        value |= roles.get(role_id, 0)
    return ALL_PERMISSIONS if value & ADMINISTRATOR else value


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Unreachable(Exception):
    def __init__(self, endpoint: str, cause: str) -> None:
        super().__init__(f"cannot reach {endpoint}: {cause}")
        self.endpoint = endpoint
        self.cause = cause


@dataclass(frozen=True)
class Answer:
    path: str
    status: int
    body: Any

    def describe(self) -> str:
        """``GET /x answered 403 Missing Access (code 50001)``."""
        text = ""
        if isinstance(self.body, dict) and self.body.get("message"):
            text = f" {self.body['message']}"
            if self.body.get("code"):
                text += f" (code {self.body['code']})"
        elif isinstance(self.body, str) and self.body.strip():
            text = " " + self.body.strip().splitlines()[0][:120]
        return f"GET {self.path} answered HTTP {self.status}{text}"


def _plain(url: str) -> str:
    """``url`` without any user or password in it (what is printed)."""
    import yarl

    return str(yarl.URL(url).with_user(None))


class Api:
    """GET requests to the REST API, with the bot token, a timeout and one retry after a 429."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session = session
        self.base = base.rstrip("/")
        self.token = token

    @property
    def endpoint(self) -> str:
        return _plain(self.base)

    async def get(self, path: str) -> Answer:
        import aiohttp

        from bot.ops.netcause import describe

        for attempt in (1, 2):
            try:
                async with self.session.get(
                    self.base + path, headers={"Authorization": f"Bot {self.token}"}
                ) as response:
                    raw = await response.read()
                    status = response.status
                    retry_header = response.headers.get("Retry-After")
            except (aiohttp.ClientError, OSError, ssl.SSLError, TimeoutError) as exc:
                raise Unreachable(self.endpoint, describe(exc)) from exc
            body = _decode(raw)
            if status == 429 and attempt == 1:
                wait = _retry_after(body, retry_header)
                if wait is not None and wait <= MAX_RETRY_AFTER_S:
                    await asyncio.sleep(wait)
                    continue
            return Answer(path, status, body)
        raise AssertionError("unreachable")  # pragma: no cover


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _retry_after(body: Any, header: str | None) -> float | None:
    """Seconds to wait: the body's ``retry_after`` (exact), else the ``Retry-After`` header."""
    for value in (body.get("retry_after") if isinstance(body, dict) else None, header):
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return None


def _unreachable_fix(configured: str | None, what: str) -> str:
    if configured is not None:
        return f"check discord.{what} ({configured}) and that the service there runs"
    return "check this machine's network, DNS, proxy and firewall (discord.com must be reachable)"


def _user_agent() -> str:
    import aiohttp
    import discord

    return (
        f"DiscordBot (https://github.com/Rapptz/discord.py {discord.__version__}) "
        f"Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
    )


async def live_checks(settings: Settings) -> list[Check]:
    """The live checks, in order; the settings must hold a well-formed token."""
    import aiohttp

    from bot.client.endpoints import DEFAULT_API_BASE_URL, make_ssl_context

    discord_settings = settings.discord
    token = discord_settings.token
    assert token is not None
    try:
        ssl_option: ssl.SSLContext | bool = (
            make_ssl_context(discord_settings.ca_file) if discord_settings.ca_file else True
        )
    except ValueError as exc:
        return [fail("Discord", str(exc), "set discord.ca_file to a readable PEM file")]
    connector = aiohttp.TCPConnector(ssl=ssl_option)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers={"User-Agent": _user_agent()}
    ) as session:
        api = Api(session, discord_settings.api_base_url or DEFAULT_API_BASE_URL, token)
        try:
            first, bot_id = await _token(api, discord_settings)
        except Exception as exc:
            return [unexpected("Discord token", exc)]
        if bot_id is None:
            return [first]  # nothing else can be asked without a working token and API
        checks = [first]
        checks += await guarded_async(
            "Discord gateway", lambda: _gateway(api, session, discord_settings.gateway_url)
        )
        checks += await guarded_async("servers", lambda: _servers(api, bot_id))
        return checks


async def _token(api: Api, discord_settings: DiscordSettings) -> tuple[Check, int | None]:
    """The token line, and the bot's id when Discord accepted the token."""
    name = "Discord token"
    try:
        me = await api.get("/users/@me")
    except Unreachable as exc:
        fix = _unreachable_fix(discord_settings.api_base_url, "api_base_url")
        return fail("Discord API", f"cannot reach {exc.endpoint}: {exc.cause}", fix), None
    if me.status == 401:
        return (
            fail(
                name,
                "Discord refused the token (401 Unauthorized)",
                f"copy a fresh token from the Bot page of your application ({DEVELOPER_PORTAL})"
                " into DISCORD_TOKEN",
            ),
            None,
        )
    if me.status != 200 or not isinstance(me.body, dict) or "id" not in me.body:
        return fail(name, me.describe(), "run doctor --live again later"), None
    bot_id = int(me.body["id"])
    username = str(me.body.get("username") or "?")
    discriminator = str(me.body.get("discriminator") or "0")
    shown = username if discriminator == "0" else f"{username}#{discriminator}"
    detail = f"Discord accepts it: the bot is {shown} (id {bot_id})"
    if me.body.get("bot") is False:
        return fail(name, f"{detail}, but that is not a bot account", "use the bot's token"), None
    return ok(name, detail), bot_id


async def _gateway(api: Api, session: aiohttp.ClientSession, configured: str | None) -> list[Check]:
    import aiohttp
    import yarl

    from bot.client.endpoints import DEFAULT_GATEWAY_URL
    from bot.ops.netcause import describe

    name = "Discord gateway"
    try:
        answer = await api.get("/gateway/bot")
    except Unreachable as exc:
        return [fail(name, f"cannot reach {exc.endpoint}: {exc.cause}")]
    if answer.status != 200 or not isinstance(answer.body, dict):
        return [fail(name, answer.describe(), "run doctor --live again later")]
    limit = answer.body.get("session_start_limit") or {}
    # What the bot connects to: a plain discord.py Client uses its default gateway (or
    # discord.gateway_url), not the URL /gateway/bot names.
    url = configured or DEFAULT_GATEWAY_URL
    shown = _plain(url)
    target = yarl.URL(url).with_query({"v": "10", "encoding": "json"})
    fix = _unreachable_fix(configured, "gateway_url") + "; websockets must be allowed through"
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S * 2):
            async with session.ws_connect(target, autoclose=True, autoping=True) as ws:
                message = await ws.receive(timeout=REQUEST_TIMEOUT_S)
                await ws.close()
    except aiohttp.WSServerHandshakeError as exc:
        return [fail(name, f"{shown} refused the websocket (HTTP {exc.status})", fix)]
    except (aiohttp.ClientError, OSError, ssl.SSLError, TimeoutError) as exc:
        return [fail(name, f"cannot open the gateway websocket {shown}: {describe(exc)}", fix)]
    hello = _frame(message)
    if hello is None or hello.get("op") != 10:
        if hello is not None:
            got = f"op {hello.get('op')}"
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            got = f"the websocket closed (code {message.data or ws.close_code})"
        else:
            got = f"a {message.type.name.lower()} frame that is not JSON"
        return [fail(name, f"{shown} did not send HELLO (op 10) first: got {got}", fix)]
    interval = (hello.get("d") or {}).get("heartbeat_interval")
    detail = f"{shown} answered HELLO"
    if isinstance(interval, int | float):
        detail += f" (heartbeat every {interval / 1000:.1f} s)"
    remaining, total = limit.get("remaining"), limit.get("total")
    if isinstance(remaining, int) and isinstance(total, int):
        if remaining <= 0:
            reset = float(limit.get("reset_after") or 0) / 1000
            return [
                fail(
                    name,
                    f"{detail}, but no session start is left of {total} (resets in {reset:.0f} s)",
                    "wait until then; a bot that restarts in a loop uses them up",
                )
            ]
        detail += f"; {remaining} of {total} session starts left"
    return [ok(name, detail)]


def _frame(message: Any) -> dict[str, Any] | None:
    import aiohttp

    if message.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
        return None
    try:
        frame = json.loads(message.data)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


async def _servers(api: Api, bot_id: int) -> list[Check]:
    name = "servers"
    try:
        answer = await api.get("/users/@me/guilds?limit=200")
    except Unreachable as exc:
        return [fail(name, f"cannot reach {exc.endpoint}: {exc.cause}")]
    if answer.status != 200 or not isinstance(answer.body, list):
        return [fail(name, answer.describe(), "run doctor --live again later")]
    guilds = [g for g in answer.body if isinstance(g, dict) and "id" in g]
    if not guilds:
        return [
            warn(
                name,
                "the bot is in no server yet",
                f"invite it to your server: {invite_url(bot_id)}",
            )
        ]
    checks: list[Check] = []
    for guild in guilds[:MAX_SERVERS]:
        try:
            checks += await _server(api, bot_id, guild)
        except Exception as exc:
            checks.append(unexpected("server", exc))
    if len(guilds) > MAX_SERVERS:
        more = "+" if len(guilds) >= 200 else ""
        checks.append(ok(name, f"checked the first {MAX_SERVERS} of {len(guilds)}{more} servers"))
    return checks


async def _server(api: Api, bot_id: int, partial: dict[str, Any]) -> list[Check]:
    guild_id = int(partial["id"])
    label = f"{partial.get('name') or '?'} ({guild_id})"
    try:
        guild = await api.get(f"/guilds/{guild_id}")
        member = await api.get(f"/guilds/{guild_id}/members/{bot_id}")
    except Unreachable as exc:
        return [fail("server", f"{label}: cannot reach {exc.endpoint}: {exc.cause}")]
    for answer in (guild, member):
        if answer.status != 200 or not isinstance(answer.body, dict):
            return [fail("server", f"{label}: {answer.describe()}", "run doctor --live again")]
    roles = {
        int(role["id"]): int(role.get("permissions") or 0)
        for role in guild.body.get("roles") or []
        if isinstance(role, dict) and "id" in role
    }
    member_roles = [int(r) for r in member.body.get("roles") or []]
    owner_id = int(guild.body.get("owner_id") or 0)
    value = guild_permissions(guild_id, owner_id, roles, member_roles, bot_id)
    missing = [title for bit, title in NEEDED if not value & bit]
    if not missing:
        return [ok("server", f"{label}: can {_and([title for _, title in NEEDED])}")]
    has = [title for bit, title in NEEDED if value & bit]
    detail = f"{label}: missing {_and(missing)}" + (f" (has {_and(has)})" if has else "")
    return [
        fail(
            "server",
            detail,
            f"give the bot's role {_and(missing)} in Server Settings > Roles, or re-invite it "
            f"with {invite_url(bot_id, guild_id)}",
        )
    ]
