"""Permission and capacity checks made before joining a voice channel."""

from __future__ import annotations

import discord
import pytest

from audio.voice import check_voice_access
from bot.errors import PermanentPlaybackError

ALL = discord.Permissions(view_channel=True, connect=True, speak=True)


@pytest.mark.parametrize(
    ("permissions", "members", "limit", "already_in", "message"),
    [
        (ALL, 3, 0, False, None),
        (ALL, 4, 5, False, None),
        (discord.Permissions(view_channel=True, speak=True), 1, 0, False, "Connect permission"),
        (discord.Permissions(connect=True, speak=True), 1, 0, False, "Connect permission"),
        (discord.Permissions(view_channel=True, connect=True), 1, 0, False, "Speak permission"),
        (ALL, 5, 5, False, r"is full \(5/5\)"),
        (ALL, 5, 5, True, None),  # already in it: our own seat counts
        (ALL | discord.Permissions(move_members=True), 5, 5, False, None),
    ],
)
def test_check_voice_access(
    permissions: discord.Permissions,
    members: int,
    limit: int,
    already_in: bool,
    message: str | None,
) -> None:
    """Missing Connect or Speak, or a full channel, is a permanent error naming the channel."""

    def check() -> None:
        check_voice_access(
            permissions,
            channel_name="Lobby",
            member_count=members,
            user_limit=limit,
            already_in_channel=already_in,
        )

    if message is None:
        check()
    else:
        with pytest.raises(PermanentPlaybackError, match=message) as caught:
            check()
        assert "Lobby" in caught.value.message
