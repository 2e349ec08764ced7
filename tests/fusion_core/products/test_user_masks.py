"""LR_MASK / HR_MASK: any raster of the user's, non-zero = leave out, on the image's grid or
coarser by a whole factor; a plain raster keeps its own nodata, scale and mask."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from fusion_core.errors import InputError
from fusion_core.io import read_raster
from fusion_core.products import open_input
from tests.fusion_core.io.conftest import TRANSFORM, dn_ramp, write_product


def _mask(path: Path, values: np.ndarray, transform: Affine = TRANSFORM) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype=values.dtype, crs="EPSG:32633", transform=transform) as dst:
        dst.write(values[None])
    return path


def test_non_zero_mask_pixels_become_nodata_and_the_rest_keeps_its_values(tmp_path):
    image = write_product(tmp_path / "lr.tif", dn_ramp(3), nodata=-1, scales=[1e-4] * 3)
    values = np.zeros((12, 16), np.int16)
    values[2, 3], values[5, 7], values[9, 1] = 1, 255, -4
    mask = _mask(tmp_path / "m.tif", values)
    plain = read_raster(image).data
    masked = read_raster(open_input(str(image), "LR-HSI", mask=str(mask)).dataset).data
    assert np.isnan(masked[:, values != 0]).all()
    np.testing.assert_array_equal(masked[:, values == 0], plain[:, values == 0])


def test_a_mask_coarser_by_a_whole_factor_covers_its_fine_pixels(tmp_path):
    image = write_product(tmp_path / "hr.tif", dn_ramp(2))
    coarse = np.zeros((6, 8), np.uint8)
    coarse[1, 2] = 1
    mask = _mask(tmp_path / "m.tif", coarse, TRANSFORM * Affine.scale(2))
    masked = read_raster(open_input(str(image), "HR-MSI", mask=str(mask)).dataset).data
    expected = np.kron(coarse, np.ones((2, 2), np.uint8)).astype(bool)
    np.testing.assert_array_equal(np.isnan(masked[0]), expected)


def test_the_image_own_mask_is_kept_beside_the_user_mask(tmp_path):
    own = np.ones((12, 16), bool)
    own[0, :] = False
    image = write_product(tmp_path / "lr.tif", dn_ramp(2), mask=own)
    user = np.zeros((12, 16), np.uint8)
    user[-1, :] = 1
    masked = read_raster(open_input(str(image), "LR-HSI", mask=str(_mask(tmp_path / "m.tif", user)))
                         .dataset).data
    assert np.isnan(masked[:, 0]).all() and np.isnan(masked[:, -1]).all()
    assert np.isfinite(masked[:, 1:-1]).all()


def test_a_mask_on_another_extent_is_refused_with_how_to_warp_it(tmp_path):
    image = write_product(tmp_path / "lr.tif", dn_ramp(2))
    mask = _mask(tmp_path / "m.tif", np.zeros((12, 16), np.uint8),
                 TRANSFORM * Affine.translation(5, 0))
    with pytest.raises(InputError, match="does not cover .* gdalwarp"):
        open_input(str(image), "LR-HSI", mask=str(mask), mask_name="LR_MASK")


def test_a_folder_without_a_product_is_refused_naming_what_it_reads(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    with pytest.raises(InputError, match="holds no product HSI Fusion reads"):
        open_input(str(tmp_path), "LR-HSI")
