"""One pass over the scene: where each input has a value, per LR pixel."""

import numpy as np

from fusion_core.measure.scene_pass import scan_scene
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
