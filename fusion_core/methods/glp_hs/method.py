"""GLP-HS: hyper-sharpening with an MTF-matched generalised Laplacian pyramid.

The classical multiresolution baseline of the fusion literature (Selva, Aiazzi, Butera, Chiarantini
& Baronti, "Hyper-sharpening: a first approach on SIM-GA data", IEEE JSTARS 8(6), 2015; among the
best classical methods in Yokoya, Grohnfeldt & Chanussot's comparative review, IEEE GRSM 2017,
beside GSA). Each HSI band gets a synthetic HR band of its own, the regression of that band on the
MSI bands at low resolution; the details of that band above the HSI's resolution (the band minus
its version blurred by the PSF, decimated and interpolated back: the MTF-matched low-pass of GLP)
are added to the interpolated LR-HSI with a per-band regression gain. It is closed form, fast and
deterministic, and puts our result next to what pansharpening-style tools give. GLP rather than
GSA: its low-pass is the sensor's own PSF, which the degradation model already holds, and it
stays sound when the HR-MSI's bands cover only part of the HSI's range (GSA substitutes one
intensity component for all bands).
"""

from __future__ import annotations

import torch

from ...baselines import bicubic_upsample
from ...degradation import DegradationModel, spatial_degrade
from ...progress import Progress
from ...spectral import fit_ridge_map
from ..base import FusionConfig, FusionMethod

__all__ = ["GLPHS", "glp_hs"]


def glp_hs(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel,
           progress: Progress | None = None) -> torch.Tensor:
    """GLP hyper-sharpening of ``lr_hsi (C, h, w)`` with ``hr_msi (M, H, W)`` under ``model``'s
    PSF and ratio; returns ``(C, H, W)`` in the LR-HSI's dtype."""
    progress = progress or Progress()
    r = model.scale
    z = hr_msi.double()
    progress.update(0.1, "Blurring the HR-MSI to the HSI's resolution")
    lr_msi = spatial_degrade(z[None], model.psf, r)[0]
    progress.update(0.3, "Synthesising one HR band per HSI band")
    synth = fit_ridge_map(lr_msi, lr_hsi)
    progress.update(0.5, "Taking the synthetic bands' details")
    low = synth(bicubic_upsample(lr_msi, r))             # MTF-matched low-pass, on the HR grid
    detail = synth(z) - low
    progress.update(0.7, "Fitting the injection gains")
    smooth = bicubic_upsample(lr_hsi.double(), r)
    lc = low - low.mean((1, 2), keepdim=True)
    sc = smooth - smooth.mean((1, 2), keepdim=True)
    gain = (lc * sc).sum((1, 2)) / (lc * lc).sum((1, 2)).clamp_min(1e-30)
    progress.update(0.9, "Injecting the details")
    return (smooth + gain[:, None, None] * detail).to(lr_hsi.dtype)


class GLPHS(FusionMethod):
    """GLP-HS (:func:`glp_hs`): closed form, no options, the same result for any seed."""

    name = "glp_hs"
    #: A bicubic kernel (2 LR pixels) and the PSF (the runner adds its reach).
    halo_lr_pixels = 2
    #: Output, synthetic bands, their low-pass, the interpolated LR-HSI and the details (float64).
    memory_factor = 12.0
    concurrent_windows = True

    def fuse(self, lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel,
             config: FusionConfig, progress: Progress) -> torch.Tensor:
        self.settings(config)
        fused = glp_hs(lr_hsi.to(config.device), hr_msi.to(config.device), model, progress)
        progress.update(1.0, "GLP-HS done")
        return fused.float()
