"""The scene's blind estimate, as the pipeline makes it before the windows."""

import numpy as np

from fusion_core import FusionRequest, fuse_arrays
from fusion_core.degradation import psf_fwhm
from fusion_core.progress import Progress


def test_a_change_seen_by_one_image_is_left_out_of_the_blind_estimate(planted_rasters):
    pair = planted_rasters()
    log: list[str] = []
    result = fuse_arrays(FusionRequest(), pair.lr_hsi, pair.hr_msi, progress=Progress(log=log.append))
    assert any("disagree" in line and "it was estimated again without them" in line for line in log), log
    assert np.allclose(psf_fwhm(result.model.psf), psf_fwhm(pair.model.psf), rtol=0.05)


def test_a_pair_that_agrees_is_estimated_once(tmp_rasters):
    pair = tmp_rasters(size=96, scale=4, n_hsi=24, n_msi=4, snr_db=35.0)
    log: list[str] = []
    fuse_arrays(FusionRequest(), pair.lr_hsi, pair.hr_msi, progress=Progress(log=log.append))
    assert not any("estimated again" in line for line in log), log
