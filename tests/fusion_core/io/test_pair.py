"""Tests of fusion_core.io.pair: every way an LR-HSI / HR-MSI pair can fail to nest is refused
before any compute, with a message that says how to fix it."""

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS

from fusion_core.errors import GridMismatchError
from fusion_core.io import Raster, RasterGrid, check_pair, read_raster_info

UTM33 = CRS.from_epsg(32633)
X0, Y0 = 368_000.0, 5_808_000.0


def raster(pixel=(10.0, 10.0), size=(48, 48), bands=4, crs=UTM33, origin=(X0, Y0), rotation=0.0):
    """Grid-only raster (no pixels are needed to check a pair): ``size`` is (width, height)."""
    transform = (Affine.translation(*origin) * Affine.rotation(rotation)
                 * Affine.scale(pixel[0], -pixel[1]))
    grid = RasterGrid(crs, transform, *size)
    return Raster(np.empty((bands, 0, 0), np.float32), grid)


def lr_hsi(scale=4, **kwargs):
    kwargs.setdefault("pixel", (10.0 * scale, 10.0 * scale))
    kwargs.setdefault("size", (48 // scale, 48 // scale))
    kwargs.setdefault("bands", 30)
    return raster(**kwargs)


@pytest.mark.parametrize("scale", [2, 3, 4, 6])
def test_a_nested_pair_returns_its_ratio(scale):
    assert check_pair(lr_hsi(scale), raster()) == scale


def test_simulated_files_pass(tmp_rasters):
    pair = tmp_rasters(scale=4)
    assert check_pair(read_raster_info(pair.lr_path), read_raster_info(pair.hr_path)) == 4


def test_same_crs_written_differently_is_accepted():
    proj4 = CRS.from_proj4("+proj=utm +zone=33 +datum=WGS84 +units=m +no_defs")
    assert check_pair(lr_hsi(crs=proj4), raster()) == 4


def test_different_crs_asks_to_reproject():
    with pytest.raises(GridMismatchError, match=r"LR-HSI CRS \(EPSG:32632\) differs from the "
                                                r"HR-MSI CRS \(EPSG:32633\): reproject"):
        check_pair(lr_hsi(crs=CRS.from_epsg(32632)), raster())


@pytest.mark.parametrize("role", ["LR-HSI", "HR-MSI"])
def test_a_missing_crs_is_named_with_how_to_assign_one(role):
    lr, hr = (lr_hsi(crs=None), raster()) if role == "LR-HSI" else (lr_hsi(), raster(crs=None))
    with pytest.raises(GridMismatchError, match=rf"The {role} has no CRS \(the other image's is "
                                                r"EPSG:32633\): assign it the CRS .*'Assign "
                                                r"projection'"):
        check_pair(lr, hr)


@pytest.mark.parametrize("role", ["LR-HSI", "HR-MSI"])
def test_rotated_grid_asks_for_north_up(role):
    lr, hr = (lr_hsi(rotation=5.0), raster()) if role == "LR-HSI" else (lr_hsi(), raster(rotation=5.0))
    with pytest.raises(GridMismatchError, match=f"The {role} grid is rotated: warp it to a north-up"):
        check_pair(lr, hr)


def test_non_integer_ratio_suggests_a_pixel_size():
    with pytest.raises(GridMismatchError, match=r"LR-HSI pixel \(25\) is not an integer multiple "
                                                r"of the HR-MSI pixel \(10\); the ratio is 2\.5000"):
        check_pair(lr_hsi(pixel=(25.0, 25.0), size=(19, 19)), raster())


def test_different_ratio_along_x_and_y_asks_for_square_pixels():
    with pytest.raises(GridMismatchError, match=r"ratio differs along x \(4\.0000\) and y "
                                                r"\(3\.0000\).*square pixels"):
        check_pair(lr_hsi(pixel=(40.0, 30.0), size=(12, 16)), raster())


def test_ratio_below_two_suggests_ratio_two():
    with pytest.raises(GridMismatchError, match=r"ratio is 1\.5000\. Resample the HR-MSI to a "
                                                r"pixel size of 7\.5 \(ratio 2\)"):
        check_pair(lr_hsi(pixel=(15.0, 15.0), size=(32, 32)), raster())


def test_equal_pixel_sizes_have_nothing_to_sharpen():
    with pytest.raises(GridMismatchError, match="same pixel size: there is nothing to sharpen"):
        check_pair(lr_hsi(pixel=(10.0, 10.0), size=(48, 48)), raster())


@pytest.mark.parametrize("shift, shown", [((5.0, 0.0), r"\+0\.50, \+0\.00"),
                                          ((0.0, -40.0), r"\+0\.00, -4\.00")])  # y is north
def test_shifted_origin_is_reported_in_hr_pixels(shift, shown):
    hr = raster(origin=(X0 + shift[0], Y0 + shift[1]))
    with pytest.raises(GridMismatchError, match=f"top-left corner is {shown} HR pixels .*"
                                                "Clip both rasters to the same extent"):
        check_pair(lr_hsi(), hr)


def test_wrong_hr_size_gives_the_needed_size():
    with pytest.raises(GridMismatchError, match=r"HR-MSI is 48×44 pixels but ratio 4 × the "
                                                r"LR-HSI's 12×12 needs 48×48"):
        check_pair(lr_hsi(), raster(size=(48, 44)))


def test_swapped_inputs_are_recognised():
    with pytest.raises(GridMismatchError, match=r"LR-HSI pixels \(10\) are smaller than the HR-MSI "
                                                r"pixels \(40\): the inputs look swapped"):
        check_pair(raster(), lr_hsi())


def test_more_msi_than_hsi_bands_suggests_a_swap():
    with pytest.raises(GridMismatchError, match=r"LR-HSI has 4 bands and the HR-MSI 6.*swapped"):
        check_pair(lr_hsi(bands=4), raster(bands=6))

