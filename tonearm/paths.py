"""Paths of media files: what they are inside tonearm, and how a person sees them.

A file name on Linux is bytes, not text; a library copied from an old Windows or FAT drive
often has Latin-1 names (``caf\\xe9.mp3``) that are not valid UTF-8. Inside Python a relative
path is kept as the ``str`` the OS gives (``os.scandir`` on a ``str`` decodes with
``surrogateescape``), so ``os.fsencode(path)`` always gives back the exact bytes on disk; the
registry stores those bytes (``db.models.FilesystemPath``). Such a ``str`` may hold lone
surrogates, which no UTF-8 encoder, JSON document, HTTP header or terminal accepts: anything
that shows a path to a person goes through ``display_path``.
"""

from __future__ import annotations

import os
import re

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
# C0 and C1 controls and DEL: a name holding a newline or an escape sequence must not forge
# a log line or drive the operator's terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def display_path(path: str) -> str:
    """``path`` as text for a person: undecodable bytes and control characters become U+FFFD.

    Only for showing (summaries, logs, JSON, title fallbacks); never use the result to find
    the file again — distinct names can share a display form.
    """
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:  # a surrogate no OS name decodes to: not from the disk
        raw = path.encode("utf-8", "surrogatepass")
    return _CONTROL.sub(REPLACEMENT, raw.decode("utf-8", "replace"))


def is_inside(path: str, root: str) -> bool:
    """Whether the resolved ``path`` lies inside the resolved ``root``.

    Shared by the walker and the stream route; living here (standard library only) keeps
    the scanner's libraries out of every server worker.
    """
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
