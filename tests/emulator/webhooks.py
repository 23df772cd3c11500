"""Interaction callbacks (types 4-9) and the webhook routes for follow-ups and ``@original``."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from . import payloads
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionRecord,
    choices_problem,
)
from .rest import API, error, json_response, message_from_body, read_message_body
from .state import EPHEMERAL, LOADING, Message, World

CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9
ALLOWED_RESPONSES = {
    APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL},
    AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
}


class InteractionBook:
    """Every interaction the emulator sent, found by ID or by token."""

    def __init__(self) -> None:
        self.by_id: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    def add(self, record: InteractionRecord) -> None:
        self.by_id[record.id] = record
        self.by_token[record.token] = record


class WebhookApi:
    """Answers the bot's side of interactions, enforcing Discord's 3-second first response."""

    def __init__(self, world: World, book: InteractionBook, response_deadline: float) -> None:
        self.world = world
        self.book = book
        self.response_deadline = response_deadline

    def install(self, app: web.Application) -> None:
        hook = API + "/webhooks/{app_id:\\d+}/{token}"
        callback = API + "/interactions/{interaction_id:\\d+}/{token}/callback"
        app.add_routes(
            [
                web.post(callback, self.callback),
                web.post(hook, self.followup),
                web.get(hook + "/messages/{message_id}", self.get_message),
                web.patch(hook + "/messages/{message_id}", self.edit_message),
                web.delete(hook + "/messages/{message_id}", self.delete_message),
            ]
        )

    # --- the first response -------------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        record = self.book.by_id.get(int(request.match_info["interaction_id"]))
        if record is None or record.token != request.match_info["token"]:
            return error(404, 10062, "Unknown interaction")
        late = asyncio.get_running_loop().time() - record.created_at
        if late > self.response_deadline:
            # Discord drops interactions not answered within 3 seconds; slow work must defer.
            record.refusal = f"answered after {late:.2f}s, past the {self.response_deadline}s limit"
            self.world.changed.notify()
            return error(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body, files = await read_message_body(request)
        kind = int(body.get("type", 0))
        data: dict[str, Any] = body.get("data") or {}
        if kind not in ALLOWED_RESPONSES[record.type]:
            return error(400, 50035, f"Invalid Form Body: response type {kind}")
        if kind == AUTOCOMPLETE_RESULT:
            problem = choices_problem(data.get("choices") or [], record.focused_type)
            if problem is not None:
                record.refusal = f"Invalid Form Body: {problem}"
                self.world.changed.notify()
                return error(400, 50035, record.refusal)
        message = self._respond(record, kind, data, files)
        record.response_type = kind
        self.world.changed.notify()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        interaction = {
            "id": str(record.id),
            "type": record.type,
            "response_message_loading": kind == DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            resource["message"] = payloads.message(self.world, message)
        return json_response({"interaction": interaction, "resource": resource})

    def _respond(
        self,
        record: InteractionRecord,
        kind: int,
        data: dict[str, Any],
        files: list[tuple[str, bytes, str]],
    ) -> Message | None:
        if kind in (CHANNEL_MESSAGE, DEFERRED_MESSAGE):
            message = self._new_message(record)
            if kind == CHANNEL_MESSAGE:
                message_from_body(self.world, message, data, files)
            else:
                message.flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
            record.original = message
            return message
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            record.original = record.source_message
            if kind == UPDATE_MESSAGE and record.source_message is not None:
                message_from_body(self.world, record.source_message, data, files)
                record.source_message.edits += 1
            return record.original
        if kind == AUTOCOMPLETE_RESULT:
            record.choices = list(data.get("choices") or [])
        elif kind == MODAL:
            record.modal = data
        return None

    def _new_message(self, record: InteractionRecord) -> Message:
        world = self.world
        message = Message(world.ids.next(), record.channel_id, record.guild_id, world.bot)
        message.webhook_id = message.application_id = world.application_id
        message.interaction_id = record.id
        world.messages[message.id] = message
        return message

    # --- follow-ups and @original -------------------------------------------------------------

    def _record(self, request: web.Request) -> InteractionRecord | None:
        if request.match_info["app_id"] != str(self.world.application_id):
            return None
        record = self.book.by_token.get(request.match_info["token"])
        return record if record is not None and record.response_type is not None else None

    def _target(self, request: web.Request) -> tuple[InteractionRecord | None, Message | None]:
        record = self._record(request)
        if record is None:
            return None, None
        wanted = request.match_info["message_id"]
        if wanted == "@original":
            message = record.original
        else:
            message = next((m for m in record.messages if str(m.id) == wanted), None)
        return record, message if message is not None and not message.deleted else None

    async def followup(self, request: web.Request) -> web.Response:
        record = self._record(request)
        if record is None:
            return error(404, 10015, "Unknown Webhook")
        body, files = await read_message_body(request)
        original = record.original
        if original is not None and original.loading and not original.deleted:
            # The first follow-up after a deferred response replaces the "thinking" message.
            message = original
            flags = original.flags & EPHEMERAL
            message_from_body(self.world, message, body, files)
            message.flags = (message.flags & ~(LOADING | EPHEMERAL)) | flags
            message.edits += 1
        else:
            message = self._new_message(record)
            message_from_body(self.world, message, body, files)
            record.followups.append(message)
        self.world.changed.notify()
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(payloads.message(self.world, message))
        return web.Response(status=204)

    async def get_message(self, request: web.Request) -> web.Response:
        _, message = self._target(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        return json_response(payloads.message(self.world, message))

    async def edit_message(self, request: web.Request) -> web.Response:
        record, message = self._target(request)
        if record is None or message is None:
            return error(404, 10008, "Unknown Message")
        body, files = await read_message_body(request)
        ephemeral = message.flags & EPHEMERAL
        message_from_body(self.world, message, body, files)
        message.flags = (message.flags & ~(LOADING | EPHEMERAL)) | ephemeral
        message.edits += 1
        self.world.changed.notify()
        return json_response(payloads.message(self.world, message))

    async def delete_message(self, request: web.Request) -> web.Response:
        _, message = self._target(request)
        if message is None:
            return error(404, 10008, "Unknown Message")
        message.deleted = True
        self.world.changed.notify()
        return web.Response(status=204)
