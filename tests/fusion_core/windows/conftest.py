"""A quick, deterministic test-only fusion method, and helpers to run the windowed engine on a
simulated pair without the QGIS layer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import spatial_degrade
from fusion_core.io import read_raster_info
from fusion_core.io.resample import plan_pair
from fusion_core.methods.base import FusionConfig, FusionMethod
from fusion_core.methods.result_memory import ResultPool
from fusion_core.windows import PairSource, ResumeState, TiledOutput, WindowGrid, WindowJob, choose_tile, run_windows


class RidgeFusion(FusionMethod):
    """Test-only method: MSI bands mapped to HSI bands, plus the bicubic-upsampled LR residual.

    The map is either fitted on the window (``adaptive``: ridge regression of the LR-HSI on the
    HR-MSI degraded to the LR grid, so it depends on the whole window, as a subspace method's
    does) or taken from the model's SRF alone (then the method is local: bicubic interpolation
    reads 2 LR pixels around each pixel, hence a halo of 3).

    ``delay_s`` makes each window slow (Dask and cancel tests); ``fail_after`` raises on the
    call after that many, like a crash (resume tests).
    """

    name = "ridge-test"
    halo_lr_pixels = 3
    memory_factor = 6.0

    def __init__(self, adaptive: bool = True, delay_s: float = 0.0,
                 fail_after: Optional[int] = None):
        self.adaptive = adaptive
        self.delay_s = delay_s
        self.fail_after = fail_after
        self.calls = 0

    def _map(self, y: torch.Tensor, z_lr: torch.Tensor, srf: np.ndarray):
        """(C, M) coefficients and (C,) offsets of the MSI-to-HSI map."""
        m, h, w = z_lr.shape
        if not self.adaptive:
            s = torch.from_numpy(srf).to(y.dtype)
            coef = s @ torch.linalg.inv(s.T @ s + 1e-3 * torch.eye(m, dtype=y.dtype))
            return coef, torch.zeros(y.shape[0], dtype=y.dtype)
        design = torch.cat([z_lr.reshape(m, -1), torch.ones(1, h * w, dtype=y.dtype)])
        gram = design @ design.T + 1e-6 * torch.eye(m + 1, dtype=y.dtype) * h * w
        coef = torch.linalg.solve(gram, design @ y.reshape(y.shape[0], -1).T).T
        return coef[:, :m], coef[:, m]

    def fuse(self, lr_hsi, hr_msi, model, config, progress):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("simulated crash")
        y, z = lr_hsi.double(), hr_msi.double()
        z_lr = spatial_degrade(z[None], model.psf, model.scale)[0]
        coef, offset = self._map(y, z_lr, model.srf)
        mapped = torch.einsum("cm,mhw->chw", coef, z) + offset[:, None, None]
        residual = y - torch.einsum("cm,mhw->chw", coef, z_lr) - offset[:, None, None]
        time.sleep(self.delay_s)
        progress.update(1.0)
        return (mapped + bicubic_upsample(residual, model.scale)).to(lr_hsi.dtype)


@pytest.fixture
def ridge() -> RidgeFusion:
    return RidgeFusion()


def source_of(pair) -> PairSource:
    """A :class:`PairSource` of a simulated pair (nested grids)."""
    lr, hr = read_raster_info(pair.lr_path), read_raster_info(pair.hr_path)
    return PairSource(str(pair.lr_path), str(pair.hr_path), plan_pair(lr, hr), lr.count)


def run(pair, method: FusionMethod, out: Path, grid: WindowGrid, scheduler: str = "",
        keep_partial: bool = False, progress=None, norm: float = 1.0, fingerprint: str = "test",
        on_region=None, on_inputs=None):
    """Fuse ``pair`` with ``method`` on ``grid`` into ``out``; returns the run's statistics."""
    source = source_of(pair)
    job = WindowJob(source, method, pair.model, FusionConfig(seed=0), norm, grid)
    info = read_raster_info(pair.lr_path)
    output = TiledOutput(out, read_raster_info(pair.hr_path).grid, info.count, choose_tile(grid),
                         info.band_names, info.wavelengths, info.fwhm)
    layout = dict(grid.describe(), tile=output.tile)
    state = (ResumeState.load(out, fingerprint)
             or ResumeState(out, fingerprint, layout, norm, pair.model))
    return run_windows(job, output, state, scheduler, keep_partial, progress, on_region=on_region,
                       on_inputs=on_inputs)


def grid_for(pair, core_lr: int, halo: int = 4, ramp: int = 4) -> WindowGrid:
    """A window grid over ``pair`` with cores of ``core_lr`` LR pixels."""
    h, w = pair.lr_hsi.shape[1:]
    return WindowGrid.build(h, w, pair.model.scale, core_lr, halo, ramp)


def whole(pair) -> WindowGrid:
    """One window: the whole scene."""
    return grid_for(pair, max(pair.lr_hsi.shape[1:]), 0, 0)


@pytest.fixture
def lent_again(monkeypatch) -> list[bool]:
    """For each result memory taken from a :class:`ResultPool`, whether it was a buffer lent before."""
    lent: list[bool] = []
    take = ResultPool.take

    def counted(self, count):
        before = [id(b) for b in self._buffers]  # not the buffers: a reference keeps one lent
        buffer = take(self, count)
        lent.append(id(buffer.base) in before)
        return buffer

    monkeypatch.setattr(ResultPool, "take", counted)
    return lent
