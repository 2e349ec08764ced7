"""Resampling tabulated curves onto the LR-HSI's bands."""

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.srf import SrfTable, load_preset, resample_srf

HSI = np.arange(400.0, 1001.0, 10.0)


def test_columns_sum_to_one_and_centre_on_the_band():
    table = load_preset("sentinel-2a").select(["B2", "B3", "B4", "B8"])
    srf = resample_srf(table, HSI)
    assert srf.shape == (HSI.size, 4) and np.allclose(srf.sum(axis=0), 1.0)
    assert np.allclose(HSI @ srf, table.centres(), atol=3.0)


def test_a_wider_hsi_fwhm_spreads_a_narrow_band_over_more_bands():
    table = load_preset("sentinel-2a").select(["B5"])
    narrow = resample_srf(table, HSI, np.full(HSI.size, 5.0))
    wide = resample_srf(table, HSI, np.full(HSI.size, 30.0))
    assert (wide > 0.01).sum() > (narrow > 0.01).sum()


def test_band_outside_the_hsi_range_is_named():
    with pytest.raises(InputError,
                       match=r"B11 \(≈1614 nm, 0 % covered\).*lie outside the LR-HSI's bands \(400–1000 nm\)"):
        resample_srf(load_preset("sentinel-2a").select(["B4", "B11"]), HSI)


def test_band_in_a_gap_of_removed_water_bands_is_rejected():
    hsi = np.r_[np.arange(400.0, 1300.0, 10.0), np.arange(1450.0, 2400.0, 10.0)]
    with pytest.raises(InputError, match="B10"):
        resample_srf(load_preset("sentinel-2a").select(["B10"]), hsi)


def test_wavelengths_must_be_positive():
    table = SrfTable("t", np.array([400.0, 500.0]), np.array([[1.0], [1.0]]), ("a",))
    with pytest.raises(InputError, match="must be positive numbers in nm"):
        resample_srf(table, np.array([np.nan, 450.0]))
