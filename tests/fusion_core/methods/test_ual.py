"""UAL: shape contract, pretrained weights and their record, options, cancel, and a real scene."""

from __future__ import annotations

import json

import pytest
import torch

from benchmarks.scenes import SCENES, load_scene, wald_pair
from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import spatial_degrade
from fusion_core.errors import InputError
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.ual.method import UAL
from fusion_core.methods.ual.networks import MutualGuidingFusion, SelfGuidingAdaptation, degeneration_network
from fusion_core.methods.ual.pretrained import WEIGHTS, load_pretrained_fusion
from fusion_core.metrics import psnr
from fusion_core.pretrained import LAYOUT, record_path
from fusion_core.progress import Progress

from .conftest import run_method

#: A few adaptation steps: enough to move every weight, quick on any machine.
TINY = {"iterations": 5}
BENCHMARK_FILES = {spec.file for spec in SCENES.values()} - {SCENES["aviris_santa_barbara"].file,
                                                              SCENES["hydice_urban"].file}
BENCHMARK_FILES |= {"samson_95x95x156.mat", "paris_hyperion_ali_real.mat", "tiangong1_r12"}


def fuse(pair, preset="fast", options=TINY, **kwargs):
    """Run UAL on a simulated pair; returns (output, method)."""
    return run_method(UAL(), pair, preset, options, **kwargs)


def test_paper_preset_learns_a_32x32_degeneration_kernel(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)

    _, method = fuse(pair, preset="paper", options={"iterations": 3, "width": 8})

    assert method.last_degradation.psf.shape == (32, 32)


def test_any_band_count_is_served_by_the_same_weights(tmp_rasters):
    for n_hsi, n_msi in ((12, 3), (45, 6)):
        pair = tmp_rasters(size=24, scale=3, n_hsi=n_hsi, n_msi=n_msi)

        out, _ = fuse(pair, options={"iterations": 1})

        assert out.shape == (n_hsi, 24, 24)


def test_adaptation_lowers_the_unsupervised_loss(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    logged = []

    fuse(pair, options={"iterations": 20, "lr_adaptation": 1e-3}, progress=Progress(log=logged.append))

    losses = [float(m.rsplit("loss ", 1)[1]) for m in logged if "iteration" in m]
    assert len(losses) >= 3 and losses[-1] < 0.99 * losses[0], losses


def test_progress_names_the_stage(tmp_rasters):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)
    messages = []

    fuse(pair, progress=Progress(report=lambda pct, msg: messages.append(msg)))

    assert any(m.startswith("UAL stage 1/1 (adaptation): 5/5") for m in messages)


@pytest.mark.parametrize("options, message", [
    ({"epochs": 10}, "Unknown UAL .*option.*epochs.*valid options are iterations"),
    ({"iterations": -1}, "iterations must be a whole number >= 0"),
    ({"lr_adaptation": 0}, "lr_adaptation must be a number > 0"),
    ({"width": 0}, "width must be a whole number >= 1"),
])
def test_bad_options_say_what_is_expected(tmp_rasters, options, message):
    pair = tmp_rasters(size=32, scale=4, n_hsi=30, n_msi=4)

    with pytest.raises(InputError, match=message):
        fuse(pair, options=options)


def test_degeneration_network_starts_as_the_given_psf():
    from fusion_core.degradation import sensor_psf

    x = torch.rand(1, 2, 40, 40, dtype=torch.float64)
    for psf in (sensor_psf(4, 4.0, size=4), sensor_psf(4, 6.0)):
        net = degeneration_network(psf, 4, 32)

        assert net.psf.shape == (32, 32)
        torch.testing.assert_close(net(x.float()).double(), spatial_degrade(x, psf, 4), atol=1e-5, rtol=0)


def test_the_networks_keep_the_coefficient_layout():
    fusion, adaptation = MutualGuidingFusion(6, width=8, depth=2), SelfGuidingAdaptation(6, width=8, depth=2)
    guidance, upsampled = torch.rand(2, 6, 16, 16), torch.rand(2, 6, 16, 16)

    rough = fusion(guidance, upsampled)

    assert rough.shape == (2, 6, 16, 16)
    assert torch.equal(rough, guidance)  # zero output convolution: starts from the guidance
    assert torch.equal(adaptation(rough), rough)  # Ẑ = Z̃ + A(Z̃) with A = 0 at the start


# --- the shipped weights ---------------------------------------------------------------------

def test_shipped_weights_are_small_and_record_where_they_came_from():
    record = json.loads(record_path(WEIGHTS).read_text())

    assert WEIGHTS.stat().st_size < 5e6
    assert record["network"] == "MutualGuidingFusion" and record["layout"] == LAYOUT
    assert not set(record["training_scenes"]) & BENCHMARK_FILES
    for key in ("degradation_ranges", "epochs", "patch_size", "seed", "torch_version", "git_commit",
                "date_utc", "device", "wall_time_s"):
        assert key in record, key


def test_fusion_module_loads_offline_and_frozen():
    fusion = load_pretrained_fusion(torch.device("cpu"))

    assert not fusion.training and not any(p.requires_grad for p in fusion.parameters())
    assert fusion.k == fusion.record["k"]


def test_missing_weights_say_how_to_retrain(tmp_path):
    with pytest.raises(InputError, match="not found.*Retrain them with 'python scripts/pretrain_ual.py'"):
        load_pretrained_fusion(torch.device("cpu"), tmp_path / "missing.pt")


# --- one real scene -------------------------------------------------------------------------

def test_fast_preset_beats_bicubic_clearly_on_jasper_ridge(shared_data):
    pair = wald_pair(load_scene("jasper_ridge", shared_data), 4)
    crop = slice(0, 48)
    reference = pair.reference[:, crop, crop]
    lr, hr = torch.from_numpy(pair.lr_hsi[:, :12, :12]), torch.from_numpy(pair.hr_msi[:, crop, crop])

    out = UAL().fuse(lr, hr, pair.model, FusionConfig(preset="fast", options={"iterations": 30}), Progress())

    fused_db, bicubic_db = psnr(reference, out.numpy()), psnr(reference, bicubic_upsample(lr, 4).numpy())
    assert fused_db > bicubic_db + 10.0, (fused_db, bicubic_db)
