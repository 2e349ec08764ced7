"""The reduced-resolution check: the run's method on the pair degraded once more."""

from fusion_core.measure.consistency import input_noise
from fusion_core.methods import load_method
from fusion_core.metrics import psnr
from fusion_core.pipeline.fuse import array_fusion
from fusion_core.report.reduced import MIN_REDUCED_LR_PIXELS, reduced_resolution_check
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


def test_noise_of_the_reference_is_not_counted_as_an_error_of_the_method(pair):
    # A 30 dB pair: scored against its noisy LR-HSI, the reduced result scores that noise too.
    p = pair(size=96, snr_db=30)
    noise = input_noise(p.lr_hsi, p.hr_msi, p.model)
    fuse = array_fusion(load_method("sscf"))
    raw = reduced_resolution_check(FusionRequest(), fuse, p.lr_hsi, p.hr_msi, p.model)
    corrected = reduced_resolution_check(FusionRequest(), fuse, p.lr_hsi, p.hr_msi, p.model, noise=noise)
    truth = psnr(p.reference, fuse(FusionRequest(), p.lr_hsi, p.hr_msi, p.model, None))
    assert corrected["noise_corrected"] and not raw["noise_corrected"]
    assert raw["PSNR"] < corrected["PSNR"] < truth          # closer to the truth, still below it
