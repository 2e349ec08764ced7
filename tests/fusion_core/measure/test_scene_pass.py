"""One pass over the scene: where each input has a value, per LR pixel."""

import numpy as np

from fusion_core.measure.scene_pass import scan_scene
from fusion_core.threads import on_threads
from fusion_core.windows.in_memory import ArraySource


def test_the_scene_pass_finds_the_lr_pixels_whose_hr_block_lacks_a_value(tmp_rasters):
    pair = tmp_rasters(size=48, n_hsi=24, n_msi=4)
    hr, lr = pair.hr_msi.copy(), pair.lr_hsi.copy()
    hr[2, 17, 21] = np.nan                                              # one band of one HR pixel
    lr[:, 2, 3] = np.nan
    hr[:, 8:12, 12:16] = np.nan                                         # under the LR pixel without value

    found = scan_scene(ArraySource.whole(lr, hr, 4), pair.model, None, 2 ** 26)

    assert found.hr_gaps.sum() == 1 and found.hr_gaps[4, 5]
    assert not found.lr_valid[2, 3] and found.lr_valid.sum() == 143
    assert found.units is None


def test_strips_scanned_on_threads_or_in_runs_give_the_same_masks_and_residual_in_order(tmp_rasters):
    pair = tmp_rasters(size=48, n_hsi=24, n_msi=4)
    hr, lr = pair.hr_msi.copy(), pair.lr_hsi.copy()
    hr[:, 8:12, 12:16] = np.nan
    lr[:, 7, 1] = np.nan
    source, normal = ArraySource.whole(lr, hr, 4), np.full(4, 0.01)
    strip_budget = 8 * 4 * 12 * (16 * 4 + 24) * 2                    # two LR rows per strip

    here = scan_scene(source, pair.model, normal, strip_budget)
    threaded = scan_scene(source, pair.model, normal, strip_budget, mapper=on_threads(2))
    in_runs = scan_scene(source, pair.model, normal, strip_budget, mapper=on_threads(2), runs=4)

    for other in (threaded, in_runs):
        np.testing.assert_array_equal(other.lr_valid, here.lr_valid)
        np.testing.assert_array_equal(other.hr_gaps, here.hr_gaps)
        np.testing.assert_array_equal(other.units, here.units)
    assert not here.lr_valid[7, 1] and here.hr_gaps[2, 3]
