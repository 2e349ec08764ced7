"""Reference points every fusion result is compared with."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["bicubic_upsample"]


def bicubic_upsample(lr_hsi: torch.Tensor, scale: int) -> torch.Tensor:
    """Bicubic interpolation of an LR image ``(C, h, w)`` or ``(B, C, h, w)`` by ``scale``.

    LR pixel centres land on the centres of their HR blocks (``align_corners=False``), the
    convention of :func:`fusion_core.degradation.spatial_degrade`.
    """
    x = lr_hsi if lr_hsi.ndim == 4 else lr_hsi[None]
    up = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)
    return up if lr_hsi.ndim == 4 else up[0]
