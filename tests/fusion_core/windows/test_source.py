"""Where the windows' pixels come from: an HR window that reaches past its image reads nodata there."""

from __future__ import annotations

import numpy as np

from fusion_core.io.pair import PairPlan
from fusion_core.windows.in_memory import ArraySource


def test_an_hr_window_past_the_image_edge_reads_nan_there_and_the_image_elsewhere():
    hr = np.arange(2 * 6 * 6, dtype=np.float32).reshape(2, 6, 6)
    lr = np.zeros((5, 2, 3), np.float32)
    # LR pixels of 3: the window starts one HR pixel above and left of the image, 6×9 HR pixels
    plan = PairPlan(3, (0, 0, 2, 3), (-1, -1, 6, 9), hr_bounds=(6, 6))
    read = ArraySource(lr, hr, plan).read_hr()
    assert read.shape == (2, 6, 9)
    assert np.isnan(read[:, 0]).all() and np.isnan(read[:, :, 0]).all() and np.isnan(read[:, :, 7:]).all()
    np.testing.assert_array_equal(read[:, 1:, 1:7], hr[:, :5, :])


def test_a_rectangle_wholly_past_the_image_edge_is_all_nan():
    hr = np.ones((2, 6, 6), np.float32)
    plan = PairPlan(3, (0, 0, 2, 3), (0, 0, 6, 9), hr_bounds=(6, 6))
    read = ArraySource(np.zeros((5, 2, 3), np.float32), hr, plan).read_hr((0, 6, 6, 3))
    assert read.shape == (2, 6, 3) and np.isnan(read).all()
