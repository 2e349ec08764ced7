"""SSCF on windows with gaps (a tilted nodata swath, a tile's nodata corner): the gaps cost only
what they hide."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from fusion_core.degradation import DegradationModel, add_noise, sensor_psf, simulate_pair
from fusion_core.methods.base import FusionConfig, FusionMethod
from fusion_core.methods.gaps import fuse_with_gaps
from fusion_core.methods.sscf.method import SSCF
from fusion_core.metrics import psnr
from fusion_core.progress import Progress
from fusion_core.sample import make_sample_scene

R = 3


@pytest.fixture(scope="module")
def noisy_pair(six_band_srf):
    """(reference, LR-HSI, HR-MSI, model): 96×96 HR, 40 bands, r = 3, 40/45 dB noise."""
    scene = make_sample_scene(96, 96, 40, seed=1)
    model = DegradationModel(R, sensor_psf(R, 3.0), six_band_srf(scene.wavelengths_nm), scene.wavelengths_nm)
    lr, hr = simulate_pair(scene.cube, model)
    rng = np.random.default_rng(1)
    lr, hr = add_noise(lr, 40.0, rng), add_noise(hr, 45.0, rng)
    return scene.cube.astype(np.float64), torch.from_numpy(lr), torch.from_numpy(hr), model


def tilted_swath(shape: tuple[int, int]) -> np.ndarray:
    """``(h, w)`` True inside a swath whose left edge is tilted, about a quarter of it outside."""
    rows, cols = np.indices(shape)
    return cols >= 0.5 * shape[1] * (1.0 - rows / shape[0])


def fused_with_gaps(method: FusionMethod, lr, hr, model) -> np.ndarray:
    return fuse_with_gaps(method, lr, hr, model, FusionConfig(), Progress()).numpy()


def away_from(gap: np.ndarray, lr_pixels: int) -> np.ndarray:
    """``(H, W)`` HR pixels at least ``lr_pixels`` LR pixels from ``gap`` ``(h, w)``."""
    far = ~ndimage.binary_dilation(gap, iterations=lr_pixels)
    return np.kron(far, np.ones((R, R), bool))


class FillingSSCF(SSCF):
    """SSCF bridging gaps as any method does (nearest valid pair), for comparison."""

    handles_gaps = False


def test_a_tilted_swath_costs_nothing_one_lr_pixel_from_its_edge(noisy_pair):
    ref, lr, hr, model = noisy_pair
    inside = tilted_swath(lr.shape[1:])
    assert 0.2 < 1 - inside.mean() < 0.3
    cut = torch.where(torch.from_numpy(inside), lr, torch.full_like(lr, float("nan")))
    whole = SSCF().fuse(lr, hr, model, FusionConfig(), Progress()).numpy()
    gapped = fused_with_gaps(SSCF(), cut, hr, model)
    filled = fused_with_gaps(FillingSSCF(), cut, hr, model)
    scored = away_from(~inside, 1)
    quality = {name: psnr(ref[:, scored][:, None], out[:, scored][:, None])
               for name, out in (("whole", whole), ("gapped", gapped), ("filled", filled))}
    assert quality["gapped"] > quality["whole"] - 0.1, quality
    assert quality["gapped"] > quality["filled"] + 0.1, quality  # copies next to the gap hurt


def test_a_nodata_corner_of_the_msi_costs_nothing_two_lr_pixels_from_it(noisy_pair):
    ref, lr, hr, model = noisy_pair
    corner = np.zeros(hr.shape[1:], bool)
    corner[:40, :40] = True
    cut = torch.where(torch.from_numpy(corner), torch.full_like(hr, float("nan")), hr)
    whole = SSCF().fuse(lr, hr, model, FusionConfig(), Progress()).numpy()
    gapped = fused_with_gaps(SSCF(), lr, cut, model)
    scored = away_from(corner.reshape(32, R, 32, R).any(axis=(1, 3)), 2)
    assert psnr(ref[:, scored][:, None], gapped[:, scored][:, None]) > \
        psnr(ref[:, scored][:, None], whole[:, scored][:, None]) - 0.1


def test_without_gaps_it_is_the_plain_fusion(noisy_pair):
    _, lr, hr, model = noisy_pair
    plain = SSCF().fuse(lr, hr, model, FusionConfig(), Progress()).numpy()
    np.testing.assert_array_equal(fused_with_gaps(SSCF(), lr, hr, model), plain)


def test_values_hidden_in_the_gaps_do_not_matter(noisy_pair):
    _, lr, hr, model = noisy_pair
    inside = torch.from_numpy(tilted_swath(lr.shape[1:]))
    runs = [fused_with_gaps(SSCF(), torch.where(inside, lr, torch.full_like(lr, value)), hr, model)
            for value in (float("nan"), float("inf"))]
    np.testing.assert_array_equal(*runs)
