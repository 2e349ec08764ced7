"""The tiles the report's scene-level figures are computed on: spread over the whole scene."""

import numpy as np

from fusion_core.report.tiles import GRID, TILE_RATIO, scene_tiles


def test_a_large_scene_gives_tiles_spread_evenly_from_edge_to_edge():
    tiles = scene_tiles((1000, 600), 4)
    side = TILE_RATIO * 4
    rects = tiles.rects()
    assert len(rects) == GRID * GRID and {(h, w) for _, _, h, w in rects} == {(side, side)}
    rows = sorted({r0 for r0, _, _, _ in rects})
    assert rows[0] < 1000 / GRID and rows[-1] + side > 1000 * (GRID - 1) / GRID   # first and last quarter
    assert tiles.lr_pixels == (GRID * side, GRID * side)
    assert tiles.rects(4)[5] == tuple(4 * v for v in rects[5])


def test_a_scene_no_larger_than_the_mosaic_is_taken_whole_along_that_axis():
    tiles = scene_tiles((40, 300), 3)
    assert tiles.rows == ((0, 40),) and len(tiles.cols) == GRID
    image = np.arange(40 * 300, dtype=float).reshape(1, 40, 300)
    mosaic = tiles.read(lambda r: image[:, r[0]:r[0] + r[2], r[1]:r[1] + r[3]])
    assert mosaic.shape == (1, 40, GRID * TILE_RATIO * 3)
    c0, w = tiles.cols[1]
    np.testing.assert_array_equal(mosaic[:, :, w:2 * w], image[:, :, c0:c0 + w])


def test_a_pixel_of_the_mosaic_is_placed_back_in_the_scene():
    tiles = scene_tiles((1000, 600), 4)
    image = np.arange(1000 * 600, dtype=float).reshape(1, 1000, 600)
    mosaic = tiles.read(lambda r: image[:, r[0]:r[0] + r[2], r[1]:r[1] + r[3]])
    for row, col in ((0, 0), (17, 40), (63, 63)):
        assert mosaic[0, row, col] == image[(0, *tiles.scene_pixel(row, col))]


def test_a_stitched_mosaic_is_its_parts_side_by_side_row_by_row():
    tiles = scene_tiles((1000, 600), 4)
    rng = np.random.default_rng(0)
    parts = [rng.standard_normal((3, 2 + k // GRID, 5 + k % GRID)).astype(np.float32) for k in range(GRID * GRID)]
    rows = [np.concatenate(parts[i:i + GRID], axis=2) for i in range(0, len(parts), GRID)]
    np.testing.assert_array_equal(tiles.stitch(parts), np.concatenate(rows, axis=1))
