"""JSON shapes of the world's objects, as Discord's API and gateway send them."""

from __future__ import annotations

from typing import Any

from .state import (
    VOICE_CHANNEL,
    Attachment,
    Channel,
    Command,
    Guild,
    Member,
    Message,
    Role,
    User,
    VoiceState,
    World,
)


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.name.lower(),
        "global_name": u.name,
        "discriminator": "0",
        "avatar": None,
        "bot": u.bot,
        "public_flags": 0,
    }


def client_user(u: User) -> dict[str, Any]:
    return {**user(u), "verified": True, "mfa_enabled": False, "flags": 0, "email": None}


def role(r: Role) -> dict[str, Any]:
    return {
        "id": str(r.id),
        "name": r.name,
        "permissions": str(r.permissions),
        "position": r.position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
        "icon": None,
        "unicode_emoji": None,
    }


def channel(c: Channel, world: World | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(c.id), "type": c.type, "name": c.name, "flags": 0}
    if c.guild_id is not None:
        data.update(
            guild_id=str(c.guild_id),
            position=c.position,
            permission_overwrites=[],
            parent_id=None,
            nsfw=False,
        )
        if c.type == VOICE_CHANNEL:
            data.update(bitrate=64000, user_limit=0, rtc_region=None)
        else:
            data.update(topic=None, last_message_id=None, rate_limit_per_user=0)
    elif world is not None:
        data["recipients"] = [user(world.users[i]) for i in c.recipient_ids]
        data["last_message_id"] = None
    return data


def member(m: Member, *, permissions: int | None = None, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.role_ids],
        "joined_at": m.joined_at,
        "nick": None,
        "avatar": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(m.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def voice_state(guild: Guild, state: VoiceState | None, user_id: int) -> dict[str, Any]:
    """A VOICE_STATE_UPDATE body; ``state=None`` means the user left (``channel_id: null``)."""
    data: dict[str, Any] = {
        "guild_id": str(guild.id),
        "channel_id": str(state.channel_id) if state else None,
        "user_id": str(user_id),
        "session_id": state.session_id if state else "",
        "deaf": False,
        "mute": False,
        "self_deaf": state.self_deaf if state else False,
        "self_mute": state.self_mute if state else False,
        "self_video": False,
        "self_stream": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if user_id in guild.members:
        data["member"] = member(guild.members[user_id])
    return data


def guild_create(world: World, g: Guild) -> dict[str, Any]:
    """A GUILD_CREATE body; without the members intent it lists the bot and people in voice."""
    in_voice = set(g.voice_states) | {world.bot.id}
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "owner_id": str(g.owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "features": [],
        "system_channel_id": None,
        "system_channel_flags": 0,
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "joined_at": g.members[world.bot.id].joined_at,
        "large": False,
        "unavailable": False,
        "member_count": len(g.members),
        "members": [member(m) for uid, m in g.members.items() if uid in in_voice],
        "channels": [channel(c) for c in g.channels.values()],
        "threads": [],
        "presences": [],
        "voice_states": [
            {k: v for k, v in voice_state(g, s, uid).items() if k not in ("guild_id", "member")}
            for uid, s in g.voice_states.items()
        ],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def attachment(a: Attachment) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "filename": a.filename,
        "size": len(a.data),
        "url": a.url,
        "proxy_url": a.url,
        "content_type": a.content_type,
    }


def message(world: World, m: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": 0,
        "author": user(m.author),
        "content": m.content,
        "timestamp": m.timestamp,
        "edited_timestamp": m.timestamp if m.edits else None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [attachment(a) for a in m.attachments],
        "embeds": m.embeds,
        "components": m.components,
        "pinned": False,
        "flags": m.flags,
    }
    if m.guild_id is not None:
        data["guild_id"] = str(m.guild_id)
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
    if m.application_id is not None:
        data["application_id"] = str(m.application_id)
    return data


def command(c: Command) -> dict[str, Any]:
    data = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        **c.data,
        "id": str(c.id),
        "application_id": str(c.application_id),
        "version": str(c.version),
    }
    if c.guild_id is not None:
        data["guild_id"] = str(c.guild_id)
    return data


def application(world: World, owner: User) -> dict[str, Any]:
    return {
        "id": str(world.application_id),
        "name": world.bot.name,
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(owner),
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "rpc_origins": [],
        "interactions_endpoint_url": None,
        "bot": user(world.bot),
    }
