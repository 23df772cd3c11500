"""Shared fixtures for the audio tests: a blob store and an ingestor in a temp directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.blobstore import BlobStore
from audio.ingest import Ingestor
from audio.limits import AudioLimits


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "data")


@pytest.fixture
def ingestor(store: BlobStore) -> Ingestor:
    return Ingestor(store, AudioLimits(max_upload_bytes=2 * 1024 * 1024, max_duration_s=5.0))
