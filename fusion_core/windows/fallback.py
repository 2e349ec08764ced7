"""Where the HR-MSI has no value or disagrees with the LR-HSI: the LR-HSI alone brought to the HR grid.

A cloud or its shadow in one image only, or a change between the acquisition dates, is seen by
the HR-MSI and not by the LR-HSI (or the other way round); a fusion method paints the HR-MSI's
content into the result there. Where the HR-MSI has no value (its nodata, a product's quality
mask) a method has nothing to fuse. The LR pixels of both kinds (found once before the windows,
:mod:`fusion_core.pipeline.disagreement`; disagreement when DISAGREEMENT_FROM_HSI asks for it, the
default) are taken from the LR-HSI alone:

* their HR-MSI blocks are blanked (NaN) before the method sees the window
  (:meth:`HsiFallback.blank`), so what differs never enters its fits, as masked pixels do not;
* the flagged LR pixels' HR blocks (gaps of one LR pixel closed, holes filled), widened by
  the PSF's reach beyond a block (an HR pixel that far away still enters a flagged LR pixel, so
  a transition is not left half-fused), take the LR-HSI alone; a linear ramp over
  :func:`feather_pixels` HR pixels beyond blends it into the fused surroundings, which are
  left bit for bit as the method fused them;
* the LR-HSI alone at HR is its bicubic interpolation corrected so that it gives the LR-HSI back
  through the estimated PSF (:func:`upsample_hsi`: SSCF's data-consistency solve, in closed
  form), so it lies on the same geometry as the fused result, also when the PSF is off centre.

The weights depend only on the scene's mask, so every window computes the same weights for the
HR pixels they share and the windows' blending is unchanged. Where the LR-HSI has no value the
result is NaN (nodata).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
from scipy import ndimage

from ..baselines import bicubic_upsample
from ..degradation import DegradationModel, spatial_degrade
from ..degradation.operators import psf_padding
from ..methods.gaps import fill_invalid
from .layout import Window

__all__ = ["HsiFallback", "upsample_hsi", "with_hsi_fallback", "reach_pixels", "feather_pixels",
           "lr_valid_hr", "SMOOTHNESS"]

#: LR pixels around the blended area that the upsampling sees (bicubic support and the
#: consistency solve's border): a window then computes the values the whole image would, to
#: about 1e-5 of their range.
_CONTEXT_LR = 8
#: Weight ``τ r²`` of the correction's gradient (:func:`~fusion_core.methods.sscf.solver.fourier_correction`):
#: small, so the LR-HSI comes back through the PSF to about 1 % of the bicubic image's residual
#: (on the sample scene; PSNR against the truth no lower than with any other weight tried).
SMOOTHNESS = 0.01


def reach_pixels(model: DegradationModel) -> int:
    """HR pixels beyond an LR pixel's block that its PSF reads."""
    return max(max(psf_padding(n, model.scale)) for n in model.psf.shape)


def feather_pixels(scale: int) -> int:
    """HR pixels of the ramp from the LR-HSI alone to the fused result: one LR pixel, at least 3."""
    return max(scale, 3)


@dataclass(frozen=True)
class HsiFallback:
    """The scene's masks of LR pixels taken from the LR-HSI alone, packed small enough to travel
    with each window's task.

    Two kinds of LR pixels are replaced. Where the images *disagree*, the HR pixels within the
    PSF's :attr:`reach` around the flagged blocks are replaced too (an HR pixel that far away
    still enters a flagged LR pixel). Where the HR-MSI merely *has no value* (nodata, a quality
    mask), only the blocks themselves are: around them the HR-MSI is valid and fused as it is
    (on a delivered EnMAP + Sentinel-2 pair with a flagged cloud, widening the cloud's blocks by
    the reach took 5 % of the clear scene from the LR-HSI alone at 21 dB where the fusion gave
    36).

    Attributes:
        bits: the ``(h, w)`` LR mask of disagreement (True: replaced), :func:`numpy.packbits` of it.
        gap_bits: the same for the LR pixels whose HR-MSI block lacks values.
        lr_shape: ``(h, w)`` of the fused area.
        reach: HR pixels around the disagreeing blocks taken from the LR-HSI alone.
        feather: HR pixels of the ramp beyond the replaced pixels.
    """

    bits: np.ndarray
    gap_bits: np.ndarray
    lr_shape: tuple[int, int]
    reach: int
    feather: int

    @classmethod
    def build(cls, mask: np.ndarray, model: DegradationModel,
              gaps: Optional[np.ndarray] = None) -> "HsiFallback":
        """The fallback of an LR disagreement ``mask`` ``(h, w)`` (its holes filled and its gaps
        of one LR pixel closed: one change whose contrast dips below the threshold in places is
        replaced whole) and of the LR pixels ``gaps`` whose HR-MSI block lacks values."""
        flagged = np.asarray(mask, bool)
        whole = ndimage.binary_fill_holes(flagged | ndimage.binary_closing(flagged, np.ones((3, 3))))
        missing = np.zeros_like(flagged) if gaps is None else np.asarray(gaps, bool)
        shape = (int(mask.shape[0]), int(mask.shape[1]))
        return cls(np.packbits(whole, axis=None), np.packbits(missing, axis=None), shape,
                   reach_pixels(model), feather_pixels(model.scale))

    def _unpacked(self, bits: np.ndarray) -> np.ndarray:
        h, w = self.lr_shape
        return np.unpackbits(bits, count=h * w).reshape(h, w).astype(bool)

    @property
    def mask(self) -> np.ndarray:
        """The ``(h, w)`` LR mask of every replaced pixel (disagreement or HR-MSI gap)."""
        return self._unpacked(self.bits) | self._unpacked(self.gap_bits)

    def weights(self, lr_rect: tuple[int, int, int, int], scale: int) -> np.ndarray:
        """``(rows r, cols r)`` float32 weight of the LR-HSI alone over the HR pixels of the LR
        rectangle ``lr_rect`` ``(row0, col0, rows, cols)``: 1 on the replaced blocks (and within
        :attr:`reach` of the disagreeing ones), falling linearly to 0 over :attr:`feather` HR
        pixels beyond."""
        row0, col0, rows, cols = lr_rect
        margin = math.ceil((self.reach + self.feather) / scale) + 1
        distance = np.full((rows * scale + 2 * margin * scale, cols * scale + 2 * margin * scale),
                           np.inf)
        for bits, reach in ((self.bits, self.reach), (self.gap_bits, 0)):
            around = self._around(self._unpacked(bits), lr_rect, margin)
            if around.any():
                blocks = np.kron(around, np.ones((scale, scale), bool))
                distance = np.minimum(distance, ndimage.distance_transform_edt(~blocks) - reach)
        weight = np.clip((self.feather - distance) / self.feather, 0.0, 1.0)
        inner = slice(margin * scale, -margin * scale)
        return weight[inner, inner].astype(np.float32)

    def _around(self, mask: np.ndarray, lr_rect: tuple[int, int, int, int], margin: int) -> np.ndarray:
        """``mask`` over ``lr_rect`` and ``margin`` LR pixels around it (False off the scene)."""
        row0, col0, rows, cols = lr_rect
        h, w = self.lr_shape
        a0, b0 = max(row0 - margin, 0), min(row0 + rows + margin, h)
        c0, d0 = max(col0 - margin, 0), min(col0 + cols + margin, w)
        around = np.zeros((rows + 2 * margin, cols + 2 * margin), bool)
        around[a0 - row0 + margin:b0 - row0 + margin, c0 - col0 + margin:d0 - col0 + margin] = \
            mask[a0:b0, c0:d0]
        return around

    def blank(self, hr_msi: np.ndarray, lr_rect: tuple[int, int, int, int], scale: int) -> np.ndarray:
        """The HR-MSI ``(M, rows r, cols r)`` of the LR rectangle ``lr_rect`` with the HR blocks
        of the replaced LR pixels set to NaN (a copy; ``hr_msi`` itself when none is there)."""
        row0, col0, rows, cols = lr_rect
        flagged = self.mask[row0:row0 + rows, col0:col0 + cols]
        if not flagged.any():
            return hr_msi
        out = hr_msi.copy()
        out[:, np.kron(flagged, np.ones((scale, scale), bool))] = np.nan
        return out


def upsample_hsi(lr_hsi: np.ndarray, model: DegradationModel) -> np.ndarray:
    """The LR-HSI ``(C, h, w)`` alone on the HR grid ``(C, h r, w r)``, float32: bicubic
    interpolation plus the smallest smooth correction after which blurring by the model's PSF
    and decimating gives the LR-HSI back (SSCF's data-consistency solve with a small
    :data:`SMOOTHNESS`)."""
    from ..methods.sscf.solver import fourier_correction

    r = model.scale
    y = torch.from_numpy(np.ascontiguousarray(lr_hsi, dtype=np.float32))
    first = bicubic_upsample(y, r)
    residual = y - spatial_degrade(first[None], model.psf, r)[0]
    delta = fourier_correction(residual, model.psf, r, SMOOTHNESS,
                               torch.zeros(y.shape[0], dtype=torch.float64))
    return (first + delta).numpy()


def lr_valid_hr(lr_hsi: np.ndarray, scale: int) -> np.ndarray:
    """``(h r, w r)``: the HR pixels whose LR pixel has a value in every band of ``lr_hsi``."""
    return np.kron(np.all(np.isfinite(lr_hsi), axis=0), np.ones((scale, scale), bool))


def with_hsi_fallback(fallback: Optional[HsiFallback], fused: np.ndarray, lr_hsi: np.ndarray,
                      window: Window, model: DegradationModel) -> np.ndarray:
    """A window's fused image ``(C, H, W)`` (over its HR read rectangle, normalised like its
    LR-HSI ``(C, h, w)``; NaN where it has no value) with the flagged areas taken from the LR-HSI
    alone, in place: HR pixels of weight 1 are the LR-HSI alone, those of the ramp a blend of both
    (the LR-HSI alone where the fused image has no value), those of weight 0 are not touched, and
    wherever the LR-HSI has no value the result is NaN."""
    if fallback is None:
        return fused
    r = model.scale
    weight = fallback.weights(window.lr_read, r)
    if not weight.any():
        return fused

    rows = np.flatnonzero(weight.any(axis=1)) // r
    cols = np.flatnonzero(weight.any(axis=0)) // r
    h, w = lr_hsi.shape[1:]
    y0, y1 = max(rows[0] - _CONTEXT_LR, 0), min(rows[-1] + 1 + _CONTEXT_LR, h)
    x0, x1 = max(cols[0] - _CONTEXT_LR, 0), min(cols[-1] + 1 + _CONTEXT_LR, w)
    alone = upsample_hsi(fill_invalid(lr_hsi[:, y0:y1, x0:x1]), model)
    part = (slice(None), slice(y0 * r, y1 * r), slice(x0 * r, x1 * r))
    a = weight[part[1:]]
    here = fused[part]
    blended = np.where(np.isnan(here), alone, a * alone + (1.0 - a) * here)  # no fused value: alone
    fused[part] = np.where(a >= 1, alone, np.where(a > 0, blended, here))
    fused[:, ~lr_valid_hr(lr_hsi, r)] = np.nan
    return fused
