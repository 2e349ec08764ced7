"""Progress reporting and cancellation shared by every long-running step.

The engine never talks to QGIS: callers pass a :class:`Progress`, and the QGIS layer adapts
``QgsProcessingFeedback`` to it. Long loops call :meth:`Progress.update`, which raises
:class:`~fusion_core.errors.Cancelled` as soon as the caller asks to stop.
"""

from __future__ import annotations

from typing import Callable, Optional

from .errors import Cancelled

__all__ = ["Progress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``'1 h 05 min'``, ``'3 min 20 s'`` or ``'12 s'``: how long runs and what is left are shown."""
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


class Progress:
    """Reports fractional progress of a job made of weighted sub-steps and honours cancel.

    Args:
        report: called with (percent 0–100, message); may be ``None``.
        is_cancelled: returns True when the user asked to stop; may be ``None``.
        log: called with informational messages; may be ``None``.
        start: percent at which this reporter's range starts.
        end: percent at which it ends.

    Example:
        >>> p = Progress()
        >>> sub = p.child(0.0, 0.5)   # first half of the job
        >>> sub.update(1.0, "done")   # reports 50 %
    """

    def __init__(
        self,
        report: Optional[Callable[[float, str], None]] = None,
        is_cancelled: Optional[Callable[[], bool]] = None,
        log: Optional[Callable[[str], None]] = None,
        start: float = 0.0,
        end: float = 100.0,
    ) -> None:
        self._report = report
        self._is_cancelled = is_cancelled
        self._log = log
        self.start = start
        self.end = end

    def child(self, lo: float, hi: float, log: bool = True) -> "Progress":
        """A reporter for the sub-range [lo, hi] (fractions of this reporter's range); without
        ``log``, its informational messages are dropped (a side computation's own log)."""
        span = self.end - self.start
        return Progress(self._report, self._is_cancelled, self._log if log else None,
                        self.start + lo * span, self.start + hi * span)

    def stopping_when(self, stop: Callable[[], bool]) -> "Progress":
        """This reporter, also cancelled once ``stop()`` is true: work on another thread that
        must end when its caller does (Ctrl-C reaches only the main thread)."""
        asked = self._is_cancelled
        return Progress(self._report, lambda: stop() or (asked is not None and asked()), self._log,
                        self.start, self.end)

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` when the caller asked to stop."""
        if self._is_cancelled is not None and self._is_cancelled():
            raise Cancelled("Cancelled by the user; no output was written.")

    def update(self, fraction: float, message: str = "") -> None:
        """Check for cancel, then report that ``fraction`` (0–1) of this range is done (work that
        was asked to stop says nothing more)."""
        self.check_cancelled()
        if self._report is not None:
            fraction = min(max(fraction, 0.0), 1.0)
            self._report(self.start + fraction * (self.end - self.start), message)

    def info(self, message: str) -> None:
        """Log an informational message (shown in the Processing log)."""
        if self._log is not None:
            self._log(message)
