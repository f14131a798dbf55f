"""Logging for loops that retry a failing step every second (the ACD heartbeat, recovery steps).

While the database or Redis is away the same step fails on every pass. A traceback each time
buries the log (two a second per process); one traceback when the failure starts, a one-line
reminder at most once a minute while it lasts, and a line when it is over tell the same story.
"""

from __future__ import annotations

import logging
import threading
import time

REMIND_EVERY_S = 60.0


class FailureLog:
    """Remembers, per step name, whether it is failing, and logs only the changes (and reminders)."""

    def __init__(self, log: logging.Logger, remind_every_s: float = REMIND_EVERY_S) -> None:
        self.log = log
        self.remind_every_s = remind_every_s
        self._failing: dict[str, tuple[float, float, int]] = {}  # step → (since, last logged, failures)
        self._lock = threading.Lock()

    def failed(self, step: str, exc: BaseException) -> None:
        """Call from an `except` block: the first failure with its traceback, then reminders."""
        now = time.monotonic()
        with self._lock:
            since, logged, count = self._failing.get(step, (now, 0.0, 0))
            first = count == 0
            remind = not first and now - logged >= self.remind_every_s
            self._failing[step] = (since, now if first or remind else logged, count + 1)
        if first:
            self.log.warning("%s failed; retrying every pass", step, exc_info=exc)
        elif remind:
            self.log.warning(
                "%s still failing for %.0f s (%d attempts): %s",
                step,
                now - since,
                count + 1,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )

    def succeeded(self, step: str) -> None:
        with self._lock:
            state = self._failing.pop(step, None)
        if state is not None:
            self.log.warning(
                "%s works again after %.0f s (%d failed attempts)", step, time.monotonic() - state[0], state[2]
            )
