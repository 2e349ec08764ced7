"""M2U-Net: shape contract, schedules, progress and cancel, DIL-Net, and a real scene."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks.scenes import Scene, load_scene, wald_pair
from fusion_core.baselines import bicubic_upsample
from fusion_core.errors import Cancelled, InputError
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.m2unet.dil_net import DILNet
from fusion_core.methods.m2unet.dual_unet import DualUNet
from fusion_core.methods.m2unet.method import M2UNet
from fusion_core.methods.m2unet.settings import PRESETS
from fusion_core.methods.m2unet.sml_net import CIEModule, SMLNet
from fusion_core.metrics import psnr, sam
from fusion_core.progress import Progress

#: A schedule of a few iterations and a narrow Dual U-Net: seconds on a CPU.
TINY = {"stage1_iters": 3, "stage2_iters": 3, "stage3_iters": 3, "width": 8}


def _tensors(pair, device: torch.device = torch.device("cpu")):
    return (torch.from_numpy(pair.lr_hsi).float().to(device),
            torch.from_numpy(pair.hr_msi).float().to(device))


def test_networks_map_the_documented_shapes():
    k = torch.rand(2, 4, 5, 5)
    assert CIEModule(4, 8)(k).shape == (2, 8, 5, 5)
    y1, y2 = SMLNet(4, 30)(k, k)
    assert y1.shape == y2.shape == (2, 30, 5, 5)
    out = DualUNet(30, 4, width=6)(torch.rand(1, 30, 18, 14), torch.rand(1, 4, 18, 14))
    assert out.shape == (1, 30, 18, 14)
    assert ((out > 0) & (out < 1)).all()  # sigmoid output


def test_progress_is_reported_per_stage_up_to_the_end(tmp_rasters):
    pair = tmp_rasters(size=16, scale=4, n_hsi=12, n_msi=3)
    reports: list[tuple[float, str]] = []
    M2UNet().fuse(*_tensors(pair), pair.model, FusionConfig(options=TINY),
                  Progress(report=lambda pct, msg: reports.append((pct, msg))))
    messages = " ".join(msg for _, msg in reports)
    for stage in ("1/3 (degradation)", "2/3 (initial image)", "3/3 (deep image prior)"):
        assert f"M2U-Net stage {stage}" in messages
    percents = [pct for pct, _ in reports]
    assert percents == sorted(percents) and percents[-1] == pytest.approx(100.0)


def test_cancel_during_the_deep_image_prior_stops_within_an_iteration(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=20, n_msi=4)
    stage3_reports: list[str] = []
    checks_in_stage3: list[bool] = []

    def report(_: float, message: str) -> None:
        if "deep image prior" in message:
            stage3_reports.append(message)

    def cancelled() -> bool:  # the user presses cancel at the third check of stage 3
        if stage3_reports:
            checks_in_stage3.append(len(checks_in_stage3) >= 2)
        return bool(checks_in_stage3) and checks_in_stage3[-1]

    options = {**TINY, "stage3_iters": 50, "width": 16}
    with pytest.raises(Cancelled, match="Cancelled"):
        M2UNet().fuse(*_tensors(pair), pair.model, FusionConfig(options=options),
                      Progress(report=report, is_cancelled=cancelled))
    assert checks_in_stage3 == [False, False, True]  # the first check after the cancel stopped it
    assert len(stage3_reports) <= 3  # at most one report per iteration it ran


def test_dil_net_learns_the_srf_from_a_flat_start(tmp_rasters):
    """Paper initialisation: stage 1 alone moves the SRF from flat towards the true one."""
    pair = tmp_rasters(size=32, scale=4, n_hsi=20, n_msi=4)
    method = M2UNet()
    options = {**TINY, "init_from_model": False, "stage1_iters": 200, "lr_stage1": 3e-2}
    config = FusionConfig(preset="paper", options=options)
    method.fuse(*_tensors(pair), pair.model, config, Progress())
    learned, flat = method.last_degradation.srf, np.full(pair.model.srf.shape, 1 / 20)
    assert learned.shape == pair.model.srf.shape and learned.sum(0) == pytest.approx(np.ones(4))
    assert method.last_degradation.psf.shape == (4, 4)  # the paper's r × r kernel
    error = lambda srf: np.abs(srf - pair.model.srf).sum()  # noqa: E731
    assert error(learned) < 0.6 * error(flat)


def test_dil_net_from_a_model_starts_at_that_model(tmp_rasters):
    pair = tmp_rasters(size=16, scale=4, n_hsi=12, n_msi=3)
    dil = DILNet.from_model(pair.model)
    np.testing.assert_allclose(dil.psf.detach().numpy(), pair.model.psf, atol=1e-6)
    np.testing.assert_allclose(dil.srf.detach().numpy(), pair.model.srf, atol=1e-6)
    k1, k2 = dil(*(t[None] for t in _tensors(pair)))
    assert k1.shape == k2.shape == (1, 3, 4, 4)


def test_presets_follow_the_paper_and_options_override_them():
    paper = PRESETS["paper"]
    assert (paper.stage1_iters, paper.stage2_iters, paper.stage3_iters) == (6000, 4000, 14000)
    assert (paper.width, paper.init_from_model) == (260, False)
    assert M2UNet().settings(FusionConfig(options={"width": 16, "lr_stage3": 1})).width == 16


@pytest.mark.parametrize("preset, options, message", [
    ("best", {}, "Unknown preset 'best'; choose one of fast, paper"),
    ("fast", {"epochs": 3}, "Unknown M2U-Net .*option.*epochs.*valid options are stage1_iters"),
    ("fast", {"width": 0}, "width must be a whole number >= 1"),
    ("fast", {"decay_stage3": 2.0}, "decay_stage3 must be a number from 0 to 1"),
    ("fast", {"init_from_model": 1}, "true or false"),
])
def test_bad_presets_and_options_are_refused(preset, options, message):
    with pytest.raises(InputError, match=message):
        M2UNet().settings(FusionConfig(preset=preset, options=options))


def test_windows_that_do_not_nest_or_fit_the_model_are_refused(tmp_rasters):
    pair = tmp_rasters(size=16, scale=4, n_hsi=12, n_msi=3)
    lr, hr = _tensors(pair)
    config = FusionConfig(options=TINY)
    with pytest.raises(InputError, match="nest exactly"):
        M2UNet().fuse(lr, hr[:, :12], pair.model, config, Progress())
    with pytest.raises(InputError, match="ratio 4 in the model vs 2 between the rasters"):
        M2UNet().fuse(lr, hr[:, :8, :8], pair.model, config, Progress())


@pytest.fixture
def one_torch_thread():
    """Run on one torch thread, then restore: on a 2-core machine shared with other jobs, two
    OpenMP threads wait on each other at every small convolution and the test takes minutes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_fast_preset_beats_bicubic_clearly_on_jasper_ridge(shared_data, one_torch_thread):
    """A 48×48 crop of Jasper Ridge at r = 4 (Wald's protocol), given the true degradation."""
    scene = load_scene("jasper_ridge", shared_data)
    crop = Scene(scene.name, scene.cube[:, :48, :48], scene.wavelengths, scene.spec)
    pair = wald_pair(crop, 4)
    lr, hr = _tensors(pair)
    fused = M2UNet().fuse(lr, hr, pair.model, FusionConfig(preset="fast"), Progress()).numpy()
    bicubic = bicubic_upsample(lr, 4).numpy()
    ours = psnr(pair.reference, fused), sam(pair.reference, fused)
    base = psnr(pair.reference, bicubic), sam(pair.reference, bicubic)
    scores = f"M2U-Net {ours[0]:.2f} dB, {ours[1]:.2f}°; bicubic {base[0]:.2f} dB, {base[1]:.2f}°"
    assert ours[0] > base[0] + 5.0, scores
    assert ours[1] < 0.75 * base[1], scores
