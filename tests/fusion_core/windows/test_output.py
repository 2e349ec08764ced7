"""Tests of fusion_core.windows.output: what a region written to the tiled output reads back as."""

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS

from fusion_core.io import RasterGrid
from fusion_core.windows import output as output_module
from fusion_core.windows.output import TiledOutput


def test_a_region_cut_from_a_larger_window_is_written_band_group_by_band_group_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr(output_module, "_GROUP_BYTES", 3 * 40 * 50 * 4)   # three bands at a time
    grid = RasterGrid(CRS.from_epsg(32633), Affine(10, 0, 500000, 0, -10, 4000000), 90, 64)
    out = TiledOutput(tmp_path / "fused.tif", grid, 7, 32)
    out.open(durable=False)
    window = np.random.default_rng(0).normal(size=(7, 60, 70)).astype(np.float32)
    region = window[:, 10:50, 5:55]                                   # not contiguous
    out.write((16, 32, 40, 50), region)
    out.write((0, 0, 16, 32), np.ones((7, 16, 32), np.float32))       # contiguous: as it is
    out.finish()

    with rasterio.open(tmp_path / "fused.tif") as ds:
        written = ds.read()
    np.testing.assert_array_equal(written[:, 16:56, 32:82], region)
    np.testing.assert_array_equal(written[:, :16, :32], 1.0)
    assert np.isnan(written[:, 56:, :32]).all()
