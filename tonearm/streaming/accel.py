"""``TONEARM_ACCEL=nginx``: tonearm decides, nginx sends the bytes (``X-Accel-Redirect``).

A stream request that passed every check of the route (token signature first, the
listener or the share's grant, the track available, its file confined inside its root by
``file_io.TrackFiles`` with every symlink resolved) is answered with an empty 200 whose
``X-Accel-Redirect`` names the resolved file under one of nginx's internal locations:
``<ACCEL_PREFIX>/<root name>/<percent-encoded relative path>``. nginx unescapes that URI,
maps it through the location's ``alias`` onto the same root and serves the file itself,
with Range, multipart ranges, If-Range, HEAD and the conditionals (RFC 9110). Its
``disable_symlinks on`` refuses a symlink swapped in after tonearm's check: the path tonearm
names holds none, so nginx never has to follow one.

nginx keeps ``Content-Type``, ``Content-Disposition`` and ``Cache-Control`` of this answer
(the headers tonearm owns) and sets ``Content-Length``, ``Last-Modified`` and ``ETag`` from
the file; nginx's ETag has its own shape (mtime in seconds, size), which is the validator
its If-Range and If-None-Match compare against. The internal locations are written by
``web.nginx`` from ``ACCEL_PREFIX`` and ``AccelRoot``: one definition for both sides.

**Decisions.** nginx asks first through ``auth_request`` (``DECIDE_HEADER`` beside the front
secret, no Range) and keeps a *yes* for a few seconds per request line (method, path and
token): a seek whose token nginx has seen lately never reaches tonearm. A yes is an empty
200 naming the internal URI in ``FILE_HEADER`` as the file's raw bytes (nginx maps the
``try_files`` fallback onto the root without unescaping it), the headers tonearm owns in
``X-Tonearm-*`` headers, and ``X-Accel-Expires``: how long nginx may keep it, never past the
token's life. Everything else is declined with an empty 403 that nginx never keeps and that
sends the request down the ordinary path above, where the route answers it in full: every
refusal in tonearm's own words, a variant's first play, a time offset, a request for several
ranges (``RANGES_HEADER``), and a name whose bytes an HTTP header or a ``try_files`` URI
cannot carry as they are (``?``, controls).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from tonearm.catalog.origins import FileRoots, TrackOrigin
from tonearm.paths import is_inside
from tonearm.services import Services
from tonearm.streaming.files import TrackFile
from tonearm.streaming.responses import content_disposition
from tonearm.streaming.tracks import StreamableTrack
from tonearm.transcoding.store import VariantStore

ACCEL_PREFIX = "/_tonearm/accel"
ACCEL_HEADER = "X-Accel-Redirect"
# nginx's proof that it is the one asking: only then does an answer name a file (a client
# that reaches tonearm directly gets the bytes from tonearm, and no path).
FRONT_HEADER = "X-Tonearm-Front"
_FRONT_SALT = b"tonearm.accel-front.v1"
DECIDE_HEADER = "X-Tonearm-Decide"  # nginx's auth_request: decide only, send nothing
# Sent with a decision's question when the request asks for several ranges: nginx could not
# label the parts of a multipart answer with the type a decision hands over.
RANGES_HEADER = "X-Tonearm-Ranges"
FILE_HEADER = "X-Tonearm-File"
TYPE_HEADER = "X-Tonearm-Type"
DISPOSITION_HEADER = "X-Tonearm-Disposition"
CACHE_CONTROL_HEADER = "X-Tonearm-Cache-Control"
# Bytes a decision cannot name: controls (no header carries them) and "?" (try_files takes
# what follows for a query string).
_UNNAMEABLE = re.compile(rb"[\x00-\x1f\x7f?]")


def front_secret(signing_key: str) -> str:
    """The value nginx sends in ``FRONT_HEADER``, derived from a signing key."""
    return hmac.new(signing_key.encode(), _FRONT_SALT, hashlib.sha256).hexdigest()


class AccelRoot(enum.StrEnum):
    """The roots nginx serves from, each behind its own internal location."""

    MEDIA = "media"  # TONEARM_MEDIA_ROOT: scanned tracks
    UPLOADS = "uploads"  # the uploads root: uploaded originals
    VARIANTS = "variants"  # <data dir>/variants: stored transcoded variants


def internal_location(root: AccelRoot) -> str:
    """The URI prefix of ``root``'s internal location (ends with a slash)."""
    return f"{ACCEL_PREFIX}/{root.value}/"


def _relative(root_path: str, resolved: str) -> bytes:
    if resolved == root_path or not is_inside(resolved, root_path):
        raise ValueError("not inside the root")
    return os.fsencode(resolved[len(root_path) :].lstrip("/"))


def accel_uri(root: AccelRoot, root_path: str, resolved: str) -> str:
    """The ``X-Accel-Redirect`` value naming ``resolved`` (a confined file) under ``root``.

    The relative path is percent-encoded from its raw bytes (``os.fsencode``), so a name
    that is not UTF-8 reaches nginx byte for byte, and ``?``, ``%`` or ``#`` in a name are
    never taken for a query or an escape. Raises ``ValueError`` for a path outside the root:
    callers only ever pass what ``files.locate_track_file`` confined.
    """
    return internal_location(root) + quote(_relative(root_path, resolved), safe="/")


@dataclass(frozen=True, slots=True)
class Owned:
    """What tonearm says about the bytes nginx sends: their type, the download name, and
    the token's remaining life (a floor for ``Cache-Control``)."""

    media_type: str
    download_name: str
    max_age: int

    def cache_control(self, *, kept: int = 0) -> str:
        """``Cache-Control`` for an answer nginx may keep ``kept`` seconds before using it:
        a cached copy never outlives the token."""
        return f"private, max-age={max(0, self.max_age - kept)}"


class AccelRedirects:
    """Builds the empty ``X-Accel-Redirect`` answers (and decisions) of one worker's
    stream route."""

    def __init__(
        self, roots: FileRoots, variants: Path, signing_keys: list[str], *, keep_decisions: int
    ) -> None:
        self._keep = keep_decisions  # seconds nginx may keep a yes
        self._library = str(roots.library)
        self._uploads = str(roots.uploads) if roots.uploads is not None else None
        self._variants = str(variants)
        # Every key's secret, so a config written before a key rotation keeps working.
        self._secrets = [front_secret(key).encode() for key in signing_keys]

    @classmethod
    def for_services(cls, services: Services) -> AccelRedirects | None:
        """The redirects for ``TONEARM_ACCEL=nginx``; None when tonearm sends the bytes."""
        settings = services.settings
        if settings.accel != "nginx":
            return None
        return cls(
            services.file_roots,
            VariantStore.in_data_dir(settings.data_dir).root,
            settings.signing_keys(),
            keep_decisions=settings.accel_decision_seconds,
        )

    def from_front(self, request: Request) -> bool:
        """Whether nginx sent ``request`` (it carries the front secret): only then redirect."""
        sent = request.headers.get(FRONT_HEADER)
        if sent is None:
            return False
        offered = sent.encode("latin-1", "replace")
        return any(hmac.compare_digest(offered, secret) for secret in self._secrets)

    def deciding(self, request: Request) -> bool:
        """Whether ``request`` is nginx's ``auth_request`` asking for a decision only."""
        return DECIDE_HEADER in request.headers and self.from_front(request)

    @staticmethod
    def declines(request: Request) -> bool:
        """Whether a decision is declined before any check: several ranges asked for."""
        return RANGES_HEADER in request.headers

    def original(
        self, file: TrackFile, track: StreamableTrack, *, max_age: int, decide: bool = False
    ) -> Response:
        """The answer for a track's own (confined) file: a redirect, or with ``decide`` a
        decision."""
        if track.origin == TrackOrigin.UPLOAD and self._uploads is not None:
            root, root_path = AccelRoot.UPLOADS, self._uploads
        else:
            root, root_path = AccelRoot.MEDIA, self._library
        owned = Owned(track.mime_type, track.download_name, max_age)
        return self._answer(root, root_path, file.path, owned, decide=decide)

    def variant(
        self,
        file: TrackFile,
        *,
        media_type: str,
        download_name: str,
        max_age: int,
        decide: bool = False,
    ) -> Response:
        """The answer for a stored variant (a file confined to the variant store)."""
        owned = Owned(media_type, download_name, max_age)
        return self._answer(AccelRoot.VARIANTS, self._variants, file.path, owned, decide=decide)

    def _answer(
        self, root: AccelRoot, root_path: str, resolved: str, owned: Owned, *, decide: bool
    ) -> Response:
        if not decide:
            return Response(
                b"",
                media_type=owned.media_type,
                headers={
                    ACCEL_HEADER: accel_uri(root, root_path, resolved),
                    "Content-Disposition": content_disposition(owned.download_name),
                    "Cache-Control": owned.cache_control(),
                },
            )
        relative = _relative(root_path, resolved)
        if _UNNAMEABLE.search(relative):
            return decline()
        keep = decision_seconds(owned.max_age, self._keep)
        response = Response(b"", status_code=200)
        response.headers.update(
            {
                # Starlette sends header values as Latin-1: decoding the raw bytes that way
                # hands them to nginx unchanged, whatever the name's encoding.
                FILE_HEADER: internal_location(root) + relative.decode("latin-1"),
                TYPE_HEADER: owned.media_type,
                DISPOSITION_HEADER: content_disposition(owned.download_name),
                CACHE_CONTROL_HEADER: owned.cache_control(kept=keep),
                "X-Accel-Expires": str(keep),
            }
        )
        return response


def decline() -> Response:
    """No decision: nginx sends the request on to the route, which answers it in full."""
    return Response(b"", status_code=403, headers={"Cache-Control": "no-store"})


def decision_seconds(max_age: int, keep: int) -> int:
    """How long nginx may keep a yes: ``keep`` seconds, and never as long as the token
    has left to live (0: not kept)."""
    return max(0, min(keep, max_age - 1))


__all__ = [
    "ACCEL_HEADER",
    "ACCEL_PREFIX",
    "CACHE_CONTROL_HEADER",
    "DECIDE_HEADER",
    "DISPOSITION_HEADER",
    "FILE_HEADER",
    "FRONT_HEADER",
    "RANGES_HEADER",
    "TYPE_HEADER",
    "AccelRedirects",
    "AccelRoot",
    "Owned",
    "accel_uri",
    "decision_seconds",
    "decline",
    "front_secret",
    "internal_location",
]
