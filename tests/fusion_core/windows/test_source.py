"""Where the windows' pixels come from: an HR window that reaches past its image reads nodata there."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import rasterio
import torch

from fusion_core.io.pair import PairPlan
from fusion_core.windows.in_memory import ArraySource

from .conftest import source_of


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


def test_a_band_interleaved_lr_hsi_is_sampled_in_band_groups_on_threads_as_on_one(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=96, scale=4, n_hsi=30)
    with rasterio.open(pair.lr_path) as ds:
        profile, data = ds.profile, ds.read()
    banded = tmp_path / "banded.tif"
    with rasterio.open(banded, "w", **dict(profile, interleave="band", tiled=True, blockxsize=16,
                                           blockysize=16)) as out:
        out.write(data)
    source = replace(source_of(pair), lr_path=str(banded))
    saved = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = source.read_lr_sample(3)
        chosen_alone = source.with_bands((1, 4, 5, 29)).read_lr_sample(3)
        torch.set_num_threads(2)
        on_threads = source.read_lr_sample(3)
        chosen = source.with_bands((1, 4, 5, 29)).read_lr_sample(3)
    finally:
        torch.set_num_threads(saved)
    assert alone.shape == (30, 8, 8)
    np.testing.assert_array_equal(on_threads, alone)
    np.testing.assert_array_equal(chosen, alone[[1, 4, 5, 29]])
    np.testing.assert_array_equal(chosen_alone, chosen)
