"""The scan's artwork phase: each album's and artist's cover, made once per source.

An album's candidates, best first: the cover image (``artwork.folder.choose_cover``) of each
of its folders (the folder with most of its tracks first; a multi-folder album also looks
in the folders' common parent, where ``CD1``/``CD2`` sets keep theirs), then a track's
embedded front cover, then any other embedded picture. A candidate that cannot be used (a
text file named ``cover.jpg``, a truncated image, a decompression bomb) is reported in the
scan summary and the next one is tried.

The candidate list's fingerprint (paths, sizes, mtimes) is stored with the album: a rescan
that finds the same candidates reads no image at all. An artist's picture is an
``artist.*`` image in the folder that holds all of their albums' folders.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tonearm.artwork.folder import choose_artist_image, choose_cover
from tonearm.artwork.make import (
    MAX_EMBEDDED_IMAGE_BYTES,
    Loader,
    bytes_loader,
    file_loader,
    make_artworks,
)
from tonearm.artwork.results import Artwork, ArtworkRefusal, RefusalReason
from tonearm.artwork.store import ArtworkStore
from tonearm.catalog.origins import FileRoots, TrackOrigin
from tonearm.db.entities import (
    ArtInputs,
    ArtTrack,
    load_art_inputs,
    save_artworks,
    set_album_artwork,
    set_artist_artwork,
)
from tonearm.library.facts import PictureKind
from tonearm.library.grouping import folder_of
from tonearm.library.pictures import embedded_picture
from tonearm.library.summary import SkippedFile
from tonearm.library.walker import ImageFile

logger = logging.getLogger(__name__)
_PICTURE_RANK = {PictureKind.FRONT.value: 0, PictureKind.OTHER.value: 1}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place a cover may come from: an image file, or a track's embedded picture."""

    path: str
    embedded: bool
    size: int
    mtime_ns: int
    origin: str = TrackOrigin.LIBRARY.value  # the root ``path`` is under (``FileRoots``)


@dataclass(slots=True)
class _Subject:
    """An album or an artist whose artwork is being decided."""

    key: tuple[str, uuid.UUID]
    candidates: list[Candidate]
    fingerprint: str
    tried: int = 0


def fingerprint(candidates: Sequence[Candidate]) -> str:
    """What identifies a candidate list: a rescan finding the same one skips the subject."""
    text = "\n".join(f"{_kind(c)}:{c.size}:{c.mtime_ns}:{c.path}" for c in candidates)
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _kind(candidate: Candidate) -> str:
    if candidate.origin != TrackOrigin.LIBRARY:
        return "u"
    return "e" if candidate.embedded else "f"


def _images_by_folder(images: Iterable[ImageFile]) -> dict[str, dict[str, ImageFile]]:
    folders: dict[str, dict[str, ImageFile]] = defaultdict(dict)
    for image in images:
        path = PurePosixPath(image.rel_path)
        folders[folder_of(image.rel_path)][path.name] = image
    return folders


def _common_parent(folders: Sequence[str]) -> str | None:
    parents = {folder_of(folder) for folder in folders if folder}
    return parents.pop() if len(parents) == 1 else None


def album_candidates(
    tracks: Sequence[ArtTrack],
    images: dict[str, dict[str, ImageFile]],
) -> list[Candidate]:
    """The cover candidates of one album from its tracks.

    Folder images come from the media root only: an uploaded track's folder has none.
    """
    counts = Counter(
        folder_of(track.path) for track in tracks if track.origin == TrackOrigin.LIBRARY
    )
    folders = sorted(counts, key=lambda folder: (-counts[folder], folder))
    if len(folders) > 1 and (parent := _common_parent(folders)) is not None:
        folders.append(parent)
    found: list[Candidate] = []
    for folder in folders:
        names = images.get(folder, {})
        chosen = choose_cover(names)
        if chosen is not None:
            image = names[chosen]
            found.append(Candidate(image.rel_path, False, image.size, image.mtime_ns))
    embedded = sorted(
        (
            (_PICTURE_RANK[t.picture], t.path, t.size_bytes, t.mtime_ns, t.origin)
            for t in tracks
            if t.picture in _PICTURE_RANK
        ),
    )
    # One embedded candidate of each kind: the same picture is usually in every track.
    seen_ranks: set[int] = set()
    for rank, path, size, mtime, origin in embedded:
        if rank not in seen_ranks:
            seen_ranks.add(rank)
            found.append(Candidate(path, True, size, mtime, origin))
    return found


def artist_candidates(
    album_folders: Sequence[str], images: dict[str, dict[str, ImageFile]]
) -> list[Candidate]:
    """The ``artist.*`` image in the one folder holding all of an artist's album folders."""
    parents = {folder_of(folder) for folder in album_folders if folder}
    if len(parents) != 1:
        return []
    parent = parents.pop()
    names = images.get(parent, {})
    chosen = choose_artist_image(names)
    if chosen is None or not parent:
        return []
    image = names[chosen]
    return [Candidate(image.rel_path, False, image.size, image.mtime_ns)]


def _loader(roots: FileRoots, candidate: Candidate) -> Loader:
    root = roots.root_for(candidate.origin)
    if root is None:
        return bytes_loader(b"")  # refused as not an image; ``_subjects`` avoids this
    if not candidate.embedded:
        return file_loader(root / candidate.path)

    def load() -> bytes | ArtworkRefusal:
        picture = embedded_picture(root / candidate.path, max_bytes=MAX_EMBEDDED_IMAGE_BYTES)
        if picture is None:
            return ArtworkRefusal(
                RefusalReason.NOT_AN_IMAGE, "no usable embedded picture (missing or too large)"
            )
        return picture.data

    return load


def _subjects(
    inputs: ArtInputs,
    images: dict[str, dict[str, ImageFile]],
    *,
    uploads_known: bool,
    uploads_only: bool = False,
) -> list[_Subject]:
    """What to decide again. ``uploads_known``: whether uploads' files can be read (else
    albums with uploads are left as they are); ``uploads_only``: no walk found folder images,
    so only albums of uploads alone, or that never had a cover decided, are looked at."""
    tracks_by_album: dict[uuid.UUID, list[ArtTrack]] = defaultdict(list)
    for track in inputs.tracks:
        tracks_by_album[track.album_id].append(track)
    subjects: list[_Subject] = []
    for album in inputs.albums:
        tracks = tracks_by_album.get(album.id, [])
        has_uploads = any(t.origin != TrackOrigin.LIBRARY for t in tracks)
        if has_uploads and not uploads_known:
            continue
        all_uploads = all(t.origin != TrackOrigin.LIBRARY for t in tracks)
        if uploads_only and not (all_uploads or album.artwork_stamp is None):
            continue
        candidates = album_candidates(tracks, images)
        mark = fingerprint(candidates)
        if mark != album.artwork_stamp:
            subjects.append(_Subject(("album", album.id), candidates, mark))
    folders_by_album = {
        album_id: sorted({folder_of(t.path) for t in tracks if t.origin == TrackOrigin.LIBRARY})
        for album_id, tracks in tracks_by_album.items()
    }
    for artist in inputs.artists:
        folders = [
            folder for album_id in artist.album_ids for folder in folders_by_album.get(album_id, [])
        ]
        candidates = artist_candidates(folders, images)
        mark = fingerprint(candidates)
        if mark != artist.artwork_stamp:
            subjects.append(_Subject(("artist", artist.id), candidates, mark))
    return subjects


async def make_covers(
    sessions: async_sessionmaker[AsyncSession],
    *,
    root: Path,
    store: ArtworkStore,
    images: Iterable[ImageFile],
    skipped: list[SkippedFile],
    uploads_root: Path | None = None,
) -> int:
    """Bring every album's and artist's artwork in step with its candidates.

    Returns how many subjects were looked at again (0 on a no-change rescan). Without
    ``uploads_root``, albums holding uploads keep their artwork.
    """
    async with sessions() as session:
        inputs = await load_art_inputs(session)
    subjects = _subjects(inputs, _images_by_folder(images), uploads_known=uploads_root is not None)
    return await _decide(sessions, FileRoots(root, uploads_root), store, subjects, skipped)


async def make_upload_covers(
    sessions: async_sessionmaker[AsyncSession],
    *,
    roots: FileRoots,
    store: ArtworkStore,
    album_ids: Sequence[uuid.UUID],
) -> int:
    """The covers of albums an upload changed, from embedded pictures (no walk: no folder
    images). An album that also holds scanned tracks and has had its cover decided keeps
    it: only a scan sees its folder images."""
    if not album_ids:
        return 0
    async with sessions() as session:
        inputs = await load_art_inputs(session, album_ids)
    subjects = _subjects(inputs, {}, uploads_known=True, uploads_only=True)
    skipped: list[SkippedFile] = []
    done = await _decide(sessions, roots, store, subjects, skipped)
    for refusal in skipped:
        logger.info("upload cover: %s", refusal.reason)
    return done


async def _decide(
    sessions: async_sessionmaker[AsyncSession],
    roots: FileRoots,
    store: ArtworkStore,
    subjects: list[_Subject],
    skipped: list[SkippedFile],
) -> int:
    if not subjects:
        return 0
    by_key = {subject.key: subject for subject in subjects}
    chosen: dict[tuple[str, uuid.UUID], tuple[Artwork | None, str | None]] = {
        subject.key: (None, None) for subject in subjects if not subject.candidates
    }
    pending = [subject for subject in subjects if subject.candidates]
    while pending:
        retry: list[_Subject] = []
        sources = [
            (subject.key, _loader(roots, subject.candidates[subject.tried])) for subject in pending
        ]
        async for key, result in make_artworks(sources, store):
            subject = by_key[key]
            candidate = subject.candidates[subject.tried]
            if isinstance(result, Artwork):
                chosen[key] = (result, candidate.path)
                continue
            skipped.append(SkippedFile(candidate.path, f"cover art not used: {result.message}"))
            subject.tried += 1
            if subject.tried < len(subject.candidates):
                retry.append(subject)
            else:
                chosen[key] = (None, None)
        pending = retry
    await _save(sessions, chosen, by_key)
    return len(subjects)


async def _save(
    sessions: async_sessionmaker[AsyncSession],
    chosen: dict[tuple[str, uuid.UUID], tuple[Artwork | None, str | None]],
    by_key: dict[tuple[str, uuid.UUID], _Subject],
) -> None:
    artworks = {artwork.hash: artwork for artwork, _ in chosen.values() if artwork is not None}
    async with sessions.begin() as session:
        await save_artworks(
            session,
            [
                {
                    "hash": a.hash,
                    "width": a.width,
                    "height": a.height,
                    "sizes": list(a.sizes),
                    "color": a.color,
                }
                for a in artworks.values()
            ],
        )
        for (kind, subject_id), (artwork, source) in chosen.items():
            setter = set_album_artwork if kind == "album" else set_artist_artwork
            await setter(
                session,
                subject_id,
                artwork_hash=artwork.hash if artwork else None,
                source=source,
                stamp=by_key[(kind, subject_id)].fingerprint,
            )
