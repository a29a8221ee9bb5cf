"""The naive baseline for ``benchmarks/stream.py``: a stock FastAPI route returning
Starlette's ``FileResponse`` for one file (``BENCH_FILE``), served by the same granian."""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()
_FILE = os.environ.get("BENCH_FILE", "")


@app.get("/file")
async def serve_file() -> FileResponse:
    """The whole file, with FileResponse's own Range handling."""
    return FileResponse(_FILE, media_type="audio/mpeg")
