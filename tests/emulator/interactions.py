"""Interactions the test side starts, built from the commands the bot registered.

The emulator checks what the Discord client would check before sending an interaction (the command
exists, required options are there, values fit their type, choices, ranges and channel types, and
``default_member_permissions``), so a test cannot send what a real user could not.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, cast

from . import payloads
from .state import Attachment, Channel, Command, Guild, Message, Role, User, World

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
MAX_CHOICES = 25  # an autocomplete answer offers at most 25 choices
CHOICE_LENGTH = 100  # a choice's name is 1-100 characters, a string value at most 100
PLAIN_TYPES: dict[int, type | tuple[type, ...]] = {
    STRING: str,
    INTEGER: int,
    NUMBER: (int, float),
    BOOLEAN: bool,
}


class CommandRefused(Exception):
    """The Discord client would not send this (unknown command, bad option, no access)."""


class AnswerRefused(Exception):
    """Discord refused the bot's answer to an interaction (too late, or an invalid body)."""


@dataclass
class Upload:
    """A file a user attaches to an ``attachment`` option."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass
class InteractionRecord:
    """One interaction and everything the bot answered to it."""

    id: int
    token: str
    type: int
    user: User
    guild_id: int | None
    channel_id: int
    created_at: float
    source_message: Message | None = None
    response_type: int | None = None
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None
    focused_type: int | None = None  # autocomplete: the type of the option being typed into
    refusal: str | None = None  # why Discord refused the bot's first answer, if it did

    @property
    def messages(self) -> list[Message]:
        """The original response (if any) and the follow-ups, in order."""
        return ([self.original] if self.original else []) + self.followups


@dataclass
class Reply:
    """What a user sees as the bot's answer to an interaction (``message`` is None for a modal)."""

    interaction: InteractionRecord
    message: Message | None

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message else []

    @property
    def ephemeral(self) -> bool:
        return bool(self.message and self.message.ephemeral)

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.message.components if self.message else []

    @property
    def attachments(self) -> list[Attachment]:
        return self.message.attachments if self.message else []

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.interaction.modal

    @property
    def text(self) -> str:
        """Content plus embed titles, descriptions and fields, for loose assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for f in embed.get("fields", []):
                parts += [f.get("name", ""), f.get("value", "")]
        return "\n".join(p for p in parts if p)


def find_command(world: World, guild: Guild | None, path: str) -> tuple[Command, list[str]]:
    """The registered command for ``"group sub"`` and the names below the top level."""
    top, *rest = path.split()
    guild_id = guild.id if guild else None
    # A guild command shadows a global one of the same name in the client's picker.
    candidates = sorted(
        (c for c in world.commands_for(guild_id) if c.name == top and c.data.get("type", 1) == 1),
        key=lambda c: c.guild_id is None,
    )
    if not candidates:
        raise CommandRefused(f"no slash command /{top} is registered for this guild")
    return candidates[0], rest


def new_record(
    world: World, type_: int, user: User, channel: Channel, now: float
) -> InteractionRecord:
    token = "itok_" + secrets.token_urlsafe(24)
    guild_id = channel.guild_id
    return InteractionRecord(world.ids.next(), token, type_, user, guild_id, channel.id, now)


def interaction_payload(
    world: World, record: InteractionRecord, channel: Channel, data: dict[str, Any]
) -> dict[str, Any]:
    """The INTERACTION_CREATE body discord.py 2.7.1 needs (``attachment_size_limit`` included)."""
    payload: dict[str, Any] = {
        "id": str(record.id),
        "application_id": str(world.application_id),
        "type": record.type,
        "data": data,
        "channel_id": str(channel.id),
        "channel": payloads.channel(channel, world),
        "token": record.token,
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(channel.guild_id or 0)},
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    guild = world.guild_of(channel)
    if guild is not None:
        member = guild.members[record.user.id]
        payload.update(
            guild_id=str(guild.id),
            guild_locale="en-US",
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            member=payloads.member(member, permissions=world.permissions(guild, record.user.id)),
            app_permissions=str(world.permissions(guild, world.bot.id)),
            context=0,
        )
    else:
        payload.update(user=payloads.user(record.user), app_permissions="0", context=1)
    if record.source_message is not None:
        payload["message"] = payloads.message(world, record.source_message)
    return payload


def command_data(
    world: World,
    command: Command,
    sub_path: list[str],
    values: dict[str, Any],
    guild: Guild | None,
    focused: str | None = None,
) -> dict[str, Any]:
    """``data`` of a slash or autocomplete interaction, with nested sub-command options."""
    schema: list[dict[str, Any]] = command.data.get("options", [])
    chain: list[tuple[int, str]] = []
    for name in sub_path:
        option = next((o for o in schema if o["name"] == name), None)
        if option is None or option["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            raise CommandRefused(f"/{command.name} has no sub-command {name!r}")
        chain.append((option["type"], name))
        schema = option.get("options", [])
    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
        raise CommandRefused(f"/{command.name} {' '.join(sub_path)} needs a sub-command")
    resolved: dict[str, dict[str, Any]] = {}
    options = [_option(world, o, values, resolved, guild, focused) for o in schema]
    leaf = [o for o in options if o is not None]
    unknown = set(values) - {o["name"] for o in schema}
    if unknown:
        raise CommandRefused(f"unknown options {sorted(unknown)} for /{command.name}")
    for type_, name in reversed(chain):
        leaf = [{"type": type_, "name": name, "options": leaf}]
    data: dict[str, Any] = {"id": str(command.id), "name": command.name, "type": 1, "options": leaf}
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    if resolved:
        data["resolved"] = resolved
    return data


def focused_option(data: dict[str, Any]) -> dict[str, Any] | None:
    """The option an autocomplete interaction is about, below any sub-commands."""
    options: list[dict[str, Any]] = data.get("options", [])
    while options:
        focused = next((o for o in options if o.get("focused")), None)
        if focused is not None:
            return focused
        nested = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        options = nested[0].get("options", []) if nested else []
    return None


def choices_problem(choices: Any, option_type: int | None) -> str | None:
    """Why Discord would refuse these autocomplete choices (as its 50035 error says), or None."""
    if not isinstance(choices, list):
        return "data.choices: must be a list"
    if len(choices) > MAX_CHOICES:
        return f"data.choices: Must be {MAX_CHOICES} or fewer in length."
    expected = PLAIN_TYPES.get(option_type) if option_type is not None else None
    for index, choice in enumerate(choices):
        where = f"data.choices.{index}"
        name, value = choice.get("name"), choice.get("value")
        if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_LENGTH:
            return f"{where}.name: Must be between 1 and {CHOICE_LENGTH} in length."
        if isinstance(value, str) and len(value) > CHOICE_LENGTH:
            return f"{where}.value: Must be {CHOICE_LENGTH} or fewer in length."
        if expected is not None and (isinstance(value, bool) or not isinstance(value, expected)):
            return f"{where}.value: does not fit option type {option_type}"
    return None


def check_access(world: World, command: Command, guild: Guild | None, user: User) -> None:
    """Refuse like the client does when the member lacks ``default_member_permissions``."""
    required = command.data.get("default_member_permissions")
    if guild is None or required is None:
        return
    needed = int(required)
    if needed == 0 or world.permissions(guild, user.id) & needed != needed:
        raise CommandRefused(f"{user.name} may not use /{command.name} (needs {needed})")


def _option(
    world: World,
    schema: dict[str, Any],
    values: dict[str, Any],
    resolved: dict[str, dict[str, Any]],
    guild: Guild | None,
    focused: str | None,
) -> dict[str, Any] | None:
    name, type_ = schema["name"], schema["type"]
    if name not in values:
        # While the user types into one option (autocomplete), Discord sends whatever else is
        # filled in so far: required options may still be missing.
        if schema.get("required") and focused is None:
            raise CommandRefused(f"option {name!r} is required")
        return None
    value = values[name]
    if name == focused:
        return {"type": type_, "name": name, "value": str(value), "focused": True}
    checked = _check_value(world, schema, value, resolved, guild)
    return {"type": type_, "name": name, "value": checked}


def _check_value(
    world: World,
    schema: dict[str, Any],
    value: Any,
    resolved: dict[str, dict[str, Any]],
    guild: Guild | None,
) -> Any:
    name, type_ = schema["name"], schema["type"]
    expected = PLAIN_TYPES.get(type_)
    if expected is not None:
        if type(value) is bool and type_ != BOOLEAN or not isinstance(value, expected):
            raise CommandRefused(f"option {name!r} wants type {type_}, got {value!r}")
        choices = schema.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise CommandRefused(f"option {name!r}: {value!r} is not one of the choices")
        _check_bounds(schema, value)
        return float(cast(float, value)) if type_ == NUMBER else value
    if type_ in (USER, MENTIONABLE) and isinstance(value, User):
        resolved.setdefault("users", {})[str(value.id)] = payloads.user(value)
        if guild is not None and value.id in guild.members:
            member = payloads.member(
                guild.members[value.id],
                permissions=world.permissions(guild, value.id),
                with_user=False,
            )
            resolved.setdefault("members", {})[str(value.id)] = member
        return str(value.id)
    if type_ in (ROLE, MENTIONABLE) and isinstance(value, Role):
        resolved.setdefault("roles", {})[str(value.id)] = payloads.role(value)
        return str(value.id)
    if type_ == CHANNEL and isinstance(value, Channel):
        allowed = schema.get("channel_types")
        if allowed and value.type not in allowed:
            raise CommandRefused(f"option {name!r} does not take channel type {value.type}")
        data = payloads.channel(value)
        data["permissions"] = str(world.permissions(guild, world.bot.id) if guild else 0)
        resolved.setdefault("channels", {})[str(value.id)] = data
        return str(value.id)
    if type_ == ATTACHMENT and isinstance(value, Upload):
        attachment = store_upload(world, value)
        resolved.setdefault("attachments", {})[str(attachment.id)] = payloads.attachment(attachment)
        return str(attachment.id)
    raise CommandRefused(f"option {name!r} (type {type_}) cannot take {value!r}")


def _check_bounds(schema: dict[str, Any], value: Any) -> None:
    name = schema["name"]
    if isinstance(value, str):
        low, high, measured = schema.get("min_length"), schema.get("max_length"), len(value)
    else:
        low, high, measured = schema.get("min_value"), schema.get("max_value"), value
    if low is not None and measured < low or high is not None and measured > high:
        raise CommandRefused(f"option {name!r}: {value!r} is outside [{low}, {high}]")


def store_upload(world: World, upload: Upload) -> Attachment:
    """Keep the bytes on the emulator's CDN route and describe them like Discord does."""
    attachment_id = world.ids.next()
    url = f"{world.cdn_base}/attachments/{attachment_id}/{upload.filename}"
    attachment = Attachment(attachment_id, upload.filename, upload.content_type, upload.data, url)
    world.attachments[attachment_id] = attachment
    return attachment
