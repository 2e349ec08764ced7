"""SML-Net, stage 2 of M2U-Net: two per-pixel spectral maps from MSI bands to HSI bands.

Each stream is a cascade of cross-channel interaction and enhancement (CIE) modules, each
doubling the number of bands (M → 2M → 4M …), then a pointwise layer to the C HSI bands. One
stream learns to map the LR-MSI obtained from the LR-HSI through the SRF (``K1``) back to the
LR-HSI, the other the LR-MSI obtained from the HR-MSI through the PSF (``K2``), eq. 10. Applied
to the HR-MSI, the mean of the two streams is the initial image of stage 3, eq. 11.
All convolutions are 1×1, so the network acts on each pixel's spectrum alone.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["CIEModule", "SMLStream", "SMLNet", "init_kaiming"]

#: Negative slope of the leaky ReLUs (the authors' code).
LEAKY_SLOPE = 0.2
#: Feature maps inside a CIE module, split into three equal parts (the authors' code).
CIE_WIDTH = 60
CIE_PARTS = 3


def _pointwise(width_in: int, width_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(width_in, width_out, kernel_size=1), nn.LeakyReLU(LEAKY_SLOPE))


def init_kaiming(module: nn.Module) -> None:
    """The authors' initialisation: He-normal convolution weights, zero biases, and batch-norm
    scales drawn around 1 (σ = 0.02). Apply with ``net.apply(init_kaiming)``."""
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, a=0, mode="fan_in")
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class CIEModule(nn.Module):
    """Cross-channel interaction and enhancement (Fig. 3, left).

    A pointwise layer lifts the input to ``CIE_WIDTH`` maps, split into three parts; each part,
    plus the output of the part before it, goes through its own pointwise layer; the three
    outputs are concatenated, added to the lifted maps (skip connection), and a last pointwise
    layer gives ``width_out`` maps. Every layer is followed by a leaky ReLU.

    Shape:
        ``(B, width_in, H, W)`` → ``(B, width_out, H, W)``.
    """

    def __init__(self, width_in: int, width_out: int) -> None:
        super().__init__()
        part = CIE_WIDTH // CIE_PARTS
        self.lift = _pointwise(width_in, CIE_WIDTH)
        self.parts = nn.ModuleList(_pointwise(part, part) for _ in range(CIE_PARTS))
        self.out = _pointwise(CIE_WIDTH, width_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lifted = self.lift(x)
        outputs: list[torch.Tensor] = []
        for chunk, layer in zip(lifted.chunk(CIE_PARTS, dim=1), self.parts):
            outputs.append(layer(chunk if not outputs else chunk + outputs[-1]))
        return self.out(lifted + torch.cat(outputs, dim=1))


class SMLStream(nn.Sequential):
    """One stream: CIE modules doubling M up to the largest ``M · 2^k <= C``, then a pointwise
    layer (with leaky ReLU) to C bands.

    Shape:
        ``(B, M, H, W)`` → ``(B, C, H, W)``.
    """

    def __init__(self, msi_bands: int, hsi_bands: int) -> None:
        doublings = max(0, int(math.floor(math.log2(hsi_bands / msi_bands))))
        widths = [msi_bands * 2**i for i in range(doublings + 1)]
        super().__init__(
            *(CIEModule(a, b) for a, b in zip(widths[:-1], widths[1:])),
            _pointwise(widths[-1], hsi_bands),
        )


class SMLNet(nn.Module):
    """The two-stream spectral mapping learning network (Fig. 3).

    Shape:
        ``forward(k1 (B, M, H, W), k2 (B, M, H, W))`` → ``(y1, y2)``, both ``(B, C, H, W)``.
    """

    def __init__(self, msi_bands: int, hsi_bands: int) -> None:
        super().__init__()
        self.stream1 = SMLStream(msi_bands, hsi_bands)
        self.stream2 = SMLStream(msi_bands, hsi_bands)
        self.apply(init_kaiming)

    def forward(self, k1: torch.Tensor, k2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.stream1(k1), self.stream2(k2)

    def initial_image(self, hr_msi: torch.Tensor) -> torch.Tensor:
        """Eq. 11: the mean of both streams applied to the HR-MSI.

        Shape:
            ``(B, M, H, W)`` → ``(B, C, H, W)``.
        """
        x1, x2 = self(hr_msi, hr_msi)
        return 0.5 * (x1 + x2)
