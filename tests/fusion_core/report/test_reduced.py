"""The reduced-resolution check: the run's method on the pair degraded once more."""

import numpy as np

from fusion_core.methods import load_method
from fusion_core.pipeline.fuse import array_fusion
from fusion_core.report.reduced import MIN_REDUCED_LR_PIXELS, reduced_resolution_check, signal_part
from fusion_core.request import FusionRequest


def test_the_default_method_scores_above_interpolation_one_scale_down(pair, tmp_path):
    p = pair(size=96, snr_db=40)
    request = FusionRequest(report=str(tmp_path / "never.html"), seed=1)
    check = reduced_resolution_check(request, array_fusion(load_method("sscf")), p.lr_hsi, p.hr_msi, p.model)
    assert check["lr_pixels"] == [6, 6]
    assert check["PSNR"] > check["bicubic"]["PSNR"] + 3.0
    assert check["SAM"] < check["bicubic"]["SAM"]
    assert not any(tmp_path.iterdir())                 # the reduced run writes no report


def test_a_pair_too_small_to_degrade_again_is_skipped_with_the_reason(pair):
    p = pair(size=48, snr_db=None)                       # 12 LR pixels: 3 after one more ratio
    check = reduced_resolution_check(FusionRequest(), array_fusion(load_method("sscf")), p.lr_hsi, p.hr_msi, p.model)
    assert f"at least {MIN_REDUCED_LR_PIXELS * 4} pixels a side" in check["skipped"]



def test_the_reference_is_the_lr_hsis_signal_without_most_of_its_noise(pair):
    clean = pair(size=96, bands=60, snr_db=None).lr_hsi.astype(np.float64)
    sigma = 0.02 * np.sqrt(np.mean(clean ** 2, axis=(1, 2)))            # 34 dB
    noisy = clean + np.random.default_rng(0).standard_normal(clean.shape) * sigma[:, None, None]
    for given in (sigma, None):                                           # the report's noise, or measured
        signal = signal_part(noisy, given)
        assert signal.shape == noisy.shape
        # at least half the noise's variance gone
        assert np.sqrt(np.mean((signal - clean) ** 2)) < 0.7 * np.sqrt(np.mean((noisy - clean) ** 2))
