"""Finding the virtual environment that holds the engine's pip dependencies (torch, pyrsr).

``scripts/setup.sh`` creates the environment (by default ``.venv`` in the plugin folder) and
records its path in ``~/.local/share/hsi_fusion/venv-path``. QGIS runs on the system Python, so
the plugin appends that environment's ``site-packages`` to ``sys.path`` at load time. Appending
(not prepending) keeps QGIS's own numpy, GDAL and PyQt first.
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
    """Append the site-packages of every existing candidate environment to ``sys.path``."""
    tag = f"python{sys.version_info.major}.{sys.version_info.minor}"
    added = []
    for venv in candidate_venvs():
        site = venv / "lib" / tag / "site-packages"
        if site.is_dir() and str(site) not in sys.path:
            sys.path.append(str(site))
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
