"""Fixtures for artwork tests: a store in this test's temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tonearm.artwork.store import ArtworkStore


@pytest.fixture
def store(tmp_path: Path) -> ArtworkStore:
    """An empty artwork store."""
    return ArtworkStore(tmp_path / "art")
