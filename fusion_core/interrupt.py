"""Stopping a run from outside: Ctrl-C (SIGINT) and SIGTERM end it cleanly.

Python turns SIGINT into ``KeyboardInterrupt``; :func:`signals_as_exceptions` makes SIGTERM (what
``kill``, ``timeout`` and job schedulers send) raise :class:`Terminated` the same way, so a run
unwinds through its ``finally`` blocks (partial outputs deleted, or kept for RESUME) instead of
dying where it stands. :func:`signals_as_cancel` instead asks the run to stop at its next
progress report, for hosts (QGIS) where an exception from a signal handler would land in their
own code.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["Terminated", "signals_as_exceptions", "signals_as_cancel", "EXIT_CODES"]

#: Exit status of a command line ended by a signal: 128 + the signal's number, as shells report.
EXIT_CODES = {"SIGINT": 128 + signal.SIGINT, "SIGTERM": 128 + signal.SIGTERM}


class Terminated(BaseException):
    """The process received SIGTERM (a ``BaseException``, like ``KeyboardInterrupt``, so that no
    ``except Exception`` swallows it)."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def signals_as_exceptions() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` (SIGINT already raises
    ``KeyboardInterrupt``); outside the main thread nothing changes (Python delivers signals
    there only)."""
    if not _in_main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_as_cancel() -> Iterator[Callable[[], str]]:
    """Within the block SIGINT and SIGTERM are recorded instead of ending the process; yields a
    function giving the name of the signal received (``""`` while none was)."""
    received = {"name": ""}
    if not _in_main_thread():
        yield lambda: received["name"]
        return

    def record(signum, frame):
        received["name"] = signal.Signals(signum).name

    previous = {s: signal.signal(s, record) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: received["name"]
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
