"""Installing the engine's Python packages from inside QGIS (dialog or Processing), on any OS.

Qt-free and QGIS-free, so it is tested headless: :mod:`.requirements` lists what the engine
needs, :mod:`.plan` turns the user's choices into a pip command line and a per-profile target
folder, :mod:`.interpreter` finds the Python that runs QGIS (not QGIS itself), :mod:`.runner`
runs pip with progress callbacks. ``ui/dependencies_dialog`` and the
``hsifusion:installdependencies`` algorithm are thin faces of it.
"""

from .interpreter import find_python
from .plan import BUILDS, InstallChoice, InstallError, InstallPlan, dependencies_folder, make_plan
from .requirements import ENGINE, ENGINE_REQUIREMENTS, MIN_TORCH, Requirement, missing
from .runner import InstallResult, run_install

__all__ = [
    "BUILDS", "ENGINE", "ENGINE_REQUIREMENTS", "MIN_TORCH", "InstallChoice", "InstallError", "InstallPlan",
    "InstallResult", "Requirement", "dependencies_folder", "find_python", "make_plan", "missing", "run_install",
]
