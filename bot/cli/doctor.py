"""``carillon doctor``: check the installation and say how to fix what is wrong."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from bot.app import open_engine
from bot.config import Settings, load_settings, token_problem
from bot.errors import CarillonError
from storage import migrate


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check config, data directory, database, audio, voice and token"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    checks = run_checks(args.config)
    print(render(checks))
    return 0 if all(check.ok for check in checks) else 1


def run_checks(config_path: str | None) -> list[Check]:
    try:
        settings = load_settings(config_path)
    except CarillonError as exc:
        # Nothing else can be checked meaningfully without a valid configuration.
        return [
            Check("config", False, exc.message, "fix the keys named above and run doctor again")
        ]
    checks = [Check("config", True, f"loaded from {settings.source}")]
    checks.append(_data_dir(settings))
    checks.append(asyncio.run(_database(settings)))
    checks.append(_libopus())
    checks.extend(_voice_modules())
    problem = token_problem(settings.discord.token)
    checks.append(
        Check(
            "token",
            problem is None,
            problem or "DISCORD_TOKEN is set and well-formed",
            "" if problem is None else "set DISCORD_TOKEN to your bot's token",
        )
    )
    return checks


def _data_dir(settings: Settings) -> Check:
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            "data directory",
            False,
            f"{path}: {exc.strerror or exc}",
            f"create {path} and make it writable by this user, or set data_dir",
        )
    return Check("data directory", True, f"{path.resolve()} is writable")


async def _database(settings: Settings) -> Check:
    try:
        engine = await open_engine(settings, upgrade=False)
    except Exception as exc:  # any driver error is a failed check, reported as such
        return Check("database", False, f"cannot open: {exc}", "check database.url")
    try:
        current = await migrate.current_revision(engine)
    except Exception as exc:
        return Check(
            "database",
            False,
            f"not reachable: {exc}",
            "check database.url and that the server runs",
        )
    finally:
        await engine.dispose()
    head = migrate.head_revision()
    where = engine.url.render_as_string()
    if current != head:
        return Check(
            "database",
            False,
            f"{where} is at revision {current or 'base (empty)'}, latest is {head}",
            "run: carillon db upgrade (carillon run also migrates on start)",
        )
    return Check("database", True, f"{where} reachable, at latest revision {head}")


def _libopus() -> Check:
    try:
        av = importlib.import_module("av")
        av.codec.Codec("libopus", "w")
    except Exception as exc:
        return Check(
            "PyAV + libopus",
            False,
            f"{exc}",
            "pip install 'av>=18,<19' (bundles FFmpeg with libopus)",
        )
    return Check("PyAV + libopus", True, f"PyAV {av.__version__} with the libopus encoder")


def _voice_modules() -> list[Check]:
    checks = []
    for label, module, fix in (
        ("davey (DAVE)", "davey", "pip install 'discord.py[voice]==2.7.1'"),
        ("PyNaCl", "nacl.secret", "pip install 'discord.py[voice]==2.7.1'"),
    ):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            checks.append(Check(label, False, f"not importable: {exc}", fix))
        else:
            checks.append(Check(label, True, "importable"))
    return checks


def render(
    checks: list[Check], mark: Callable[[bool], str] = lambda ok: "ok" if ok else "FAIL"
) -> str:
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{mark(check.ok):<4}  {check.name:<{width}}  {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"{'':<4}  {'':<{width}}  fix: {check.fix}")
    passed = sum(check.ok for check in checks)
    lines.append(f"{passed}/{len(checks)} checks passed")
    return "\n".join(lines)
