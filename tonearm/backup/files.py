"""Copying what the registry refers to, and the manifest that lets a backup be verified.

Blocking: for the CLI. The database is copied first, so every row's file is in the backup
unless it was purged while the backup ran; files added meanwhile are copied too (a file
without a row is harmless, and the next upload or scan does not depend on it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MANIFEST = "manifest.json"
CHUNK = 1 << 20
# Work areas that only hold unfinished uploads: never part of a backup.
SKIPPED_DIRS = frozenset({".staging", ".tus"})


@dataclass(frozen=True, slots=True)
class Tree:
    """A folder to copy: where it is, and its name inside the backup."""

    name: str
    source: Path


def files_of(tree: Tree) -> Iterator[Path]:
    """Regular files under the tree, without following symlinks or entering work areas."""
    if not tree.source.is_dir():
        return
    for folder, dirs, names in os.walk(tree.source):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink() and not name.endswith(".part"):
                yield path


def copy_file(source: Path, target: Path) -> tuple[str, int]:
    """Copy ``source`` to ``target`` (metadata too); return its SHA-256 and size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as reader, target.open("xb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    shutil.copystat(source, target)
    return digest.hexdigest(), size


def hash_file(path: Path) -> tuple[str, int]:
    """The SHA-256 and size of a file."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_manifest(
    destination: Path, entries: dict[str, dict[str, object]], **facts: object
) -> None:
    """Write ``manifest.json``: every file's SHA-256 and size, and the facts given."""
    document = {"created_at": datetime.now(UTC).isoformat(), **facts, "files": entries}
    (destination / MANIFEST).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def verify(destination: Path, on_file: Callable[[str], None] | None = None) -> list[str]:
    """The files of a backup that are missing or differ from its manifest (empty: all good)."""
    document = json.loads((destination / MANIFEST).read_text())
    problems = []
    for relative, entry in document["files"].items():
        path = destination / relative
        if on_file is not None:
            on_file(relative)
        if not path.is_file():
            problems.append(f"{relative}: missing")
            continue
        digest, size = hash_file(path)
        if (digest, size) != (entry["sha256"], entry["size"]):
            problems.append(f"{relative}: differs from the manifest")
    return problems
