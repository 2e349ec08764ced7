"""True-colour quick-looks: the bands nearest red, green and blue, and a shared stretch."""

import numpy as np

from fusion_core.degradation import DegradationModel
from fusion_core.report.quicklook import block_mean, hsi_rgb_bands, msi_rgb_bands, stretch


def test_bands_nearest_red_green_blue_and_the_msi_bands_that_see_them():
    wl = np.arange(400.0, 1000.0, 10.0)
    assert hsi_rgb_bands(wl, wl.size) == [24, 15, 7]              # 640, 550, 470 nm
    srf = np.zeros((wl.size, 3))
    srf[5:10, 0] = srf[13:18, 1] = srf[22:27, 2] = 1.0              # blue, green, red MSI bands
    model = DegradationModel(2, np.ones((2, 2)), srf, wl)
    assert msi_rgb_bands(model, [24, 15, 7]) == [2, 1, 0]
    assert hsi_rgb_bands(None, 40) == [30, 20, 10]


def test_one_stretch_serves_two_images():
    rng = np.random.default_rng(0)
    a = rng.random((3, 20, 20))
    image, limits = stretch(a)
    assert image.dtype == np.uint8 and image.shape == (20, 20, 3)
    same, _ = stretch(a, limits)
    np.testing.assert_array_equal(image, same)
    assert stretch(2 * a, limits)[0].mean() > image.mean()          # brighter under the same stretch


def test_block_mean_ignores_nan_and_bounds_the_size():
    values = np.arange(16.0).reshape(4, 4)
    values[0, 0] = np.nan
    np.testing.assert_allclose(block_mean(values, 2), [[(1 + 4 + 5) / 3, 4.5], [10.5, 12.5]])
    assert block_mean(values, 8) is values
