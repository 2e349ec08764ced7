"""UDALN's own module, SpeUnet (spectral inverse map), and the paper's SRF initialisation.

Its other two modules, SpaDnet (PSF) and SpeDnet (SRF), are shared with the other deep methods
(:mod:`fusion_core.methods.layers`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = ["SpeUnet", "gaussian_srf"]

#: Width (in HSI bands) of the Gaussian that initialises each SRF column, as in the authors' code.
GAUSSIAN_SRF_SIGMA_BANDS = 3.5
#: Negative slope of SpeUnet's leaky ReLUs (the authors' code).
LEAKY_SLOPE = 0.2


class SpeUnet(nn.Module):
    """Spectral upsampling network (UDALN eq. 10): a per-pixel map from M to C bands.

    1×1 convolutions that double the number of feature maps at each layer, from M up to the
    largest ``M · 2^k <= C``, then one to C; each is followed by a leaky ReLU (slope 0.2, the
    authors' code, which also keeps the output leaky rather than clamped). Weights start from
    torch's default initialisation, as in the authors' code. The 1×1 convolutions are computed
    as linear layers over the band axis: the same map, about ten times faster on a CPU.

    Shape:
        ``(B, M, H, W)`` → ``(B, C, H, W)``.
    """

    def __init__(self, msi_bands: int, hsi_bands: int) -> None:
        super().__init__()
        doublings = max(0, int(math.floor(math.log2(hsi_bands / msi_bands))))
        widths = [msi_bands * 2**i for i in range(doublings + 1)] + [hsi_bands]
        layers: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(width_in, width_out), nn.LeakyReLU(LEAKY_SLOPE)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.movedim(1, -1)).movedim(-1, 1)


def gaussian_srf(support: np.ndarray, sigma_bands: float = GAUSSIAN_SRF_SIGMA_BANDS) -> np.ndarray:
    """The authors' SRF initialisation: a Gaussian across each column's support, centred on it.

    Args:
        support: boolean ``(C, M)`` from :func:`srf_support`.
        sigma_bands: standard deviation in HSI bands.

    Returns:
        ``(C, M)`` weights, zero off the support, columns summing to one.
    """
    srf = np.zeros(support.shape, dtype=np.float64)
    for j in range(support.shape[1]):
        rows = np.flatnonzero(support[:, j])
        offsets = np.arange(rows.size) - (rows.size - 1) / 2.0
        column = np.exp(-(offsets**2) / (2.0 * sigma_bands**2))
        srf[rows, j] = column / column.sum()
    return srf
