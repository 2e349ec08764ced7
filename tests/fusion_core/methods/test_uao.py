"""UAO: guidance, reconstruction network, alternating loop, shipped weights, and a real scene."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from benchmarks.scenes import load_scene, wald_pair
from fusion_core.baselines import bicubic_upsample
from fusion_core.errors import InputError
from fusion_core.estimation import estimate_degradation
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.layers import SpaDnet, SpeDnet, srf_support
from fusion_core.methods.uao.alternating import alternate
from fusion_core.methods.uao.guidance import spatial_guidance, spectral_guidance
from fusion_core.methods.uao.method import UAO
from fusion_core.methods.uao.networks import ReconstructionNet
from fusion_core.methods.uao.pretrained import WEIGHTS, load_pretrained_reconstruction
from fusion_core.methods.uao.settings import PRESETS
from fusion_core.metrics import psnr
from fusion_core.pretrained import LAYOUT
from fusion_core.progress import Progress

from .conftest import run_method

#: Two alternations of three steps: enough to move every weight, quick on any machine.
TINY = {"outer_iters": 2, "inner_iters": 3}


def fuse(pair, options=TINY, **kwargs):
    """Run UAO on a simulated pair; returns (output, method)."""
    return run_method(UAO(), pair, "fast", options, **kwargs)


# --- guidance -------------------------------------------------------------------------------

def test_spatial_guidance_is_the_detail_the_psf_removes():
    coefficients = torch.rand(1, 3, 16, 16)
    delta = torch.zeros(5, 5)
    delta[2, 2] = 1.0

    assert torch.allclose(spatial_guidance(coefficients, delta), torch.zeros_like(coefficients))
    flat = torch.ones(1, 3, 16, 16)
    assert torch.allclose(spatial_guidance(flat, torch.full((4, 4), 1 / 16)), torch.zeros_like(flat), atol=1e-6)
    assert spatial_guidance(coefficients, torch.full((4, 4), 1 / 16)).abs().mean() > 0.05


def test_spectral_guidance_does_not_depend_on_the_band_layout():
    """Splitting every HSI band in two (twice the rows, same MSI) gives the same guidance."""
    torch.manual_seed(0)
    coefficients = torch.randn(1, 4, 8, 8)
    decode, srf = torch.randn(20, 4), torch.rand(20, 5)
    srf = srf / srf.sum(0)
    split_decode = decode.repeat_interleave(2, dim=0)
    split_srf = srf.repeat_interleave(2, dim=0) / 2

    assert torch.allclose(spectral_guidance(coefficients, srf, decode),
                          spectral_guidance(coefficients, split_srf, split_decode), atol=1e-5)


# --- reconstruction network -----------------------------------------------------------------

def test_an_untrained_network_returns_the_rough_estimate_and_is_compact():
    net = ReconstructionNet(12)
    rough, guide = torch.randn(1, 12, 20, 20), torch.randn(1, 12, 20, 20)

    assert torch.equal(net(rough, guide, guide), rough)
    assert sum(p.numel() for p in net.parameters()) < 100_000


# --- alternating optimisation ---------------------------------------------------------------

def alternation_inputs(pair, k=5):
    """Rough estimate (bicubic), decoder and degradation layers of a simulated pair."""
    lr, hr = torch.from_numpy(pair.lr_hsi)[None], torch.from_numpy(pair.hr_msi)[None]
    basis = torch.linalg.svd(lr[0].reshape(lr.shape[1], -1), full_matrices=False)[0][:, :k]
    rough = torch.einsum("ck,bchw->bkhw", basis, bicubic_upsample(lr, pair.model.scale))
    spa = SpaDnet(pair.model.psf, pair.model.scale)
    spe = SpeDnet(pair.model.srf, srf_support(pair.model.srf))
    return rough, (lambda c: torch.einsum("ck,bkhw->bchw", basis, c)), basis, spa, spe, lr, hr


def test_alternation_reports_every_outer_iteration_and_keeps_psf_and_srf_valid(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    rough, decode, basis, spa, spe, lr, hr = alternation_inputs(pair)
    schedule = replace(PRESETS["paper"], outer_iters=3, inner_iters=4, lr_degradation=1e-2)
    messages = []

    image, results = alternate(ReconstructionNet(5), rough, decode, basis, spa, spe, lr, hr, schedule,
                               Progress(report=lambda pct, msg: messages.append(msg)))

    assert image.shape == (1, 30, 32, 32)
    for i in (1, 2, 3):
        assert any(m.startswith(f"UAO outer {i}/3 stage 1/1 (degradation): 4/4") for m in messages)
        assert any(m.startswith(f"UAO outer {i}/3 stage 1/1 (reconstruction): 4/4") for m in messages)
    assert [r.name for r in results] == ["degradation", "reconstruction"]
    assert spa.psf.min() >= 0 and float(spa.psf.sum().detach()) == pytest.approx(1.0)
    assert torch.allclose(spe.srf.sum(0), torch.ones(4))
    assert not torch.allclose(spa.psf, torch.as_tensor(pair.model.psf, dtype=torch.float32))  # it learned


def test_alternation_improves_the_fit_to_both_inputs(tmp_rasters):
    from fusion_core.losses import reconstruction_loss

    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    rough, decode, basis, spa, spe, lr, hr = alternation_inputs(pair)
    schedule = replace(PRESETS["paper"], outer_iters=5, inner_iters=10)
    before = reconstruction_loss(decode(rough), lr, hr, spa.psf, spe.srf, 4)

    image, _ = alternate(ReconstructionNet(5), rough, decode, basis, spa, spe, lr, hr, schedule, Progress())

    assert reconstruction_loss(image, lr, hr, spa.psf, spe.srf, 4) < 0.8 * before


# --- the method -----------------------------------------------------------------------------

def test_unknown_option_lists_the_valid_ones(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)

    with pytest.raises(InputError, match="Unknown UAO .*option.*epochs.*valid options are outer_iters"):
        fuse(pair, options={"epochs": 10})


# --- shipped weights ------------------------------------------------------------------------

def test_shipped_weights_are_small_load_offline_and_record_their_training():
    record = json.loads(WEIGHTS.with_suffix(".json").read_text(encoding="utf-8"))

    net = load_pretrained_reconstruction(record["k"], torch.device("cpu"))

    assert WEIGHTS.stat().st_size < 5e6
    assert isinstance(net, ReconstructionNet) and record["layout"] == LAYOUT
    benchmark = ("jasper", "pavia_centre", "enmap", "samson", "paris", "tiangong")
    assert record["training_scenes"] and not any(b in s for s in record["training_scenes"] for b in benchmark)
    assert record["epochs"] >= 1 and "seed" in record


def test_missing_weights_say_how_to_recreate_them(tmp_path):
    with pytest.raises(InputError, match="not found.*scripts/pretrain_uao.py"):
        load_pretrained_reconstruction(12, torch.device("cpu"), tmp_path / "none.pt")


# --- one real scene -------------------------------------------------------------------------

def test_fast_preset_beats_bicubic_clearly_on_jasper_ridge(shared_data):
    scene = load_scene("jasper_ridge", shared_data)
    scene.cube = scene.cube[:, :40, :40]
    pair = wald_pair(scene, 4)
    model = estimate_degradation(pair.lr_hsi, pair.hr_msi, 4, hsi_wavelengths=scene.wavelengths)  # blind

    out = UAO().fuse(torch.from_numpy(pair.lr_hsi), torch.from_numpy(pair.hr_msi), model,
                     FusionConfig(preset="fast"), Progress())

    bicubic = bicubic_upsample(torch.from_numpy(pair.lr_hsi), 4).numpy()
    fused_db, bicubic_db = psnr(pair.reference, out.numpy()), psnr(pair.reference, bicubic)
    assert fused_db > bicubic_db + 10.0, (fused_db, bicubic_db)
