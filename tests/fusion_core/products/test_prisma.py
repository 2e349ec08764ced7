"""PRISMA L2D deliveries read through open_input: the .he5 and the ZIP it comes in, converted once
to a cached GeoTIFF (never beside the input) and read with their reflectance, wavelengths, grid,
date and cloud mask."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from benchmarks.deliveries.prisma import write_prisma_l2d, zip_delivery
from fusion_core.errors import InputError
from fusion_core.io import read_raster
from fusion_core.products import open_input, prisma

GRID = Affine(30.0, 0.0, 368010.0, 0.0, -30.0, 5810040.0)
EPSG = 32633
ACQUIRED = datetime(2021, 7, 24, 10, 31, 5, 250000)
BANDS, HEIGHT, WIDTH = 30, 12, 16
# 400-2500 nm with three bands in the VNIR/SWIR overlap (920-1000 nm): written to both cubes.
WAVELENGTHS = np.sort(np.concatenate([np.linspace(402.0, 900.0, 12), [930.0, 955.0, 980.0],
                                      np.linspace(1010.0, 2497.0, 15)]))
FWHM = np.linspace(9.0, 13.0, BANDS)


def _cube() -> np.ndarray:
    rng = np.random.default_rng(3)
    cube = rng.uniform(0.02, 0.6, (BANDS, HEIGHT, WIDTH)).astype(np.float32)
    cube[:, 0, 0] = np.nan  # fill, as outside the swath
    return cube


def _cloud() -> np.ndarray:
    cloud = np.zeros((HEIGHT, WIDTH), np.uint8)
    cloud[4:6, 5:9] = 1
    return cloud


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HSI_FUSION_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _write(folder: Path, cube=None, **kwargs) -> Path:
    return write_prisma_l2d(folder, _cube() if cube is None else cube, WAVELENGTHS, FWHM, GRID, EPSG, ACQUIRED,
                            **kwargs)


@pytest.mark.parametrize("form", ["he5", "zip", "/vsizip/ he5"])
def test_reflectance_wavelengths_and_grid_as_written(tmp_path: Path, form: str):
    he5 = _write(tmp_path / "product")
    source = {"he5": str(he5), "zip": str(zip_delivery(he5)),
              "/vsizip/ he5": f"/vsizip/{zip_delivery(he5)}/{he5.name}"}[form]
    delivery = open_input(source, "LR-HSI")
    raster = read_raster(delivery.dataset, "LR-HSI")

    assert delivery.product == "PRISMA L2D"
    np.testing.assert_allclose(raster.wavelengths, WAVELENGTHS, atol=1e-3)  # sorted, each band once
    np.testing.assert_allclose(raster.fwhm, FWHM, atol=1e-3)
    np.testing.assert_allclose(raster.data, _cube(), atol=1e-4, equal_nan=True)  # DN 0 fill is NaN
    assert raster.grid.transform.almost_equals(GRID)
    assert raster.grid.crs.to_epsg() == EPSG


def test_overlap_keeps_the_swir_bands_and_drops_unused_slots(tmp_path: Path):
    he5 = _write(tmp_path)
    raster = read_raster(open_input(str(he5), "LR-HSI").dataset)

    overlap = [name for name, wl in zip(raster.band_names, raster.wavelengths) if 920 <= wl <= 1000]
    # the SWIR cube lists 18 bands longest first, then 2 unused slots; the VNIR cube 3 unused
    # slots, then 15 bands longest first (its 3 overlap bands dropped)
    assert overlap == ["SWIR 18", "SWIR 17", "SWIR 16"]
    assert raster.band_names[0] == "VNIR 18"
    assert np.all(np.diff(raster.wavelengths) > 0)


def test_acquisition_date_and_level(tmp_path: Path):
    delivery = open_input(str(_write(tmp_path)), "LR-HSI")
    assert delivery.acquired == "2021-07-24T10:31:05Z"
    assert "PRISMA L2D" in delivery.describe()


def test_cloud_mask_is_nodata_by_default_and_kept_without_classes(tmp_path: Path):
    he5 = _write(tmp_path, cloud=_cloud())
    masked = read_raster(open_input(str(he5), "LR-HSI").dataset).data
    kept = read_raster(open_input(str(he5), "LR-HSI", classes=frozenset()).dataset).data

    assert np.isnan(masked[:, 4:6, 5:9]).all()
    assert np.isfinite(masked[:, 1:, 1:][:, _cloud()[1:, 1:] == 0]).all()
    np.testing.assert_allclose(kept[:, 4:6, 5:9], _cube()[:, 4:6, 5:9], atol=1e-4)


def test_a_product_without_cloud_mask_says_so(tmp_path: Path):
    delivery = open_input(str(_write(tmp_path)), "LR-HSI")
    assert delivery.masks == ()
    assert any("no cloud mask" in note for note in delivery.notes)


@pytest.mark.parametrize("level", ["1", "2B", "2C"])
def test_other_levels_are_refused_naming_l2d(tmp_path: Path, level: str):
    he5 = _write(tmp_path, level=level)
    with pytest.raises(InputError, match=rf"PRISMA L{level} product.*L2D"):
        open_input(str(he5), "LR-HSI")


def test_a_renamed_l1_is_refused_from_its_processing_level(tmp_path: Path):
    he5 = _write(tmp_path, level="1")
    renamed = he5.rename(tmp_path / "scene.he5")
    with pytest.raises(InputError, match="PRISMA L1 product.*L2D"):
        open_input(str(renamed), "LR-HSI")


def test_a_non_prisma_he5_is_refused(tmp_path: Path):
    import h5py

    path = tmp_path / "OMI-Aura_L2-OMNO2.he5"
    with h5py.File(path, "w") as f:
        f.create_dataset("HDFEOS/SWATHS/ColumnAmountNO2/Data Fields/ColumnAmountNO2", data=np.zeros((4, 5)))
    with pytest.raises(InputError, match="not a PRISMA product"):
        open_input(str(path), "LR-HSI")


def test_second_open_reuses_the_cached_conversion(tmp_path: Path, _cache: Path, monkeypatch: pytest.MonkeyPatch):
    he5 = _write(tmp_path)
    first = open_input(str(he5), "LR-HSI")
    conversions = []
    monkeypatch.setattr(prisma, "_convert", lambda *args: conversions.append(args))

    second = open_input(str(he5), "LR-HSI")

    assert conversions == []
    assert second.dataset == first.dataset
    assert len(list((_cache / "prisma").glob("*.tif"))) == 1


def test_a_changed_file_is_converted_again(tmp_path: Path, _cache: Path):
    he5 = _write(tmp_path)
    open_input(str(he5), "LR-HSI")
    os.utime(he5, ns=(1, 1))

    open_input(str(he5), "LR-HSI")

    assert len(list((_cache / "prisma").glob("*.tif"))) == 2


def test_nothing_is_written_beside_the_input(tmp_path: Path, _cache: Path):
    folder = tmp_path / "delivery"
    archive = zip_delivery(_write(folder))
    before = sorted(p.name for p in folder.iterdir())

    read_raster(open_input(str(archive), "LR-HSI").dataset)
    read_raster(open_input(str(folder / archive.stem) + ".he5", "LR-HSI").dataset)

    assert sorted(p.name for p in folder.iterdir()) == before
    assert not [p for p in (_cache / "prisma").iterdir() if not p.name.endswith(".tif")]  # no leftovers


def test_claims_he5_and_the_zip_holding_it_only(tmp_path: Path):
    he5 = _write(tmp_path / "product")
    assert prisma.claims(str(he5))
    assert prisma.claims(str(zip_delivery(he5)))
    assert not prisma.claims(str(tmp_path / "image.tif"))


def test_a_zip_gdal_cannot_read_in_place_is_extracted_for_the_conversion_only(
        tmp_path: Path, _cache: Path, monkeypatch: pytest.MonkeyPatch):
    from osgeo import gdal

    archive = zip_delivery(_write(tmp_path / "delivery"))
    open_ex = gdal.OpenEx
    monkeypatch.setattr(gdal, "OpenEx", lambda name, *a: None if name.startswith("/vsizip/") else open_ex(name, *a))

    raster = read_raster(open_input(str(archive), "LR-HSI").dataset)

    np.testing.assert_allclose(raster.data, _cube(), atol=1e-4, equal_nan=True)
    assert [p.suffix for p in (_cache / "prisma").iterdir()] == [".tif"]


def test_a_gdal_subdataset_name_of_one_cube_reads_the_whole_product(tmp_path):
    he5 = _write(tmp_path / "product")
    whole = read_raster(open_input(str(he5), "LR-HSI").dataset)
    for name in (f'HDF5:"{he5}"://HDFEOS/SWATHS/PRS_L2D_HCO/Data_Fields/VNIR_Cube',
                 f"HDF5:{he5}://HDFEOS/SWATHS/PRS_L2D_HCO/Data_Fields/SWIR_Cube"):
        picked = read_raster(open_input(name, "LR-HSI").dataset)
        np.testing.assert_array_equal(picked.data, whole.data)
