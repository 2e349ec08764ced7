"""Fixtures for running the plugin's algorithms through headless ``qgis_process``."""

from __future__ import annotations

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
