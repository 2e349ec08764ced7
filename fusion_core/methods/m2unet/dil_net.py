"""DIL-Net, stage 1 of M2U-Net: the PSF and SRF learned from the two inputs.

M2U-Net models the spatial degradation as a depthwise convolution with one shared kernel and
stride r (eq. 7) and the spectral one as a pointwise convolution (eq. 8), both non-negative and
summing to one. That is exactly UDALN's SpaDnet and SpeDnet, so DIL-Net is a pair of them; the
only differences are the initialisation and that M2U-Net lets every MSI band integrate every
HSI band (its pointwise layer is dense, there is no support set).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...degradation import DegradationModel
from ..layers import SpaDnet, SpeDnet

__all__ = ["DILNet"]


class DILNet(nn.Module):
    """The learnable degradation of M2U-Net: a PSF (``spatial``) and an SRF (``spectral``).

    Args:
        spatial: SpaDnet holding the PSF ``(K, K)`` and the ratio r.
        spectral: SpeDnet holding the SRF ``(C, M)``.

    Shape:
        ``forward(lr_hsi (B, C, h, w), hr_msi (B, M, r h, r w))`` → the two low-resolution MSIs
        ``K1 = spectral(lr_hsi)`` and ``K2 = spatial(hr_msi)``, both ``(B, M, h, w)`` (eq. 6).
    """

    def __init__(self, spatial: SpaDnet, spectral: SpeDnet) -> None:
        super().__init__()
        self.spatial = spatial
        self.spectral = spectral

    @classmethod
    def paper_init(cls, scale: int, hsi_bands: int, msi_bands: int) -> "DILNet":
        """The authors' initialisation: an ``r × r`` box PSF and a flat SRF (every weight 1/C)."""
        dense = np.ones((hsi_bands, msi_bands), dtype=bool)
        return cls(SpaDnet.uniform(scale), SpeDnet(np.full(dense.shape, 1.0 / hsi_bands), dense))

    @classmethod
    def from_model(cls, model: DegradationModel) -> "DILNet":
        """Start from a given model's PSF (its own size K >= r) and SRF, to be refined."""
        dense = np.ones(model.srf.shape, dtype=bool)
        return cls(SpaDnet(model.psf, model.scale), SpeDnet(model.srf, dense))

    @property
    def scale(self) -> int:
        """The resolution ratio r."""
        return self.spatial.scale

    @property
    def psf(self) -> torch.Tensor:
        """The current PSF ``(K, K)``."""
        return self.spatial.psf

    @property
    def srf(self) -> torch.Tensor:
        """The current SRF ``(C, M)``."""
        return self.spectral.srf

    def forward(
        self, lr_hsi: torch.Tensor, hr_msi: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.spectral(lr_hsi), self.spatial(hr_msi)

    @torch.no_grad()
    def project(self) -> None:
        """Back onto the constraints after an optimiser step: non-negative, summing to one."""
        self.spatial.project()
        self.spectral.project()
