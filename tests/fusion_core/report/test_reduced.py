"""The reduced-resolution check: the run's method on the pair degraded once more."""

import json

import numpy as np
import pytest
import torch

from fusion_core import fuse_arrays
from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import spatial_degrade
from fusion_core.measure.consistency import as_batch
from fusion_core.methods import load_method
from fusion_core.metrics import psnr
from fusion_core.pipeline.fuse import array_fusion
from fusion_core.report.reduced import (
    MIN_REDUCED_LR_PIXELS,
    fallback_share,
    fit_inflation,
    interpolation_error,
    reduced_resolution_check,
    signal_part,
)
from fusion_core.request import FusionRequest
from fusion_core.windows.fallback import upsample_hsi


def _bicubic(request, lr_hsi, hr_msi, model, progress):
    """A "method" that is bicubic interpolation: its figure and the check's bicubic row differ
    only by what the check adds."""
    return bicubic_upsample(torch.from_numpy(lr_hsi), model.scale).numpy()


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


def test_a_map_fitted_on_fewer_pixels_misses_new_ones_by_the_textbook_factor():
    assert fit_inflation(36, 7) == pytest.approx(36 / 28)
    assert fit_inflation(10_000, 7) == pytest.approx(1.0, abs=1e-3)
    assert fit_inflation(25, 13) == pytest.approx(25 / 12)          # at most half the samples counted
    assert np.isfinite(fit_inflation(4, 13))


def test_the_figure_takes_out_what_fitting_on_fewer_pixels_costs(pair):
    p = pair(size=96, snr_db=40)                     # 24 LR pixels a side, 6 one scale down, 6 MSI bands
    check = reduced_resolution_check(FusionRequest(), _bicubic, p.lr_hsi, p.hr_msi, p.model)
    expected = 10 * np.log10(fit_inflation(36, 7) / fit_inflation(576, 7))
    assert check["fit_correction_db"] == pytest.approx(expected)
    assert check["PSNR"] - check["bicubic"]["PSNR"] == pytest.approx(expected, abs=1e-6)
    assert check["fused_PSNR"] == pytest.approx(check["bicubic"]["PSNR"], abs=1e-6)   # before it


def test_the_share_fused_from_the_lr_hsi_alone_is_the_runs_fallback_weights(pair):
    model = pair().model
    mask = np.zeros((24, 24), bool)
    assert fallback_share(mask, model, [(0, 0, 24, 24)]) == 0.0
    assert fallback_share(~mask, model, [(0, 0, 24, 24)]) == pytest.approx(1.0)
    mask[10:12, 10:12] = True                        # 4 of 576 LR pixels, widened by the PSF's reach and the ramp
    share = fallback_share(mask, model, [(0, 0, 24, 24)])
    assert 4 / 576 < share < 0.1
    assert fallback_share(mask, model, [(0, 0, 8, 8)]) == 0.0                # a tile away from it


def test_the_interpolation_error_measured_on_the_hr_msi_is_that_of_the_lr_hsi(pair):
    p = pair(size=96, snr_db=None)
    lr_msi = spatial_degrade(as_batch(p.hr_msi), p.model.psf, p.model.scale)[0].numpy()
    measured = -10 * np.log10(interpolation_error(p.hr_msi, lr_msi, p.model))
    true = psnr(p.reference, upsample_hsi(p.lr_hsi, p.model))
    assert measured == pytest.approx(true, abs=1.5)


def test_where_the_run_fused_from_the_lr_hsi_alone_the_figure_carries_the_interpolations_error(pair):
    p = pair(size=96, snr_db=40)
    args = (FusionRequest(), array_fusion(load_method("sscf")), p.lr_hsi, p.hr_msi, p.model)
    fused_everywhere = reduced_resolution_check(*args)
    share = 0.2
    mixed = reduced_resolution_check(*args, from_hsi=share)
    assert mixed["from_hsi_share"] == share
    lr_msi = spatial_degrade(as_batch(p.hr_msi), p.model.psf, p.model.scale)[0].numpy()
    alone = -10 * np.log10(interpolation_error(p.hr_msi, lr_msi, p.model))
    # between the fused figure and the interpolation's, and below the fused one by what 20 % of it costs
    assert alone < mixed["PSNR"] < fused_everywhere["PSNR"] - 3.0
    assert mixed["SAM"] == fused_everywhere["SAM"]


def test_the_report_counts_the_areas_the_run_took_from_the_lr_hsi_alone(planted_rasters, tmp_path):
    """A change seen by the HR-MSI only: the run takes it from the LR-HSI alone by default."""
    pair = planted_rasters()
    facts, true = {}, {}
    for on in (True, False):
        folder = tmp_path / str(on)
        folder.mkdir()
        fused = fuse_arrays(FusionRequest(report=str(folder / "r.html"), disagreement_from_hsi=on),
                            pair.lr_hsi, pair.hr_msi, model=pair.model, wavelengths=pair.hsi_wavelengths).fused
        facts[on] = json.loads((folder / "r.json").read_text())["reduced_resolution"]
        true[on] = psnr(pair.reference, fused)
    assert facts[True]["from_hsi_share"] > 0.05 and facts[False]["from_hsi_share"] == 0.0
    # what the fallback cost the result (1.0 dB here), the figure says too
    cost = true[False] - true[True]
    assert cost > 0.5
    assert facts[False]["PSNR"] - facts[True]["PSNR"] == pytest.approx(cost, abs=0.4)
