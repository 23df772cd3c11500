"""``carillon sounds import DIR --guild ID``: bulk-import a folder of sound files into a server.

Every regular file directly in DIR (not in subfolders; hidden files are left out) is ingested
like an upload, in name order, and named after its file stem.  A file whose content is already a
sound of that server is skipped; one that cannot be a sound is rejected with the reason; neither
stops the run, but a rejection makes the exit status 1 so a script notices.  A silent file is
imported with a warning: silence can be meant (a pause in a playlist), but mostly it is a broken
export the admin wants to hear about.

``carillon --help`` imports this module, so only the standard library and :mod:`bot.cli.common`
are imported at the top; the audio, database and Discord stacks load when an import runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli.common import EXIT_USAGE, fail, settings_or_none

if TYPE_CHECKING:
    from audio.ingest import IngestedSound, Ingestor
    from bot.config import Settings
    from bot.errors import CarillonError
    from bot.library.service import LibraryService

EXIT_REJECTED = 1  # the run completed, but some files were not imported

# What an admin at the command line can do about each ingest rejection (by its reason code);
# ingest's own advice speaks to a member uploading in Discord.
CLI_ADVICE = {
    "too-big": "Trim or compress it, or raise audio.max_upload_mb in the config.",
    "empty": "",
    "not-audio": "If it is a sound, convert it to MP3, WAV, OGG, FLAC or M4A.",
    "no-audio-track": "",
    "too-many-channels": "Mix it down to stereo first (ffmpeg -i IN -ac 2 OUT.wav).",
    "zero-length": "",
    "too-long": "Trim it, or raise audio.max_duration_s in the config.",
    "cut-off": "Copy or download it again, or export it again from the original.",
    "damaged": "Export it again from the original.",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("sounds", help="manage the sound library")
    actions = parser.add_subparsers(dest="sounds_action", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import",
        help="import every sound file of a folder into a server",
        description=(
            "Import every file directly in DIR (sorted by name; subfolders and hidden files are "
            "left out) as sounds of one server, named after the file names.  Exits with status 1 "
            "when any file was rejected."
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
    import asyncio

    from storage.columns import BIGINT_MAX

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
    return EXIT_REJECTED if summary.rejected else 0


def shown(text: str) -> str:
    """``text`` safe for a terminal: unprintable characters escaped as ``repr`` does, the rest kept.

    A file name can hold line breaks, control characters or escape sequences that would forge
    output lines or drive the terminal; letters of any script print as they are.
    """
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


@dataclass
class ImportSummary:
    """What happened to each file, in order."""

    imported: list[tuple[str, str, float]] = field(default_factory=list)  # file, name, seconds
    silent: list[tuple[str, str]] = field(default_factory=list)  # file, name (also imported)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # file, existing sound
    rejected: list[tuple[str, str]] = field(default_factory=list)  # file, reason

    def render(self) -> str:
        silent = f" ({len(self.silent)} silent)" if self.silent else ""
        lines = [
            f"imported {len(self.imported)}{silent}, skipped {len(self.duplicates)} as "
            f"duplicates, rejected {len(self.rejected)}"
        ]
        lines += [f"  imported  {shown(f)} as {n!r} ({s:.1f} s)" for f, n, s in self.imported]
        lines += [
            f"  warning   {shown(f)}: imported as {n!r}, but it is silent (no sample above "
            "-70 dBFS); check the file"
            for f, n in self.silent
        ]
        lines += [f"  skipped   {shown(f)}: already the sound {n!r}" for f, n in self.duplicates]
        lines += [f"  rejected  {shown(f)}: {shown(reason)}" for f, reason in self.rejected]
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
        return f"[{bar}] {done}/{self._total} {shown(label)}"

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


class WatchedIngestor:
    """The ingestor, keeping what it reported last: the library's answer leaves silence out."""

    def __init__(self, inner: Ingestor) -> None:
        self._inner = inner
        self.last: IngestedSound | None = None

    async def ingest(self, data: bytes | Path, *, max_bytes: int | None = None) -> IngestedSound:
        self.last = None
        self.last = await self._inner.ingest(data, max_bytes=max_bytes)
        return self.last


async def _import(
    settings: Settings, files: Sequence[Path], guild_id: int, uploader_id: int, progress: TextIO
) -> ImportSummary:
    from audio.ingest import Ingestor
    from bot.clock import SystemClock
    from bot.library.service import LibraryService
    from bot.services import blob_root, ingest_limits, open_engine
    from storage.engine import create_session_factory
    from storage.uow import UnitOfWorkFactory

    engine = await open_engine(settings)
    try:
        blobs = blob_root(settings)
        ingestor = WatchedIngestor(Ingestor(blobs, ingest_limits(settings)))
        library = LibraryService(
            UnitOfWorkFactory(create_session_factory(engine)),
            ingestor,
            blobs,
            SystemClock(),
            settings,
        )
        return await import_files(library, ingestor, files, guild_id, uploader_id, progress)
    finally:
        await engine.dispose()


def rejection_text(exc: CarillonError | OSError) -> str:
    """Why a file was not imported, in words for the command line (no Discord-only advice)."""
    from audio.rejections import IngestRejected

    if isinstance(exc, IngestRejected):
        advice = CLI_ADVICE.get(exc.reason, "")
        return f"{exc.problem} {advice}" if advice else exc.problem
    if isinstance(exc, OSError):
        return f"could not be read: {exc.strerror or exc}"
    return exc.message


async def import_files(
    library: LibraryService,
    ingestor: WatchedIngestor,
    files: Sequence[Path],
    guild_id: int,
    uploader_id: int,
    progress: TextIO,
) -> ImportSummary:
    """Import ``files`` one by one; one file's failure never stops the others."""
    from bot.errors import CarillonError
    from bot.library.service import DuplicateSound

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
        except (CarillonError, OSError) as exc:
            summary.rejected.append((path.name, rejection_text(exc)))
        else:
            summary.imported.append((path.name, sound.name, sound.duration_s))
            if ingestor.last is not None and ingestor.last.silent:
                summary.silent.append((path.name, sound.name))
    bar.show(len(files), "done")
    bar.close()
    return summary
