"""The ``carillon`` command line.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds its
parser and sets ``handler`` to a function ``(args) -> int`` (the exit status).  Exit status 2
means the user asked for something wrong (bad config, bad input); the message says what to do.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from bot.cli import db, doctor, health, run, sounds, sync
from bot.cli import when as when_cmd

Handler = Callable[[argparse.Namespace], int]

_MODULES = (run, db, when_cmd, doctor, health, sync, sounds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carillon",
        description="Carillon: a self-hosted Discord soundboard with a scheduler.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="config file (default: $CARILLON_CONFIG, else ./config.toml, else built-in defaults)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except BrokenPipeError:
        # `carillon when ... | head`: the reader left; say nothing more (not a traceback).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
