"""Tag readers, one per tag family: ID3, Vorbis comments, MP4 atoms, and WAV's two.

Each reader turns what mutagen parsed into ``Tags``: text cleaned for storage
(``clean_text``), multi-valued tags as tuples of at most ``MAX_VALUES`` names, MusicBrainz
ids only when they are UUIDs (lower-cased), and the kind of the best embedded picture,
found without decoding any image. Each family also lists its embedded pictures
(``pictures``) for the artwork step. ``formats.py`` says which family each container uses.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from mutagen.flac import Picture
from mutagen.id3 import ID3

from tonearm.catalog.artists import MAX_ARTISTS
from tonearm.library.containers import Layout, SkippedFrame, single_frame_tag
from tonearm.library.facts import EmbeddedPicture, PictureKind

MAX_TEXT = 1000
MAX_GENRE = 255  # the registry's genre column
MAX_VALUES = MAX_ARTISTS
FRONT_COVER = 3  # the picture type of ID3 APIC and FLAC's METADATA_BLOCK_PICTURE
CREDIT_SEPARATOR = "; "  # joins a multi-valued artist tag for display; splitting it gives it back
MUSICBRAINZ_UFID_OWNER = "http://musicbrainz.org"

# mutagen's constructors are untyped.
_parse_id3: Callable[..., Any] = ID3
_parse_block_picture: Callable[[bytes], Any] = Picture

_SURROGATE = re.compile("[\ud800-\udfff]")
_NUMBER = re.compile(r"\d+")
_YEAR = re.compile(r"\d{4,}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TRUE = frozenset({"1", "true", "yes"})


@dataclass(frozen=True, slots=True)
class Tags:
    """What one file's tags say, cleaned; empty fields are ``None`` or ``()``."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    artists: tuple[str, ...] = ()
    album_artists: tuple[str, ...] = ()
    composers: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    disc_subtitle: str | None = None
    is_compilation: bool = False
    musicbrainz_album_id: str | None = None
    musicbrainz_track_id: str | None = None
    picture: PictureKind | None = None

    def or_else(self, other: Tags) -> Tags:
        """These tags, each empty field filled from ``other``."""
        return Tags(
            **{
                f.name: getattr(self, f.name) or getattr(other, f.name)
                for f in dataclasses.fields(self)
            }
        )


NO_TAGS = Tags()


@dataclass(frozen=True, slots=True)
class TagFamily:
    """How one tag family is read: its text tags, and its embedded pictures.

    ``read(audio, layout)`` reads what mutagen parsed; ``pictures(audio, layout, handle,
    max_bytes)`` lists the pictures of at most ``max_bytes`` (it may read frames the
    layout left out of mutagen's parse from ``handle``).
    """

    name: str
    read: Callable[[Any, Layout], Tags]
    pictures: Callable[[Any, Layout, BinaryIO, int], list[EmbeddedPicture]]


# --- values --------------------------------------------------------------------------------


def clean_text(value: object) -> str | None:
    """Tag text made safe to store: no NULs or lone surrogates, trimmed, bounded."""
    if value is None:
        return None
    text = str(value)[: 4 * MAX_TEXT]  # room for what trimming removes; never a huge copy
    text = _SURROGATE.sub("\ufffd", text.replace("\x00", " ")).strip()
    return text[:MAX_TEXT].strip() or None


def _values(values: Iterable[object], max_length: int = MAX_TEXT) -> tuple[str, ...]:
    """Distinct non-empty cleaned values, in order, at most ``MAX_VALUES``."""
    kept: dict[str, None] = {}
    for value in values:
        text = clean_text(value)
        if text:
            text = text[:max_length].rstrip()
            kept[text] = None
            if len(kept) >= MAX_VALUES:
                break
    return tuple(kept)


def _first(values: Iterable[object]) -> str | None:
    return next((text for value in values if (text := clean_text(value))), None)


def _credit(values: Iterable[object]) -> tuple[str | None, tuple[str, ...]]:
    """A credit for display and, when the tag holds several values, the names it holds."""
    names = _values(values)
    if len(names) > 1:
        return clean_text(CREDIT_SEPARATOR.join(names)), names
    return (names[0] if names else None), ()


def _number(value: str | None, upper: int) -> int | None:
    """The first number of ``"3"`` or ``"3/12"``, when it is in 1..``upper``."""
    match = _NUMBER.search(value or "")
    if not match:
        return None
    number = int(match.group()[:9])
    return number if 0 < number <= upper else None


def _year(value: str | None) -> int | None:
    """The year of a date such as ``2001``, ``2001-05-02``, ``2001-05-02T10:00:00Z``."""
    match = _YEAR.search(value or "")
    if not match:
        return None
    year = int(match.group()[:4])
    return year or None


def _first_year(candidates: Iterable[Iterable[object]]) -> int | None:
    for values in candidates:
        year = _year(_first(values))
        if year:
            return year
    return None


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def musicbrainz_id(value: object) -> str | None:
    """A MusicBrainz id, lower-cased, when ``value`` is a UUID (8-4-4-4-12 hex), else ``None``."""
    text = (clean_text(value) or "").lower()
    return text if _UUID.fullmatch(text) else None


def _kind(types: Iterable[int]) -> PictureKind | None:
    found = None
    for picture_type in types:
        if picture_type == FRONT_COVER:
            return PictureKind.FRONT
        found = PictureKind.OTHER
    return found


def _image_type(data: bytes, declared: str | None) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    text = (declared or "").strip().lower()
    if text in ("jpg", "jpeg", "png", "gif", "webp"):
        text = "image/" + text.replace("jpg", "jpeg")
    return text if text.startswith("image/") else "application/octet-stream"


def _picture(data: bytes, declared: str | None, picture_type: int) -> EmbeddedPicture:
    kind = PictureKind.FRONT if picture_type == FRONT_COVER else PictureKind.OTHER
    return EmbeddedPicture(data=bytes(data), mime_type=_image_type(data, declared), kind=kind)


# --- ID3 (MP3, WAV) ------------------------------------------------------------------------


def _id3_text(tags: Any, frame_id: str) -> list[Any]:
    frame = tags.get(frame_id)
    return list(getattr(frame, "text", None) or ())


def _genres(frame: Any) -> tuple[str, ...]:
    # ``genres`` turns ID3v1 references such as "(17)" or "17" into names ("Rock").
    return _values(getattr(frame, "genres", None) or (), MAX_GENRE)


def _musicbrainz_recording(tags: Any) -> str | None:
    for frame in tags.getall("UFID"):
        if frame.owner == MUSICBRAINZ_UFID_OWNER:
            return musicbrainz_id(bytes(frame.data).decode("ascii", "replace"))
    return None


def _apic_frames(tags: Any) -> Iterator[Any]:
    # An APIC whose MIME type is "-->" holds a URL, not a picture.
    return (frame for frame in tags.getall("APIC") if frame.mime != "-->")


def read_id3(tags: Any, skipped: Iterable[SkippedFrame] = ()) -> Tags:
    """ID3v1, v2.3 and v2.4 frames (mutagen presents all three as v2.4 frames).

    ``skipped``: frames left out of mutagen's parse (``containers.id3_splice``); their
    pictures count for ``picture`` (one whose type is unreadable as some other picture).
    """
    skipped_types = [
        -1 if frame.picture_type is None else frame.picture_type
        for frame in skipped
        if frame.frame_id == "APIC"
    ]
    if tags is None:
        return Tags(picture=_kind(skipped_types))
    user = {frame.desc.casefold(): frame.text for frame in tags.getall("TXXX")}
    artist, artist_values = _credit(_id3_text(tags, "TPE1"))
    album_artist, album_artist_values = _credit(_id3_text(tags, "TPE2"))
    return Tags(
        title=_first(_id3_text(tags, "TIT2")),
        artist=artist,
        album=_first(_id3_text(tags, "TALB")),
        album_artist=album_artist,
        track_number=_number(_first(_id3_text(tags, "TRCK")), 99999),
        disc_number=_number(_first(_id3_text(tags, "TPOS")), 9999),
        year=_first_year(_id3_text(tags, f) for f in ("TDRC", "TYER", "TDOR", "TORY")),
        artists=_values(user.get("artists", ())) or artist_values,
        album_artists=_values(user.get("albumartists", ())) or album_artist_values,
        composers=_values(_id3_text(tags, "TCOM")),
        genres=_genres(tags.get("TCON")),
        disc_subtitle=_first(_id3_text(tags, "TSST")),
        is_compilation=_is_true(_first(_id3_text(tags, "TCMP"))),
        musicbrainz_album_id=musicbrainz_id(_first(user.get("musicbrainz album id", ()))),
        musicbrainz_track_id=_musicbrainz_recording(tags),
        picture=_kind(itertools.chain((frame.type for frame in _apic_frames(tags)), skipped_types)),
    )


def _skipped_apic(handle: BinaryIO, layout: Layout, frame: SkippedFrame) -> list[Any]:
    """A skipped APIC frame, parsed by mutagen on its own (in a one-frame tag)."""
    tag = single_frame_tag(handle, frame, major=layout.id3_version)
    return list(_parse_id3(io.BytesIO(tag), load_v1=False).getall("APIC"))


def id3_pictures(
    tags: Any, max_bytes: int, *, layout: Layout | None = None, handle: BinaryIO | None = None
) -> list[EmbeddedPicture]:
    """The APIC pictures of at most ``max_bytes``, with those a splice left out."""
    frames = list(_apic_frames(tags)) if tags is not None else []
    if layout is not None and handle is not None:
        for skipped in layout.skipped_frames:
            if skipped.frame_id == "APIC" and skipped.data_size <= max_bytes + 1024:
                frames += _skipped_apic(handle, layout, skipped)
    return [
        _picture(frame.data, frame.mime, frame.type)
        for frame in frames
        if frame.mime != "-->" and len(frame.data) <= max_bytes
    ]


# --- Vorbis comments (FLAC, Ogg Vorbis, Opus) ----------------------------------------------

_BLOCK_PICTURE = "METADATA_BLOCK_PICTURE"


def _comments(audio: Any) -> dict[str, list[str]]:
    by_key: dict[str, list[str]] = {}
    for key, value in audio.tags or ():
        by_key.setdefault(key.upper(), []).append(value)
    return by_key


def _block_picture_type(value: str) -> int | None:
    """A METADATA_BLOCK_PICTURE's type, from the first base64 characters only."""
    try:
        head = base64.b64decode(value[:8])
    except (binascii.Error, ValueError):
        return None
    return int.from_bytes(head[:4]) if len(head) >= 4 else None


def _vorbis_picture_types(audio: Any, comments: dict[str, list[str]]) -> Iterator[int]:
    for picture in getattr(audio, "pictures", None) or ():  # FLAC's PICTURE blocks
        yield picture.type
    for value in comments.get(_BLOCK_PICTURE, ()):
        picture_type = _block_picture_type(value)
        if picture_type is not None:
            yield picture_type


def read_vorbis_comments(audio: Any, layout: Layout) -> Tags:
    """Vorbis comments; a repeated ``ARTIST`` or ``GENRE`` is a multi-valued tag."""
    comments = _comments(audio)

    def get(*keys: str) -> list[str]:
        return next((comments[key] for key in keys if comments.get(key)), [])

    artist, artist_values = _credit(get("ARTIST"))
    album_artist, album_artist_values = _credit(get("ALBUMARTIST", "ALBUM ARTIST"))
    return Tags(
        title=_first(get("TITLE")),
        artist=artist,
        album=_first(get("ALBUM")),
        album_artist=album_artist,
        track_number=_number(_first(get("TRACKNUMBER")), 99999),
        disc_number=_number(_first(get("DISCNUMBER")), 9999),
        year=_first_year(get(k) for k in ("DATE", "YEAR", "ORIGINALDATE", "ORIGINALYEAR")),
        artists=_values(get("ARTISTS")) or artist_values,
        album_artists=_values(get("ALBUMARTISTS")) or album_artist_values,
        composers=_values(get("COMPOSER")),
        genres=_values(get("GENRE"), MAX_GENRE),
        disc_subtitle=_first(get("DISCSUBTITLE")),
        is_compilation=_is_true(_first(get("COMPILATION"))),
        musicbrainz_album_id=musicbrainz_id(_first(get("MUSICBRAINZ_ALBUMID"))),
        musicbrainz_track_id=musicbrainz_id(_first(get("MUSICBRAINZ_TRACKID"))),
        picture=_kind(_vorbis_picture_types(audio, comments)),
    )


def vorbis_pictures(
    audio: Any, layout: Layout, handle: BinaryIO, max_bytes: int
) -> list[EmbeddedPicture]:
    """FLAC's PICTURE blocks and METADATA_BLOCK_PICTURE comments of at most ``max_bytes``."""
    found = [
        _picture(picture.data, picture.mime, picture.type)
        for picture in getattr(audio, "pictures", None) or ()
        if len(picture.data) <= max_bytes
    ]
    for value in _comments(audio).get(_BLOCK_PICTURE, ()):
        if len(value) * 3 // 4 > max_bytes + 1024:  # base64 of more than we would keep
            continue
        try:
            picture = _parse_block_picture(base64.b64decode(value))
        except Exception:  # noqa: S112 - one broken picture is no picture
            continue
        if len(picture.data) <= max_bytes:
            found.append(_picture(picture.data, picture.mime, picture.type))
    return found


# --- MP4 atoms (M4A: AAC, ALAC) -----------------------------------------------------------

_ITUNES = "----:com.apple.itunes:"


def _freeform(tags: Any) -> dict[str, list[str]]:
    """``----:com.apple.iTunes:NAME`` values by folded name, decoded as UTF-8."""
    found: dict[str, list[str]] = {}
    for key, values in tags.items():
        if key.casefold().startswith(_ITUNES):
            name = key[len(_ITUNES) :].casefold()
            found[name] = [bytes(v).decode("utf-8", "replace") for v in values]
    return found


def _pair_first(values: list[Any], upper: int) -> int | None:
    first = values[0] if values else None
    number = first[0] if isinstance(first, tuple) and first else None
    return number if isinstance(number, int) and 0 < number <= upper else None


def read_mp4(audio: Any, layout: Layout) -> Tags:
    """MP4 atoms; mutagen already turns an ID3v1-style ``gnre`` into ``©gen`` names."""
    tags = audio.tags
    if tags is None:
        return NO_TAGS
    freeform = _freeform(tags)

    def get(key: str) -> list[Any]:
        value = tags.get(key)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]  # ``cpil`` is a bool

    artist, artist_values = _credit(get("\xa9ART"))
    album_artist, album_artist_values = _credit(get("aART"))
    return Tags(
        title=_first(get("\xa9nam")),
        artist=artist,
        album=_first(get("\xa9alb")),
        album_artist=album_artist,
        track_number=_pair_first(get("trkn"), 99999),
        disc_number=_pair_first(get("disk"), 9999),
        year=_year(_first(get("\xa9day"))),
        artists=_values(freeform.get("artists", ())) or artist_values,
        album_artists=_values(freeform.get("albumartists", ())) or album_artist_values,
        composers=_values(get("\xa9wrt")),
        genres=_values(get("\xa9gen"), MAX_GENRE),
        disc_subtitle=_first(freeform.get("discsubtitle", ())),
        is_compilation=any(value is True for value in get("cpil")),
        musicbrainz_album_id=musicbrainz_id(_first(freeform.get("musicbrainz album id", ()))),
        musicbrainz_track_id=musicbrainz_id(_first(freeform.get("musicbrainz track id", ()))),
        # iTunes keeps no picture type: a cover in ``covr`` is the front cover.
        picture=PictureKind.FRONT if get("covr") else None,
    )


def mp4_pictures(
    audio: Any, layout: Layout, handle: BinaryIO, max_bytes: int
) -> list[EmbeddedPicture]:
    """The ``covr`` images of at most ``max_bytes`` (all front covers)."""
    covers = (audio.tags or {}).get("covr") or ()
    return [_picture(cover, None, FRONT_COVER) for cover in covers if len(cover) <= max_bytes]


# --- WAV: an ID3 chunk, and RIFF INFO ------------------------------------------------------


def _info_text(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        return clean_text(raw.decode("utf-8"))
    except UnicodeDecodeError:  # older tools wrote the Windows code page
        return clean_text(raw.decode("cp1252", "replace"))


def read_riff_info(info: dict[str, bytes]) -> Tags:
    """RIFF ``INFO`` fields: INAM, IART, IPRD, ICRD, IGNR, ITRK (or IPRT)."""
    genre = _info_text(info.get("IGNR"))
    genre = genre[:MAX_GENRE].rstrip() if genre else None
    return Tags(
        title=_info_text(info.get("INAM")),
        artist=_info_text(info.get("IART")),
        album=_info_text(info.get("IPRD")),
        track_number=_number(_info_text(info.get("ITRK") or info.get("IPRT")), 99999),
        year=_year(_info_text(info.get("ICRD"))),
        genres=(genre,) if genre else (),
    )


def read_wave(audio: Any, layout: Layout) -> Tags:
    """A WAV file's ID3 chunk, each missing field filled from its RIFF INFO list."""
    return read_id3(audio.tags).or_else(read_riff_info(layout.info))


def _read_id3_of(audio: Any, layout: Layout) -> Tags:
    return read_id3(audio.tags, layout.skipped_frames)


def _id3_pictures_of(
    audio: Any, layout: Layout, handle: BinaryIO, max_bytes: int
) -> list[EmbeddedPicture]:
    return id3_pictures(audio.tags, max_bytes, layout=layout, handle=handle)


ID3_TAGS = TagFamily("ID3", _read_id3_of, _id3_pictures_of)
VORBIS_COMMENTS = TagFamily("Vorbis comments", read_vorbis_comments, vorbis_pictures)
MP4_ATOMS = TagFamily("MP4 atoms", read_mp4, mp4_pictures)
WAVE_TAGS = TagFamily("ID3 chunk and RIFF INFO", read_wave, _id3_pictures_of)
