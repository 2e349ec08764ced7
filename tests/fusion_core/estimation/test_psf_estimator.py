"""Support choice: windows, embedding in the block-centred frame, trimming by mass."""

import numpy as np

from fusion_core.degradation import block_centre
from fusion_core.estimation.psf_estimator import rim_mass, trim_window
from fusion_core.estimation.windows import Window, count_interior


def test_centred_window_matches_the_operator_convention():
    assert Window.centred(9, 4) == Window(-2, -2, 9, 9)
    assert Window.centred(4, 4) == Window(0, 0, 4, 4)


def test_embed_places_an_off_centre_window_in_the_smallest_centred_square():
    kernel = np.ones((3, 3)) / 9
    psf = Window(3, 0, 3, 3).embed(kernel, 4)      # rows 3..5, columns 0..2 of the block
    assert psf.shape == (7, 7)                     # covers block rows -1 … 5
    rows, cols = np.nonzero(psf)
    start = -((7 - 4) // 2)
    assert rows.min() + start == 3 and rows.max() + start == 5 and cols.min() + start == 0
    assert np.isclose(psf.sum(), 1.0)
    assert block_centre(7, 4) == 2.5               # where the block centre (1.5) sits in the kernel


def test_trim_keeps_the_mass_and_adds_a_margin():
    kernel = np.zeros((13, 13))
    kernel[6:9, 4:6] = 1.0
    kernel[0, 12] = 0.001                             # a speck of noise far away
    kernel /= kernel.sum()
    window = trim_window(kernel, Window.centred(13, 4))
    assert window == Window(-4 + 5, -4 + 3, 5, 4)


def test_rim_mass_flags_a_kernel_touching_the_border():
    kernel = np.zeros((9, 9))
    kernel[4, 4] = 1.0
    assert rim_mass(kernel) == 0.0
    kernel[0, 4] = 1.0
    assert np.isclose(rim_mass(kernel), 0.5)


def test_pixel_count_excludes_lr_pixels_whose_support_leaves_the_image():
    assert count_interior((10, 10), (40, 40), 4, Window.centred(4, 4)) == 100
    assert count_interior((10, 10), (40, 40), 4, Window.centred(9, 4)) == 64
