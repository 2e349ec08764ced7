"""Warnings in plain words, each from the figure it reads."""

import copy

import numpy as np
import pytest

from fusion_core.degradation import DegradationModel
from fusion_core.report.alerts import alerts, uncovered_ranges


def _part(units, percent, bands=3):
    return {"noise_units": [units] * bands, "noise_units_median": units,
            "residual_percent": [percent] * bands, "bands": [f"B{i}" for i in range(bands)]}


@pytest.fixture
def calm():
    """The figures of a run where nothing is off."""
    return {"consistency": {"geometry": "HR-MSI's", "inputs": _part(1.0, 0.5),
                            "spatial": _part(0.9, 0.4), "spectral": _part(0.8, 0.3)},
            "degradation": {"misregistration_hr_px": [0.1, -0.2], "estimation_warnings": []},
            "coverage": {"uncovered": []},
            "disagreement": {"areas": 0, "share": 0.0},
            "reduced_resolution": {"PSNR": 40.0, "bicubic": {"PSNR": 30.0}},
            "inputs": {"lr_hsi": {"acquired": "2022-07-24T10:31:05Z"},
                       "hr_msi": {"acquired": "2022-07-26T10:12:00Z"}}}


def test_a_calm_run_has_no_warning(calm):
    assert alerts(calm) == []


@pytest.mark.parametrize("change, words", [
    (("consistency", "inputs", _part(8.0, 5.0)), "explains the two images poorly"),
    (("consistency", "spatial", _part(6.0, 3.0)), "differs from the LR-HSI"),
    (("consistency", "spectral", _part(6.0, 3.0)), "differs from the HR-MSI"),
    (("degradation", "misregistration_hr_px", [1.5, 2.0]), "misregistered by 2.5 HR pixels (25.0 m)"),
    (("coverage", "uncovered", [{"first_band": 5, "last_band": 9, "bands": 5, "nm": [1000.0, 1300.0]}]),
     "5 HSI bands lie outside every HR-MSI band's range (1000–1300 nm)"),
    (("disagreement", "areas", 2), "disagree over"),
    (("reduced_resolution", "PSNR", 29.0), "no better than bicubic"),
    # the figure's corrections do not hide a reduced result no better than interpolation
    (("reduced_resolution", "fused_PSNR", 29.0), "no better than bicubic"),
    (("inputs", "hr_msi", {"acquired": "2022-08-20T10:00:00Z"}),
     "The LR-HSI (2022-07-24T10:31:05Z) and the HR-MSI (2022-08-20T10:00:00Z) were acquired 27 days apart"),
])
def test_each_problem_is_named(calm, change, words):
    facts = copy.deepcopy(calm)
    section, key, value = change
    facts[section][key] = value
    found = alerts(facts, pixel_size=10.0)
    assert len(found) == 1 and words in found[0]


def test_unknown_dates_give_no_date_warning(calm):
    calm["inputs"] = {"lr_hsi": {"acquired": None}, "hr_msi": {"acquired": "2020-01-01T00:00:00Z"}}
    assert alerts(calm) == []
    del calm["inputs"]                                      # a report made before dates were kept
    assert alerts(calm) == []


def test_many_noise_units_on_a_tiny_residual_are_no_misfit(calm):
    calm["consistency"]["spatial"] = _part(20.0, 0.05)      # clean data: round-off, not a misfit
    assert alerts(calm) == []


def test_bands_beyond_every_msi_band_are_found():
    wl = np.linspace(400.0, 2400.0, 41)                         # every 50 nm
    srf = np.zeros((41, 2))
    srf[4, 0] = srf[10, 1] = 1.0                                # two narrow bands: 600 and 900 nm
    runs = uncovered_ranges(DegradationModel(2, np.ones((2, 2)), srf, wl))
    assert [r["nm"] for r in runs] == [[400.0, 550.0], [650.0, 850.0], [950.0, 2400.0]]
    assert [r["bands"] for r in runs] == [4, 5, 30]
