"""Tests of fusion_core.io.resample: pairs on grids that do not nest (a WorldView-like 1.24 m
HR-MSI in a 30 m LR-HSI, another UTM zone) get the LR-HSI warped onto the grid nested in the
HR-MSI's; on request (resample_hr_msi) the HR-MSI is warped onto the LR-HSI's grid instead."""

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from rasterio.warp import transform_bounds

from fusion_core.errors import GridMismatchError
from fusion_core.io import Raster, RasterGrid, read_raster_info, write_raster
from fusion_core.io.resample import plan_pair, read_warped

UTM33, UTM32 = CRS.from_epsg(32633), CRS.from_epsg(32632)
X0, Y0 = 368_000.0, 5_808_000.0


def grid(pixel, width, height, origin=(X0, Y0), crs=UTM33):
    return RasterGrid(crs, Affine(pixel, 0.0, origin[0], 0.0, -pixel, origin[1]), width, height)


def info(g, bands):
    return Raster(np.empty((bands, 0, 0), np.float32), g)


def linear_field(g, bands=3):
    """``(bands, H, W)`` values a + b x + c y of the CRS coordinates of each pixel centre."""
    cols, rows = np.meshgrid(np.arange(g.width) + 0.5, np.arange(g.height) + 0.5)
    x, y = g.transform * (cols, rows)
    return np.stack([(1 + k) * 0.5 + 0.003 * (x - X0) - 0.002 * (y - Y0) for k in range(bands)]).astype(np.float32)


LR_30M = grid(30.0, 10, 8)
WORLDVIEW = grid(1.24, 250, 200, origin=(X0 - 3.1, Y0 + 2.0))   # covers the LR-HSI, ratio 24.19


def test_a_nested_pair_is_used_as_it_is():
    plan = plan_pair(info(LR_30M, 30), info(grid(10.0, 30, 24), 4))
    assert (plan.scale, plan.lr_window, plan.lr_warp, plan.hr_warp, plan.message) == (
        3, (0, 0, 8, 10), None, None, "")


def test_a_non_integer_ratio_warps_the_lr_hsi_onto_the_hr_msi_grid():
    logged = []
    plan = plan_pair(info(LR_30M, 30), info(WORLDVIEW, 4), log=logged.append)
    assert plan.scale == 24 and plan.hr_warp is None
    target = plan.lr_warp.grid
    wv = WORLDVIEW.transform
    assert target.transform == wv * Affine.translation(*plan.hr_window[1::-1]) * Affine.scale(24)
    assert plan.hr_window[2:] == (target.height * 24, target.width * 24)
    assert "LR-HSI" in logged[0] and "GDAL warp" in logged[0] and "24.1935" in logged[0]


def test_warped_lr_pixels_follow_the_source_and_a_window_reads_what_the_whole_does(tmp_path):
    path = tmp_path / "lr.tif"
    lr = grid(30.0, 40, 32)
    write_raster(path, linear_field(lr, bands=6), lr)
    plan = plan_pair(read_raster_info(path), info(grid(1.24, 900, 700, origin=(X0 + 50, Y0 - 40)), 4))
    whole = read_warped(str(path), plan.lr_warp)
    np.testing.assert_allclose(whole, linear_field(plan.lr_warp.grid, bands=6), atol=1e-3)
    window = read_warped(str(path), plan.lr_warp, (3, 4, 10, 12))
    np.testing.assert_allclose(window, whole[:, 3:13, 4:16], atol=1e-6)


def test_worldview_is_warped_onto_the_lr_grid_at_the_nearest_integer_ratio(tmp_path):
    logged = []
    plan = plan_pair(info(LR_30M, 30), info(WORLDVIEW, 4), resample_hr_msi=True, log=logged.append)
    assert plan.scale == 24 and plan.lr_window == (0, 0, 8, 10)
    target = plan.hr_warp.grid
    assert target.transform == Affine(1.25, 0, X0, 0, -1.25, Y0)
    assert (target.width, target.height) == (240, 192)
    assert plan.hr_warp.resampling == "cubic"
    assert "GDAL warp" in logged[0] and "ratio 24" in logged[0] and "24.1935" in logged[0]


def test_warped_pixels_follow_the_source_and_a_window_reads_what_the_whole_does(tmp_path):
    path = tmp_path / "worldview.tif"
    write_raster(path, linear_field(WORLDVIEW), WORLDVIEW)
    plan = plan_pair(info(LR_30M, 30), read_raster_info(path), resample_hr_msi=True)
    whole = read_warped(str(path), plan.hr_warp)
    np.testing.assert_allclose(whole, linear_field(plan.hr_warp.grid), atol=1e-4)
    window = read_warped(str(path), plan.hr_warp, (48, 72, 96, 120))
    np.testing.assert_allclose(window, whole[:, 48:144, 72:192], atol=1e-6)


def test_a_shifted_grid_is_cut_to_the_lr_pixels_it_covers_entirely():
    shifted = grid(10.0, 36, 36, origin=(X0 + 4.0, Y0 - 3.0))   # PRISMA 30 m vs Sentinel-2 10 m
    plan = plan_pair(info(grid(30.0, 12, 12), 60), info(shifted, 4), resample_hr_msi=True)
    assert plan.scale == 3 and plan.lr_window == (1, 1, 11, 11)
    assert plan.hr_warp.grid.transform == Affine(10.0, 0, X0 + 30.0, 0, -10.0, Y0 - 30.0)
    assert "cut to the 11×11 pixels" in plan.message


def test_an_lr_hsi_in_another_utm_zone_is_reprojected_onto_the_hr_msi_grid():
    lr = grid(30.0, 10, 10)
    left, bottom, right, top = transform_bounds(UTM33, UTM32, X0 - 100, Y0 - 400, X0 + 400, Y0 + 100)
    hr = grid(10.0, int((right - left) / 10), int((top - bottom) / 10), origin=(left, top), crs=UTM32)
    plan = plan_pair(info(lr, 30), info(hr, 4))
    assert plan.scale == 3 and plan.lr_warp.grid.crs == UTM32 and plan.hr_warp is None
    assert plan.lr_window[2:] in ((8, 9), (9, 8), (9, 9), (8, 8))   # what the rotated footprint covers
    assert "reprojected into the HR-MSI's CRS" in plan.message
    hr_plan = plan_pair(info(lr, 30), info(hr, 4), resample_hr_msi=True)
    assert hr_plan.hr_warp.grid.crs == UTM33 and "reprojected into the LR-HSI's CRS" in hr_plan.message


def test_swapped_inputs_are_refused_even_with_resampling():
    with pytest.raises(GridMismatchError, match="look swapped|hyperspectral input must have more bands"):
        plan_pair(info(WORLDVIEW, 30), info(LR_30M, 4), resample_hr_msi=True)


def test_rasters_of_different_places_are_refused():
    far = grid(1.24, 250, 200, origin=(X0 + 50_000.0, Y0))
    with pytest.raises(GridMismatchError, match="do not overlap"):
        plan_pair(info(LR_30M, 30), info(far, 4), resample_hr_msi=True)
