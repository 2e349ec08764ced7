"""Relative alignment: the Fourier warp, and recovery of a known shift between the sensors."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from fusion_core.methods.sscf.alignment import Alignment, estimate_alignment, noise_gains, warp


def test_zero_warp_is_the_identity_and_an_integer_shift_moves_pixels():
    x = torch.rand(2, 16, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(warp(x, 0.0, 0.0, 0.0), x, atol=1e-12)
    smooth = torch.from_numpy(np.add.outer(np.sin(np.arange(16) / 3.0), np.cos(np.arange(20) / 4.0)))[None]
    moved = warp(smooth, 1.0, 0.0, 0.0)
    assert torch.allclose(moved[:, 4:-4, 4:-4], smooth[:, 3:-5, 4:-4], atol=1e-2)


def test_shift_between_sensors_is_recovered(wald_pair):
    _, lr, hr, model = wald_pair
    shifted = warp(hr.double(), 0.6, -0.4, 0.0)  # the MSI sits off the HSI's grid
    found = estimate_alignment(lr.double(), shifted, model.psf, model.srf, model.scale)
    assert found.dy == pytest.approx(-0.6, abs=0.1)
    assert found.dx == pytest.approx(0.4, abs=0.1)


def test_an_exactly_simulated_pair_needs_no_alignment(wald_pair):
    _, lr, hr, model = wald_pair
    assert estimate_alignment(lr.double(), hr.double(), model.psf, model.srf, model.scale).is_identity


def test_noise_gains_of_identity_and_blur():
    psf = np.full((2, 2), 0.25)
    hr_gain, lr_gain = noise_gains(Alignment(), psf, torch.float64, torch.device("cpu"))
    assert hr_gain == pytest.approx(1.0) and lr_gain == pytest.approx(0.25)
    blurred, _ = noise_gains(Alignment(blur=1.0), psf, torch.float64, torch.device("cpu"))
    assert blurred < 0.5


#: A fresh process (a Dask worker's first window) fusing a window with SSCF, then saying whether
#: torch's compiler (torch._dynamo: 1.4 s to import, which torch's optimisers do on first use)
#: was loaded.
FRESH_WINDOW = """
import sys
import rasterio, torch
import fusion_core.pipeline
from fusion_core.degradation.model import DegradationModel
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.sscf.method import SSCF
from fusion_core.progress import Progress
lr, hr = (torch.from_numpy(rasterio.open(path).read()) for path in sys.argv[1:3])
SSCF().fuse(lr, hr, DegradationModel.load(sys.argv[3]), FusionConfig(), Progress())
print("torch._dynamo" in sys.modules)
"""


def test_a_first_window_does_not_load_torchs_compiler(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=48, n_hsi=12, snr_db=40)
    pair.model.save(tmp_path / "model.json")
    done = subprocess.run([sys.executable, "-c", FRESH_WINDOW, str(pair.lr_path), str(pair.hr_path),
                           str(tmp_path / "model.json")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]
