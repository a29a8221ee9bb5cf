"""A child process stops when the process that started it is gone.

``tonearm serve``'s granian workers and its embedded variant worker are children of the
supervisor. If the supervisor dies without stopping them (SIGKILL, the OOM killer), they
would be re-parented and go on serving the port and taking jobs with nobody to stop them.
A daemon thread notices the new parent within half a second and asks the process to stop
with SIGTERM, as the supervisor would have; with ``hard_exit_after`` the process exits at
that deadline if the graceful stop is still not done (an open stream holding a worker).
Standard library only: the variant worker imports it before anything of the app.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.5


def stop_when_orphaned(parent_pid: int, *, hard_exit_after: float | None = None) -> None:
    """SIGTERM this process once ``parent_pid`` is no longer its parent; with
    ``hard_exit_after``, exit outright that many seconds later if it is still running."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(POLL_SECONDS)
        logger.warning("process %d: parent %d is gone, stopping", os.getpid(), parent_pid)
        os.kill(os.getpid(), signal.SIGTERM)
        if hard_exit_after is not None:
            time.sleep(hard_exit_after)
            os._exit(1)

    threading.Thread(target=watch, name="tonearm-parent-watch", daemon=True).start()
