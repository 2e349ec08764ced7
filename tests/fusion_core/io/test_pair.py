"""Tests of fusion_core.io.pair: how an LR-HSI and an HR-MSI meet. Pairs on one CRS with an
integer ratio are fused on their overlap without resampling, a sub-pixel grid offset is
recorded for the PSF; what no warp can fix is refused before any compute, with the fix."""

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from fusion_core.errors import GridMismatchError
from fusion_core.io import Raster, RasterGrid, read_raster_info
from fusion_core.io.pair import check_inputs, nested_plan

UTM33 = CRS.from_epsg(32633)
X0, Y0 = 368_000.0, 5_808_000.0


def raster(pixel=(10.0, 10.0), size=(48, 48), bands=4, crs=UTM33, origin=(X0, Y0), rotation=0.0,
           flip=False):
    """Grid-only raster (no pixels are needed to plan a pair): ``size`` is (width, height)."""
    transform = (Affine.translation(*origin) * Affine.rotation(rotation)
                 * Affine.scale(pixel[0], pixel[1] if flip else -pixel[1]))
    return Raster(np.empty((bands, 0, 0), np.float32), RasterGrid(crs, transform, *size))


def lr_hsi(scale=4, **kwargs):
    kwargs.setdefault("pixel", (10.0 * scale, 10.0 * scale))
    kwargs.setdefault("size", (48 // scale, 48 // scale))
    kwargs.setdefault("bands", 30)
    return raster(**kwargs)


@pytest.mark.parametrize("scale", [2, 3, 4, 6])
def test_a_nested_pair_is_used_whole(scale):
    plan = nested_plan(lr_hsi(scale), raster())
    n = 48 // scale
    assert (plan.scale, plan.lr_window, plan.hr_window) == (scale, (0, 0, n, n), (0, 0, 48, 48))
    assert plan.grid_offset == (0.0, 0.0) and plan.message == ""


def test_simulated_files_nest(tmp_rasters):
    pair = tmp_rasters(scale=4)
    plan = nested_plan(read_raster_info(pair.lr_path), read_raster_info(pair.hr_path))
    assert plan.scale == 4 and plan.grid_offset == (0.0, 0.0)


def test_same_crs_written_differently_nests():
    proj4 = CRS.from_proj4("+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs")
    assert nested_plan(lr_hsi(crs=proj4), raster()).scale == 4


def test_a_half_pixel_offset_is_kept_for_the_psf_not_resampled():
    """EnMAP 30 m vs Sentinel-2 10 m: grids 5 m apart."""
    plan = nested_plan(lr_hsi(3, size=(15, 15), origin=(X0 + 5.0, Y0 - 5.0)), raster())
    assert plan.grid_offset == (0.5, 0.5)
    assert plan.hr_window[:2] == (0, 0) and plan.lr_window[2:] == (15, 15)
    assert "+0.50, +0.50 HR pixels (x, y)" in plan.message and "not resampled" in plan.message


def test_different_extents_are_fused_on_their_overlap():
    """The LR-HSI starts 60 m east and 40 m south of the HR-MSI and runs past its right edge."""
    plan = nested_plan(lr_hsi(4, size=(14, 10), origin=(X0 + 60.0, Y0 - 40.0)), raster())
    assert plan.lr_window == (0, 0, 10, 11)          # columns wholly past the HR-MSI are dropped
    assert plan.hr_window == (4, 6, 40, 44)          # the HR-MSI's pixels under them
    assert plan.hr_margins == (0, 0, 0, 2)           # the 11th is half over it: kept
    assert "fused on its overlap" in plan.message
    assert "reaches 0, 0, 2, 0 pixels past the HR-MSI's left, top, right and bottom" in plan.message
    grid = plan.hr_grid(raster())
    assert grid.transform.c == X0 + 60.0 and grid.transform.f == Y0 - 40.0
    assert (grid.width, grid.height) == (44, 40)


def test_a_shift_keeps_the_lr_pixels_partly_over_the_hr_msi():
    """Co-registration moves the HR window 5 pixels left: the first LR column (4 HR pixels)
    lies wholly past the HR-MSI's edge and is dropped, the second partly and is kept."""
    plan = nested_plan(lr_hsi(4), raster()).moved(0, -5, (48, 48))
    assert plan.lr_window == (0, 1, 12, 11) and plan.hr_window == (0, -1, 48, 44)
    assert plan.hr_margins == (0, 1, 0, 0)


@pytest.mark.parametrize("role", ["LR-HSI", "HR-MSI"])
def test_a_missing_crs_is_named_with_how_to_assign_one(role):
    lr, hr = (lr_hsi(crs=None), raster()) if role == "LR-HSI" else (lr_hsi(), raster(crs=None))
    with pytest.raises(GridMismatchError, match=rf"The {role} has no CRS \(the other image's is "
                                                r"EPSG:32633\): assign it the CRS .*'Assign "
                                                r"projection'"):
        check_inputs(lr, hr)


def test_rasters_of_different_places_are_refused_with_their_extents():
    with pytest.raises(GridMismatchError, match=r"do not overlap.*check that both images show "
                                                r"the same place"):
        nested_plan(lr_hsi(origin=(X0 + 50_000.0, Y0)), raster())


@pytest.mark.parametrize("lr", [lr_hsi(crs=CRS.from_epsg(32632)), lr_hsi(pixel=(25.0, 25.0)),
                                lr_hsi(rotation=5.0)])
def test_grids_that_cannot_nest_are_left_to_a_warp_of_the_lr_hsi(lr):
    assert nested_plan(lr, raster()) is None


def test_a_rotated_hr_msi_asks_for_north_up():
    with pytest.raises(GridMismatchError, match="HR-MSI grid is rotated"):
        check_inputs(lr_hsi(), raster(rotation=5.0))


def test_a_south_up_hr_msi_is_refused_by_name():
    with pytest.raises(GridMismatchError, match=r"HR-MSI is not north-up \(pixel width 10, "
                                                r"height 10"):
        check_inputs(lr_hsi(), raster(flip=True))


def test_equal_pixel_sizes_have_nothing_to_sharpen():
    with pytest.raises(GridMismatchError, match="same pixel size: there is nothing to sharpen"):
        nested_plan(lr_hsi(pixel=(10.0, 10.0), size=(48, 48)), raster())


def test_swapped_inputs_are_recognised():
    with pytest.raises(GridMismatchError, match=r"LR-HSI pixels \(10\) are smaller than the HR-MSI "
                                                r"pixels \(40\): the inputs look swapped"):
        nested_plan(raster(bands=30), lr_hsi(bands=4))


def test_more_msi_than_hsi_bands_suggests_a_swap():
    with pytest.raises(GridMismatchError, match=r"LR-HSI has 4 bands and the HR-MSI 6.*swapped"):
        check_inputs(lr_hsi(bands=4), raster(bands=6))


def test_a_shift_brings_back_the_lr_pixels_it_puts_over_the_hr_msi():
    """The LR-HSI starts one LR pixel (40 m) west of the HR-MSI, so its first column is off it;
    co-registration finds the content 4 HR pixels east: that column is over the HR-MSI again."""
    plan = nested_plan(lr_hsi(4, size=(13, 12), origin=(X0 - 40.0, Y0)), raster())
    assert plan.lr_window == (0, 1, 12, 12) and plan.hr_window == (0, 0, 48, 48)
    moved = plan.moved(0, 4, (48, 48))
    assert moved.lr_window == (0, 0, 12, 12) and moved.hr_window == (0, 0, 48, 48)
