"""Sentinel-2 L2A SAFE deliveries read through open_input, in every form a user has them: the ZIP
as downloaded, its .SAFE folder, its MTD_MSIL2A.xml and GDAL's SENTINEL2_L2A subdataset strings
(also through /vsizip/); each gives the same surface reflectance, SCL masks, names and date."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from benchmarks.deliveries.sentinel2 import write_s2_l2a
from fusion_core.errors import InputError
from fusion_core.io import read_raster
from fusion_core.products import open_input
from fusion_core.srf import load_preset

ACQUIRED = "2023-08-23T09:55:59Z"
GRID = Affine(10.0, 0.0, 300000.0, 0.0, -10.0, 5000040.0)
CRS = "EPSG:32633"
SIZE = 24  # pixels at 10 m
ORDER = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")
NATIVE = {"B2": 10, "B3": 10, "B4": 10, "B8": 10}  # the others are 20 m
CLOUD = (slice(0, 2), slice(0, 3))  # SCL pixels (20 m) marked cloud (class 9)
QUANTUM = 0.5e-4  # half a DN: reflectance is stored in steps of 1e-4


def _bands() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {b: rng.uniform(0.01, 0.6, (SIZE // (NATIVE.get(b, 20) // 10),) * 2) for b in ORDER}


def _scl() -> np.ndarray:
    scl = np.full((SIZE // 2, SIZE // 2), 4, np.uint8)  # vegetation
    scl[CLOUD] = 9
    return scl


def _write(folder: Path, bands=None, scl="default", **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_s2_l2a(folder, _bands() if bands is None else bands, GRID, CRS, ACQUIRED,
                        _scl() if isinstance(scl, str) else scl, **kwargs)


def _on_10m(array: np.ndarray, band: str) -> np.ndarray:
    factor = NATIVE.get(band, 20) // 10
    return np.kron(array, np.ones((factor, factor)))


def _forms(tmp_path: Path) -> dict[str, str]:
    archive = _write(tmp_path / "zip")
    folder = _write(tmp_path / "folder", zipped=False)
    safe = archive.with_suffix(".SAFE").name
    return {
        "ZIP": str(archive),
        ".SAFE folder": str(folder),
        "MTD_MSIL2A.xml": str(folder / "MTD_MSIL2A.xml"),
        "10m subdataset": f"SENTINEL2_L2A:{folder}/MTD_MSIL2A.xml:10m:EPSG_32633",
        "/vsizip/ MTD_MSIL2A.xml": f"/vsizip/{archive}/{safe}/MTD_MSIL2A.xml",
        "/vsizip/ 10m subdataset": f"SENTINEL2_L2A:/vsizip/{archive}/{safe}/MTD_MSIL2A.xml:10m:EPSG_32633",
        "folder holding the ZIP": str(tmp_path / "zip"),
    }


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> dict[str, str]:
    return _forms(tmp_path_factory.mktemp("s2"))


@pytest.mark.parametrize("form", ["ZIP", ".SAFE folder", "MTD_MSIL2A.xml", "10m subdataset",
                                  "/vsizip/ MTD_MSIL2A.xml", "/vsizip/ 10m subdataset",
                                  "folder holding the ZIP"])
def test_every_form_reads_the_same_reflectance_on_the_10m_grid(forms, form):
    delivery = open_input(forms[form], "HR-MSI", classes=frozenset())
    raster = read_raster(delivery.dataset, "HR-MSI")
    truth = _bands()
    assert delivery.product == "Sentinel-2 L2A"
    assert raster.data.shape == (len(ORDER), SIZE, SIZE)
    assert raster.grid.transform == GRID and raster.grid.crs.to_epsg() == 32633
    for k, band in enumerate(ORDER):  # 20 m bands repeated 2×2 (nearest), all at their value
        np.testing.assert_allclose(raster.data[k], _on_10m(truth[band], band), atol=QUANTUM,
                                   err_msg=band)


def test_20m_bands_keep_their_native_resolution(forms):
    delivery = open_input(forms["ZIP"], "HR-MSI")
    with rasterio.open(delivery.dataset) as ds:
        native = {ds.descriptions[i]: ds.tags(i + 1)["native_resolution"] for i in range(ds.count)}
    assert native == {b: str(NATIVE.get(b, 20)) for b in ORDER}


@pytest.mark.parametrize("baseline, stored", [("05.10", 1000), ("03.01", 0)])
def test_boa_offset_is_applied_once_where_the_baseline_has_it(tmp_path, baseline, stored):
    reflectance = {b: np.full((SIZE // (NATIVE.get(b, 20) // 10),) * 2, 0.25) for b in ORDER}
    product = _write(tmp_path, reflectance, baseline=baseline, zipped=False)
    with rasterio.open(f"SENTINEL2_L2A:{product}/MTD_MSIL2A.xml:10m:EPSG_32633") as ds:
        raw = ds.read(1)
    assert np.all(raw == 2500 + stored)  # the DN carry the offset from baseline 04.00 on
    delivery = open_input(str(product), "HR-MSI", classes=frozenset())
    np.testing.assert_allclose(read_raster(delivery.dataset, "HR-MSI").data, 0.25, atol=1e-6)


def test_scl_cloud_pixels_are_nodata_by_default_and_kept_without_classes(forms):
    masked = read_raster(open_input(forms["ZIP"], "HR-MSI").dataset, "HR-MSI").data
    kept = read_raster(open_input(forms["ZIP"], "HR-MSI", classes=frozenset()).dataset, "HR-MSI").data
    cloud = _on_10m(_scl(), "SCL") == 9
    assert np.isnan(masked[:, cloud]).all() and not np.isnan(masked[:, ~cloud]).any()
    assert not np.isnan(kept).any()


def test_nodata_dn_0_reads_as_nan_and_a_relative_path_works_from_anywhere(tmp_path, monkeypatch):
    bands = _bands()
    bands["B2"][3, 4] = np.nan  # stored as DN 0
    _write(tmp_path, bands, zipped=False)
    monkeypatch.chdir(tmp_path)
    delivery = open_input(next(Path(".").glob("*.SAFE")).name, "HR-MSI", classes=frozenset())
    monkeypatch.chdir("/")
    data = read_raster(delivery.dataset, "HR-MSI").data
    assert np.isnan(data[0, 3, 4]) and np.isnan(data[0]).sum() == 1


def test_only_the_classes_asked_for_are_masked(tmp_path):
    scl = _scl()
    scl[5, 5] = 6  # water
    product = _write(tmp_path, scl=scl)
    delivery = open_input(str(product), "HR-MSI", classes=frozenset({"water"}))
    data = read_raster(delivery.dataset, "HR-MSI").data
    assert delivery.masks == ("SCL classes 6",)
    assert np.isnan(data[:, 10:12, 10:12]).all() and np.isnan(data).sum() == len(ORDER) * 4


def test_band_names_sensor_and_date_come_from_the_product(tmp_path):
    product = _write(tmp_path, spacecraft="Sentinel-2B")
    delivery = open_input(str(product), "HR-MSI")
    raster = read_raster(delivery.dataset, "HR-MSI")
    preset = load_preset(delivery.sensor)
    assert delivery.sensor == "sentinel-2b" and delivery.acquired == ACQUIRED
    assert raster.band_names == list(ORDER)
    assert preset.select(raster.band_names).band_names == ORDER
    np.testing.assert_allclose(raster.wavelengths, preset.select(ORDER).centres(), atol=0.05)
    assert any("B1, B9 left out" in note for note in delivery.notes)


def test_level_1c_is_refused_with_the_way_to_level_2a(tmp_path):
    product = _write(tmp_path, scl=None, level="L1C")
    with pytest.raises(InputError, match="Level-1C.*Sen2Cor"):
        open_input(str(product), "HR-MSI")


def test_a_zip_holding_no_safe_is_refused(tmp_path):
    archive = tmp_path / "S2A_MSIL2A_20230823T095559_N0510_R122_T33UUU_20230823T095559.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("T33UUU_20230823T095559_B02_10m.jp2", b"not the product")
    with pytest.raises(InputError, match="holds no Sentinel-2 SAFE.*Download the L2A product again"):
        open_input(str(archive), "HR-MSI")


def test_a_product_path_that_does_not_exist_is_named_so(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_input(str(tmp_path / "S2A_MSIL2A_20230823T095559_N0510_R122_T33UUU_X.zip"), "HR-MSI")


def test_a_missing_band_is_refused_by_name(tmp_path):
    bands = _bands()
    del bands["B11"]
    with pytest.raises(InputError, match="lacks B11.*Download the product again"):
        open_input(str(_write(tmp_path, bands)), "HR-MSI")


def test_a_missing_scl_is_refused_unless_no_class_is_asked_for(tmp_path):
    product = str(_write(tmp_path, scl=None))
    with pytest.raises(InputError, match="lacks the scene classification.*quality mask to 'none'"):
        open_input(product, "HR-MSI")
    assert open_input(product, "HR-MSI", classes=frozenset()).masks == ()
