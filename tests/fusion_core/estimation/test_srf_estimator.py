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
    adapted, shifts, stretches = adapt_prior(SrfPrior.from_table(table, wl), patches, kernel, np.zeros(wl.size))
    assert np.allclose(shifts, 10.0) and np.allclose(stretches, 1.0)
    assert np.linalg.norm(adapted - truth) / np.linalg.norm(truth) < 0.01


def test_smoothness_does_not_bridge_a_gap_of_removed_bands():
    wl = np.array([400.0, 410.0, 420.0, 1500.0, 1510.0])
    penalty = spectral_smoothness(wl, 5)
    assert penalty[2, 3] == 0.0 and penalty[0, 1] == -1.0
    assert np.allclose(penalty @ np.ones(5), 0.0)
