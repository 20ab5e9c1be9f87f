"""A per-page time limit that works in the main thread of any process, pool workers included.

SIGALRM interrupts Python code between bytecodes, which bounds our own passes (MathML conversion,
delimiter scanning). C calls (parsing, extraction) are bounded instead by the input size cap in
`ExtractConfig`. In a non-main thread signals are unavailable; there the limit is not enforced and
only the size cap applies (documented in docs/extract.md).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class PageTimeout(Exception):
    """The page took longer than its time limit."""


def _on_alarm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise PageTimeout()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise PageTimeout inside the block once `seconds` have passed (main thread only)."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
