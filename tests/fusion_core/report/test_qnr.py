"""HQNR: perfect fusion scores near one, interpolation shows spatial distortion."""

import numpy as np
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.report.qnr import block_q, hqnr


def test_q_of_a_band_with_itself_is_one_and_with_its_negative_below_zero():
    rng = np.random.default_rng(0)
    a = rng.random((2, 64, 64)) + 1.0
    assert np.allclose(block_q(a, a, 32, pairwise=True), 1.0)
    assert np.all(block_q(a, 3.0 - a, 32, pairwise=True) < 0)
    assert block_q(a, a[:1], 32, pairwise=False).shape == (2, 1)


def test_the_true_scene_has_almost_no_distortion(pair):
    p = pair(size=96, snr_db=None)
    truth = hqnr(p.reference, p.lr_hsi, p.hr_msi, p.model)
    assert truth["D_lambda"] < 1e-3
    assert truth["HQNR"] > 0.95


def test_interpolation_is_spatially_distorted_more_than_the_truth(pair):
    p = pair(size=96, snr_db=None)
    bicubic = bicubic_upsample(torch.from_numpy(p.lr_hsi), 4).numpy()
    assert hqnr(bicubic, p.lr_hsi, p.hr_msi, p.model)["D_s"] > 2 * hqnr(
        p.reference, p.lr_hsi, p.hr_msi, p.model)["D_s"]
