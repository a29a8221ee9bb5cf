"""The key layout of stored objects: the one place that names them.

::

    originals/<user id>/<yyyy>/<mm>/<track id>.<ext>   an uploaded original
    variants/<track id>/<format>-<bitrate>.<ext>       a transcoded variant
    art/<hash>/<size>.<ext>                            a cover thumbnail (SHA-256 of the source)
    incoming/<user id>/<upload id>                     a direct upload before it is finished

Every part comes from an id, a hash, a date, a number or one of our own format names,
never from user input: a key cannot hold ``..``, a leading ``/`` or a name a client chose.
``parse_key`` checks a key against exactly these shapes, so the local backend can map a
key to a path without any other check. Standard library only.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass
from datetime import datetime


class Namespace(enum.StrEnum):
    """The first part of a key: what kind of object it names."""

    ORIGINALS = "originals"
    VARIANTS = "variants"
    ART = "art"
    INCOMING = "incoming"


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_EXT = r"[a-z0-9]{1,8}"
_SHAPES = {
    Namespace.ORIGINALS: re.compile(rf"originals/({_UUID})/(\d{{4}})/(\d{{2}})/({_UUID})\.{_EXT}"),
    Namespace.VARIANTS: re.compile(rf"variants/({_UUID})/[a-z0-9]{{1,16}}-\d{{1,4}}\.{_EXT}"),
    Namespace.ART: re.compile(r"art/([0-9a-f]{64})/[1-9][0-9]{0,3}\." + _EXT),
    Namespace.INCOMING: re.compile(rf"incoming/({_UUID})/{_UUID}"),
}


class BadKey(ValueError):
    """Not a key of the layout above."""


@dataclass(frozen=True, slots=True)
class ParsedKey:
    """A checked key: its namespace and the part after ``<namespace>/``."""

    namespace: Namespace
    rest: str
    # The id the key is filed under: the user (originals), the track (variants) or the hash.
    owner: str


def parse_key(key: str) -> ParsedKey:
    """Check ``key`` against the layout; raises ``BadKey``."""
    namespace_name, _, rest = key.partition("/")
    try:
        namespace = Namespace(namespace_name)
    except ValueError:
        raise BadKey("not a storage key") from None
    match = _SHAPES[namespace].fullmatch(key)
    if match is None:
        raise BadKey("not a storage key")
    return ParsedKey(namespace, rest, match[1])


def original_key(user_id: uuid.UUID, track_id: uuid.UUID, extension: str, when: datetime) -> str:
    """The key of an uploaded original (``extension`` is the probed format's, never the
    client's)."""
    return f"originals/{user_id}/{when:%Y}/{when:%m}/{track_id}.{extension}"


def original_relative(key: str) -> str:
    """The part of an original's key under the uploads root (its ``tracks.path``)."""
    parsed = parse_key(key)
    if parsed.namespace is not Namespace.ORIGINALS:
        raise BadKey("not an original's key")
    return parsed.rest


def variant_key(track_id: uuid.UUID, slug: str, container: str) -> str:
    """The key of a variant, ``slug`` being ``<format>-<bitrate>``."""
    return f"variants/{track_id}/{slug}.{container}"


def variant_prefix(track_id: uuid.UUID) -> str:
    """The prefix of every variant of a track."""
    return f"variants/{track_id}/"


def art_key(artwork_hash: str, size: int, extension: str) -> str:
    """The key of a thumbnail."""
    return f"art/{artwork_hash}/{size}.{extension}"


def art_prefix(artwork_hash: str) -> str:
    """The prefix of every thumbnail of one source."""
    return f"art/{artwork_hash}/"


# Where direct uploads (the client PUTs parts to the bucket) are assembled; the sweep
# lists multipart uploads under it.
INCOMING_PREFIX = f"{Namespace.INCOMING.value}/"


def incoming_key(user_id: uuid.UUID, upload_id: uuid.UUID) -> str:
    """The key a direct upload is assembled under until it is finished (then copied to its
    original's key and deleted)."""
    return f"{INCOMING_PREFIX}{user_id}/{upload_id}"
