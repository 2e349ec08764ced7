"""Tests of fusion_core.windows.blend: the weights of all windows add up to one at every pixel,
and no weight falls where a window cannot see far enough around it."""

import numpy as np
import pytest

from fusion_core.windows.blend import window_weights
from fusion_core.windows.layout import WindowGrid


def coverage(grid: WindowGrid) -> np.ndarray:
    """Sum over windows of their weights, placed on the HR grid."""
    r = grid.scale
    total = np.zeros((grid.rows.n * r, grid.cols.n * r))
    for window in grid:
        y, x, h, w = window.hr_read
        total[y:y + h, x:x + w] += window_weights(grid, window)
    return total


@pytest.mark.parametrize("shape, scale, core, halo, ramp", [
    ((40, 40), 4, 8, 3, 3), ((37, 23), 3, 16, 2, 4), ((30, 50), 2, 8, 0, 0), ((33, 33), 4, 8, 5, 8),
])
def test_weights_of_all_windows_sum_to_one_everywhere(shape, scale, core, halo, ramp):
    np.testing.assert_allclose(coverage(WindowGrid.build(*shape, scale, core, halo, ramp)), 1.0, atol=1e-6)


def test_weights_are_zero_within_the_halo_of_an_inner_window_border():
    grid = WindowGrid.build(40, 40, 4, 8, halo=3, ramp=3)
    window = grid.window(2, 2)
    weights = window_weights(grid, window)
    margin = 3 * 4
    assert weights[:margin].max() == 0 and weights[-margin:].max() == 0
    assert weights[:, :margin].max() == 0 and weights[:, -margin:].max() == 0
    assert weights[margin:-margin, margin:-margin].min() >= 0


def test_a_ramp_hands_over_linearly_from_one_window_to_the_next():
    grid = WindowGrid.build(16, 8, 2, 8, halo=0, ramp=2)
    top, bottom = window_weights(grid, grid.window(0, 0)), window_weights(grid, grid.window(1, 0))
    np.testing.assert_allclose(top[16:20, 0], [0.875, 0.625, 0.375, 0.125])
    np.testing.assert_allclose(bottom[0:4, 0], [0.125, 0.375, 0.625, 0.875])
