"""HQNR, the no-reference quality index of pansharpening, adapted to hyperspectral/multispectral fusion.

HQNR (Aiazzi, Alparone, Baronti, Carlà, Garzelli, Santurri, "Full scale assessment of
pansharpening methods and data products", Proc. SPIE 9244, Image and Signal Processing for
Remote Sensing XX, 2014) is ``(1 − D_λ^K)(1 − D_S)``:

* ``D_λ^K``, the spectral distortion of Khan, Alparone & Chanussot ("Pansharpening quality
  assessment using the modulation transfer functions of instruments", IEEE TGRS 47(11), 2009):
  one minus the agreement between the fused image degraded by the sensor's MTF and the
  original low-resolution image. Here the MTF is the estimated PSF, and the agreement is the
  mean over HSI bands of the universal image quality index Q (Wang & Bovik 2002) instead of
  Q2ⁿ, whose hypercomplex algebra is defined for 2ⁿ bands, not for hundreds.
* ``D_S``, the spatial distortion of QNR (Alparone, Aiazzi, Baronti, Garzelli, Nencini, Selva,
  "Multispectral and panchromatic data fusion assessment without reference", PE&RS 74(2), 2008):
  how much the relation between each fused band and the panchromatic image differs from the
  relation between the same low-resolution band and the panchromatic image degraded to its
  resolution, ``mean |Q(X_c, P) − Q(Y_c, P_LR)|`` (q = 1). With several HR-MSI bands in place of
  one panchromatic band, the mean runs over every (HSI band, MSI band) pair, and the HR-MSI is
  degraded by the estimated PSF.

Q is computed on non-overlapping blocks of :data:`BLOCK` HR pixels (and ``BLOCK / r`` LR pixels;
at least 4, at most the image) and averaged, as in Vivone et al.'s pansharpening toolbox. Both
distortions lie in [0, 1] (0 is best) and HQNR in [0, 1] (1 is best). Both are means over HSI
bands, taken over the bands of :func:`.scan.spatial_bands` (32 evenly spread): all 198 bands of a
mosaic cost most of a second and move neither mean by more than its spread between methods.
"""

from __future__ import annotations

import numpy as np

from ..degradation import DegradationModel, spatial_degrade
from ..measure.consistency import as_batch
from .scan import spatial_bands

__all__ = ["BLOCK", "hqnr", "block_q"]

#: Block size of Q, in HR pixels (the toolbox's S = 32); at least 4 LR pixels.
BLOCK = 32


def _blocks(image: np.ndarray, size: int) -> np.ndarray:
    """``(B, H, W)`` as ``(B, blocks, size²)`` over whole blocks (the remainder is left out)."""
    b, h, w = image.shape
    nh, nw = h // size, w // size
    cut = np.asarray(image[:, :nh * size, :nw * size], dtype=np.float32)
    return cut.reshape(b, nh, size, nw, size).transpose(0, 1, 3, 2, 4).reshape(b, nh * nw, size * size)


def block_q(a: np.ndarray, b: np.ndarray, size: int, pairwise: bool) -> np.ndarray:
    """Mean over blocks of Wang & Bovik's Q between bands of ``a`` ``(P, H, W)`` and ``b``.

    ``pairwise``: Q of band p of ``a`` with band p of ``b`` (``(P,)``); else of every band of
    ``a`` with every band of ``b`` ``(Q, H, W)`` (``(P, Q)``). Blocks where both bands are flat
    are left out.
    """
    x, y = _blocks(a, size), _blocks(b, size)
    n = x.shape[2]
    mx, my = x.mean(axis=2), y.mean(axis=2)
    xc, yc = x - mx[..., None], y - my[..., None]
    vx, vy = (xc ** 2).sum(axis=2) / (n - 1), (yc ** 2).sum(axis=2) / (n - 1)
    if pairwise:
        cov = (xc * yc).sum(axis=2) / (n - 1)
        num, den = 4 * cov * mx * my, (vx + vy) * (mx ** 2 + my ** 2)
    else:
        cov = np.einsum("pbn,qbn->pqb", xc, yc) / (n - 1)
        num = 4 * cov * (mx[:, None] * my[None])
        den = (vx[:, None] + vy[None]) * (mx[:, None] ** 2 + my[None] ** 2)
    q = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    counted = np.isfinite(q).sum(axis=-1)
    return np.where(counted > 0, np.nansum(q, axis=-1) / np.maximum(counted, 1), 1.0)


def hqnr(fused: np.ndarray, lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel) -> dict:
    """HQNR and its two distortions for a fused image ``(C, H, W)`` of an LR-HSI ``(C, h, w)``
    and an HR-MSI ``(M, H, W)``.

    Returns:
        ``{"HQNR", "D_lambda", "D_s", "block_hr_px"}``.
    """
    r = model.scale
    bands = spatial_bands(lr_hsi.shape[0])
    fused, lr_hsi = fused[bands], lr_hsi[bands]
    low = min(max(BLOCK // r, 4), *lr_hsi.shape[1:])
    high = low * r

    def degrade(image: np.ndarray) -> np.ndarray:
        return spatial_degrade(as_batch(image), model.psf, r)[0].numpy()

    d_lambda = 1.0 - float(np.mean(block_q(degrade(fused), lr_hsi, low, pairwise=True)))
    q_high = block_q(fused, hr_msi, high, pairwise=False)
    q_low = block_q(lr_hsi, degrade(hr_msi), low, pairwise=False)
    d_s = float(np.mean(np.abs(q_high - q_low)))
    return {"HQNR": (1.0 - d_lambda) * (1.0 - d_s), "D_lambda": d_lambda, "D_s": d_s,
            "block_hr_px": high}
