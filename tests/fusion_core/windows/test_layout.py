"""Tests of fusion_core.windows.layout: cores on the tile grid, halos inside the image, and the
bookkeeping of which windows an output region waits for."""

import pytest

from fusion_core.errors import InputError
from fusion_core.windows.layout import WindowGrid, psf_halo
from fusion_core.windows.output import tile_edge


@pytest.mark.parametrize("hr_core, tile", [(624, 208), (672, 336), (720, 240), (480, 480), (1040, 208), (592, 16)])
def test_output_tiles_are_the_largest_multiple_of_16_up_to_512_dividing_the_core(hr_core, tile):
    assert tile_edge(hr_core) == tile


def test_psf_halo_is_the_reach_of_the_kernel_beyond_its_block_in_lr_pixels():
    assert psf_halo(4, 4) == 0     # a box PSF reads only its own block
    assert psf_halo(9, 4) == 1     # 3 HR pixels beyond the block
    assert psf_halo(21, 4) == 3    # 9 HR pixels: three LR pixels


def test_cores_cut_the_axis_and_the_last_takes_the_remainder():
    grid = WindowGrid.build(50, 20, 3, 16, halo=2, ramp=3)
    assert grid.shape == (4, 2)
    assert grid.rows.bounds == (0, 16, 32, 48, 50)
    assert grid.region(3, 1) == (48 * 3, 16 * 3, 2 * 3, 4 * 3)


def test_a_window_reads_its_core_the_ramp_after_it_and_a_halo_inside_the_image():
    grid = WindowGrid.build(48, 48, 4, 16, halo=2, ramp=3)
    first, middle, last = grid.window(0, 0), grid.window(1, 1), grid.window(2, 2)
    assert first.lr_read == (0, 0, 16 + 3 + 2, 16 + 3 + 2)
    assert middle.lr_read == (14, 14, 2 + 16 + 3 + 2, 2 + 16 + 3 + 2)
    assert last.lr_read == (30, 30, 18, 18)
    assert middle.hr_read == tuple(4 * v for v in middle.lr_read)
    assert middle.hr_support == (64, 64, (16 + 3) * 4, (16 + 3) * 4)


def test_a_region_waits_for_the_windows_whose_ramps_reach_it():
    grid = WindowGrid.build(48, 48, 4, 16, halo=2, ramp=3)
    assert grid.region_contributors(0, 0) == [(0, 0)]
    assert grid.region_contributors(1, 2) == [(0, 1), (0, 2), (1, 1), (1, 2)]
    for window in grid:
        for region in grid.window_receivers(*window.key):
            assert window.key in grid.region_contributors(*region)


def test_without_ramp_each_region_is_its_own_window():
    grid = WindowGrid.build(48, 48, 4, 16, halo=0, ramp=0)
    assert grid.region_contributors(2, 1) == [(2, 1)]
    assert grid.window_receivers(0, 0) == [(0, 0)]


def test_cores_narrower_than_the_ramp_are_refused():
    with pytest.raises(InputError, match="narrower than the blend ramp"):
        WindowGrid.build(48, 48, 4, 2, halo=2, ramp=3)
