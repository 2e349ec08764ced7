"""Synthetic training pairs: random PSF, perturbed SRF, noise, subspace layout, patches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_core.degradation import psf_centroid, psf_fwhm
from fusion_core.errors import InputError
from fusion_core.pretrained import (
    DegradationRanges,
    covered_bands,
    perturbed_srf,
    random_patches,
    random_psf,
    synthetic_pair,
    training_example,
)
from fusion_core.sample import make_sample_scene
from fusion_core.srf import SrfTable, resample_srf

VNIR = np.linspace(430.0, 860.0, 60)


def table() -> SrfTable:
    """Three flat-topped bands: blue, red (inside VNIR) and SWIR (outside)."""
    wl = np.arange(400.0, 1700.0, 1.0)
    bands = [(450, 510), (630, 690), (1550, 1650)]
    responses = np.column_stack([((wl >= lo) & (wl <= hi)).astype(float) for lo, hi in bands])
    return SrfTable("test", wl, responses, ("blue", "red", "swir"))


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_random_psfs_scale_with_the_ratio(scale):
    rng = np.random.default_rng(0)
    ranges = DegradationRanges()

    for _ in range(20):
        psf = random_psf(rng, scale, ranges)
        factor = scale / ranges.reference_ratio
        assert psf.shape[0] == psf.shape[1] >= scale
        assert psf.shape[0] <= round(ranges.kernel_size[1] * factor) + 1
        assert psf.sum() == pytest.approx(1.0)
        # centred on the LR block: the centroid sits at the block centre (up to truncation)
        offset = (psf.shape[0] - scale) // 2 + (scale - 1) / 2 - (psf.shape[0] - 1) / 2
        assert psf_centroid(psf)[0] == pytest.approx(offset, abs=0.2)
        assert psf_fwhm(psf)[0] <= ranges.kernel_std[1] * factor * 2.36


def test_covered_bands_keep_what_the_hsi_covers():
    assert covered_bands(table(), VNIR).band_names == ("blue", "red")
    with pytest.raises(InputError, match="No band of test lies inside"):
        covered_bands(table().select(["swir"]), VNIR)


def test_perturbed_srf_moves_the_bands_within_the_ranges():
    vnir = covered_bands(table(), VNIR)
    exact = resample_srf(vnir, VNIR)

    srf = perturbed_srf(vnir, VNIR, np.random.default_rng(1), DegradationRanges(srf_shift_nm=10.0))
    still = perturbed_srf(vnir, VNIR, np.random.default_rng(1), DegradationRanges(srf_shift_nm=0.0, srf_stretch=0.0))

    np.testing.assert_allclose(still, exact, atol=1e-6)
    assert srf.shape == exact.shape and np.allclose(srf.sum(axis=0), 1.0)
    moved = np.abs((srf - exact).T @ VNIR)  # change of each band's centre, nm
    assert np.all(moved > 0.1) and np.all(moved < 12.0)


def test_a_synthetic_pair_becomes_training_patches():
    scene = make_sample_scene(50, 50, 60, seed=0)
    wl = scene.wavelengths_nm
    rng = np.random.default_rng(0)

    reference, lr, hr, model = synthetic_pair(scene.cube, wl, covered_bands(table(), wl), 4, rng)
    example = training_example(reference, lr, hr, model, k=6)
    guidance, upsampled, target = random_patches(example, 16, 5, rng)

    assert reference.shape == (60, 48, 48) and lr.shape == (60, 12, 12) and hr.shape == (3, 48, 48)
    assert example.target.shape == example.guidance.shape == (6, 48, 48)
    assert guidance.shape == upsampled.shape == target.shape == (5, 6, 16, 16)
    assert torch.isfinite(example.guidance).all() and torch.all(example.spread > 0)
    with pytest.raises(InputError, match="Patches of 64×64 do not fit a 48×48 training scene"):
        random_patches(example, 64, 1, rng)


def test_noise_is_added_at_the_drawn_snr():
    scene = make_sample_scene(48, 48, 60, seed=0)
    wl = scene.wavelengths_nm
    ranges = DegradationRanges(hsi_snr_db=(20.0, 20.0), msi_snr_db=(60.0, 60.0))

    _, lr_noisy, _, model = synthetic_pair(scene.cube, wl, covered_bands(table(), wl), 4,
                                           np.random.default_rng(0), ranges)
    from fusion_core.degradation import simulate_pair
    lr_clean, _ = simulate_pair(scene.cube.astype(np.float64), model)

    snr = 10 * np.log10((lr_clean.astype(np.float64) ** 2).mean() / ((lr_noisy - lr_clean) ** 2).mean())
    assert snr == pytest.approx(20.0, abs=0.5)
