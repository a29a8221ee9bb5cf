"""Path facts shared by the scanner and the stream route, with no dependencies of their own.

The stream route runs in every server worker; it must not pull the scanner's libraries
(mutagen, libmagic) in just to ask whether a path lies inside the media root.
"""

from __future__ import annotations

import os


def is_inside(path: str, root: str) -> bool:
    """Whether the resolved ``path`` lies inside the resolved ``root``."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
