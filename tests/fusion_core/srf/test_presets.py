"""Sensor presets: from pyrsr (Sentinel-2, Landsat OLI) or published band edges (WorldView)."""

import numpy as np
import pytest

from fusion_core.errors import InputError
from fusion_core.srf import SENSOR_PRESETS, load_preset, preset_ids


def test_every_catalogued_preset_loads_with_curves_peaking_inside_their_bands():
    for preset, _ in SENSOR_PRESETS:
        table = load_preset(preset)
        assert table.n_bands >= 8
        assert np.all(table.responses >= 0) and np.all(table.responses.max(axis=0) > 0)
        assert np.all(np.diff(table.wavelengths) > 0)


def test_sentinel2_has_13_bands_with_cirrus_and_b8a_named_as_on_the_sensor():
    table = load_preset("sentinel-2a")
    assert table.band_names == ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B9", "B10", "B11", "B12")
    centres = dict(zip(table.band_names, table.centres()))
    assert 1360 < centres["B10"] < 1390 and 860 < centres["B8A"] < 870 and 485 < centres["B2"] < 500


def test_landsat_oli_bands_are_in_nanometres_without_thermal_bands():
    table = load_preset("landsat-9")
    assert table.band_names == tuple(f"B{i}" for i in range(1, 10))
    assert 860 < table.centres()[4] < 870          # B5 NIR, tabulated in µm by pyrsr


def test_worldview_presets_come_from_band_edges():
    table = load_preset("worldview-2")
    assert table.band_names[:3] == ("Coastal", "Blue", "Green")
    red = table.responses[:, table.band_names.index("Red")]
    half = table.wavelengths[red >= 0.5 * red.max()]
    assert abs(half.min() - 630) <= 1 and abs(half.max() - 690) <= 1
    assert "approximation" in table.name


def test_bands_are_picked_by_name_in_the_callers_order():
    table = load_preset("sentinel-2b").select(["b8", "B4", "B3"])
    assert table.band_names == ("B8", "B4", "B3")


def test_unknown_band_or_preset_names_list_what_exists():
    with pytest.raises(InputError, match="B13 not in the SRF of Sentinel-2A MSI; its bands are B1, B2"):
        load_preset("sentinel-2a").select(["B2", "B13"])
    with pytest.raises(InputError, match="Unknown SRF preset 'spot-6'; choose one of sentinel-2a"):
        load_preset("spot-6")
    assert preset_ids()[0] == "sentinel-2a"


@pytest.mark.parametrize("descriptions", [
    ["B2", "B3", "B4", "B8", "B8A", "B11"],
    ["B02", "B03", "B04", "B08", "B8A", "B11"],
    ["Band 1: B2 (490 nm)", "B3 (559.8 nm)", "SR_B4", "b8", "B8A (864.7 nm)", "B11 (1613.7 nm)"],
])
def test_the_hr_msis_band_descriptions_name_the_presets_bands(descriptions):
    assert load_preset("sentinel-2a").named(descriptions) == ("B2", "B3", "B4", "B8", "B8A", "B11")


@pytest.mark.parametrize("descriptions", [["Band 1", "Band 2"], ["B2", "B2"], ["B2", "B14"], ["B2", "red"]])
def test_descriptions_that_do_not_name_distinct_preset_bands_match_nothing(descriptions):
    assert load_preset("sentinel-2a").named(descriptions) is None


def test_an_srf_prior_takes_the_hr_msis_bands_by_name_instead_of_refusing():
    from fusion_core.srf.source import SrfSource

    wl = np.linspace(420, 2450, 60)
    names = ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12"]
    prior = SrfSource("sentinel-2a").prior(wl, None, n_msi=10, msi_names=names)
    assert prior.matrix.shape == (60, 10)
    with pytest.raises(InputError, match="choose the HR-MSI's bands by name"):
        SrfSource("sentinel-2a").prior(wl, None, n_msi=10, msi_names=[f"Band {i}" for i in range(1, 11)])
