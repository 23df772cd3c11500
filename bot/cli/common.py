"""What every subcommand shares: loading the settings and reporting user errors."""

from __future__ import annotations

import argparse
import sys

from bot.config import Settings, load_settings
from bot.errors import CarillonError

EXIT_USAGE = 2  # the user asked for something wrong; the message says what to do


def settings_or_none(args: argparse.Namespace) -> Settings | None:
    """The validated settings, or None after printing exactly what is wrong."""
    try:
        return load_settings(getattr(args, "config", None))
    except CarillonError as exc:
        fail(exc.message)
        return None


def fail(message: str) -> None:
    print(f"carillon: {message}", file=sys.stderr)
