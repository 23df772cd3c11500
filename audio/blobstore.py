"""Content-addressed storage for encoded sounds.

A blob's name is the SHA-256 of its bytes, so the same sound stored twice is kept once and no user
text (file names, sound names) ever becomes part of a path.  Every method blocks on the file system:
call it from a worker thread (ingest already runs in one) or through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_HASH_RE = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1024 * 1024
BLOB_SUFFIX = ".ogg"


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """Where a blob ended up and whether this call created it (False: it was already stored)."""

    blob_hash: str
    size_bytes: int
    path: Path
    created: bool


class BlobStore:
    """Blobs live at ``ROOT/blobs/ab/cd/<sha256>.ogg``; partial writes live in ``ROOT/tmp``.

    Writes are atomic: data goes to a temporary file in the same file system, is flushed to disk,
    and is renamed into place: a reader never sees half a blob, a crash leaves only a temp file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._tmp = root / "tmp"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def is_valid_hash(blob_hash: str) -> bool:
        """Whether ``blob_hash`` is a lowercase hex SHA-256 (the only thing allowed into a path)."""
        return _HASH_RE.fullmatch(blob_hash) is not None

    def path_for(self, blob_hash: str) -> Path:
        """The path of a blob; ``ValueError`` for anything that is not a SHA-256 hex digest."""
        if not self.is_valid_hash(blob_hash):
            raise ValueError(f"not a blob hash: {blob_hash!r}")
        # Two levels of fan-out keep directories small with hundreds of thousands of sounds.
        return self._blobs / blob_hash[:2] / blob_hash[2:4] / f"{blob_hash}{BLOB_SUFFIX}"

    def exists(self, blob_hash: str) -> bool:
        """Whether the blob is stored."""
        return self.path_for(blob_hash).is_file()

    def new_temp_path(self) -> Path:
        """Create an empty temp file next to the blobs, to fill and then pass to ``put_file``.

        The caller must remove it (or hand it to :meth:`put_file`) on every path.
        """
        fd, name = tempfile.mkstemp(dir=self._tmp, prefix="ingest-", suffix=".part")
        os.close(fd)
        return Path(name)

    def put_file(self, temp_path: Path) -> StoredBlob:
        """Move a finished temp file into the store under its content hash.

        The temp file is consumed either way: renamed into place, or removed when the blob already
        exists.  It must be on the store's file system (use :meth:`new_temp_path`).
        """
        try:
            digest, size = _hash_file(temp_path)
            with open(temp_path, "rb+") as fp:
                os.fsync(fp.fileno())
            final = self.path_for(digest)
            if final.is_file():
                temp_path.unlink()
                return StoredBlob(digest, size, final, created=False)
            final.parent.mkdir(parents=True, exist_ok=True)
            # Two writers racing on the same content both rename identical bytes: harmless.
            os.replace(temp_path, final)
            _fsync_dir(final.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temp_path.unlink()
            raise
        log.debug("stored blob %s (%d bytes)", digest, size)
        return StoredBlob(digest, size, final, created=True)

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store ``data`` atomically and return where it is."""
        temp = self.new_temp_path()
        try:
            temp.write_bytes(data)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self.put_file(temp)

    def delete(self, blob_hash: str) -> bool:
        """Remove a blob; False if it was not there.  The library service decides it is unused."""
        try:
            self.path_for(blob_hash).unlink()
        except FileNotFoundError:
            return False
        return True

    def remove_stale_temp_files(self, older_than_s: float = 3600.0) -> int:
        """Delete temp files left by a crash (older than ``older_than_s``); returns how many."""
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fp:
        while chunk := fp.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; some file systems do not allow opening directories.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
