"""The content-addressed blob store."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from audio.blobstore import BlobStore


def test_put_bytes_stores_under_the_content_hash(store: BlobStore) -> None:
    """A blob lands at blobs/ab/cd/<sha256>.ogg with its exact bytes."""
    data = b"OggS fake blob"
    digest = hashlib.sha256(data).hexdigest()
    stored = store.put_bytes(data)
    assert stored.blob_hash == digest
    assert stored.created and stored.size_bytes == len(data)
    assert stored.path == store.root / "blobs" / digest[:2] / digest[2:4] / f"{digest}.ogg"
    assert stored.path.read_bytes() == data
    assert store.exists(digest)


def test_same_content_twice_is_stored_once(store: BlobStore) -> None:
    """The second put reports created=False and leaves one file."""
    first = store.put_bytes(b"same")
    second = store.put_bytes(b"same")
    assert first.path == second.path
    assert (first.created, second.created) == (True, False)
    assert len(list((store.root / "blobs").rglob("*.ogg"))) == 1
    assert list((store.root / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "bad",
    ["../../etc/passwd", "A" * 64, "abc", "g" * 64, "0" * 63 + "/", "", "0" * 65],
)
def test_only_hashes_become_paths(store: BlobStore, bad: str) -> None:
    """Anything that is not a lowercase SHA-256 hex digest is refused."""
    with pytest.raises(ValueError, match="not a blob hash"):
        store.path_for(bad)


def test_put_file_consumes_the_temp_file(store: BlobStore) -> None:
    """The temp file is renamed into place, not copied."""
    temp = store.new_temp_path()
    assert temp.parent == store.root / "tmp"
    temp.write_bytes(b"payload")
    stored = store.put_file(temp)
    assert not temp.exists()
    assert stored.path.read_bytes() == b"payload"


def test_failed_put_leaves_no_partial_blob(
    store: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the rename fails, neither the final blob nor the temp file remains."""
    temp = store.new_temp_path()
    temp.write_bytes(b"payload")

    def failing_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put_file(temp)
    assert not temp.exists()
    assert not store.exists(hashlib.sha256(b"payload").hexdigest())


def test_delete(store: BlobStore) -> None:
    """Delete removes a blob and reports whether it was there."""
    stored = store.put_bytes(b"x")
    assert store.delete(stored.blob_hash)
    assert not store.delete(stored.blob_hash)
    assert not store.exists(stored.blob_hash)


def test_stale_temp_files_are_removed(store: BlobStore) -> None:
    """Temp files older than the cutoff (a crash mid-ingest) are cleaned; fresh ones stay."""
    old, fresh = store.new_temp_path(), store.new_temp_path()
    now = time.time()  # both stamped from the clock the cleanup reads (faketime: make test-late)
    os.utime(old, (now - 7200, now - 7200))
    os.utime(fresh, (now, now))
    assert store.remove_stale_temp_files(older_than_s=3600) == 1
    assert not old.exists() and fresh.exists()


def test_store_creates_its_directories(tmp_path: Path) -> None:
    """A fresh data directory is set up on construction."""
    BlobStore(tmp_path / "new" / "data")
    assert (tmp_path / "new" / "data" / "blobs").is_dir()
    assert (tmp_path / "new" / "data" / "tmp").is_dir()
