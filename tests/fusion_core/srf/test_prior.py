"""Variants of an SRF prior: exact from curves, approximate from a matrix."""

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.srf import SrfPrior, SrfTable, load_preset, resample_srf

HSI = np.arange(400.0, 1001.0, 5.0)


def test_a_shifted_variant_equals_the_shifted_curve_resampled():
    table = load_preset("sentinel-2a").select(["B3", "B8"])
    prior = SrfPrior.from_table(table, HSI)
    moved = resample_srf(SrfTable("moved", table.wavelengths + 10.0, table.responses, table.band_names), HSI)
    variant = prior.variants(1, np.array([10.0]), np.array([1.0]))[0]
    assert np.abs(variant - moved[:, 1]).max() < 1e-3 * moved[:, 1].max()


def test_matrix_variants_approximate_a_shift_by_interpolation():
    table = load_preset("sentinel-2a").select(["B8"])
    prior = SrfPrior.from_matrix(resample_srf(table, HSI), HSI)
    moved = resample_srf(SrfTable("moved", table.wavelengths + 10.0, table.responses, table.band_names), HSI)
    variant = prior.variants(0, np.array([10.0]), np.array([1.0]))[0]
    assert np.linalg.norm(variant - moved[:, 0]) / np.linalg.norm(moved[:, 0]) < 0.05


def test_stretch_widens_around_the_centre():
    prior = SrfPrior.from_table(load_preset("sentinel-2a").select(["B8"]), HSI)
    narrow, wide = prior.variants(0, np.array([0.0]), np.array([1.0, 1.5]))
    assert (wide > 1e-3).sum() > (narrow > 1e-3).sum()
    assert abs((narrow * HSI).sum() - (wide * HSI).sum()) < 5.0


def test_a_preset_needs_hsi_wavelengths():
    with pytest.raises(InputError, match="LR-HSI has no wavelength metadata"):
        SrfPrior.from_table(load_preset("landsat-8"), None)
