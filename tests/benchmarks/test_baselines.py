"""Classical baselines: names, shapes, and the expected ranking on a simulated pair."""

import numpy as np
import pytest
import torch

from benchmarks.baselines import BASELINES, run_baseline
from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair
from fusion_core.errors import InputError
from fusion_core.metrics import psnr
from fusion_core.sample import make_sample_scene


@pytest.fixture(scope="module")
def pair():
    scene = make_sample_scene(32, 32, 30, seed=0)
    wl = scene.wavelengths_nm
    srf = np.exp(-0.5 * ((wl[:, None] - np.array([490.0, 560.0, 665.0, 842.0, 1610.0])) / 40.0) ** 2)
    model = DegradationModel(4, sensor_psf(4, 4.0), srf / srf.sum(axis=0), wl)
    lr, hr = simulate_pair(scene.cube, model)
    return scene.cube, torch.from_numpy(lr), torch.from_numpy(hr), model


def test_every_baseline_returns_the_hr_hsi_shape(pair):
    _, lr, hr, model = pair
    for name in BASELINES:
        out = run_baseline(name, lr, hr, model)
        assert out.shape == (lr.shape[0], *hr.shape[1:]), name
        assert torch.isfinite(out).all(), name


def test_the_ridge_map_beats_bicubic(pair):
    """(GLP-HS is a method of the engine now: tests/fusion_core/methods/test_glp_hs.py.)"""
    ref, lr, hr, model = pair
    score = {name: psnr(ref, run_baseline(name, lr, hr, model).numpy()) for name in BASELINES}
    assert score["ridge"] > score["bicubic"] + 5.0


def test_unknown_baseline_is_an_input_error(pair):
    _, lr, hr, model = pair
    with pytest.raises(InputError, match="Unknown baseline 'cnmf'; choose one of bicubic, ridge"):
        run_baseline("cnmf", lr, hr, model)
