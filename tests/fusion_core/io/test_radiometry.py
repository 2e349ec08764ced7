"""Tests of fusion_core.io.radiometry: products' scaled integers read as physical values, nodata
decided on the stored number, and the one-line account the log shows."""

import numpy as np
import pytest

from fusion_core.io import read_raster, read_raster_info
from fusion_core.io.radiometry import BandRadiometry, describe_radiometry


def test_sentinel2_l2a_dn_with_the_boa_offset_become_reflectance(tmp_path, product):
    stored = np.array([[[0, 1000, 1500], [2000, 11000, 65535]]], np.uint16)
    raster = read_raster(product(tmp_path / "s2.tif", stored, nodata=0, scales=[1e-4],
                                 offsets=[-0.1]))
    np.testing.assert_allclose(raster.data[0].ravel()[1:], [0.0, 0.05, 0.1, 1.0, 6.4535],
                               atol=1e-6)
    assert np.isnan(raster.data[0, 0, 0])
    assert raster.describe_radiometry() == "uint16 \u00d7 0.0001 \u2212 0.1, nodata 0"


def test_landsat_collection2_surface_reflectance(tmp_path, product):
    stored = np.array([[[7273, 43636]]], np.uint16)
    data = read_raster(product(tmp_path / "lc09.tif", stored, scales=[2.75e-5],
                               offsets=[-0.2])).data
    np.testing.assert_allclose(data.ravel(), [0.0, 1.0], atol=1e-5)


def test_nodata_is_tested_on_the_stored_number_before_scaling(tmp_path, product):
    # -32768 × 1e-4 = -3.2768: a stored -32768 is nodata, a stored -32767 is a (bad) value
    stored = np.array([[[-32768, -32767, 2500]]], np.int16)
    data = read_raster(product(tmp_path / "enmap.tif", stored, nodata=-32768, scales=[1e-4])).data
    assert np.isnan(data[0, 0, 0])
    np.testing.assert_allclose(data[0, 0, 1:], [-3.2767, 0.25], rtol=1e-6)


def test_info_reports_dtype_nodata_scale_and_offset_per_band(tmp_path, product, dn):
    path = product(tmp_path / "mixed.tif", dn(3), nodata=-32768, scales=[1e-4, 1e-4, 1.0],
                   offsets=[0.0, 0.0, 0.5])
    bands = read_raster_info(path).radiometry
    assert [(b.dtype, b.nodata, b.scale, b.offset) for b in bands] == [
        ("int16", -32768, 1e-4, 0.0), ("int16", -32768, 1e-4, 0.0), ("int16", -32768, 1.0, 0.5)]
    assert bands[0].describe() == "int16 \u00d7 0.0001, nodata \u221232768"
    assert describe_radiometry(bands) == ("bands 1\u20132: int16 \u00d7 0.0001, nodata \u221232768; "
                                          "band 3: int16 + 0.5, nodata \u221232768")


def test_a_float_raster_without_scale_reads_unchanged(tmp_path, product, dn):
    stored = dn(2).astype(np.float32) / 7
    raster = read_raster(product(tmp_path / "float.tif", stored))
    np.testing.assert_array_equal(raster.data, stored)
    assert raster.describe_radiometry() == "float32 (all 2 bands)"


@pytest.mark.parametrize("band, text", [
    (BandRadiometry("uint8", mask="alpha band 4"), "uint8, alpha band 4"),
    (BandRadiometry("int16", -32768, 1e-4, 0.0, "EnMAP X-METADATA.XML"),
     "int16 \u00d7 0.0001 (EnMAP X-METADATA.XML), nodata \u221232768"),
])
def test_band_descriptions_name_masks_and_where_a_scale_came_from(band, text):
    assert band.describe() == text
