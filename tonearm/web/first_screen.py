"""Painting the library's first rows into the shell, before the player's code runs.

The build writes ``first-screen.template.json`` (its route in ``frontend/src/routes``): the
library page as the app's own components render it — header, search, the list's frame,
sidebar and player bar, cut where the rows go — and one row in each shape it can take, with
slots (``TONEARM_SLOT_<name>_``) for every value. This module fills it from the answer to the
shell's first-rows operation (``#tonearm-first-rows-request``: the viewer and the first rows
of the boot query's own page, run as the viewer by ``web/player.py``'s source) and wraps it in
``#tonearm-first-screen``, which the app removes when it mounts. Every value is HTML-escaped
(ids also URL-encoded as ``encodeURIComponent`` does); nothing is painted when the answer or
the template is not what is expected, and the shell then is the plain one.
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

logger = logging.getLogger(__name__)

TEMPLATE_FILE = "first-screen.template.json"
FIRST_SCREEN_ID = "tonearm-first-screen"
_SLOT = re.compile(r"TONEARM_SLOT_([a-z]+)_")
# What encodeURIComponent leaves as it is, besides letters and digits.
_URI_COMPONENT_SAFE = "-_.!~*'()"


@dataclass(frozen=True, slots=True)
class Frame:
    """The page around the list: up to the ``<ol>`` open tag, and from its ``</ol>`` on."""

    before: str
    after: str


@dataclass(frozen=True, slots=True)
class FirstScreenTemplate:
    """The build's first screen: a frame per kind of viewer, a row per shape of track."""

    frames: Mapping[str, Frame]
    rows: Mapping[str, str]

    @classmethod
    def load(cls, build: Path) -> FirstScreenTemplate | None:
        """The template the build wrote into ``build``, or None without a usable one."""
        path = build / TEMPLATE_FILE
        if not path.is_file():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            frames = {
                str(key): Frame(str(frame["before"]), str(frame["after"]))
                for key, frame in raw["frames"].items()
            }
            rows = {str(key): str(row) for key, row in raw["rows"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            logger.warning("%s is not a first-screen template: nothing is painted", path)
            return None
        return cls(frames, rows)

    def paint(self, answer: Mapping[str, Any]) -> str | None:
        """The painted first screen for this first-rows answer, or None to paint nothing."""
        try:
            return self._paint(answer)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # not the answer the operation gives: leave the screen to the app

    def _paint(self, answer: Mapping[str, Any]) -> str | None:
        if answer.get("errors"):
            return None
        data = answer["data"]
        viewer = data["viewer"]
        if viewer is None or viewer["mustChangePassword"]:
            return None
        upload = "upload" if viewer["canUpload"] else "no-upload"
        frame = self.frames.get(f"{data['authMode']}/{viewer['role']}/{upload}")
        if frame is None:
            return None
        rows: list[str] = []
        for index, edge in enumerate(data["tracks"]["edges"]):
            row = self._row(index, edge["node"])
            if row is None:
                return None
            rows.append(row)
        if not rows:
            return None  # an empty library: the app's own message, not an empty list
        before = _fill(frame.before, {"username": str(viewer["username"])})
        return (
            f'<div id="{FIRST_SCREEN_ID}" class="app-root">'
            f"{before}{''.join(rows)}{frame.after}</div>"
        )

    def _row(self, index: int, track: Mapping[str, Any]) -> str | None:
        album = track["album"]
        shape = "/".join(
            [
                "edit" if track["canEdit"] else "view",
                "album" if album else "no-album",
                "liked" if track["viewerHasLiked"] else "not-liked",
            ]
        )
        template = self.rows.get(shape)
        if template is None:
            return None
        values = {
            "number": str(index + 1),
            "title": str(track["title"]),
            "artist": str(track["artist"] or ""),
            "time": format_time(float(track["durationSeconds"])),
            "menu": f"{FIRST_SCREEN_ID}-menu-{index}",
        }
        if album:
            values["album"] = str(album["title"])
            values["albumid"] = quote(str(album["id"]), safe=_URI_COMPONENT_SAFE)
        return _fill(template, values)


def _fill(template: str, values: Mapping[str, str]) -> str:
    """Every slot replaced by its value, HTML-escaped, in one pass (a value is never read
    as a slot)."""
    return _SLOT.sub(lambda slot: html.escape(values[slot.group(1)], quote=True), template)


def format_time(seconds: float) -> str:
    """``3:07``, ``1:02:03``: as the player's ``formatTime`` (frontend/src/lib/time.ts)."""
    if seconds == math.inf:
        return "--:--"
    if not math.isfinite(seconds) or seconds < 0:
        return "0:00"
    whole = math.floor(seconds)
    hours, minutes, secs = whole // 3600, (whole % 3600) // 60, whole % 60
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours > 0 else f"{minutes}:{secs:02d}"
