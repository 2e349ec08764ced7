"""Tests of fusion_core.metrics: hand-computed values, ideal cases and bad input."""

import math

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.metrics import (
    MIN_ERROR_SHARE,
    cc,
    ergas,
    format_report,
    psnr,
    quality_metrics,
    rmse,
    sam,
    ssim,
    uiqi,
)

KEYS = {"PSNR", "SAM", "ERGAS", "RMSE", "CC", "SSIM", "UIQI"}


@pytest.fixture
def pair():
    """A 2-band 2×2 reference; the estimate is off by -2 at band 0 (1,1) and +1 at band 1 (0,0)."""
    reference = np.array([[[1.0, 2.0], [3.0, 4.0]], [[2.0, 2.0], [2.0, 4.0]]])
    estimate = reference.copy()
    estimate[0, 1, 1] = 2.0
    estimate[1, 0, 0] = 3.0
    return reference, estimate


@pytest.fixture
def image():
    rng = np.random.default_rng(7)
    return rng.uniform(0.1, 1.0, size=(3, 16, 16))


def test_psnr_by_hand(pair):
    # MSE band 0 = 2²/4 = 1, band 1 = 1²/4 = 0.25; both peaks are 4.
    expected = (10 * math.log10(16 / 1) + 10 * math.log10(16 / 0.25)) / 2
    assert psnr(*pair) == pytest.approx(expected)
    assert expected == pytest.approx(15.0515, abs=1e-4)


def test_the_reference_noise_is_taken_out_of_psnr_and_ergas_by_hand(pair):
    # MSE 1 and 0.25 less the noise variance 0.5 and 0.5: 0.5, and at least 5 % of 0.25.
    expected = (10 * math.log10(16 / 0.5) + 10 * math.log10(16 / (MIN_ERROR_SHARE * 0.25))) / 2
    assert psnr(*pair, noise_var=np.array([0.5, 0.5])) == pytest.approx(expected)
    ratio = (0.5 / 2.5**2 + MIN_ERROR_SHARE * 0.25 / 2.5**2) / 2
    assert ergas(*pair, scale=4, noise_var=np.array([0.5, 0.5])) == pytest.approx(100 / 4 * math.sqrt(ratio))


def test_rmse_by_hand(pair):
    assert rmse(*pair) == pytest.approx(math.sqrt((2**2 + 1**2) / 8))


def test_ergas_by_hand(pair):
    # Band means are both 2.5; (100 / r) * sqrt(mean(MSE_b / mean_b²)).
    ratio = (1 / 2.5**2 + 0.25 / 2.5**2) / 2
    assert ergas(*pair, scale=4) == pytest.approx(100 / 4 * math.sqrt(ratio))
    assert ergas(*pair, scale=2) == pytest.approx(2 * ergas(*pair, scale=4))


def test_sam_by_hand(pair):
    # Two-band spectra are 2-D vectors: the angle is a difference of atan2's.
    # Pixel (0,0): (1,2) vs (1,3); pixel (1,1): (4,4) vs (2,4); the other two are exact.
    angles = [
        math.atan2(3, 1) - math.atan2(2, 1),
        0.0,
        0.0,
        math.atan2(4, 2) - math.atan2(4, 4),
    ]
    assert sam(*pair) == pytest.approx(math.degrees(sum(angles) / 4))


def test_cc_by_hand(pair):
    # Band 0: ref 1,2,3,4 (mean 2.5) vs est 1,2,3,2 (mean 2).
    num0 = (-1.5 * -1) + (-0.5 * 0) + (0.5 * 1) + (1.5 * 0)
    cc0 = num0 / math.sqrt((1.5**2 + 0.5**2 + 0.5**2 + 1.5**2) * (1 + 0 + 1 + 0))
    # Band 1: ref 2,2,2,4 (mean 2.5) vs est 3,2,2,4 (mean 2.75).
    num1 = (-0.5 * 0.25) + (-0.5 * -0.75) + (-0.5 * -0.75) + (1.5 * 1.25)
    cc1 = num1 / math.sqrt((3 * 0.5**2 + 1.5**2) * (0.25**2 + 2 * 0.75**2 + 1.25**2))
    assert cc(*pair) == pytest.approx((cc0 + cc1) / 2)


def test_quality_metrics_returns_all_seven_as_floats(pair):
    metrics = quality_metrics(*pair, scale=4)
    assert set(metrics) == KEYS
    assert all(type(v) is float for v in metrics.values())
    assert metrics["PSNR"] == pytest.approx(psnr(*pair))
    assert metrics["ERGAS"] == pytest.approx(ergas(*pair, scale=4))


def test_identical_images_score_ideal_values(image):
    metrics = quality_metrics(image, image.copy(), scale=4)
    assert metrics["PSNR"] == math.inf
    assert metrics["SAM"] == 0.0
    assert metrics["ERGAS"] == 0.0
    assert metrics["RMSE"] == 0.0
    assert metrics["CC"] == pytest.approx(1.0)
    assert metrics["SSIM"] == pytest.approx(1.0)
    assert metrics["UIQI"] == pytest.approx(1.0)


def test_images_smaller_than_the_windows_still_score(pair):
    reference, _ = pair
    assert ssim(reference, reference) == pytest.approx(1.0)
    assert uiqi(reference, reference) == pytest.approx(1.0)


def test_scaling_keeps_angle_and_correlation_but_lowers_uiqi_exactly(image):
    doubled = 2 * image
    assert sam(image, doubled) == pytest.approx(0.0, abs=1e-6)
    assert cc(image, doubled) == pytest.approx(1.0)
    # Q of y = k x on any non-flat window is 4 k² / (1 + k²)² = 0.64 for k = 2.
    assert uiqi(image, doubled) == pytest.approx(0.64)
    assert ssim(image, doubled) < 0.9


def test_shift_sets_rmse_and_psnr_and_keeps_correlation(image):
    shifted = image + 0.05
    assert rmse(image, shifted) == pytest.approx(0.05)
    peaks = image.max(axis=(1, 2))
    assert psnr(image, shifted) == pytest.approx(np.mean(10 * np.log10(peaks**2 / 0.05**2)))
    assert cc(image, shifted - 3.0) == pytest.approx(1.0)
    assert sam(image, shifted) > 0
    assert 0.9 < ssim(image, shifted) < 1.0
    assert ssim(image, image + 0.2) < ssim(image, shifted)


def test_ssim_matches_explicit_gaussian_windows():
    rng = np.random.default_rng(3)
    reference = rng.uniform(0.0, 5.0, size=(1, 13, 12))
    estimate = reference + rng.normal(0.0, 1.0, size=reference.shape)
    offsets = np.arange(11) - 5
    g = np.exp(-(offsets**2) / (2 * 1.5**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    span = reference.max() - reference.min()
    c1, c2 = (0.01 * span) ** 2, (0.03 * span) ** 2
    values = []
    for i in range(13 - 10):  # every 11×11 window inside the image
        for j in range(12 - 10):
            x, y = reference[0, i : i + 11, j : j + 11], estimate[0, i : i + 11, j : j + 11]
            mx, my = (w * x).sum(), (w * y).sum()
            vx, vy = (w * (x - mx) ** 2).sum(), (w * (y - my) ** 2).sum()
            cxy = (w * (x - mx) * (y - my)).sum()
            luminance = (2 * mx * my + c1) / (mx**2 + my**2 + c1)
            values.append(luminance * (2 * cxy + c2) / (vx + vy + c2))
    assert ssim(reference, estimate) == pytest.approx(np.mean(values))
    assert ssim(10 * reference, 10 * estimate) == pytest.approx(np.mean(values))


def test_uiqi_flat_windows_follow_wang_bovik():
    # Left half 0 / 1, right half 1 / 2 on an 8×16 image: 9 window positions along the row.
    reference = np.ones((2, 8, 16))
    reference[0, :, :8] = 0.0
    reference[1, :, 8:] = 2.0
    estimate = 2 * reference
    textured = 4 * 2**2 / (1 + 2**2) ** 2  # 0.64 on the 7 windows straddling the edge
    flat_nonzero = 2 * 1 * 2 / (1 + 2**2)  # 2 μr μe / (μr² + μe²) with μe = 2 μr
    band0 = (1.0 + flat_nonzero + 7 * textured) / 9  # all-zero window in both images: Q = 1
    band1 = (2 * flat_nonzero + 7 * textured) / 9
    assert uiqi(reference, estimate) == pytest.approx((band0 + band1) / 2)


def test_sam_skips_pixels_with_a_zero_spectrum(image):
    reference = image.copy()
    reference[:, 0, 0] = 0.0
    estimate = image.copy()
    estimate[:, 0, 0] = [1.0, 0.0, 0.0]
    assert sam(reference, estimate) == 0.0


def test_constant_estimate_band_has_zero_correlation(image):
    estimate = image.copy()
    estimate[1] = 0.5
    assert cc(image, estimate) == pytest.approx(2 / 3)


def test_shape_mismatch_names_both_shapes(image):
    with pytest.raises(InputError, match=r"\(3, 16, 16\).*\(3, 16, 15\)"):
        quality_metrics(image, image[:, :, :15], scale=4)


def test_two_dimensional_images_are_rejected(image):
    with pytest.raises(InputError, match=r"same shape \(bands, rows, columns\)"):
        psnr(image[0], image[0])


def test_nan_input_is_rejected(image):
    estimate = image.copy()
    estimate[0, 3, 3] = np.nan
    with pytest.raises(InputError, match="estimate has 1 NaN"):
        quality_metrics(image, estimate, scale=4)


def test_constant_reference_band_is_rejected(image):
    reference = image.copy()
    reference[2] = 0.0
    with pytest.raises(InputError, match=r"band\(s\) \[2\] are constant"):
        quality_metrics(reference, image, scale=4)


def test_ergas_needs_a_positive_ratio(pair):
    with pytest.raises(InputError, match="positive resolution ratio, got 0"):
        ergas(*pair, scale=0)


def test_format_report_is_a_table_with_units(pair):
    metrics = quality_metrics(*pair, scale=4)
    metrics["time_s"] = 1.5
    report = format_report(metrics, "Jasper Ridge, r = 4")
    lines = report.splitlines()
    assert lines[0] == "### Jasper Ridge, r = 4"
    assert "| PSNR | 15.05 | dB | higher |" in lines
    assert any(line.startswith("| SAM |") and "degrees" in line for line in lines)
    assert lines[-1] == "| time_s | 1.5 |  |  |"
    assert [line.split("|")[1].strip() for line in lines[4:]] == [
        "PSNR", "SAM", "ERGAS", "RMSE", "CC", "SSIM", "UIQI", "time_s"
    ]


def test_format_report_shows_infinite_psnr(image):
    report = format_report(quality_metrics(image, image, scale=4), "identical")
    assert "| PSNR | inf | dB | higher |" in report
