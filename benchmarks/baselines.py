"""Classical baselines every fusion method is compared with, as functions of one pair.

Each baseline takes the LR-HSI ``(C, h, w)``, the HR-MSI ``(M, H, W)`` (torch tensors) and the
degradation model, and returns the fused ``(C, H, W)``; none looks at a reference.

* ``bicubic``: the LR-HSI interpolated (:func:`fusion_core.baselines.bicubic_upsample`).
* ``ridge``: a ridge-regularised linear map from the PSF-degraded HR-MSI to the LR-HSI, applied to
  the HR-MSI (:func:`fusion_core.spectral.ridge_fusion`). About 45 dB on Jasper Ridge
  at r = 4 with Sentinel-2 bands, in a second: a fusion method must beat it to be worth running.
* ``glp_hs``: GLP hyper-sharpening (Selva et al., "Hyper-sharpening: a first approach on SIM-GA
  data", IEEE JSTARS 8(6), 2015): each HSI band gets its own synthetic HR band (the regression
  of that band on the MSI bands at low resolution), whose details above the HSI's resolution
  (the synthetic band minus its PSF-degraded, re-interpolated version) are injected into the
  bicubic LR-HSI with a per-band regression gain.
"""

from __future__ import annotations

from typing import Callable

import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import DegradationModel, spatial_degrade
from fusion_core.errors import InputError
from fusion_core.spectral import fit_ridge_map, ridge_fusion

__all__ = ["BASELINES", "bicubic", "ridge", "glp_hs", "run_baseline"]

Baseline = Callable[[torch.Tensor, torch.Tensor, DegradationModel], torch.Tensor]


def bicubic(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel) -> torch.Tensor:
    """Bicubic interpolation of the LR-HSI (the HR-MSI is not used)."""
    return bicubic_upsample(lr_hsi, model.scale)


def ridge(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel) -> torch.Tensor:
    """Global ridge spectral map learned at low resolution, applied to the HR-MSI."""
    return ridge_fusion(lr_hsi, hr_msi, model.psf, model.scale)


def glp_hs(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel) -> torch.Tensor:
    """GLP hyper-sharpening with regression-synthesised HR bands and regression injection gains."""
    r = model.scale
    z = hr_msi.double()
    lr_msi = spatial_degrade(z[None], model.psf, r)[0]
    synth = fit_ridge_map(lr_msi, lr_hsi)                    # one synthetic HR band per HSI band
    low_msi = bicubic_upsample(lr_msi, r)                    # MSI at the HSI's resolution, on the HR grid
    detail = synth(z) - synth(low_msi)
    smooth = bicubic_upsample(lr_hsi.double(), r)
    low = synth(low_msi)
    lc = low - low.mean((1, 2), keepdim=True)
    sc = smooth - smooth.mean((1, 2), keepdim=True)
    gain = (lc * sc).sum((1, 2)) / (lc * lc).sum((1, 2)).clamp_min(1e-30)
    return (smooth + gain[:, None, None] * detail).to(lr_hsi.dtype)


BASELINES: dict[str, Baseline] = {"bicubic": bicubic, "ridge": ridge, "glp_hs": glp_hs}


def run_baseline(name: str, lr_hsi: torch.Tensor, hr_msi: torch.Tensor,
                 model: DegradationModel) -> torch.Tensor:
    """Run the baseline called ``name`` (a key of :data:`BASELINES`)."""
    if name not in BASELINES:
        raise InputError(f"Unknown baseline {name!r}; choose one of {', '.join(BASELINES)}.")
    return BASELINES[name](lr_hsi, hr_msi, model)
