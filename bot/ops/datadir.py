"""The data directory: checked before anything else uses it, with a message that says the fix.

``carillon run`` calls :func:`require` (:func:`prepare`: creates the folder, proves a file can be
written in it); ``carillon doctor`` calls :func:`inspect`, which changes nothing: a folder that
does not exist yet but can be created is fine, because ``run`` creates it.
"""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.config import SQLITE_FILE
from bot.errors import ConfigError

# The uid of the ``carillon`` user in the Docker image (see Dockerfile).
DOCKER_UID = 10001


@dataclass(frozen=True)
class DataDirState:
    ok: bool
    detail: str  # what is the case, e.g. "/data is writable" or what is wrong
    fix: str = ""  # what to do, when not ok


def _who() -> str:
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    return "this user" if uid is None else f"uid {uid} (the user Carillon runs as)"


def _writable_fix(path: Path) -> str:
    return (
        f"make {path} writable by {_who()}, e.g. chown, or set data_dir to a writable folder; "
        f"in Docker, the volume mounted at {path} must be writable by uid {DOCKER_UID}"
    )


def _not_a_folder(path: Path) -> DataDirState:
    return DataDirState(
        False,
        f"data_dir {path} is a file, not a folder",
        f"set data_dir (or CARILLON_DATA_DIR) to a folder, or move the file {path} away",
    )


def _nearest_existing(path: Path) -> Path:
    for parent in (path, *path.parents):
        if parent.exists():
            return parent
    return Path(path.anchor or ".")  # pragma: no cover - the root always exists


def _os_problem(folder: Path, exc: OSError, failed: str) -> DataDirState:
    """``failed`` says what could not be done ("cannot write a file in data_dir /data");
    ``folder`` is the existing folder that refused it."""
    if exc.errno == errno.EROFS:
        return DataDirState(
            False,
            f"{failed}: {folder} is on a read-only file system",
            "mount it read-write, or set data_dir to a writable folder; in Docker, do not "
            "mount the data volume with :ro",
        )
    if exc.errno == errno.ENOSPC:
        return DataDirState(False, f"{failed}: the disk is full", f"free some space on {folder}")
    if exc.errno == errno.ENOENT and folder.is_dir():
        return DataDirState(
            False,
            f"{failed}: {folder} exists but takes no new files (it is not on an ordinary disk, "
            "e.g. /proc)",
            f"set data_dir to a folder on a disk, writable by {_who()}",
        )
    reason = exc.strerror or str(exc)
    return DataDirState(False, f"{failed}: {reason}", _writable_fix(folder))


def _blocked(path: Path) -> DataDirState | None:
    """The data_dir is, or lies under, a file."""
    if path.exists() and not path.is_dir():
        return _not_a_folder(path)
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return DataDirState(
            False,
            f"cannot create data_dir {path}: {blocker} is a file, not a folder",
            "set data_dir (or CARILLON_DATA_DIR) to a folder path",
        )
    return None


def require(path: Path) -> None:
    """:func:`prepare`, raising :class:`ConfigError` with what is wrong and the fix."""
    state = prepare(path)
    if not state.ok:
        raise ConfigError(f"{state.detail}. Fix: {state.fix}")


def prepare(path: Path) -> DataDirState:
    """Create ``path`` if needed and prove that a file can be written in it (for ``run``)."""
    blocked = _blocked(path)
    if blocked is not None:
        return blocked
    parent = _nearest_existing(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _os_problem(parent, exc, f"cannot create data_dir {path}")
    problem = _probe(path)
    if problem is not None:
        return _os_problem(path, problem, f"cannot write a file in data_dir {path}")
    return _db_file(path) or DataDirState(True, f"{path} is writable")


def inspect(path: Path) -> DataDirState:
    """What :func:`prepare` would find, leaving nothing behind (for ``doctor``): a folder that
    does not exist yet is fine when its nearest existing parent takes new entries."""
    blocked = _blocked(path)
    if blocked is not None:
        return blocked
    if path.exists():
        problem = _probe(path)
        if problem is not None:
            return _os_problem(path, problem, f"cannot write a file in data_dir {path}")
        return _db_file(path) or DataDirState(True, f"{path} is writable")
    parent = _nearest_existing(path)
    problem = _probe(parent)
    if problem is not None:
        return _os_problem(parent, problem, f"cannot create data_dir {path} in {parent}")
    return DataDirState(True, f"{path} does not exist yet; carillon run creates it")


def _probe(folder: Path) -> OSError | None:
    """Whether a file can be made in ``folder``: one is made and removed at once (root passes
    every permission check, so only trying tells the truth, e.g. of /proc or a read-only
    mount)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".carillon-write-check-"):
            return None
    except OSError as exc:
        return exc


def _db_file(path: Path) -> DataDirState | None:
    db = path / SQLITE_FILE
    if db.exists() and not (db.is_file() and os.access(db, os.R_OK | os.W_OK)):
        return DataDirState(False, f"{db} exists but cannot be read and written", _writable_fix(db))
    return None
