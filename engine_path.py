"""Making the engine's pip packages (torch, rasterio, pyrsr, Dask …) importable from QGIS's Python.

Two places may hold them, and the plugin puts both on ``sys.path`` at load time:
- ``<profile>/python/hsi_fusion_deps``, filled by the Dependencies dialog (any OS, see
  :mod:`installer`);
- the virtual environment ``scripts/setup.sh`` creates on Debian (by default ``.venv`` in the
  plugin folder, its path recorded in ``~/.local/share/hsi_fusion/venv-path``).
They go just before the system's ``dist-packages``/``site-packages``: the precedence the
environment's own interpreter has (where the tests run). They hold only what QGIS's Python lacks
or has too old (torch needs a newer SymPy than Debian 12's), never numpy, GDAL or PyQt, so QGIS
keeps its own.

Nothing here imports an engine package at load time: the plugin must load, and list its
algorithms, in a QGIS whose Python has none of them; each run checks first
(:func:`missing_engine_message`).
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
    missing,
)

PLUGIN_DIR = Path(__file__).resolve().parent
POINTER_FILE = Path.home() / ".local" / "share" / "hsi_fusion" / "venv-path"
SETUP_COMMAND = f'bash "{PLUGIN_DIR / "scripts" / "setup.sh"}"'
DIALOG_PATH = "Plugins ▸ HSI Fusion ▸ Dependencies…"
INSTALL_ALGORITHM = "hsifusion:installdependencies"

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


def current_plan(build: str, requirements: Optional[tuple[str, ...]] = None,
                 wheels: Optional[Path] = None) -> InstallPlan:
    """The install plan for this QGIS: its interpreter, its profile folder, torch ``build``, and
    a local folder of ``wheels`` to install from instead of the internet.

    Raises:
        installer.InstallError: the interpreter is not found or the build does not exist here.
    """
    from qgis.core import QgsApplication

    prefix = QgsApplication.prefixPath()
    python = find_python(Path(prefix) if prefix else None)
    return make_plan(InstallChoice(build, requirements or ENGINE_REQUIREMENTS, wheels), python,
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
    """None when every engine package imports; otherwise which do not and how to install them
    (and the desktop offers to)."""
    absent = missing()
    if not absent:
        use_wheel_data()
        return None
    names = ", ".join(f"{r.pip.split('>')[0]} ({r.purpose})" for r, _ in absent)
    message = (
        f"HSI Fusion needs Python packages that QGIS's Python cannot import: {names}. Install them "
        f"once, into this QGIS profile, with the Processing algorithm 'HSI Fusion ▸ Install "
        f"dependencies' (on a server: qgis_process run {INSTALL_ALGORITHM}) or, in the desktop, "
        f"{DIALOG_PATH}; on Debian, from a terminal with:\n    {SETUP_COMMAND}\nthen run this "
        f"again. (First import error: {absent[0][1]})")
    if _install_offer is not None:
        _install_offer(message)
    return message


def use_wheel_data() -> None:
    """Point a rasterio wheel's own GDAL and PROJ at the data files it ships.

    A rasterio wheel (what the installer installs where QGIS lacks rasterio) carries its own
    GDAL and PROJ beside QGIS's. QGIS for Windows and macOS sets ``PROJ_LIB``/``GDAL_DATA`` to its
    own, older data, which the wheel's PROJ refuses ("proj.db … comes from another PROJ
    installation": every CRS fails; measured, README). The settings made here reach only the
    wheel's libraries, so QGIS's GDAL keeps its own. A rasterio built against QGIS's GDAL
    (Debian's) ships no data folder and is left alone.
    """
    import rasterio
    import rasterio.env

    own = Path(rasterio.__file__).resolve().parent
    if (own / "proj_data").is_dir():
        rasterio.env.set_proj_data_search_path(str(own / "proj_data"))
    if (own / "gdal_data").is_dir():
        rasterio.env.set_gdal_config("GDAL_DATA", str(own / "gdal_data"))
