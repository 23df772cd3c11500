"""The REST API: identity, gateway discovery, command sync, channel and DM messages, the CDN.

The bot token opens every route; an OAuth2 bearer token only those in ``oauth.BEARER_RULES``
(``/users/@me``, ``/users/@me/guilds``, ...), as its scopes allow: elsewhere Discord's 401.
Interaction callbacks and webhook follow-ups live in ``webhooks.py``, OAuth2 in ``oauth.py``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import payloads
from .faults import Faults
from .state import Attachment, Channel, Guild, Message, User, World

if TYPE_CHECKING:
    from .oauth import Grant, OAuth2

API = r"/api/{version:v\d+}"
_API_PREFIX = re.compile(r"^/api(?:/v\d+)?(?=/|$)")
# Where the middleware leaves a bearer token's grant for the handler. aiohttp >= 3.13 wants a
# typed key for request storage (it warns on strings); older versions have only strings.
OAUTH_GRANT: Any = (
    web.RequestKey("oauth_grant", object) if hasattr(web, "RequestKey") else "oauth_grant"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": with "; charset=utf-8" (aiohttp's json_response) discord.py
    # treats the body as text.
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"message": message, "code": code}, status)


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int
    body: Any
    auth: str = "bot"  # "bot", "bearer", "client" (OAuth2 token endpoints), "none" or "invalid"


Files = list[tuple[str, bytes, str]]


async def read_message_body(request: web.Request) -> tuple[dict[str, Any], Files]:
    """A message body sent as JSON or as multipart (``payload_json`` plus ``files[n]``)."""
    if request.content_type != "multipart/form-data":
        if not request.can_read_body:
            return {}, []
        return await request.json(), []
    payload: dict[str, Any] = {}
    files: list[tuple[str, bytes, str]] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue  # nested multipart: discord.py never sends it
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        elif part.filename:
            ctype = part.headers.get("Content-Type", "application/octet-stream")
            files.append((part.filename, await part.read(), ctype))
    return payload, files


def message_from_body(
    world: World,
    message: Message,
    body: dict[str, Any],
    files: list[tuple[str, bytes, str]],
) -> Message:
    """Apply a create or edit body to ``message`` (only the keys present change)."""
    if "content" in body:
        message.content = body["content"] or ""
    if "embeds" in body:
        message.embeds = body["embeds"] or []
    if "components" in body:
        message.components = body["components"] or []
    if "flags" in body and body["flags"] is not None:
        message.flags = (message.flags & ~0xFFFF) | int(body["flags"])
    if files or "attachments" in body:
        keep = {str(a.get("id")) for a in body.get("attachments") or []}
        message.attachments = [a for a in message.attachments if str(a.id) in keep]
        for filename, data, ctype in files:
            attachment_id = world.ids.next()
            url = f"{world.cdn_base}/attachments/{attachment_id}/{filename}"
            attachment = Attachment(attachment_id, filename, ctype, data, url)
            world.attachments[attachment_id] = attachment
            message.attachments.append(attachment)
    return message


def _bucket(request: web.Request) -> str:
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else request.path
    return f"{request.method}:{canonical}".encode().hex()[:32]


class RestApi:
    """Routes under ``/api/v10``; every response carries rate-limit headers."""

    def __init__(
        self, world: World, faults: Faults, token: str, owner: User, oauth: OAuth2 | None = None
    ) -> None:
        self.world = world
        self.faults = faults
        self.token = token
        self.owner = owner
        self.oauth = oauth
        self.gateway_url = ""
        self.requests: list[RequestRecord] = []

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._middleware)
        get, put, post = web.get, web.put, web.post
        routes = [
            get(API + "/users/@me", self.get_me),
            get(API + "/users/{user_id:\\d+}", self.get_user),
            get(API + "/oauth2/applications/@me", self.get_application),
            get(API + "/applications/@me", self.get_application),
            get(API + "/gateway", self.get_gateway),
            get(API + "/gateway/bot", self.get_gateway_bot),
            get(API + "/applications/{app_id}/commands", self.get_commands),
            put(API + "/applications/{app_id}/commands", self.put_commands),
            get(API + "/applications/{app_id}/guilds/{guild_id}/commands", self.get_commands),
            put(API + "/applications/{app_id}/guilds/{guild_id}/commands", self.put_commands),
            get(API + "/guilds/{guild_id}/members/{user_id}", self.get_member),
            get(API + "/users/@me/guilds", self.list_my_guilds),
            get(API + "/guilds/{guild_id}", self.get_guild),
            get(API + "/guilds/{guild_id}/roles", self.list_roles),
            get(API + "/channels/{channel_id}", self.get_channel),
            get(API + "/channels/{channel_id}/messages", self.list_messages),
            post(API + "/channels/{channel_id}/messages", self.create_message),
            get(API + "/channels/{channel_id}/messages/{message_id}", self.get_message),
            web.patch(API + "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            web.delete(API + "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            post(API + "/users/@me/channels", self.open_dm),
            get("/cdn/attachments/{attachment_id}/{filename}", self.cdn),
        ]
        app.add_routes(routes)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/api/"):
            return await handler(request)
        match = _API_PREFIX.match(request.path)
        path = (request.path[match.end() :] if match else request.path) or "/"
        response: web.StreamResponse | None = self.faults.take_http(request.method, path)
        auth = self._authenticate(request, path)
        if response is None:
            if auth == "invalid":
                response = error(401, 0, "401: Unauthorized")
            else:
                try:
                    response = await handler(request)
                except web.HTTPNotFound:
                    response = error(404, 0, "404: Not Found")
                except web.HTTPMethodNotAllowed:
                    response = error(405, 0, "405: Method Not Allowed")
        if response.status != 429:
            reset = time.time() + 1
            response.headers.update(
                {
                    "X-RateLimit-Limit": "50",
                    "X-RateLimit-Remaining": "49",
                    "X-RateLimit-Reset": f"{reset:.3f}",
                    "X-RateLimit-Reset-After": "1.000",
                    "X-RateLimit-Bucket": _bucket(request),
                }
            )
        body = getattr(response, "text", None) if isinstance(response, web.Response) else None
        self.requests.append(RequestRecord(request.method, path, response.status, body, auth))
        return response

    def _authenticate(self, request: web.Request, path: str) -> str:
        """How the request authenticates ("invalid" means Discord's 401). A bearer token's
        grant is left in ``request[OAUTH_GRANT]`` for the handler."""
        header = request.headers.get("Authorization", "")
        if path.startswith(("/interactions/", "/webhooks/")):
            return "none"  # the interaction token in the path is the credential
        oauth = self.oauth
        if oauth is not None and oauth.is_token_endpoint(path):
            return "client"  # the client id and secret are checked by the endpoint
        if header == f"Bot {self.token}":
            return "bot" if oauth is None or oauth.bot_allowed(request.method, path) else "invalid"
        if oauth is not None and header.startswith("Bearer "):
            grant = oauth.bearer(request.method, path, header.removeprefix("Bearer "))
            if grant is not None:
                request[OAUTH_GRANT] = grant
                return "bearer"
        return "invalid"

    def _grant(self, request: web.Request) -> Grant | None:
        grant: Grant | None = request.get(OAUTH_GRANT)
        return grant

    # --- identity and discovery ---------------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        grant = self._grant(request)
        if grant is not None and self.oauth is not None:
            return json_response(self.oauth.user_payload(grant))
        return json_response(payloads.client_user(self.world.bot))

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.world.users.get(int(request.match_info["user_id"]))
        return json_response(payloads.user(user)) if user else error(404, 10013, "Unknown User")

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(payloads.application(self.world, self.owner))

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    # --- commands -----------------------------------------------------------------------------

    def _command_scope(self, request: web.Request) -> int | None | web.Response:
        if request.match_info["app_id"] != str(self.world.application_id):
            return error(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return None
        if int(guild_id) not in self.world.guilds:
            return error(403, 50001, "Missing Access")
        return int(guild_id)

    async def get_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        if isinstance(scope, web.Response):
            return scope
        found = [c for c in self.world.commands.values() if c.guild_id == scope]
        return json_response([payloads.command(c) for c in found])

    async def put_commands(self, request: web.Request) -> web.Response:
        scope = self._command_scope(request)
        if isinstance(scope, web.Response):
            return scope
        body = await request.json()
        names = [c["name"] for c in body]
        if len(names) != len(set(names)) or len(names) > 100:
            return error(400, 50035, "Invalid Form Body")
        created = self.world.replace_commands(scope, body)
        return json_response([payloads.command(c) for c in created])

    # --- guilds and channels ------------------------------------------------------------------

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self.world.guilds.get(int(request.match_info["guild_id"]))
        member = guild.members.get(int(request.match_info["user_id"])) if guild else None
        if member is None:
            return error(404, 10007, "Unknown Member")
        return json_response(payloads.member(member))

    async def list_my_guilds(self, request: web.Request) -> web.Response:
        """The caller's servers as partial guilds, by id, paged like Discord (``before``/``after``,
        ``limit`` 1-200, default 200; ``with_counts``). The caller is the bot, or with a bearer
        token (``guilds`` scope) its user. ``permissions`` is the caller's guild-level total, as
        the world is now."""
        try:
            limit = int(request.query.get("limit", "200"))
            after = int(request.query.get("after", "0"))
            before = int(request.query["before"]) if "before" in request.query else None
        except ValueError:
            return error(400, 50035, "Invalid Form Body")
        if not 1 <= limit <= 200:
            return error(400, 50035, "Invalid Form Body")
        grant = self._grant(request)
        caller = grant.user if grant is not None else self.world.bot
        counts = request.query.get("with_counts") in ("true", "True", "1")
        mine = sorted(
            (g for g in self.world.guilds.values() if caller.id in g.members), key=lambda g: g.id
        )
        if before is not None:
            mine = [g for g in mine if g.id < before][-limit:]
        else:
            mine = [g for g in mine if g.id > after][:limit]
        found = []
        for g in mine:
            data: dict[str, Any] = {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": g.owner_id == caller.id,
                "permissions": str(self.world.permissions(g, caller.id)),
                "features": [],
            }
            if counts:
                data.update(approximate_member_count=len(g.members), approximate_presence_count=0)
            found.append(data)
        return json_response(found)

    def _visible_guild(self, request: web.Request) -> Guild | web.Response:
        """The guild in the path if the bot is in it; else Discord's 404 or 403."""
        guild = self.world.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            return error(404, 10004, "Unknown Guild")
        if self.world.bot.id not in guild.members:
            return error(403, 50001, "Missing Access")
        return guild

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._visible_guild(request)
        if isinstance(guild, web.Response):
            return guild
        data = payloads.guild_create(self.world, guild)
        for gateway_only in (
            "joined_at", "large", "unavailable", "member_count", "members", "channels",
            "threads", "presences", "voice_states", "stage_instances",
            "guild_scheduled_events", "soundboard_sounds",
        ):  # fmt: skip
            data.pop(gateway_only, None)
        data.update(
            application_id=None,
            widget_enabled=False,
            max_members=500000,
            vanity_url_code=None,
            description=None,
            premium_subscription_count=0,
            premium_progress_bar_enabled=False,
        )
        return json_response(data)

    async def list_roles(self, request: web.Request) -> web.Response:
        guild = self._visible_guild(request)
        if isinstance(guild, web.Response):
            return guild
        return json_response([payloads.role(r) for r in guild.roles.values()])

    def _channel(self, request: web.Request) -> Channel | None:
        return self.world.channels.get(int(request.match_info["channel_id"]))

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        return json_response(payloads.channel(channel, self.world))

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        limit = int(request.query.get("limit", "50"))
        found = sorted(self.world.channel_messages(channel.id), key=lambda m: -m.id)[:limit]
        return json_response([payloads.message(self.world, m) for m in found])

    async def create_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel is None:
            return error(404, 10003, "Unknown Channel")
        body, files = await read_message_body(request)
        if not (body.get("content") or body.get("embeds") or files or body.get("components")):
            return error(400, 50006, "Cannot send an empty message")
        message = Message(self.world.ids.next(), channel.id, channel.guild_id, self.world.bot)
        message_from_body(self.world, message, body, files)
        self.world.messages[message.id] = message
        self.world.changed.notify()
        return json_response(payloads.message(self.world, message))

    def _message(self, request: web.Request) -> Message | None:
        message = self.world.messages.get(int(request.match_info["message_id"]))
        if message is None or message.deleted:
            return None
        return message if str(message.channel_id) == request.match_info["channel_id"] else None

    async def get_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        return json_response(payloads.message(self.world, message))

    async def edit_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        if message.author.id != self.world.bot.id:
            return error(403, 50005, "Cannot edit a message authored by another user")
        body, files = await read_message_body(request)
        message_from_body(self.world, message, body, files)
        message.edits += 1
        self.world.changed.notify()
        return json_response(payloads.message(self.world, message))

    async def delete_message(self, request: web.Request) -> web.Response:
        message = self._message(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        message.deleted = True
        self.world.changed.notify()
        return web.Response(status=204)

    async def open_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.world.users.get(int(body["recipient_id"]))
        if user is None:
            return error(400, 50035, "Invalid Form Body")
        return json_response(payloads.channel(self.world.dm_channel(user), self.world))

    async def cdn(self, request: web.Request) -> web.Response:
        attachment = self.world.attachments.get(int(request.match_info["attachment_id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="not found")
        return web.Response(body=attachment.data, content_type=attachment.content_type)
