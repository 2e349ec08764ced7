"""UAO's compact reconstruction network G (Nie et al., Fig. 2b), guided by the PSF and the SRF.

G refines the rough estimate Ẑ of the backbone into Z = G(Ẑ, k, P). It works on the K
spectral-subspace coefficient maps of the scene (any band count), and receives k and P through
the guidance maps of :mod:`.guidance`. The figure shows two branches, spatial (Ẑ with k) and
spectral (Ẑ with P), merged into the output; the layer sizes are not given. Gap-fill: a 3×3
convolutional spatial branch and a 1×1 (per-pixel) spectral branch of ``width`` maps each,
merged by two 3×3 convolutions into a residual added to Ẑ — compact (about 40k weights for
K = 8) so that its few hundred test-time steps take seconds. The last layer starts at zero, so
an untrained G returns Ẑ unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ReconstructionNet", "LEAKY_SLOPE"]

#: Negative slope of the leaky ReLUs.
LEAKY_SLOPE = 0.2


def _conv3(width_in: int, width_out: int) -> nn.Conv2d:
    return nn.Conv2d(width_in, width_out, 3, padding=1, padding_mode="reflect")


class ReconstructionNet(nn.Module):
    """Guided residual refinement of subspace coefficient maps.

    Args:
        coefficients: K, the number of subspace coefficients.
        width: feature maps per branch.

    Shape:
        rough, detail, visible ``(B, K, H, W)`` → ``(B, K, H, W)``.
    """

    def __init__(self, coefficients: int, width: int = 32) -> None:
        super().__init__()
        act = nn.LeakyReLU(LEAKY_SLOPE)
        self.coefficients, self.width = int(coefficients), int(width)
        self.spatial = nn.Sequential(_conv3(2 * coefficients, width), act, _conv3(width, width))
        self.spectral = nn.Sequential(nn.Conv2d(2 * coefficients, width, 1), act, nn.Conv2d(width, width, 1))
        self.merge = nn.Sequential(act, _conv3(2 * width, width), act, _conv3(width, coefficients))
        last = self.merge[-1]
        assert isinstance(last, nn.Conv2d) and last.bias is not None
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)

    def forward(self, rough: torch.Tensor, detail: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        """Refined coefficients from the rough ones, the spatial and the spectral guidance."""
        spatial = self.spatial(torch.cat([rough, detail], dim=1))
        spectral = self.spectral(torch.cat([rough, visible], dim=1))
        return rough + self.merge(torch.cat([spatial, spectral], dim=1))
