"""The requests of simulate, estimate and metrics: fusion's settings shared, their own checked
in the caller's vocabulary."""

import pytest

from fusion_core.errors import InputError
from fusion_core.job_requests import EstimationRequest, MetricsRequest, SimulationRequest
from fusion_core.request import FusionRequest


def test_an_estimate_is_made_for_the_fusion_of_the_same_pair():
    request = EstimationRequest("lr.tif", "hr.tif", "model.json", sensor="sentinel-2a",
                                msi_bands="B2, B3, B4, B8", coregister=False, psf_size=9, caller="cli")

    assert request.fusion == FusionRequest("lr.tif", "hr.tif", sensor="sentinel-2a",
                                           msi_bands=("B2", "B3", "B4", "B8"), coregister=False)
    assert request.fusion.caller == "cli"


def test_the_shared_settings_keep_fusions_key_and_flag():
    for name in ("sensor", "srf_file", "msi_bands"):
        assert SimulationRequest.param_of(name) is FusionRequest.param_of(name)
        assert SimulationRequest.cli_flag(name) == FusionRequest.cli_flag(name)


@pytest.mark.parametrize("caller, message", [
    ("qgis", "SCALE must be at least 2, got 1"), ("cli", "--scale must be at least 2, got 1"),
    ("python", "scale must be at least 2, got 1")])
def test_a_bad_ratio_is_refused_in_the_callers_words(caller, message):
    with pytest.raises(InputError, match=message):
        SimulationRequest("ref.tif", "lr.tif", "hr.tif", scale=1, caller=caller)


def test_a_preset_and_a_csv_are_not_both_taken():
    with pytest.raises(InputError, match="Give either --sensor or --srf-file, not both"):
        SimulationRequest(sensor="sentinel-2a", srf_file="srf.csv", caller="cli")


def test_metrics_scale_by_one_for_a_same_resolution_comparison():
    assert MetricsRequest("ref.tif", "est.tif", scale=1).scale == 1
    with pytest.raises(InputError, match="scale must be at least 1, got 0"):
        MetricsRequest("ref.tif", "est.tif", scale=0)
