"""Installing the engine's Python packages (torch, pyrsr, Dask) from inside QGIS, on any OS.

Qt-free and QGIS-free, so it is tested headless: :mod:`.plan` turns the user's choices into pip
command lines and a per-profile target folder, :mod:`.interpreter` finds the Python that runs
QGIS (not QGIS itself), :mod:`.runner` runs pip with progress callbacks. ``ui/dependencies_dialog``
is the thin Qt face of it.
"""

from .interpreter import find_python
from .plan import (
    BUILDS,
    ENGINE_REQUIREMENTS,
    InstallChoice,
    InstallError,
    InstallPlan,
    dependencies_folder,
    make_plan,
)
from .runner import InstallResult, run_install

__all__ = [
    "BUILDS", "ENGINE_REQUIREMENTS", "InstallChoice", "InstallError", "InstallPlan",
    "InstallResult", "dependencies_folder", "find_python", "make_plan", "run_install",
]
