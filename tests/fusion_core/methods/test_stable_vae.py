"""Stable lightweight VAE fusion: network table, explicit degradation, schedules, stages.

Short schedules (tens of iterations) on a small simulated pair keep each test to seconds; one
test runs the fast preset on a crop of a real scene and compares it with bicubic upsampling.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import DegradationModel, psf_fwhm
from fusion_core.errors import InputError
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.stable_vae.explicit_degradation import GaussianMixtureSRF, GaussianPSF
from fusion_core.methods.stable_vae.method import StableVAE
from fusion_core.methods.stable_vae.networks import VAEFusion, decoder_width
from fusion_core.metrics import psnr, sam
from fusion_core.progress import Progress

SHORT = {"em_iters": 30, "finetune_iters": 10}


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: the small per-pixel layers gain nothing from more, and on a CPU shared
    with other jobs two threads ran these tests up to five times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pair() -> tuple[torch.Tensor, torch.Tensor, DegradationModel]:
    """A 32×32 HR sample scene of 30 bands at r = 4 (Wald PSF) with a 4-band Gaussian-SRF MSI."""
    from fusion_core.degradation import sensor_psf, simulate_pair
    from fusion_core.sample import make_sample_scene

    scene = make_sample_scene(32, 32, 30, seed=0)
    wl = scene.wavelengths_nm
    centres = np.array([490.0, 560.0, 665.0, 842.0])
    srf = np.exp(-0.5 * ((wl[:, None] - centres[None]) / 40.0) ** 2)
    model = DegradationModel(4, sensor_psf(4, 4.0), srf / srf.sum(axis=0), wl)
    lr, hr = simulate_pair(scene.cube, model)
    return torch.as_tensor(lr, dtype=torch.float32), torch.as_tensor(hr, dtype=torch.float32), model


def fuse(pair, preset: str = "fast", seed: int = 0, device: str = "cpu", progress=None, **options):
    lr, hr, model = pair
    method = StableVAE()
    out = method.fuse(lr.to(device), hr.to(device), model,
                      FusionConfig(preset=preset, device=torch.device(device), seed=seed,
                                   options={**SHORT, **options}),
                      progress or Progress())
    return out, method


def test_decoder_width_reproduces_the_network_table():
    # Table 1: CAVE/Harvard (31 bands) 24, Chikusei (128) 64, WorldView-2 (8) 18.
    assert [decoder_width(c) for c in (31, 128, 8)] == [24, 64, 18]


def test_vae_maps_msi_pixels_to_mean_and_std_spectra():
    vae = VAEFusion(msi_bands=3, hsi_bands=31)
    mean, std = vae(torch.rand(2, 3, 8, 8))
    assert mean.shape == std.shape == (2, 31, 8, 8)
    assert (std >= 0).all()
    # Encoder widths of Table 1 with the 3 MSI bands concatenated before layers 2-5.
    assert [layer.in_features for layer in vae.encoder.layers] == [3, 7, 11, 19, 27]
    assert [layer.out_features for layer in vae.encoder.layers] == [4, 8, 16, 24, 16]


def test_vae_is_per_pixel():
    vae = VAEFusion(msi_bands=4, hsi_bands=10)
    msi = torch.rand(1, 4, 6, 6)
    changed = msi.clone()
    changed[:, :, 0, 0] += 1.0
    diff = (vae(changed)[0] - vae(msi)[0]).abs().sum(dim=1)[0]
    assert diff[0, 0] > 0 and diff.flatten()[1:].max() == 0


def test_gaussian_psf_starts_isotropic_and_centred_on_the_lr_block():
    psf = GaussianPSF(scale=4, size=6).psf.detach().numpy()
    model = DegradationModel(4, psf, np.eye(3))
    assert psf.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(psf, psf.T, rtol=1e-6)
    assert model.psf_offset == pytest.approx((0.0, 0.0), abs=1e-6)
    # Λ = 0.1 I: standard deviation √10 px, so the kernel is broad (FWHM well beyond r).
    assert min(psf_fwhm(GaussianPSF(scale=4, size=32).psf.detach().numpy())) > 6.0


def test_gaussian_psf_learns_its_width():
    true = GaussianPSF(4, 8, precision=0.5).psf.detach()
    psf = GaussianPSF(4, 8)
    optimizer = torch.optim.Adam(psf.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        loss = (psf.psf - true).abs().sum()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05


def test_mixture_srf_covers_each_bands_support():
    support = np.zeros((20, 2), dtype=bool)
    support[2:8, 0] = True
    support[10:19, 1] = True
    srf = GaussianMixtureSRF.from_support(support).srf.detach().numpy()
    np.testing.assert_allclose(srf.sum(axis=0), 1.0, rtol=1e-5)
    assert srf[support].sum() / 2 > 0.9  # most of each column's mass on its support


def test_options_override_the_preset_and_are_checked():
    assert StableVAE().settings(FusionConfig(preset="paper", options={"em_iters": 7})).em_iters == 7
    with pytest.raises(InputError, match="Unknown Stable VAE option.*valid options are em_iters"):
        StableVAE().settings(FusionConfig(preset="fast", options={"epochs": 3}))
    with pytest.raises(InputError, match="lr_fusion must be a number > 0"):
        StableVAE().settings(FusionConfig(preset="fast", options={"lr_fusion": 0}))
    with pytest.raises(InputError, match="Unknown preset 'slow'"):
        StableVAE().settings(FusionConfig(preset="slow", options={}))


def test_paper_preset_estimates_the_explicit_model(pair):
    _, method = fuse(pair, preset="paper")
    learned = method.last_degradation
    assert learned.psf.shape == (4, 4)  # the paper's kernel of size r
    assert learned.srf.shape == pair[2].srf.shape


def test_fuse_reports_each_stage(pair):
    messages = []
    fuse(pair, progress=Progress(report=lambda pct, msg: messages.append(msg)))
    assert any("coordination" in m for m in messages)
    assert any("decoder fine-tuning" in m for m in messages)


def test_model_of_another_pair_is_refused(pair):
    lr, hr, model = pair
    wrong = DegradationModel(4, model.psf, model.srf[:, :3])
    with pytest.raises(InputError, match="does not match the input rasters"):
        fuse((lr, hr, wrong))


def test_beats_bicubic_on_a_real_scene(shared_data):
    from benchmarks.scenes import load_scene, wald_pair

    sim = wald_pair(load_scene("jasper_ridge"), 4)
    ref, lr, hr = sim.reference[:, :48, :48], sim.lr_hsi[:, :12, :12], sim.hr_msi[:, :48, :48]
    out = StableVAE().fuse(torch.as_tensor(lr), torch.as_tensor(hr), sim.model,
                           FusionConfig(preset="fast"), Progress()).numpy()
    bicubic = bicubic_upsample(torch.as_tensor(lr), 4).numpy()
    assert psnr(ref, out) > psnr(ref, bicubic) + 6.0
    assert sam(ref, out) < sam(ref, bicubic)
