"""``carillon sounds import DIR --guild ID``: bulk-import a folder of sound files into a server.

Every regular file directly in DIR (not in subfolders; hidden files are left out) is ingested
like an upload, in name order, and named after its file stem.  A file whose content is already a
sound of that server is skipped; one that cannot be a sound is rejected with the reason; neither
stops the run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from audio.ingest import Ingestor
from bot.app import blob_root, ingest_limits, open_engine
from bot.cli.common import EXIT_USAGE, fail, settings_or_none
from bot.clock import SystemClock
from bot.config import Settings
from bot.errors import CarillonError
from bot.library import DuplicateSound, LibraryService
from storage.columns import BIGINT_MAX
from storage.engine import create_session_factory
from storage.uow import UnitOfWorkFactory

MIB = 1024 * 1024


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("sounds", help="manage the sound library")
    actions = parser.add_subparsers(dest="sounds_action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="import every sound file of a folder into a server",
        description=(
            "Import every file directly in DIR (sorted by name; subfolders and hidden files are "
            "left out) as sounds of one server, named after the file names."
        ),
    )
    imp.add_argument("directory", metavar="DIR", type=Path, help="folder of sound files")
    imp.add_argument(
        "--guild", required=True, type=int, metavar="ID", help="the server's id (a snowflake)"
    )
    imp.add_argument(
        "--uploader",
        type=int,
        default=0,
        metavar="ID",
        help="the member recorded as uploader (default 0: nobody, so only admins can rename or "
        "delete the imported sounds)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    settings = settings_or_none(args)
    if settings is None:
        return EXIT_USAGE
    directory: Path = args.directory
    if not directory.is_dir():
        fail(f"{str(directory)!r} is not a folder; give the folder that holds the sound files")
        return EXIT_USAGE
    for flag, value in (("--guild", args.guild), ("--uploader", args.uploader)):
        lowest = 1 if flag == "--guild" else 0
        if not lowest <= value <= BIGINT_MAX:  # the id columns' range
            fail(
                f"{flag} {value} is not a Discord id; copy it with Developer Mode on "
                "(right-click the server or member, Copy ID)"
            )
            return EXIT_USAGE
    files = sorted(
        (p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    summary = asyncio.run(_import(settings, files, args.guild, args.uploader, sys.stderr))
    print(summary.render())
    return 0


@dataclass
class ImportSummary:
    """What happened to each file, in order."""

    imported: list[tuple[str, str, float]] = field(default_factory=list)  # file, name, seconds
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # file, existing sound
    rejected: list[tuple[str, str]] = field(default_factory=list)  # file, reason

    def render(self) -> str:
        lines = [
            f"imported {len(self.imported)}, skipped {len(self.duplicates)} as duplicates, "
            f"rejected {len(self.rejected)}"
        ]
        lines += [f"  imported  {f} as {n!r} ({s:.1f} s)" for f, n, s in self.imported]
        lines += [f"  skipped   {f}: already the sound {n!r}" for f, n in self.duplicates]
        lines += [f"  rejected  {f}: {reason}" for f, reason in self.rejected]
        return "\n".join(lines)


class ProgressBar:
    """``[#####.....] 3/10 name`` on a stream: redrawn in place on a terminal, a line otherwise."""

    def __init__(self, stream: TextIO, total: int, width: int = 30) -> None:
        self._stream = stream
        self._total = total
        self._width = width
        self._tty = stream.isatty()

    def render(self, done: int, label: str) -> str:
        filled = self._width * done // self._total if self._total else self._width
        bar = "#" * filled + "." * (self._width - filled)
        return f"[{bar}] {done}/{self._total} {label}"

    def show(self, done: int, label: str) -> None:
        line = self.render(done, label)
        if self._tty:
            # \x1b[K clears what a longer previous label left behind.
            self._stream.write(f"\r{line}\x1b[K")
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()


async def _import(
    settings: Settings, files: Sequence[Path], guild_id: int, uploader_id: int, progress: TextIO
) -> ImportSummary:
    engine = await open_engine(settings)
    try:
        blobs = blob_root(settings)
        library = LibraryService(
            UnitOfWorkFactory(create_session_factory(engine)),
            Ingestor(blobs, ingest_limits(settings)),
            blobs,
            SystemClock(),
            settings,
        )
        return await import_files(library, files, guild_id, uploader_id, progress)
    finally:
        await engine.dispose()


async def import_files(
    library: LibraryService,
    files: Sequence[Path],
    guild_id: int,
    uploader_id: int,
    progress: TextIO,
) -> ImportSummary:
    """Import ``files`` one by one; one file's failure never stops the others."""
    summary = ImportSummary()
    bar = ProgressBar(progress, len(files))
    for done, path in enumerate(files):
        bar.show(done, path.name)
        try:
            name = await library.suggest_name(guild_id, path.stem)
            sound = await library.upload(
                guild_id, uploader_id, name, path, filename=path.name, allow_duplicate=False
            )
        except DuplicateSound as exc:
            summary.duplicates.append((path.name, exc.existing.name))
        except CarillonError as exc:
            summary.rejected.append((path.name, exc.message))
        except OSError as exc:
            summary.rejected.append((path.name, f"could not be read: {exc.strerror or exc}"))
        else:
            summary.imported.append((path.name, sound.name, sound.duration_s))
    bar.show(len(files), "done")
    bar.close()
    return summary
