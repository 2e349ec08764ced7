"""Classical baselines every fusion method is compared with, as functions of one pair.

Each baseline takes the LR-HSI ``(C, h, w)``, the HR-MSI ``(M, H, W)`` (torch tensors) and the
degradation model, and returns the fused ``(C, H, W)``; none looks at a reference.

* ``bicubic``: the LR-HSI interpolated (:func:`fusion_core.baselines.bicubic_upsample`).
* ``ridge``: a ridge-regularised linear map from the PSF-degraded HR-MSI to the LR-HSI, applied to
  the HR-MSI (:func:`fusion_core.spectral.ridge_fusion`). About 45 dB on Jasper Ridge
  at r = 4 with Sentinel-2 bands, in a second: a fusion method must beat it to be worth running.

GLP hyper-sharpening, the third classical baseline, is a method of the catalog (``glp_hs``,
:mod:`fusion_core.methods.glp_hs`): it runs through the pipeline as users run it.
"""

from __future__ import annotations

from typing import Callable

import torch

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import DegradationModel
from fusion_core.errors import InputError
from fusion_core.spectral import ridge_fusion

__all__ = ["BASELINES", "LR_HSI_ONLY", "bicubic", "ridge", "run_baseline"]

Baseline = Callable[[torch.Tensor, torch.Tensor, DegradationModel], torch.Tensor]


def bicubic(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel) -> torch.Tensor:
    """Bicubic interpolation of the LR-HSI (the HR-MSI is not used)."""
    return bicubic_upsample(lr_hsi, model.scale)


def ridge(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel) -> torch.Tensor:
    """Global ridge spectral map learned at low resolution, applied to the HR-MSI."""
    return ridge_fusion(lr_hsi, hr_msi, model.psf, model.scale)


BASELINES: dict[str, Baseline] = {"bicubic": bicubic, "ridge": ridge}
#: The baselines made from the LR-HSI alone: their result lies on its geometry, not the HR-MSI's.
LR_HSI_ONLY = frozenset({"bicubic"})


def run_baseline(name: str, lr_hsi: torch.Tensor, hr_msi: torch.Tensor,
                 model: DegradationModel) -> torch.Tensor:
    """Run the baseline called ``name`` (a key of :data:`BASELINES`)."""
    if name not in BASELINES:
        raise InputError(f"Unknown baseline {name!r}; choose one of {', '.join(BASELINES)}.")
    return BASELINES[name](lr_hsi, hr_msi, model)
