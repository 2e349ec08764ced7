"""GLP-HS, the classical baseline in the METHOD list: what it adds over interpolation, and that
it takes its place at the end of the frozen catalog."""

from __future__ import annotations

import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.methods import CATALOG, load_method, method_index
from fusion_core.metrics import psnr

from .conftest import run_method


def test_it_is_appended_to_the_method_list_and_takes_no_options():
    assert method_index("glp_hs") == len(CATALOG) - 1 == 6
    assert [e.id for e in CATALOG[:6]] == ["sscf", "udaln", "m2unet", "stable_vae", "ual", "uao"]
    assert load_method(6).short_name == "GLP-HS"


def test_details_of_the_msi_beat_interpolation_by_far(tmp_rasters):
    pair = tmp_rasters(size=48, scale=4, n_hsi=30, n_msi=4, snr_db=35)
    fused, _ = run_method(load_method("glp_hs"), pair)
    interpolated = bicubic_upsample(torch.from_numpy(pair.lr_hsi), 4)
    assert psnr(pair.reference, fused.numpy()) > psnr(pair.reference, interpolated.numpy()) + 3.0
