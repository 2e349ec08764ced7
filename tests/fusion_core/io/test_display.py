"""Which bands a spectral image is shown with, and band names that carry their wavelength."""

import numpy as np
import pytest

from fusion_core.io.display import band_label, rgb_bands
from fusion_core.sample import sample_wavelengths

SENTINEL2_10M = [490.0, 560.0, 665.0, 842.0]          # B2, B3, B4, B8
GREEN_RED_NIR = [560.0, 665.0, 842.0, 1610.0]         # no blue band
SWIR_ONLY = [1000.0 + 50.0 * i for i in range(25)]    # 1000-2200 nm


def test_a_hyperspectral_image_is_shown_in_true_colour():
    wl, _ = sample_wavelengths(120)
    bands = rgb_bands(wl, len(wl))
    assert bands.rule == "true colour"
    for band, target in zip((bands.red, bands.green, bands.blue), (640.0, 550.0, 470.0)):
        assert abs(wl[band - 1] - target) == np.min(np.abs(wl - target))


def test_sentinel2_bands_give_true_colour_from_b4_b3_b2():
    bands = rgb_bands(SENTINEL2_10M, 4)
    assert (bands.red, bands.green, bands.blue, bands.rule) == (3, 2, 1, "true colour")


def test_without_a_blue_band_nir_red_green_is_the_false_colour():
    bands = rgb_bands(GREEN_RED_NIR, 4)
    assert (bands.red, bands.green, bands.blue) == (3, 2, 1)
    assert bands.rule.startswith("false colour")


def test_a_swir_sensor_is_spread_over_its_spectrum_longest_as_red():
    bands = rgb_bands(SWIR_ONLY[::-1], 25)             # band order need not be wavelength order
    shown = [SWIR_ONLY[::-1][b - 1] for b in (bands.red, bands.green, bands.blue)]
    assert shown == [1900.0, 1600.0, 1300.0] and bands.rule.startswith("spread")


def test_without_wavelengths_band_order_is_spread_and_said():
    bands = rgb_bands(None, 3)
    assert (bands.red, bands.green, bands.blue) == (3, 2, 1)
    assert bands.rule == "spread over the bands (no wavelengths)"


@pytest.mark.parametrize("count", [1, 2])
def test_fewer_than_three_bands_are_shown_in_grey(count):
    bands = rgb_bands(None, count)
    assert bands.grey and bands.red == 1


def test_band_label_appends_the_wavelength_once():
    assert band_label("Band 7", 549.96) == "Band 7 (550.0 nm)"
    assert band_label("B001 (420.0 nm)", 420.0) == "B001 (420.0 nm)"
    assert band_label("B8 NIR", None) == "B8 NIR"
    assert band_label("red", float("nan")) == "red"
