"""Fitting a shifted preset to the data, and the spectral smoothness penalty."""

import numpy as np

from fusion_core.estimation.srf_estimator import adapt_prior, spectral_smoothness
from fusion_core.estimation.windows import Patches
from fusion_core.srf import SrfPrior, SrfTable, resample_srf


def test_a_preset_10_nm_off_is_moved_back_onto_the_data():
    rng = np.random.default_rng(0)
    wl = np.arange(400.0, 1000.0, 10.0)
    grid = np.arange(380.0, 1021.0)
    centres = np.array([480.0, 560.0, 660.0, 840.0])
    table = SrfTable("test", grid, np.exp(-0.5 * ((grid[:, None] - centres) / 15.0) ** 2), ("b", "g", "r", "n"))
    truth = resample_srf(SrfTable("true", grid + 10.0, table.responses, table.band_names), wl)
    abundances = rng.random((4, 400))
    library = np.abs(np.cumsum(rng.standard_normal((wl.size, 4)), axis=0)) + 1.0
    y = library @ abundances                               # (C, n) smooth spectra
    kernel = np.array([1.0])
    patches = Patches(y, (truth.T @ y)[:, :, None], np.arange(400), np.arange(400))
    adapted = adapt_prior(SrfPrior.from_table(table, wl), patches, kernel, np.zeros(wl.size))
    assert np.allclose(adapted.shifts, 10.0) and np.allclose(adapted.stretches, 1.0)
    assert np.linalg.norm(adapted.matrix - truth) / np.linalg.norm(truth) < 0.01


def smooth_scene(wl: np.ndarray, n: int = 400) -> np.ndarray:
    """Spectra ``(C, n)``: four smooth random signatures mixed at random."""
    rng = np.random.default_rng(0)
    library = np.abs(np.cumsum(rng.standard_normal((wl.size, 4)), axis=0)) + 1.0
    return library @ rng.random((4, n))


def test_curves_wider_and_shifted_between_grid_steps_are_found_together():
    """A sensor whose curves all sit 7.3 nm off and are 10 % wider than tabulated: the common
    shift is refined below the 1 nm grid and the common width is found."""
    wl = np.arange(400.0, 1000.0, 10.0)
    grid = np.arange(380.0, 1021.0)
    centres = np.array([480.0, 560.0, 660.0, 840.0])
    table = SrfTable("test", grid, np.exp(-0.5 * ((grid[:, None] - centres) / 15.0) ** 2), ("b", "g", "r", "n"))
    wide = np.exp(-0.5 * ((grid[:, None] - centres) / 16.5) ** 2)
    truth = resample_srf(SrfTable("true", grid + 7.3, wide, table.band_names), wl)
    y = smooth_scene(wl)
    patches = Patches(y, (truth.T @ y)[:, :, None], np.arange(400), np.arange(400))
    adapted = adapt_prior(SrfPrior.from_table(table, wl), patches, np.array([1.0]), np.zeros(wl.size),
                          free_gains=False)
    assert np.allclose(adapted.shifts, 7.3, atol=0.15) and np.allclose(adapted.stretches, 1.1, atol=0.03)
    assert np.linalg.norm(adapted.matrix - truth) / np.linalg.norm(truth) < 0.02


def four_band_sensor(nir: float, shift: float) -> tuple[np.ndarray, SrfTable, np.ndarray]:
    """HSI wavelengths (400–990 nm), a published table of blue, green, red and a near-infrared
    band at ``nir`` nm (Gaussians, 15 nm wide), and the true SRF matrix: that table ``shift`` nm off."""
    wl = np.arange(400.0, 1000.0, 10.0)
    grid = np.arange(380.0, 1021.0)
    centres = np.array([480.0, 560.0, 660.0, nir])
    table = SrfTable("test", grid, np.exp(-0.5 * ((grid[:, None] - centres) / 15.0) ** 2), ("b", "g", "r", "n"))
    return wl, table, resample_srf(SrfTable("true", grid + shift, table.responses, table.band_names), wl)


def test_a_band_the_noise_leaves_loose_keeps_the_common_shift_and_says_how_loose():
    """With noise in the LR-HSI, a band whose own pixels barely tell its position (here: a flat
    near-infrared plateau) must not wander off on chance; its standard error says it is loose."""
    rng = np.random.default_rng(1)
    wl, table, truth = four_band_sensor(870.0, shift=10.0)
    y = smooth_scene(wl)
    y[wl > 780] = y[wl > 780].mean(axis=0)                # a plateau: the last band's position is loose
    noise_std = 0.02 * y.std(axis=1) + 1e-3
    noisy = y + noise_std[:, None] * rng.standard_normal(y.shape)
    patches = Patches(noisy, (truth.T @ y)[:, :, None], np.arange(400), np.arange(400))
    adapted = adapt_prior(SrfPrior.from_table(table, wl), patches, np.array([1.0]), noise_std, free_gains=False)
    assert np.allclose(adapted.shifts, 10.0, atol=0.5)
    assert adapted.shift_std[:3].max() < 1.0 < adapted.shift_std[3]


def test_smoothness_does_not_bridge_a_gap_of_removed_bands():
    wl = np.array([400.0, 410.0, 420.0, 1500.0, 1510.0])
    penalty = spectral_smoothness(wl, 5)
    assert penalty[2, 3] == 0.0 and penalty[0, 1] == -1.0
    assert np.allclose(penalty @ np.ones(5), 0.0)


def test_the_common_shifts_standard_error_matches_its_spread_over_noise_draws():
    """With free gains and noise in the HR-MSI, the common shift scatters over noise draws as
    much as its stated standard error says (a calibrated confidence, not a hopeful one)."""
    wl, table, truth = four_band_sensor(840.0, shift=4.0)
    y = smooth_scene(wl)
    clean = (np.array([0.8, 0.9, 1.1, 1.25])[:, None] * (truth.T @ y))[:, :, None]
    rng = np.random.default_rng(2)
    found, stated = [], []
    for _ in range(12):
        noisy = clean + 0.03 * clean.std() * rng.standard_normal(clean.shape)
        adapted = adapt_prior(SrfPrior.from_table(table, wl), Patches(y, noisy, np.arange(400), np.arange(400)),
                              np.array([1.0]), np.zeros(wl.size))
        found.append(adapted.common_shift)
        stated.append(adapted.common_std)
    assert abs(np.mean(found) - 4.0) < 3.0 * np.mean(stated) / np.sqrt(len(found))
    assert 0.6 < np.std(found) / np.mean(stated) < 1.6  # measured: 1.14
