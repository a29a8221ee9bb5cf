"""M3U and M3U8 playlist files: parsing and where each entry may point (pure, no I/O).

``parse_m3u(data, extended_utf8=…)`` turns a file's bytes into its name (``#PLAYLIST:``)
and entries (``#EXTINF`` duration and title). ``.m3u8`` is UTF-8; ``.m3u`` is UTF-8 when it
decodes as such, else cp1252 (Latin-1 where cp1252 leaves a byte undefined), which is what
old Windows players wrote. Each entry keeps its exact bytes as well as its text, so a name
that is not UTF-8 on disk can still be found (``tonearm.paths``: relative paths are the
OS's ``str``, surrogate escapes for bytes that are not UTF-8).

``entry_target(entry, playlist_dir=…, media_root=…)`` lists the media-root relative paths
an entry may mean, best first, or says why it means none: relative entries are relative to
the playlist's folder, ``.`` and ``..`` are normalised and anything that climbs out of the
media root is refused; absolute paths count only inside the media root; ``file://`` URLs
are percent-decoded to bytes; Windows separators are read as ``/``; a drive-letter (or UNC)
path names a place on another machine, so the library copied here is found by its trailing
folders (``D:\\Music\\A\\1.mp3`` → ``Music/A/1.mp3``, ``A/1.mp3``, ``1.mp3``); URLs of any
other scheme are not local files. Nothing here touches the file system: the scanner looks
the candidates up in the registry, so an entry is never opened.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes, urlsplit

from tonearm.paths import display_path, is_inside

UTF8_BOM = b"\xef\xbb\xbf"
PLAYLIST_EXTENSIONS = frozenset({".m3u", ".m3u8"})
OUTSIDE_ROOT = "outside the media root"
# Linux's PATH_MAX: a longer entry cannot be a path, and is not looked up.
MAX_ENTRY_BYTES = 4096
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_DRIVE = re.compile(r"^[A-Za-z]:")
_EXTINF = re.compile(r"^\s*(-?\d+(?:\.\d+)?)?\s*(?:[^,]*)?,(.*)$", re.DOTALL)


def is_playlist_file(name: str) -> bool:
    """Whether a file name is an M3U or M3U8 playlist's."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in PLAYLIST_EXTENSIONS


@dataclass(frozen=True, slots=True)
class M3UEntry:
    """One entry of a playlist file: where it points, as text and as the file's bytes."""

    location: str
    raw: bytes
    duration_seconds: float | None = None  # from #EXTINF; None when absent or negative
    title: str | None = None


@dataclass(frozen=True, slots=True)
class M3UPlaylist:
    """What a playlist file says: its name (``#PLAYLIST:``, if any) and its entries."""

    name: str | None
    entries: tuple[M3UEntry, ...]
    encoding: str


def decode(data: bytes, *, utf8: bool) -> tuple[str, str]:
    """``data`` as text and the encoding used (BOM removed).

    ``utf8`` (an ``.m3u8``): UTF-8, bytes that are not kept as surrogate escapes, exactly as
    the OS gives undecodable names. Otherwise UTF-8 when all of it decodes, else cp1252, else
    Latin-1 (which decodes anything).
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        utf8 = True
    if utf8:
        return data.decode("utf-8", "surrogateescape"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _lines(data: bytes) -> list[bytes]:
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")


def _text(line: bytes, encoding: str) -> str:
    if encoding == "utf-8":
        return line.decode("utf-8", "surrogateescape")
    return line.decode(encoding)


def parse_m3u(data: bytes, *, utf8: bool = False) -> M3UPlaylist:
    """The name and entries of a playlist file's bytes (``utf8``: it is an ``.m3u8``).

    Comments (``#`` lines other than ``#EXTINF`` and ``#PLAYLIST``) and blank lines are
    skipped; an ``#EXTINF`` applies to the next entry only. Never raises for bad input.
    """
    _, encoding = decode(data, utf8=utf8)
    name: str | None = None
    entries: list[M3UEntry] = []
    pending: tuple[float | None, str | None] | None = None
    for line in _lines(data):
        stripped = line.strip()
        if not stripped:
            continue
        text = _text(stripped, encoding)
        if text.startswith("#"):
            upper = text[:10].upper()
            if upper.startswith("#EXTINF:"):
                pending = _extinf(text[len("#EXTINF:") :])
            elif upper.startswith("#PLAYLIST:"):
                name = _clean(text[len("#PLAYLIST:") :]) or name
            continue
        duration, title = pending or (None, None)
        entries.append(M3UEntry(text, stripped, duration, title))
        pending = None
    return M3UPlaylist(name, tuple(entries), encoding)


def _extinf(value: str) -> tuple[float | None, str | None]:
    """``#EXTINF:<seconds> [attributes],<title>`` → (seconds, title)."""
    match = _EXTINF.match(value)
    seconds: float | None
    if match is None:
        try:
            seconds = float(value.strip())
        except ValueError:
            return None, None
        return (seconds if seconds >= 0 else None), None
    seconds_text, title = match.groups()
    seconds = float(seconds_text) if seconds_text else None
    if seconds is not None and seconds < 0:
        seconds = None
    return seconds, _clean(title)


def _clean(text: str) -> str | None:
    cleaned = display_path(text).strip()
    return cleaned or None


@dataclass(frozen=True, slots=True)
class EntryTarget:
    """The relative paths an entry may mean, best first, and what is wrong with any of its
    readings (why it names no track, if none of the candidates is registered)."""

    candidates: tuple[str, ...]
    problem: str | None = None


def entry_target(entry: M3UEntry, *, playlist_dir: str, media_root: str) -> EntryTarget:
    """Where ``entry`` may point inside the media root (``media_root``: resolved, absolute).

    ``playlist_dir`` is the playlist file's folder relative to the root (``""`` for the
    root itself).
    """
    location = entry.location.strip()
    if len(entry.raw) > MAX_ENTRY_BYTES:
        return EntryTarget((), "too long to be a path")
    scheme = _SCHEME.match(location)
    if scheme and not _DRIVE.match(location):
        if scheme[1].lower() != "file":
            return EntryTarget((), f"not a local file ({scheme[1].lower()} URL)")
        path = _file_url_path(location)
        if path is None:
            return EntryTarget((), "a file URL of another machine")
        spellings = [path]
    else:
        spellings = [location]
        raw = os.fsdecode(entry.raw.strip())
        if raw != location:  # a Latin-1 file naming a file whose name on disk is Latin-1
            spellings.append(raw)
    candidates: list[str] = []
    problem: str | None = None
    for spelling in spellings:
        for variant in _separators(spelling):
            found, why = _variant_targets(variant, playlist_dir, media_root)
            candidates += [c for c in found if c not in candidates]
            problem = problem or why
    return EntryTarget(tuple(candidates), problem)


def _file_url_path(location: str) -> str | None:
    """The local path of a ``file:`` URL, percent-decoded to the exact bytes of its name."""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc.lower() != "localhost":
        return None
    path = os.fsdecode(unquote_to_bytes(parts.path))
    if re.match(r"^/[A-Za-z]:[\\/]", path):  # file:///C:/Music/a.mp3
        path = path[1:]
    return path


def _separators(path: str) -> list[str]:
    if "\\" not in path:
        return [path]
    return [path, path.replace("\\", "/")]


def _variant_targets(path: str, playlist_dir: str, media_root: str) -> tuple[list[str], str | None]:
    if not path:
        return [], "an empty entry"
    if _DRIVE.match(path) or path.startswith(("//", "\\\\")):
        found = _foreign_absolute(path)
        return found, (None if found else OUTSIDE_ROOT)
    if path.startswith("/"):
        normal = posixpath.normpath(path)
        root = media_root.rstrip("/") or "/"
        if normal == root or not is_inside(normal, root):
            return [], OUTSIDE_ROOT
        return [normal[len(root) :].lstrip("/")], None
    joined = posixpath.normpath(posixpath.join(playlist_dir, path))
    if joined in (".", "..") or joined.startswith("../") or joined.startswith("/"):
        return [], OUTSIDE_ROOT
    return [joined], None


def _foreign_absolute(path: str) -> list[str]:
    """A Windows path of another machine: its trailing folders, longest first."""
    rest = (path[2:] if _DRIVE.match(path) else path).replace("\\", "/")
    unc = rest.startswith("//")
    parts = [part for part in rest.split("/") if part and part != "."]
    if unc:
        parts = parts[2:]  # //server/share/…
    if ".." in parts or not parts:
        return []
    return ["/".join(parts[start:]) for start in range(len(parts))]


def shown_entry(entry: M3UEntry, *, media_root: str) -> str:
    """An entry as text for the scan summary, without a path of this machine.

    An absolute path inside the media root is shown relative to it; one outside it as its
    last name only; a URL without its user, password and query.
    """
    location = entry.location.strip()
    scheme = _SCHEME.match(location)
    if scheme and not _DRIVE.match(location):
        parts = urlsplit(location)
        if scheme[1].lower() == "file":
            path = _file_url_path(location)
            if path is not None and path.startswith("/"):
                return _shown_absolute(path, media_root)
        host = parts.hostname or ""
        return display_path(f"{parts.scheme}://{host}{parts.path}")
    if location.startswith("/"):
        return _shown_absolute(location, media_root)
    return display_path(location)


def _shown_absolute(path: str, media_root: str) -> str:
    normal = posixpath.normpath(path)
    root = media_root.rstrip("/") or "/"
    if normal != root and is_inside(normal, root):
        return display_path(normal[len(root) :].lstrip("/"))
    return display_path(f"…/{posixpath.basename(normal)}")
