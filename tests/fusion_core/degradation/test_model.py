"""The degradation model: normalisation, the JSON file, radiometric gains."""

import json

import numpy as np
import pytest
import torch

from fusion_core.degradation import DegradationModel, sensor_psf
from fusion_core.errors import InputError


def make_model(**kwargs) -> DegradationModel:
    srf = np.abs(np.random.default_rng(0).standard_normal((20, 3)))
    return DegradationModel(4, sensor_psf(4, 4.0), srf, np.linspace(400, 900, 20), ["B", "G", "R"], **kwargs)


def test_psf_and_srf_are_normalised_and_gains_default_to_one():
    model = make_model()
    assert np.isclose(model.psf.sum(), 1.0) and np.allclose(model.srf.sum(axis=0), 1.0)
    assert np.array_equal(model.msi_gain, np.ones(3))


def test_file_round_trip_keeps_every_field(tmp_path):
    model = make_model(msi_gain=[0.5, 1.0, 2.0], diagnostics={"estimator": "test"}, matched_shift=(2, -1))
    path = tmp_path / "model.json"
    model.save(path)
    assert json.loads(path.read_text())["msi_gain"] == [0.5, 1.0, 2.0]
    back = DegradationModel.load(path)
    assert np.allclose(back.psf, model.psf) and np.allclose(back.srf, model.srf)
    assert np.allclose(back.msi_gain, [0.5, 1.0, 2.0]) and back.msi_band_names == ["B", "G", "R"]
    assert back.matched_shift == (2, -1) and back.diagnostics == {"estimator": "test"}


def test_a_file_that_kept_the_matched_shift_among_its_diagnostics_still_reads_it():
    data = make_model().to_dict()
    del data["coregistration_shift_hr_px"]
    data["diagnostics"] = {"coregistration_shift_hr_px": [3, 0]}
    assert DegradationModel.from_dict(data).matched_shift == (3, 0)


def test_a_file_without_gains_reads_as_calibrated_alike(tmp_path):
    data = make_model().to_dict()
    del data["msi_gain"]
    assert np.array_equal(DegradationModel.from_dict(data).msi_gain, np.ones(3))


def test_calibrated_msi_divides_each_band_by_its_gain():
    model = make_model(msi_gain=[0.5, 1.0, 2.0])
    hr = torch.ones(1, 3, 8, 8)
    assert torch.allclose(model.calibrated_msi(hr)[0, :, 0, 0], torch.tensor([2.0, 1.0, 0.5]))
    plain = torch.ones(3, 8, 8)
    assert make_model().calibrated_msi(plain) is plain


@pytest.mark.parametrize("gain", [[1.0, 2.0], [1.0, 0.0, 1.0], [1.0, float("nan"), 1.0]])
def test_bad_gains_are_refused(gain):
    with pytest.raises(InputError, match="msi_gain must hold 3 positive numbers"):
        make_model(msi_gain=gain)


def test_a_file_of_another_kind_is_refused_with_the_fix():
    with pytest.raises(InputError, match="create one with 'Estimate degradation'"):
        DegradationModel.from_dict({"format": "something-else"})
