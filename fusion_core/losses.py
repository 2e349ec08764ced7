"""Losses shared by the unsupervised fusion methods.

The seeds train on the two observations only, so their losses compare images through the
degradation model: the fused HR-HSI, degraded, must give back the inputs, and the LR-HSI and the
HR-MSI, degraded to their common low-resolution multispectral form, must agree. Both go through
the single implementation of the operators in :mod:`fusion_core.degradation`.

Tensors are ``(B, C, H, W)``; PSF ``(K, K)`` and SRF ``(C, M)`` may be learnable tensors.
"""

from __future__ import annotations

import torch

from .degradation import spatial_degrade, spectral_degrade
from .errors import InputError

__all__ = ["l1_loss", "cross_degradation_loss", "reconstruction_loss"]


def l1_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error, ``||target - prediction||_1 / N`` (UDALN eqs. 8, 11, 15, 16)."""
    if prediction.shape != target.shape:
        raise InputError(
            f"L1 loss needs images of the same shape, got {tuple(prediction.shape)} and "
            f"{tuple(target.shape)}."
        )
    return (prediction - target).abs().mean()


def cross_degradation_loss(
    lr_hsi: torch.Tensor, hr_msi: torch.Tensor, psf: torch.Tensor, srf: torch.Tensor, scale: int
) -> torch.Tensor:
    """L1 distance between the LR-HSI degraded spectrally and the HR-MSI degraded spatially.

    Both are the low-resolution MSI ``(B, M, h, w)`` when ``psf`` and ``srf`` are right (UDALN
    eq. 5 and 8, M2U-Net eq. 9), which is what lets the two be learned from the inputs alone.
    """
    return l1_loss(spectral_degrade(lr_hsi, srf), spatial_degrade(hr_msi, psf, scale))


def reconstruction_loss(
    hr_hsi: torch.Tensor,
    lr_hsi: torch.Tensor,
    hr_msi: torch.Tensor,
    psf: torch.Tensor,
    srf: torch.Tensor,
    scale: int,
) -> torch.Tensor:
    """Model-constrained loss of a fused image ``(B, C, H, W)``: how well it explains both inputs.

    The sum of the L1 errors of its spectral degradation against the HR-MSI and of its spatial
    degradation against the LR-HSI (UDALN eqs. 15 + 16, M2U-Net eq. 16).
    """
    return l1_loss(spectral_degrade(hr_hsi, srf), hr_msi) + l1_loss(
        spatial_degrade(hr_hsi, psf, scale), lr_hsi
    )
