"""Making the engine's pip packages (torch, pyrsr, Dask) importable from QGIS's Python.

Two places may hold them, and the plugin puts both on ``sys.path`` at load time:
- ``<profile>/python/hsi_fusion_deps``, filled by the Dependencies dialog (any OS, see
  :mod:`installer`);
- the virtual environment ``scripts/setup.sh`` creates on Debian (by default ``.venv`` in the
  plugin folder, its path recorded in ``~/.local/share/hsi_fusion/venv-path``).
They go just before the system's ``dist-packages``/``site-packages``: the precedence the
environment's own interpreter has (where the tests run). They hold only what QGIS's Python lacks
or has too old (torch needs a newer SymPy than Debian 12's), never numpy, GDAL or PyQt, so QGIS
keeps its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, Optional

from .installer import (
    ENGINE_REQUIREMENTS,
    InstallChoice,
    InstallPlan,
    dependencies_folder,
    find_python,
    make_plan,
)

PLUGIN_DIR = Path(__file__).resolve().parent
POINTER_FILE = Path.home() / ".local" / "share" / "hsi_fusion" / "venv-path"
SETUP_COMMAND = f'bash "{PLUGIN_DIR / "scripts" / "setup.sh"}"'
DIALOG_PATH = "Plugins ▸ HSI Fusion ▸ Dependencies…"

_install_offer: Optional[Callable[[str], None]] = None


def candidate_venvs() -> list[Path]:
    """Virtual environments to look in, most specific first."""
    found = []
    if os.environ.get("HSI_FUSION_VENV"):
        found.append(Path(os.environ["HSI_FUSION_VENV"]))
    found.append(PLUGIN_DIR / ".venv")
    try:
        found.append(Path(POINTER_FILE.read_text(encoding="utf-8").strip()))
    except OSError:
        pass
    return found


def profile_dir() -> Optional[Path]:
    """The running QGIS's profile folder (desktop and qgis_process); None outside QGIS.

    QGIS has loaded ``qgis.core`` before any plugin; elsewhere (the engine's tests, scripts) the
    plugin package does not import QGIS just to find out.
    """
    core = sys.modules.get("qgis.core")
    path = core.QgsApplication.qgisSettingsDirPath() if core is not None else ""
    return Path(path) if path else None


def engine_folders() -> list[Path]:
    """Folders that may hold the engine's packages: the profile's, then the venvs'."""
    profile = profile_dir()
    tag = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return ([dependencies_folder(profile)] if profile else []) + [
        venv / "lib" / tag / "site-packages" for venv in candidate_venvs()]


def add_engine_site_packages() -> list[str]:
    """Put every existing engine folder before the system's packages; return those added."""
    added = []
    for site in engine_folders():
        if site.is_dir() and str(site) not in sys.path:
            system = [i for i, p in enumerate(sys.path) if p.endswith(("dist-packages", "site-packages"))]
            sys.path.insert(system[0] if system else len(sys.path), str(site))
            added.append(str(site))
    return added


def current_plan(build: str, requirements: Optional[tuple[str, ...]] = None) -> InstallPlan:
    """The install plan for this QGIS: its interpreter, its profile folder, torch ``build``.

    Raises:
        installer.InstallError: the interpreter is not found or the build does not exist here.
    """
    from qgis.core import QgsApplication

    prefix = QgsApplication.prefixPath()
    python = find_python(Path(prefix) if prefix else None)
    return make_plan(InstallChoice(build, requirements or ENGINE_REQUIREMENTS), python,
                     Path(QgsApplication.qgisSettingsDirPath()))


def set_install_offer(offer: Optional[Callable[[str], None]]) -> None:
    """Register what the desktop does when torch is missing (called with the message; any thread)."""
    global _install_offer
    _install_offer = offer


def torch_import_error() -> Optional[str]:
    """Why torch does not import, or None when it does."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def missing_engine_message() -> Optional[str]:
    """None when torch imports; otherwise how to install it (and the desktop offers to)."""
    problem = torch_import_error()
    if problem is None:
        return None
    message = (
        f"HSI Fusion needs PyTorch, which QGIS's Python cannot import ({problem}). "
        f"In the QGIS desktop, {DIALOG_PATH} installs it on any system. On Debian, install it "
        f"once from a terminal with:\n    {SETUP_COMMAND}\nthen restart QGIS.")
    if _install_offer is not None:
        _install_offer(message)
    return message
