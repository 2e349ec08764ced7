"""The crop the noise, and the report's crop-level figures, are measured on: the most textured
LR rectangle of at most :data:`CROP_HR_PIXELS` HR pixels a side.

The fusion (the disagreement map's normal value) and the report measure the inputs' noise on this
one crop, so both judge the same residuals against the same noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from ..io.pair import scaled_rect

if TYPE_CHECKING:
    from ..windows.sampling import Texture
    from ..windows.source import Source

__all__ = ["report_crop", "crop_pixels", "CROP_HR_PIXELS"]

#: Side of the crop (HR pixels) the crop-level figures are computed on.
CROP_HR_PIXELS = 192


def report_crop(source: "Source", scale: int, texture: Optional["Texture"] = None) -> tuple[int, int, int, int]:
    """LR rectangle of the crop the noise and the crop-level figures are measured on, chosen on
    ``texture`` (the run's; None: the LR-HSI is sampled for it)."""
    from ..windows.sampling import Texture, estimation_crop

    side = max(CROP_HR_PIXELS // scale, 8)
    if texture is None:
        step = source.sample_step(2_000_000)
        texture = Texture.of(source.read_lr_sample(step), step)
    return estimation_crop(texture, source.lr_shape, side)


def crop_pixels(source: "Source", scale: int, texture: Optional["Texture"] = None
                ) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]:
    """The report's crop (:func:`report_crop`) and both inputs over it (nodata as NaN): what
    the inputs' noise is measured on."""
    rect = report_crop(source, scale, texture)
    return rect, source.read_lr(rect), source.read_hr(scaled_rect(rect, scale))
