"""What every subcommand shares: loading the settings and reporting user errors."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings, load_settings, token_problem
from bot.errors import CarillonError

EXIT_USAGE = 2  # the user asked for something wrong; the message says what to do


def settings_or_none(args: argparse.Namespace) -> Settings | None:
    """The validated settings, or None after printing exactly what is wrong."""
    try:
        return load_settings(getattr(args, "config", None))
    except CarillonError as exc:
        fail(exc.message)
        return None


def settings_with_token(args: argparse.Namespace) -> Settings | None:
    """Like :func:`settings_or_none`, and the bot token must be present and well-formed."""
    settings = settings_or_none(args)
    if settings is None:
        return None
    problem = token_problem(settings.discord.token)
    if problem:
        fail(problem)
        return None
    return settings


def fail(message: str) -> None:
    print(f"carillon: {message}", file=sys.stderr)
