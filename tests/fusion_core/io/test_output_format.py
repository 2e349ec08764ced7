"""Output options for big rasters: codecs, scaled int16 that GDAL reads back as physical values,
nodata in every case, internal overviews and Cloud-Optimized GeoTIFFs."""

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.crs import CRS

from fusion_core.errors import InputError
from fusion_core.io import RasterGrid, write_raster
from fusion_core.io.output_format import INT16_HEADROOM, INT16_NODATA, OutputOptions, overview_factors
from fusion_core.windows.output import TiledOutput

GRID = RasterGrid(CRS.from_epsg(32633), Affine(10.0, 0.0, 368_000.0, 0.0, -10.0, 5_808_000.0), 96, 64)


def reflectance(count: int = 3) -> np.ndarray:
    """A smooth ``(count, 64, 96)`` float32 image in [0, 0.6] with a NaN (nodata) pixel."""
    y, x = np.mgrid[0:GRID.height, 0:GRID.width]
    data = np.stack([0.3 + 0.3 * np.sin((x + 7 * b) / 9.0) * np.cos(y / 11.0) for b in range(count)])
    data = data.astype(np.float32)
    data[:, 5, 7] = np.nan
    return data


def physical(path) -> np.ndarray:
    """What GDAL (and QGIS) read: scale and offset applied, nodata as NaN."""
    with rasterio.open(path) as ds:
        raw = ds.read(masked=True).astype(np.float64)
        scaled = raw * np.array(ds.scales)[:, None, None] + np.array(ds.offsets)[:, None, None]
        return scaled.filled(np.nan)


@pytest.mark.parametrize("codec", ["ZSTD", "DEFLATE", "LERC_ZSTD", "NONE"])
def test_float32_codecs_are_lossless_and_write_nan_as_nodata(tmp_path, codec):
    data = reflectance()
    write_raster(tmp_path / "out.tif", data, GRID, options=OutputOptions(codec=codec))
    with rasterio.open(tmp_path / "out.tif") as ds:
        assert ds.dtypes[0] == "float32" and np.isnan(ds.nodata)
        assert (ds.compression is None) == (codec == "NONE")
    np.testing.assert_array_equal(physical(tmp_path / "out.tif"), data)


def test_int16_stores_counts_that_gdal_reads_as_physical_values(tmp_path):
    data = reflectance()
    write_raster(tmp_path / "out.tif", data, GRID, options=OutputOptions(dtype="int16"))
    with rasterio.open(tmp_path / "out.tif") as ds:
        assert ds.dtypes[0] == "int16" and ds.nodata == INT16_NODATA
        scale = ds.scales[0]
        assert ds.read(1)[5, 7] == INT16_NODATA
    typical = np.nanpercentile(np.abs(data), 99.9)
    assert scale == pytest.approx(INT16_HEADROOM * typical / 32767, rel=1e-6)
    back = physical(tmp_path / "out.tif")
    assert np.isnan(back[:, 5, 7]).all()
    np.testing.assert_allclose(back, data, atol=0.51 * scale, equal_nan=True)


def test_a_given_int16_scale_and_offset_are_used_and_values_beyond_the_range_are_clipped(tmp_path):
    data = reflectance()
    data[0, 0, 0] = 10.0  # beyond 32767 counts of 1e-4
    options = OutputOptions(dtype="int16", scale=1e-4, offset=-0.1)
    write_raster(tmp_path / "out.tif", data, GRID, options=options)
    back = physical(tmp_path / "out.tif")
    assert back[0, 0, 0] == pytest.approx(32767 * 1e-4 - 0.1)
    np.testing.assert_allclose(back[:, 1:], data[:, 1:], atol=0.51e-4, equal_nan=True)


def test_tiled_output_writes_the_options_region_by_region(tmp_path):
    data = reflectance(4)
    out = TiledOutput(tmp_path / "fused.tif", GRID, 4, 32, options=OutputOptions(dtype="int16", scale=1e-4))
    out.open(durable=False)
    for row in (0, 32):
        for col in (0, 32, 64):
            out.write((row, col, 32, 32), data[:, row:row + 32, col:col + 32])
    out.finish()
    np.testing.assert_allclose(physical(tmp_path / "fused.tif"), data, atol=0.51e-4, equal_nan=True)


def test_overviews_and_cog_layouts(tmp_path):
    big = RasterGrid(GRID.crs, GRID.transform, 1024, 600)
    data = np.random.default_rng(0).uniform(size=(2, 600, 1024)).astype(np.float32)
    write_raster(tmp_path / "ovr.tif", data, big, options=OutputOptions(overviews=True))
    write_raster(tmp_path / "cog.tif", data, big, options=OutputOptions(format="COG"))
    with rasterio.open(tmp_path / "ovr.tif") as ds:
        assert ds.overviews(1) == [2, 4]
    with rasterio.open(tmp_path / "cog.tif") as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.overviews(1) and ds.compression.name == "zstd"
        np.testing.assert_array_equal(ds.read(), data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cog.tif", "ovr.tif"]


def test_overview_factors_stop_at_a_screenful():
    assert overview_factors(3000, 3000) == [2, 4, 8, 16]
    assert overview_factors(200, 100) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"format": "ENVI"}, "Unknown output format 'ENVI': choose one of GTiff, COG"),
    ({"codec": "JPEG"}, "Unknown output codec 'JPEG'"),
    ({"dtype": "uint8"}, "Unknown output dtype 'uint8'"),
    ({"dtype": "int16", "scale": -1.0}, "int16 scale must be a positive number"),
    ({"max_error": 0.01}, "maximum error applies to the LERC_ZSTD codec only"),
    ({"format": "COG", "overviews": True}, "A COG always has overviews"),
])
def test_bad_options_are_refused_with_the_fix(kwargs, message):
    with pytest.raises(InputError, match=message):
        OutputOptions(**kwargs)


def test_predictor_by_default_only_for_int16():
    assert "predictor" not in OutputOptions().profile()
    assert OutputOptions(predictor=True).profile()["predictor"] == 3
    assert OutputOptions(dtype="int16").profile()["predictor"] == 2
    assert "predictor" not in OutputOptions(dtype="int16", predictor=False).profile()
    with pytest.raises(InputError, match="LERC_ZSTD codec takes no predictor"):
        OutputOptions(codec="LERC_ZSTD", predictor=True)
