"""Typed errors of the engine.

Every error raised on bad input says what was expected, what was found and what to do, so the
QGIS layer can show it as is (it wraps them in ``QgsProcessingException``).
"""

__all__ = ["FusionError", "InputError", "GridMismatchError", "OutputError", "Cancelled",
           "DependencyError"]


class FusionError(Exception):
    """Base class of all errors raised by ``fusion_core``."""


class InputError(FusionError, ValueError):
    """An input raster, file or parameter cannot be used as given."""


class GridMismatchError(InputError):
    """The LR-HSI and HR-MSI grids do not nest (CRS, extent, resolution ratio)."""


class OutputError(FusionError):
    """An output could not be written during the run (disk full, I/O error); nothing is left
    behind but, when the run can be resumed, its resume state."""


class DependencyError(FusionError, ImportError):
    """An optional dependency is missing; the message gives the command that installs it."""


class Cancelled(FusionError):  # noqa: N818 - public name: a cancel is no error
    """The user cancelled the run; nothing was written."""
