"""Dual U-Net, stage 3 of M2U-Net: the deep image prior that generates the HR-HSI.

Two U-Nets of ``P`` feature maps run side by side on three scales (full, 1/2, 1/4 per side):
the auxiliary one on the HR-MSI, the principal one on the initial image from SML-Net. At every
scale a cross-attention guidance (CAG) module couples them: the auxiliary features decide how
much of each principal feature map passes (Figs. 4-5, eqs. 12-15). A pointwise layer and a
sigmoid give the C bands of the result.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .sml_net import LEAKY_SLOPE, init_kaiming

__all__ = ["CAGModule", "DualUNet"]

#: Size of the CAG convolutions (the authors' code; the paper does not give it).
CAG_KERNEL = 5
#: Channel reduction inside the CAG attention branch (the authors' code).
CAG_REDUCTION = 5
#: Maps each skip connection adds to the upsampling path (the authors' code).
SKIP_CHANNELS = 2


def _conv_bn(width_in: int, width_out: int, kernel: int) -> nn.Sequential:
    """Convolution, batch normalisation and leaky ReLU, the unit of every Dual U-Net layer."""
    return nn.Sequential(
        nn.Conv2d(width_in, width_out, kernel_size=kernel, padding=kernel // 2),
        nn.BatchNorm2d(width_out),
        nn.LeakyReLU(LEAKY_SLOPE),
    )


class CAGModule(nn.Module):
    """Cross-attention guidance (Fig. 5).

    Both inputs go through a convolution, batch norm and leaky ReLU (``X_M`` and ``Z_1``); the
    auxiliary features ``Z_1`` are pooled over the window and squeezed through two pointwise
    layers into one sigmoid weight per feature map, which scales ``X_M``.

    Shape:
        ``forward(x (B, Cx, H, W), z (B, Cz, H, W))`` → ``(x_out, z_out)``, both ``(B, P, H, W)``.
    """

    def __init__(self, x_channels: int, z_channels: int, width: int) -> None:
        super().__init__()
        hidden = max(1, width // CAG_REDUCTION)
        self.principal = _conv_bn(x_channels, width, CAG_KERNEL)
        self.auxiliary = _conv_bn(z_channels, width, CAG_KERNEL)
        self.attention = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(width, hidden, kernel_size=1),
            nn.ReLU(),
            nn.Conv2d(hidden, width, kernel_size=1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z_out = self.auxiliary(z)
        return self.attention(z_out) * self.principal(x), z_out


class DualUNet(nn.Module):
    """The Dual U-Net generator (Fig. 4).

    Down path: CAG at full scale, average pooling to half the size per side, CAG, pooling to a
    quarter, CAG. Up path: bilinear upsampling, concatenation with a skip connection (pointwise
    convolution, batch norm, leaky ReLU to ``SKIP_CHANNELS`` maps) of the same scale of the down
    path, CAG; twice. Last: pointwise convolution to C bands and a sigmoid, so the output lies
    in (0, 1).

    Args:
        hsi_bands: C, bands of the initial image and of the output.
        msi_bands: M, bands of the HR-MSI.
        width: P, feature maps of every layer (the paper's P = 260).

    Shape:
        ``forward(x_input (B, C, H, W), hr_msi (B, M, H, W))`` → ``(B, C, H, W)``.
    """

    def __init__(self, hsi_bands: int, msi_bands: int, width: int) -> None:
        super().__init__()
        wide = width + SKIP_CHANNELS
        self.down1 = CAGModule(hsi_bands, msi_bands, width)
        self.down2 = CAGModule(width, width, width)
        self.bottom = CAGModule(width, width, width)
        self.up2 = CAGModule(wide, wide, width)
        self.up1 = CAGModule(wide, wide, width)
        self.skips = nn.ModuleDict({
            name: _conv_bn(width, SKIP_CHANNELS, 1)
            for name in ("x_half", "z_half", "x_full", "z_full")
        })
        self.head = nn.Sequential(nn.Conv2d(width, hsi_bands, kernel_size=1), nn.Sigmoid())
        self.apply(init_kaiming)

    def forward(self, x_input: torch.Tensor, hr_msi: torch.Tensor) -> torch.Tensor:
        h, w = x_input.shape[-2:]
        full = (h, w)
        half = (max(1, h // 2), max(1, w // 2))
        quarter = (max(1, h // 4), max(1, w // 4))
        x1, z1 = self.down1(x_input, hr_msi)
        x3, z3 = self.down2(F.adaptive_avg_pool2d(x1, half), F.adaptive_avg_pool2d(z1, half))
        x5, z5 = self.bottom(F.adaptive_avg_pool2d(x3, quarter), F.adaptive_avg_pool2d(z3, quarter))
        x7, z7 = self.up2(
            torch.cat([self.skips["x_half"](x3), _resize(x5, half)], dim=1),
            torch.cat([self.skips["z_half"](z3), _resize(z5, half)], dim=1),
        )
        x9, _ = self.up1(
            torch.cat([self.skips["x_full"](x1), _resize(x7, full)], dim=1),
            torch.cat([self.skips["z_full"](z1), _resize(z7, full)], dim=1),
        )
        return self.head(x9)


def _resize(x: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)
