"""Which LR pixels of a window with gaps can be fitted and checked."""

from __future__ import annotations

import numpy as np
import torch

from fusion_core.degradation import sensor_psf
from fusion_core.methods.gaps import finite_pixels, support_valid, valid_pixels

R = 3


def test_an_lr_pixel_is_checkable_only_where_its_footprint_is_valid():
    hr_ok = torch.ones(12, 12, dtype=torch.bool)
    hr_ok[4, 4] = False                              # the centre of LR pixel (1, 1)'s block
    lr_ok = torch.ones(4, 4, dtype=torch.bool)
    lr_ok[3, 3] = False
    wide = support_valid(lr_ok, hr_ok, sensor_psf(R, 3.0), R)
    narrow = support_valid(lr_ok, hr_ok, np.pad(np.ones((1, 1)), 1), R)   # a PSF of one HR pixel
    assert not wide[1, 1] and not wide[3, 3] and not wide[2, 2]           # reaches into (1, 1)'s block
    assert not narrow[1, 1] and narrow[2, 2] and narrow[0, 0] and not narrow[3, 3]


def test_beyond_the_edge_counts_as_invalid_when_asked():
    everywhere = torch.ones(4, 4, dtype=torch.bool)
    inside = support_valid(everywhere, torch.ones(12, 12, dtype=torch.bool), sensor_psf(R, 3.0), R,
                           edge_valid=False)
    assert inside[1:3, 1:3].all() and not inside[0].any() and not inside[:, -1].any()


def test_a_pixel_is_finite_only_where_every_band_is():
    image = torch.ones(5, 3, 4)
    image[1, 0, 0] = float("nan")
    image[2, 0, 1] = float("inf")
    image[3, 0, 2], image[4, 0, 2] = float("inf"), -float("inf")
    image[0, 1, 1] = image[1, 1, 1] = torch.finfo(torch.float32).max  # finite, however large
    found = finite_pixels(image)
    assert found.dtype == torch.bool and found.shape == (3, 4)
    assert torch.equal(found, torch.isfinite(image).all(0))
    assert not found[0, :3].any() and found[1, 1] and int(found.sum()) == 9


def test_valid_pixels_are_the_pixels_of_the_mask_in_row_order():
    image = torch.arange(2 * 3 * 4, dtype=torch.float64).reshape(2, 3, 4)
    valid = torch.zeros(3, 4, dtype=torch.bool)
    valid[0, 1] = valid[2, 0] = valid[2, 3] = True
    picked = valid_pixels(image, valid)
    assert picked.shape == (2, 3, 1)
    assert picked[:, :, 0].tolist() == [[1.0, 8.0, 11.0], [13.0, 20.0, 23.0]]
    assert valid_pixels(image, None) is image
