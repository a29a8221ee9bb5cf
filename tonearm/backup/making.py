"""One backup: the registry's snapshot, the secret key, uploads and cover art, a manifest.

With ``TONEARM_STORAGE=s3`` the local folders still hold whatever was stored before the
switch and are copied as always; what lives in the bucket is not copied, and the manifest
and the command say so.

Written into a temporary folder beside ``PATH`` and renamed to it at the end, so ``PATH``
either holds a complete backup or does not exist. Blocking: for the CLI.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tonearm import __version__
from tonearm.artwork.store import STORE_DIR as ART_DIR
from tonearm.backup.files import Tree, copy_file, files_of, hash_file, write_manifest
from tonearm.backup.snapshot import SQLITE_FILE, BackupRefused, Progress, snapshot_database
from tonearm.settings import SECRET_KEY_FILE, Settings
from tonearm.transcoding.store import STORE_DIR as VARIANTS_DIR


@dataclass(slots=True)
class BackupReport:
    """What a backup holds."""

    path: Path
    database: Path
    files: int = 0
    bytes: int = 0
    secret_key_copied: bool = False
    trees: list[str] = field(default_factory=list)
    # TONEARM_STORAGE=s3: the bucket holding originals, variants and thumbnails stored
    # there, which a backup does not copy (the admin backs it up with the provider's tools).
    bucket: str | None = None


def object_storage_note(settings: Settings) -> dict[str, object] | None:
    """The manifest's words on remote storage: what is there and that it is not copied."""
    if settings.storage != "s3":
        return None
    return {
        "kind": "s3",
        "bucket": settings.s3_bucket,
        "endpoint_url": settings.s3_endpoint_url,
        "copied": False,
        "note": "uploads, variants and thumbnails stored in the bucket are not in this "
        "backup: back the bucket up yourself (versioning, replication, a copy)",
    }


def trees_to_copy(settings: Settings, *, include_variants: bool) -> list[Tree]:
    """The folders a backup copies: uploads and art always, variants when asked."""
    data_dir = settings.data_dir.expanduser().resolve()
    trees = [Tree("uploads", settings.resolved_uploads_dir), Tree(ART_DIR, data_dir / ART_DIR)]
    if include_variants:
        trees.append(Tree(VARIANTS_DIR, data_dir / VARIANTS_DIR))
    return trees


def make_backup(
    settings: Settings,
    path: Path,
    *,
    include_variants: bool = False,
    database_progress: Progress = lambda done, total: None,
    file_progress: Callable[[Path], None] = lambda path: None,
) -> BackupReport:
    """Back up this box into ``path`` (which must not exist yet)."""
    path = path.expanduser().absolute()
    if path.exists():
        raise BackupRefused(f"{path} already exists: give a new folder for the backup")
    if not path.parent.is_dir():
        raise BackupRefused(f"{path.parent} is not a folder")
    work = path.parent / f".{path.name}.incomplete-{secrets.token_hex(4)}"
    work.mkdir()
    try:
        report = _fill(settings, work, include_variants, database_progress, file_progress)
        work.rename(path)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report.path = path
    return report


def _fill(
    settings: Settings,
    work: Path,
    include_variants: bool,
    database_progress: Progress,
    file_progress: Callable[[Path], None],
) -> BackupReport:
    entries: dict[str, dict[str, object]] = {}
    database = snapshot_database(settings.resolved_database_url, work, database_progress)
    digest, size = hash_file(database)
    entries[database.name] = {"sha256": digest, "size": size}
    report = BackupReport(path=work, database=database)

    key_file = settings.data_dir.expanduser() / SECRET_KEY_FILE
    if settings.secret_key is None and key_file.is_file():
        digest, size = copy_file(key_file, work / SECRET_KEY_FILE)
        (work / SECRET_KEY_FILE).chmod(0o600)
        entries[SECRET_KEY_FILE] = {"sha256": digest, "size": size}
        report.secret_key_copied = True

    for tree in trees_to_copy(settings, include_variants=include_variants):
        report.trees.append(tree.name)
        for source in files_of(tree):
            relative = Path(tree.name, source.relative_to(tree.source))
            digest, size = copy_file(source, work / relative)
            entries[relative.as_posix()] = {"sha256": digest, "size": size}
            report.files += 1
            report.bytes += size
            file_progress(relative)

    write_manifest(
        work,
        entries,
        tonearm_version=__version__,
        database=database.name,
        migration=_sqlite_migration(database) if database.name == SQLITE_FILE else None,
        secret_key=(
            "copied"
            if report.secret_key_copied
            else "set by TONEARM_SECRET_KEY: not copied, keep it yourself"
        ),
        trees=report.trees,
        object_storage=object_storage_note(settings),
    )
    report.bucket = settings.s3_bucket if settings.storage == "s3" else None
    return report


def _sqlite_migration(database: Path) -> str | None:
    connection = sqlite3.connect(database)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        connection.close()
    return None if row is None else str(row[0])
