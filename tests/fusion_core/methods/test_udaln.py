"""UDALN: shape contract, constrained PSF/SRF, options, reproducibility, and a real scene."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import scipy.io
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair
from fusion_core.errors import InputError
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.layers import SpaDnet, SpeDnet, srf_support
from fusion_core.methods.udaln.method import UDALN
from fusion_core.methods.udaln.networks import SpeUnet
from fusion_core.metrics import psnr
from fusion_core.progress import Progress

from .conftest import run_method

#: A schedule of a few iterations per stage: enough to move every weight, quick on any machine.
TINY = {"stage1_iters": 30, "stage2_iters": 60, "stage3_iters": 10}


def fuse(pair, preset="fast", options=TINY, **kwargs):
    """Run UDALN on a simulated pair; returns (output, method)."""
    return run_method(UDALN(), pair, preset, options, **kwargs)


def test_paper_initialisation_learns_a_constrained_rxr_psf_and_srf(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    options = dict(TINY, lr_stage1=1e-2, lr_stage3=1e-2)  # large steps push weights to the bounds

    _, method = fuse(pair, preset="paper", options=options)
    learned = method.last_degradation

    assert isinstance(learned, DegradationModel) and learned.scale == 4
    assert learned.psf.shape == (4, 4)
    assert learned.psf.min() >= 0 and learned.psf.sum() == pytest.approx(1.0)
    assert learned.srf.shape == (30, 4) and learned.srf.min() >= 0
    assert learned.srf.sum(axis=0) == pytest.approx(np.ones(4))
    assert np.all(learned.srf[~srf_support(pair.model.srf)] == 0)
    assert not np.allclose(learned.psf, 1 / 16)  # it did learn


def test_fast_preset_starts_from_the_given_psf_of_any_size(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4, psf_fwhm=6.0)

    _, method = fuse(pair, options={"stage1_iters": 0, "stage2_iters": 5, "stage3_iters": 0})

    assert method.last_degradation.psf.shape == pair.model.psf.shape != (4, 4)
    np.testing.assert_allclose(method.last_degradation.psf, pair.model.psf, atol=1e-6)


def test_fast_preset_beats_bicubic_on_a_tiny_synthetic_pair(tmp_rasters):
    pair = tmp_rasters(size=48, scale=4, n_hsi=30, n_msi=4)
    options = {"stage1_iters": 50, "stage2_iters": 1500, "stage3_iters": 100}

    out, _ = fuse(pair, options=options)

    bicubic = bicubic_upsample(torch.from_numpy(pair.lr_hsi), 4).numpy()
    assert psnr(pair.reference, out.numpy()) > psnr(pair.reference, bicubic) + 5.0


def test_progress_names_the_three_stages(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    messages = []

    fuse(pair, progress=Progress(report=lambda pct, msg: messages.append(msg)))

    for prefix in ("UDALN stage 1/3 (degradation): 30/30", "UDALN stage 2/3 (spectral map): 60/60",
                   "UDALN stage 3/3 (refinement): 10/10"):
        assert any(m.startswith(prefix) for m in messages), prefix


def test_unknown_option_lists_the_valid_ones(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)

    with pytest.raises(InputError, match="Unknown UDALN .*option.*epochs.*valid options are stage1_iters"):
        fuse(pair, options={"epochs": 10})


@pytest.mark.parametrize("options, message", [
    ({"stage2_iters": -1}, "stage2_iters must be a whole number >= 0"),
    ({"lr_stage1": 0}, "lr_stage1 must be a number > 0"),
    ({"decay_stage3": 1.5}, "decay_stage3 must be a number from 0 to 1"),
    ({"init_from_model": "yes"}, "init_from_model must be true or false"),
])
def test_bad_option_values_say_what_is_expected(tmp_rasters, options, message):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)

    with pytest.raises(InputError, match=message):
        fuse(pair, options=options)


def test_a_model_for_other_bands_is_rejected(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    other = DegradationModel(4, pair.model.psf, pair.model.srf[:, :3])

    with pytest.raises(InputError, match="3 MSI bands in the model vs 4 in the HR-MSI"):
        fuse(pair, model=other)


def test_speunet_doubles_the_width_from_m_towards_c():
    widths = [layer.out_features for layer in SpeUnet(12, 198).layers if isinstance(layer, torch.nn.Linear)]

    assert widths == [24, 48, 96, 192, 198]


def test_degradation_modules_start_from_learned_tensors_as_from_arrays(tmp_rasters):
    pair = tmp_rasters(size=16, scale=4, n_hsi=30, n_msi=4)
    support = srf_support(pair.model.srf)
    first = SpaDnet(pair.model.psf, 4), SpeDnet(pair.model.srf, support)

    spa = SpaDnet(first[0].psf, 4)  # a PSF and an SRF another module learned, with gradients
    spe = SpeDnet(first[1].srf, torch.from_numpy(support))

    assert spa.weight.is_leaf and torch.allclose(spa.psf, first[0].psf)
    assert spe.weight.is_leaf and torch.allclose(spe.srf, first[1].srf)


# --- one real scene -------------------------------------------------------------------------

def jasper_ridge_pair(data, crop):
    """Jasper Ridge under Wald's protocol (r = 4, 4×4 Gaussian PSF, Sentinel-2A SRF without B10)."""
    mat = scipy.io.loadmat(data / "jasper_ridge_aviris_100x100x198.mat")
    cube = np.clip(mat["cube"].astype(np.float64), 0, None)
    cube = (cube / cube.max()).transpose(2, 0, 1)[:, :crop, :crop]
    wavelengths = mat["wavelengths_nm"].ravel().astype(np.float64)
    with open(data / "srf" / "srf_sentinel2a_msi.csv", newline="") as f:
        header, *rows = list(csv.reader(f))
    table = np.array(rows, dtype=np.float64)
    columns = [i for i, name in enumerate(header) if i > 0 and name != "B10"]
    srf = np.stack([np.interp(wavelengths, table[:, 0], table[:, i], left=0, right=0)
                    for i in columns], axis=1)
    model = DegradationModel(4, sensor_psf(4, 4.0, size=4), srf / srf.sum(axis=0), wavelengths)
    lr_hsi, hr_msi = simulate_pair(cube, model)
    return cube, lr_hsi, hr_msi, model


def test_fast_preset_beats_bicubic_clearly_on_jasper_ridge(shared_data):
    reference, lr_hsi, hr_msi, model = jasper_ridge_pair(shared_data, crop=48)

    out = UDALN().fuse(torch.from_numpy(lr_hsi), torch.from_numpy(hr_msi), model,
                       FusionConfig(preset="fast"), Progress())

    bicubic = bicubic_upsample(torch.from_numpy(lr_hsi), 4).numpy()
    fused_db, bicubic_db = psnr(reference, out.numpy()), psnr(reference, bicubic)
    assert fused_db > bicubic_db + 10.0, (fused_db, bicubic_db)
