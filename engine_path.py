"""Finding the virtual environment that holds the engine's pip dependencies (torch, pyrsr).

``scripts/setup.sh`` creates the environment (by default ``.venv`` in the plugin folder) and
records its path in ``~/.local/share/hsi_fusion/venv-path``. QGIS runs on the system Python, so
the plugin puts that environment's ``site-packages`` on ``sys.path`` at load time, just before
the system's ``dist-packages``: the same precedence the environment's own interpreter has (where
the tests run). The environment holds only what the system lacks or has too old (torch needs a
newer SymPy than Debian's), and never numpy, GDAL or PyQt, so QGIS keeps its own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent
POINTER_FILE = Path.home() / ".local" / "share" / "hsi_fusion" / "venv-path"
SETUP_COMMAND = f'bash "{PLUGIN_DIR / "scripts" / "setup.sh"}"'


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


def add_engine_site_packages() -> list[str]:
    """Put the site-packages of every existing candidate environment before ``dist-packages``."""
    tag = f"python{sys.version_info.major}.{sys.version_info.minor}"
    added = []
    for venv in candidate_venvs():
        site = venv / "lib" / tag / "site-packages"
        if site.is_dir() and str(site) not in sys.path:
            system = [i for i, p in enumerate(sys.path) if p.endswith("dist-packages")]
            sys.path.insert(system[0] if system else len(sys.path), str(site))
            added.append(str(site))
    return added


def missing_engine_message() -> str | None:
    """None when torch imports; otherwise a message with the exact command that fixes it."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        return (
            f"HSI Fusion needs PyTorch, which QGIS's Python cannot import ({exc}). "
            f"Install it once with:\n    {SETUP_COMMAND}\nthen restart QGIS."
        )
    return None
