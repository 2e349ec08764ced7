"""Fixtures for running the plugin's algorithms through headless ``qgis_process``."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import rasterio

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import qgis_run  # noqa: E402


@pytest.fixture(scope="session")
def qgis():
    """The :mod:`qgis_run` helper, with the plugin enabled in qgis_process's profile."""
    if shutil.which("qgis_process.bin") is None:
        pytest.skip("qgis_process.bin is not installed: run 'make setup'")
    qgis_run.enable_plugin()
    return qgis_run


def _grid_of(path) -> tuple:
    with rasterio.open(path) as ds:
        return ds.crs.to_wkt(), tuple(ds.transform)[:6], ds.width, ds.height, ds.count


@pytest.fixture
def grid_of():
    """Function giving (CRS as WKT, geotransform, width, height, band count) of a raster file."""
    return _grid_of


#: Where Debian's QGIS Python keeps its packages (QGIS for Windows and macOS: its own site-packages).
SYSTEM_PACKAGES = "/usr/lib/python3/dist-packages"


def _project(entry: str) -> str:
    """The normalised project or top-level module name of a site-packages entry."""
    stem = entry.split("-")[0] if entry.endswith((".dist-info", ".egg-info")) else re.split(r"[.-]", entry)[0]
    return re.sub(r"[-_.]+", "_", stem).lower()


@pytest.fixture
def hidden_packages(tmp_path):
    """Factory: ``hidden_packages(names)`` gives a folder for PYTHONPATH whose ``sitecustomize``
    makes QGIS's Python (and every Python that inherits the variable, pip included) lack
    ``names`` (module or project names, e.g. ``skimage``, ``scikit_image``): the system
    packages folder is replaced on ``sys.path`` by a copy of links to all its entries but those,
    so neither ``import`` nor pip's view of what is installed finds them — as on a QGIS that
    never had them, where pip must install them."""

    def make(names: tuple[str, ...]) -> Path:
        hidden = {re.sub(r"[-_.]+", "_", name).lower() for name in names}
        overlay, folder = tmp_path / "visible-packages", tmp_path / "hide-packages"
        overlay.mkdir()
        folder.mkdir()
        for entry in os.listdir(SYSTEM_PACKAGES):
            if _project(entry) not in hidden:
                (overlay / entry).symlink_to(os.path.join(SYSTEM_PACKAGES, entry))
        (folder / "sitecustomize.py").write_text(
            f"import sys\nsys.path[:] = [{str(overlay)!r} if p == {SYSTEM_PACKAGES!r} else p for p in sys.path]\n")
        return folder

    return make
