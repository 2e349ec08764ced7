"""DESIS L2A deliveries read through open_input: ZIP, folder, METADATA.xml and spectral image."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from benchmarks.deliveries.desis import product_name, write_desis_l2a
from fusion_core.errors import InputError
from fusion_core.io import read_raster
from fusion_core.products import open_input

ACQUIRED = "2020-08-14T23:42:03Z"
GRID = Affine(30.0, 0.0, 500000.0, 0.0, -30.0, 4200000.0)
WAVELENGTHS = np.linspace(401.9, 999.0, 16)
FWHM = np.full(16, 3.5)


def _cube() -> np.ndarray:
    cube = np.random.default_rng(3).uniform(0.02, 0.5, (16, 9, 11)).astype(np.float32)
    cube[:, -1, -1] = np.nan
    return cube


def _write(folder, **kwargs):
    return write_desis_l2a(folder, _cube(), WAVELENGTHS, FWHM, GRID, "EPSG:32610", ACQUIRED,
                           **kwargs)


def test_zip_folder_xml_and_image_read_the_same_reflectance_and_wavelengths(tmp_path):
    name = product_name(ACQUIRED)
    archive = _write(tmp_path / "zip")
    folder = _write(tmp_path / "folder", zipped=False)
    forms = [str(archive), str(folder), str(folder / f"{name}-METADATA.xml"),
             str(folder / f"{name}-SPECTRAL_IMAGE.tif"),
             f"/vsizip/{archive}/{name}/{name}-METADATA.xml"]
    for source in forms:
        delivery = open_input(source, "LR-HSI")
        raster = read_raster(delivery.dataset, "LR-HSI")
        assert delivery.product == "DESIS L2A", source
        assert delivery.acquired == ACQUIRED, source
        np.testing.assert_allclose(raster.data, _cube(), atol=0.5e-4, err_msg=source)
        np.testing.assert_allclose(raster.wavelengths, WAVELENGTHS, atol=5e-5, err_msg=source)
        np.testing.assert_allclose(raster.fwhm, FWHM, atol=5e-5, err_msg=source)


def test_cloud_over_land_or_water_reads_as_nan_and_cirrus_is_noted_as_missing(tmp_path):
    land, water = np.zeros((9, 11), np.uint8), np.zeros((9, 11), np.uint8)
    land[1:3, 1:3] = 1
    water[5:7, 6:9] = 1
    source = str(_write(tmp_path, flags={"cloud_land": land, "cloud_water": water}))

    delivery = open_input(source, "LR-HSI")
    data = read_raster(delivery.dataset, "LR-HSI").data
    kept = read_raster(open_input(source, "LR-HSI", classes=frozenset()).dataset, "LR-HSI").data

    assert np.isnan(data[:, 1:3, 1:3]).all() and np.isnan(data[:, 5:7, 6:9]).all()
    assert np.isfinite(data[:, 3:5, :]).all()
    assert np.isfinite(kept[:, 1:3, 1:3]).all()
    assert any("cirrus" in note for note in delivery.notes)


def test_a_desis_l1c_product_is_refused_naming_l2a(tmp_path):
    with pytest.raises(InputError, match="DESIS L1C product.*reads DESIS L2A"):
        open_input(str(_write(tmp_path, level="L1C")), "LR-HSI")
