"""UAL's networks (Zhang et al., CVPR 2020, section 3.3-3.4): fusion, adaptation, degeneration.

All work on the ``K`` normalised subspace coefficients of :mod:`fusion_core.pretrained.subspace`
(the spectral layout that lets one pretrained network serve any band count): the "HR-MSI X" of
the paper is the MSI guidance (``K`` channels), "LR-HSI Y" the LR-HSI's coefficients upsampled
bicubically (the paper's footnote 1), and the output ``K`` coefficients.

Gaps filled where the paper is silent:

* guidance blocks ``P_a``, ``P_b`` stack ``M`` convolutional blocks; the last convolution has no
  ReLU, so the shift ``B`` can be negative (as in SFT, the paper's [23]);
* the fusion module adds its output to the MSI guidance (a long skip): the network learns the
  correction of the linear MSI estimate rather than the image itself, which a short CPU
  training can reach (its output convolution starts at zero, so training starts from that
  estimate);
* the adaptation module's output convolution starts at zero, so the two-stage network starts
  from the fusion module's estimate (eq. 8 with ``A = 0``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ..layers import SpaDnet

__all__ = ["MappingBlock", "GuidanceBlock", "MutualGuidingBlock", "SelfGuidingBlock",
           "MutualGuidingFusion", "SelfGuidingAdaptation", "degeneration_network"]


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, padding_mode="replicate")


def _zero(conv: nn.Conv2d) -> nn.Conv2d:
    """``conv`` with weights and bias set to zero (a residual branch that starts as the identity)."""
    nn.init.zeros_(conv.weight)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return conv


class MappingBlock(nn.Sequential):
    """``M`` convolutional blocks (3×3 convolution + ReLU): ``(B, cin, H, W)`` → ``(B, width, H, W)``."""

    def __init__(self, cin: int, width: int, depth: int) -> None:
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [_conv(cin if i == 0 else width, width), nn.ReLU(inplace=True)]
        super().__init__(*layers)


class GuidanceBlock(nn.Sequential):
    """``P_a`` or ``P_b``: ``M`` convolutional blocks, the last without ReLU."""

    def __init__(self, cin: int, width: int, depth: int) -> None:
        layers: list[nn.Module] = []
        for i in range(depth):
            layers.append(_conv(cin if i == 0 else width, width))
            if i < depth - 1:
                layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class MutualGuidingBlock(nn.Module):
    """Eqs. 6-7: each of three features becomes ``F ⊙ A + B`` with ``A``, ``B`` computed from the
    concatenation of itself and the other two (the same ``P_a``, ``P_b`` for all three)."""

    def __init__(self, width: int, depth: int) -> None:
        super().__init__()
        self.scale = GuidanceBlock(3 * width, width, depth)
        self.shift = GuidanceBlock(3 * width, width, depth)

    def forward(self, fx: torch.Tensor, fy: torch.Tensor, fxy: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = []
        for own, a, b in ((fx, fy, fxy), (fy, fx, fxy), (fxy, fx, fy)):
            joint = torch.cat([own, a, b], 1)
            out.append(own * self.scale(joint) + self.shift(joint))
        return tuple(out)


class SelfGuidingBlock(nn.Module):
    """Eq. 9: ``F ⊙ A + B`` with ``A``, ``B`` computed from ``F`` alone."""

    def __init__(self, width: int, depth: int) -> None:
        super().__init__()
        self.scale = GuidanceBlock(width, width, depth)
        self.shift = GuidanceBlock(width, width, depth)

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return f * self.scale(f) + self.shift(f)


class MutualGuidingFusion(nn.Module):
    """The pretrained fusion module (section 3.4.1): three branches (X, Y, [X; Y]), each a
    mapping block followed by the shared mutual-guiding block, concatenated and convolved.

    Args:
        k: subspace coefficients in and out.
        width: kernels per convolution (64 in the paper).
        depth: convolutional blocks per mapping and guidance block (``M = 3`` in the paper).

    Shape:
        ``forward(guidance, upsampled)``: two ``(B, K, H, W)`` → ``(B, K, H, W)``, the rough
        estimate ``Z̃`` in normalised coefficients.
    """

    #: The JSON record of the pretrained weights (set by :func:`~.pretrained.load_pretrained_fusion`).
    record: dict[str, Any]

    def __init__(self, k: int, width: int = 64, depth: int = 3) -> None:
        super().__init__()
        self.k, self.width, self.depth = k, width, depth
        self.map_x = MappingBlock(k, width, depth)
        self.map_y = MappingBlock(k, width, depth)
        self.map_xy = MappingBlock(2 * k, width, depth)
        self.guide = MutualGuidingBlock(width, depth)
        self.out = _conv(3 * width, k)
        _zero(self.out)

    def forward(self, guidance: torch.Tensor, upsampled: torch.Tensor) -> torch.Tensor:
        fx, fy, fxy = self.guide(self.map_x(guidance), self.map_y(upsampled),
                                 self.map_xy(torch.cat([guidance, upsampled], 1)))
        return guidance + self.out(torch.cat([fx, fy, fxy], 1))


class SelfGuidingAdaptation(nn.Module):
    """The light adaptation module (section 3.4.2): ``Ẑ = Z̃ + A(Z̃)`` with ``A`` a mapping block,
    a self-guiding block and an output convolution (zero at the start).

    Shape:
        ``(B, K, H, W)`` → ``(B, K, H, W)``.
    """

    def __init__(self, k: int, width: int = 64, depth: int = 3) -> None:
        super().__init__()
        self.body = nn.Sequential(MappingBlock(k, width, depth), SelfGuidingBlock(width, depth))
        self.out = _conv(width, k)
        _zero(self.out)

    def forward(self, rough: torch.Tensor) -> torch.Tensor:
        return rough + self.out(self.body(rough))


def degeneration_network(psf: np.ndarray, scale: int, size: int) -> SpaDnet:
    """The degeneration network ``H`` (section 3.3): one convolution with a ``size × size`` kernel
    and stride ``r``, started from ``psf`` (the estimated PSF) placed on the same LR block.

    The kernel is kept non-negative and summing to one (UDALN's :class:`SpaDnet`), so it stays a
    PSF in the engine's convention; ``size`` below the PSF's own size keeps the PSF's size.
    """
    k = np.asarray(psf, dtype=np.float64)
    size = max(int(size), k.shape[0], k.shape[1], scale)
    kernel = np.zeros((size, size))
    top = (size - scale) // 2 - (k.shape[0] - scale) // 2
    left = (size - scale) // 2 - (k.shape[1] - scale) // 2
    kernel[top : top + k.shape[0], left : left + k.shape[1]] = k
    return SpaDnet(kernel, scale)
