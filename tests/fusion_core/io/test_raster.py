"""Tests of fusion_core.io.raster: GeoTIFF round trips with spectral metadata, atomic writes,
and the messages a user sees for unusable rasters."""

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from fusion_core.errors import InputError
from fusion_core.io import RasterGrid, atomic_output, read_raster, read_raster_info, write_raster
from fusion_core.io.output_format import OutputOptions
from fusion_core.io.raster import write_spectral_metadata

GRID = RasterGrid(CRS.from_epsg(32633), Affine(10.0, 0.0, 368_000.0, 0.0, -10.0, 5_808_000.0), 20, 12)
WAVELENGTHS = np.array([450.5, 550.25, 660.0, 850.125])
FWHM = np.array([10.0, 11.5, 12.0, 20.0])
NAMES = ["blue", "green", "red", "NIR"]
LABELLED = ["blue (450.5 nm)", "green (550.2 nm)", "red (660.0 nm)", "NIR (850.1 nm)"]  # as written


def ramp(count: int = 4, grid: RasterGrid = GRID) -> np.ndarray:
    """A ``(count, H, W)`` float32 image with different values in every pixel and band."""
    return np.arange(count * grid.height * grid.width, dtype=np.float32).reshape(
        count, grid.height, grid.width) / 100.0


def write_with_rasterio(path, data, band_tags=None, envi=None, nodata=None):
    """A GeoTIFF written without write_raster, to imitate files made by other software."""
    with rasterio.open(path, "w", driver="GTiff", width=GRID.width, height=GRID.height,
                       count=data.shape[0], dtype="float32", crs=GRID.crs,
                       transform=GRID.transform, nodata=nodata) as dst:
        dst.write(data)
        for i, tags in enumerate(band_tags or []):
            dst.update_tags(i + 1, **tags)
        if envi:
            dst.update_tags(ns="ENVI", **envi)


def test_round_trip_keeps_grid_names_wavelengths_and_fwhm(tmp_path):
    """Names come back with their wavelength appended (what a GIS's band list then shows)."""
    path = tmp_path / "image.tif"
    data = ramp()
    write_raster(path, data, GRID, NAMES, WAVELENGTHS, FWHM)
    back = read_raster(path)
    np.testing.assert_array_equal(back.data, data)
    assert back.grid.crs.to_epsg() == 32633
    assert back.grid.transform.almost_equals(GRID.transform)
    assert (back.grid.width, back.grid.height) == (20, 12)
    assert back.band_names == LABELLED
    write_raster(tmp_path / "again.tif", back.data, back.grid, back.band_names, back.wavelengths)
    assert read_raster_info(tmp_path / "again.tif").band_names == back.band_names
    np.testing.assert_allclose(back.wavelengths, WAVELENGTHS, atol=1e-4)
    np.testing.assert_allclose(back.fwhm, FWHM, atol=1e-4)
    assert back.count == 4 and back.path == str(path)


def test_written_metadata_is_where_gdal_and_envi_readers_look(tmp_path):
    path = tmp_path / "image.tif"
    write_raster(path, ramp(), GRID, NAMES, WAVELENGTHS, FWHM)
    with rasterio.open(path) as ds:
        assert ds.tags(3)["wavelength"] == "660.0000"
        assert ds.tags(3)["wavelength_units"] == "Nanometers"
        assert ds.tags(ns="ENVI")["fwhm"].startswith("{10.0000, 11.5000")
        assert ds.dtypes[0] == "float32" and ds.compression.name.upper() == OutputOptions().codec


def test_without_spectral_metadata_names_default_and_wavelengths_are_none(tmp_path):
    path = tmp_path / "plain.tif"
    write_raster(path, ramp(2), GRID)
    back = read_raster(path)
    assert back.band_names == ["Band 1", "Band 2"]
    assert back.wavelengths is None and back.fwhm is None


@pytest.mark.parametrize("units, values", [("Micrometers", [0.45, 0.55, 0.66, 0.85]),
                                           ("", [0.45, 0.55, 0.66, 0.85]),
                                           ("nm", [450.0, 550.0, 660.0, 850.0])])
def test_envi_wavelengths_are_converted_to_nm(tmp_path, units, values):
    path = tmp_path / "envi.tif"
    envi = {"wavelength": "{" + ", ".join(map(str, values)) + "}", "fwhm": "{0.01, 0.01, 0.01, 0.02}"}
    if units:
        envi["wavelength_units"] = units
    write_with_rasterio(path, ramp(), envi=envi)
    back = read_raster(path)
    np.testing.assert_allclose(back.wavelengths, [450.0, 550.0, 660.0, 850.0])
    if units != "nm":
        np.testing.assert_allclose(back.fwhm, [10.0, 10.0, 10.0, 20.0])


def test_band_level_wavelengths_are_read_when_there_is_no_envi_domain(tmp_path):
    path = tmp_path / "bands.tif"
    tags = [{"wavelength": str(w / 1000), "wavelength_units": "micrometers"} for w in WAVELENGTHS]
    write_with_rasterio(path, ramp(), band_tags=tags)
    np.testing.assert_allclose(read_raster(path).wavelengths, WAVELENGTHS)


def test_window_read_returns_the_window_and_its_grid(tmp_path):
    path = tmp_path / "image.tif"
    data = ramp()
    write_raster(path, data, GRID, NAMES, WAVELENGTHS)
    part = read_raster(path, window=Window(col_off=4, row_off=2, width=8, height=6))
    np.testing.assert_array_equal(part.data, data[:, 2:8, 4:12])
    assert (part.grid.width, part.grid.height) == (8, 6)
    assert part.grid.transform.c == pytest.approx(368_040.0)
    assert part.grid.transform.f == pytest.approx(5_807_980.0)


def test_info_reads_metadata_without_pixels(tmp_path):
    path = tmp_path / "image.tif"
    write_raster(path, ramp(), GRID, NAMES, WAVELENGTHS)
    info = read_raster_info(path)
    assert info.data.shape == (4, 0, 0) and info.count == 4
    assert info.grid == RasterGrid(GRID.crs, info.grid.transform, 20, 12)
    assert info.band_names == LABELLED


def test_grid_scaled_keeps_origin_and_multiplies_pixel_size():
    lr = GRID.scaled(4)
    assert lr.pixel_size == (40.0, 40.0)
    assert (lr.width, lr.height) == (5, 3)
    assert (lr.transform.c, lr.transform.f) == (GRID.transform.c, GRID.transform.f)


def test_write_refuses_data_that_does_not_fit_the_grid(tmp_path):
    with pytest.raises(InputError, match=r"Data is 19×12 pixels but the grid is 20×12"):
        write_raster(tmp_path / "bad.tif", ramp()[:, :, :19], GRID)


def test_failed_write_leaves_no_temporary_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "out.tif"
    write_raster(path, ramp(), GRID, NAMES)
    with pytest.raises(IndexError):
        write_raster(path, ramp() * 2, GRID, NAMES[:2])  # too few names: fails mid-write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]
    np.testing.assert_array_equal(read_raster(path).data, ramp())


def test_atomic_output_renames_on_success_and_cleans_up_on_error(tmp_path):
    path = tmp_path / "result.txt"
    with pytest.raises(RuntimeError, match="cancelled"):
        with atomic_output(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("cancelled")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(path) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".")
        tmp.write_text("whole")
    assert path.read_text() == "whole" and len(list(tmp_path.iterdir())) == 1


def test_nan_and_inf_pixels_read_as_nan_in_their_bands_only(tmp_path):
    path = tmp_path / "holes.tif"
    data = ramp()
    data[1, 3, 4] = np.nan
    data[3, 0, :5] = np.inf
    write_raster(path, data, GRID)
    back = read_raster(path, role="LR-HSI").data
    assert np.isnan(back[1, 3, 4]) and np.isnan(back[3, 0, :5]).all()
    assert np.isnan(back).sum() == 6
    np.testing.assert_array_equal(back[0], data[0])


def test_float_nodata_pixels_read_as_nan(tmp_path):
    path = tmp_path / "nodata.tif"
    data = ramp(12)
    data[:, 0, 0] = -9999.0
    write_with_rasterio(path, data, nodata=-9999.0)
    back = read_raster(path).data
    assert np.isnan(back[:, 0, 0]).all() and np.isnan(back).sum() == 12
    np.testing.assert_array_equal(back[:, 1:], data[:, 1:])


def test_missing_file_message_names_role_and_path(tmp_path):
    with pytest.raises(InputError, match=r"Cannot open the HR-MSI raster .*missing\.tif"):
        read_raster(tmp_path / "missing.tif", role="HR-MSI")


def test_file_that_is_not_a_raster_is_reported(tmp_path):
    path = tmp_path / "notes.tif"
    path.write_text("not a GeoTIFF")
    with pytest.raises(InputError, match=r"Cannot open the input raster .*notes\.tif"):
        read_raster_info(path)


def test_a_bands_native_resolution_metadata_is_read(tmp_path):
    """Product readers mark bands resampled onto a finer grid (Sentinel-2's 20 m bands)."""
    path = tmp_path / "stack.tif"
    write_with_rasterio(path, ramp(3), band_tags=[{}, {"native_resolution": "20"}, {"native_resolution": "x"}])
    info = read_raster_info(path)
    assert info.native_resolution == [None, 20.0, None]
    assert info.select([1]).native_resolution == [20.0]
    write_with_rasterio(path, ramp(3))
    assert read_raster_info(path).native_resolution == []


def test_emptied_bands_are_in_the_bad_band_list_and_wavelengths_also_in_the_imagery_domain(tmp_path):
    """EnMAP-Box reads ``bbl`` per band or in the ENVI domain; GDAL >= 3.10 reads IMAGERY (µm)."""
    from osgeo import gdal

    path = tmp_path / "fused.tif"
    with rasterio.open(path, "w", driver="GTiff", width=GRID.width, height=GRID.height, count=4,
                       dtype="float32", crs=GRID.crs, transform=GRID.transform) as dst:
        write_spectral_metadata(dst, NAMES, WAVELENGTHS, FWHM, bad_bands=(1,))
    ds = gdal.Open(str(path))
    assert ds.GetMetadataItem("bbl", "ENVI") == "{1, 0, 1, 1}"
    assert [ds.GetRasterBand(b).GetMetadataItem("bbl") for b in range(1, 5)] == ["1", "0", "1", "1"]
    assert ds.GetRasterBand(3).GetMetadata("IMAGERY") == {"CENTRAL_WAVELENGTH_UM": "0.6600000",
                                                          "FWHM_UM": "0.0120000"}
    assert ds.GetRasterBand(3).GetMetadataItem("wavelength") == "660.0000"
    write_raster(tmp_path / "all_good.tif", ramp(), GRID, NAMES, WAVELENGTHS, FWHM)
    assert "bbl" not in gdal.Open(str(tmp_path / "all_good.tif")).GetMetadata("ENVI")
