"""Learnable degradation layers shared by the deep methods: SpaDnet (PSF) and SpeDnet (SRF).

Introduced by UDALN (Li et al., GRSL 2022, eqs. 6-7) and reused by M2U-Net's DIL-Net, the
stable VAE's free-form degradation, UAL's degeneration network and UAO's alternating loop. They
hold the degradation model as learnable, physically constrained tensors and apply it with the
engine's operators (:func:`~fusion_core.degradation.spatial_degrade`,
:func:`~fusion_core.degradation.spectral_degrade`), so what they learn is directly a PSF and an
SRF in the engine's conventions. Both normalise their weights in the forward pass (the
sum-to-one of UDALN eq. 6) and offer :meth:`project`, called after each optimiser step, which
clips the weights at zero and rescales them (non-negativity).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar, Union

import numpy as np
import torch
from torch import nn

from ..degradation import spatial_degrade, spectral_degrade

if TYPE_CHECKING:
    from ..degradation import DegradationModel

__all__ = ["SpaDnet", "SpeDnet", "srf_support", "degradation_modules", "SUPPORT_THRESHOLD"]

P = TypeVar("P", bound=nn.Module)
S = TypeVar("S", bound=nn.Module)

#: Rows of an SRF column below this fraction of the column's peak lie outside its support.
SUPPORT_THRESHOLD = 1e-3


class SpaDnet(nn.Module):
    """Spatial degradation network (UDALN eq. 7): one PSF shared by all bands, stride r.

    Args:
        psf: initial kernel ``(K, K)``, ``K >= scale``; the paper uses ``K = r`` initialised to
            the mean ``1 / r²`` (see :meth:`uniform`).
        scale: resolution ratio r.

    Shape:
        ``(B, C, H, W)`` → ``(B, C, H / r, W / r)``.
    """

    def __init__(self, psf: np.ndarray | torch.Tensor, scale: int) -> None:
        super().__init__()
        self.scale = int(scale)
        self.weight = nn.Parameter(torch.as_tensor(psf, dtype=torch.float32).detach().clone())

    @classmethod
    def uniform(cls, scale: int) -> "SpaDnet":
        """The paper's initialisation: an ``r × r`` box kernel (every weight ``1 / r²``)."""
        return cls(np.full((scale, scale), 1.0 / scale**2), scale)

    @property
    def psf(self) -> torch.Tensor:
        """The current PSF ``(K, K)``: non-negative, sums to one."""
        return self.weight / self.weight.sum()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return spatial_degrade(x, self.psf, self.scale)

    @torch.no_grad()
    def project(self) -> None:
        """Clip the weights at zero and rescale them to sum to one."""
        self.weight.clamp_(min=0.0)
        self.weight.div_(self.weight.sum())


class SpeDnet(nn.Module):
    """Spectral degradation network (UDALN eq. 6): each MSI band a weighted mean of its HSI bands.

    Equivalent to the paper's 1×1 convolution whose j-th kernel covers the support set of
    MSI band j: weights outside the support are held at zero, and each column is divided by its
    sum.

    Args:
        srf: initial weights ``(C, M)``.
        support: boolean mask ``(C, M)`` of the HSI bands each MSI band may integrate.

    Shape:
        ``(B, C, H, W)`` → ``(B, M, H, W)``.
    """

    support: torch.Tensor

    def __init__(self, srf: np.ndarray | torch.Tensor, support: np.ndarray | torch.Tensor) -> None:
        super().__init__()
        mask = torch.as_tensor(support, dtype=torch.float32)
        self.register_buffer("support", mask)
        self.weight = nn.Parameter(torch.as_tensor(srf, dtype=torch.float32).detach() * mask)

    @property
    def srf(self) -> torch.Tensor:
        """The current SRF ``(C, M)``: non-negative, zero off the support, columns sum to one."""
        w = self.weight * self.support
        return w / w.sum(dim=0, keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return spectral_degrade(x, self.srf)

    @torch.no_grad()
    def project(self) -> None:
        """Clip the weights at zero, zero them off the support, rescale columns to sum to one."""
        self.weight.clamp_(min=0.0).mul_(self.support)
        self.weight.div_(self.weight.sum(dim=0, keepdim=True))


def srf_support(srf: np.ndarray, threshold: float = SUPPORT_THRESHOLD) -> np.ndarray:
    """Support sets of an SRF ``(C, M)``: per column, the contiguous run of HSI bands from the
    first to the last one whose response reaches ``threshold`` × the column's peak. Boolean
    ``(C, M)``."""
    s = np.asarray(srf, dtype=np.float64)
    mask = np.zeros(s.shape, dtype=bool)
    for j in range(s.shape[1]):
        rows = np.flatnonzero(s[:, j] >= threshold * s[:, j].max())
        mask[rows[0] : rows[-1] + 1, j] = True
    return mask


def degradation_modules(model: "DegradationModel", from_model: bool,
                        paper: Callable[[int, np.ndarray], tuple[P, S]], device: torch.device
                        ) -> tuple[Union[SpaDnet, P], Union[SpeDnet, S]]:
    """The PSF and SRF modules a method learns, on ``device``: SpaDnet and SpeDnet starting from
    ``model`` (``from_model``), else the paper's own start ``paper(ratio, SRF supports)``; both
    keep the SRF's supports (:func:`srf_support`)."""
    support = srf_support(model.srf)
    spa: Union[SpaDnet, P]
    spe: Union[SpeDnet, S]
    if from_model:
        spa, spe = SpaDnet(model.psf, model.scale), SpeDnet(model.srf, support)
    else:
        spa, spe = paper(model.scale, support)
    return spa.to(device), spe.to(device)
