"""``carillon doctor``: check the installation and say how to fix what is wrong.

It changes nothing: no folder, database file or table is created (``carillon run`` does that), and
without ``--live`` it does not talk to Discord. With ``--live`` it also asks Discord (or the
configured endpoint) about the token, the gateway and the bot's permissions in each server.
Exit status 0 when every check passed (warnings pass), 1 otherwise; ``--quiet`` prints only what
failed, for a health check or a script.
"""

from __future__ import annotations

import argparse
import importlib
from typing import TYPE_CHECKING

from bot.config import load_settings, token_problem
from bot.errors import CarillonError
from bot.ops.checks import Check, Status, fail, guarded, ok, render, unexpected, warn

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["Check", "Status", "handle", "register", "render", "run_checks"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check config, data directory, database, audio, voice and token (changes nothing)",
        description=(
            "Check the installation and say how to fix what is wrong. Changes nothing. "
            "Exit status 0 if every check passed, 1 if any failed."
        ),
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="also ask Discord: the token, the gateway, the bot's permissions in each server",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the checks that failed (nothing if none)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    checks = run_checks(args.config, live=args.live)
    text = render(checks, quiet=args.quiet)
    if text:
        print(text)
    return 0 if all(check.ok for check in checks) else 1


def run_checks(config_path: str | None, *, live: bool = False) -> list[Check]:
    try:
        settings = load_settings(config_path)
    except CarillonError as exc:
        # Nothing else can be checked meaningfully without a valid configuration.
        return [fail("config", exc.message, "fix the keys named above and run doctor again")]
    except Exception as exc:
        return [unexpected("config", exc)]
    checks = [ok("config", f"loaded from {settings.source}")]
    data_dir = guarded("data directory", lambda: _data_dir(settings))
    checks += data_dir
    checks += guarded("database", lambda: _database(settings, data_dir_ok=data_dir[0].ok))
    checks += guarded("PyAV + libopus", _libopus)
    checks += guarded("voice modules", _voice_modules)
    checks += guarded("token", lambda: _token(settings, live=live))
    if live:
        checks += _live(settings)
    return checks


def _data_dir(settings: Settings) -> Check:
    from bot.ops import datadir

    state = datadir.inspect(settings.data_dir)
    if state.ok:
        return ok("data directory", state.detail)
    return fail("data directory", state.detail, state.fix)


def _database(settings: Settings, *, data_dir_ok: bool) -> Check:
    from bot.ops import dbcheck

    state = dbcheck.inspect_database(settings)
    if not state.exists and not data_dir_ok and not settings.database.url:
        return warn(
            "database",
            f"{state.where}: not checked, it lives in the data directory (see above)",
            "fix the data directory first",
        )
    return dbcheck.judge(state, dbcheck.head_revision(), dbcheck.known_revisions())


def _libopus() -> Check:
    try:
        av = importlib.import_module("av")
        av.codec.Codec("libopus", "w")
    except Exception as exc:
        return fail(
            "PyAV + libopus", f"{exc}", "pip install 'av>=18,<19' (bundles FFmpeg with libopus)"
        )
    return ok("PyAV + libopus", f"PyAV {av.__version__} with the libopus encoder")


def _voice_modules() -> list[Check]:
    checks = []
    for label, module, fix in (
        ("davey (DAVE)", "davey", "pip install 'discord.py[voice]==2.7.1'"),
        ("PyNaCl", "nacl.secret", "pip install 'discord.py[voice]==2.7.1'"),
    ):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            checks.append(fail(label, f"not importable: {exc}", fix))
        else:
            checks.append(ok(label, "importable"))
    return checks


def _token(settings: Settings, *, live: bool) -> Check:
    problem = token_problem(settings.discord.token)
    if problem is not None:
        return fail("token", problem, "set DISCORD_TOKEN to your bot's token")
    where = "" if live else " (doctor --live asks Discord whether it accepts it)"
    return ok("token", f"DISCORD_TOKEN is set and well-formed{where}")


def _live(settings: Settings) -> list[Check]:
    if token_problem(settings.discord.token) is not None:
        return [fail("Discord", "not asked: the token above must be fixed first")]
    try:
        import asyncio

        from bot.ops.live_check import live_checks

        return asyncio.run(live_checks(settings))
    except Exception as exc:
        return [unexpected("Discord", exc)]
