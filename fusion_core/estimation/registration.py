"""A global shift between the LR-HSI and the HR-MSI, measured from the images (co-registration).

Two sensors' georeferencing often disagree by a fraction of a pixel to a few LR pixels (PRISMA,
Hyperion/ALI, off-nadir WorldView). The blind PSF estimate finds a sub-pixel shift by itself (an
off-centre PSF), but not one of several pixels. :func:`measure_shift` finds the whole-HR-pixel part
by masked normalised cross-correlation (scikit-image's ``phase_cross_correlation`` with masks, after
Padfield 2012) between the LR-HSI's band mean and the HR-MSI's band mean blurred to the LR
resolution, both on the HR grid; what remains (under one HR pixel) is left to the PSF estimate.

(arosics, the field's co-registration library, would measure local shifts too, but its releases
need GDAL >= 3.8 and a global shift is what the degradation model can take.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy.ndimage import uniform_filter

from ..errors import DependencyError
from ..threads import run_threads

__all__ = ["Shift", "measure_shift", "MAX_SHIFT_LR", "MIN_GAIN"]

#: Largest shift looked for, in LR pixels (further ones are taken for a wrong match).
MAX_SHIFT_LR = 5
#: Correlation gained over no shift below which a measured shift is taken for noise.
MIN_GAIN = 0.02


@dataclass(frozen=True)
class Shift:
    """Where the HR-MSI's content lies relative to the LR-HSI's, in whole HR pixels.

    Attributes:
        rows, cols: the HR-MSI pixel that shows what the LR-HSI places at HR pixel ``(0, 0)`` is
            ``(rows, cols)`` (positive: the MSI's content is down/right of the HSI's).
        correlation: correlation of the two band means at that shift.
        correlation_unshifted: the same without the shift.
    """

    rows: int = 0
    cols: int = 0
    correlation: float = float("nan")
    correlation_unshifted: float = float("nan")

    @property
    def is_zero(self) -> bool:
        return self.rows == 0 and self.cols == 0


def _band_mean(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the standardised bands ``(C, H, W)`` and where every band is finite."""
    valid = np.all(np.isfinite(image), axis=0)
    if not valid.any():
        return np.zeros(image.shape[1:]), valid
    values = image[:, valid]
    scale = values.std(axis=1, keepdims=True)
    standard = (values - values.mean(axis=1, keepdims=True)) / np.where(scale > 0, scale, 1.0)
    out = np.zeros(image.shape[1:])
    out[valid] = standard.mean(axis=0)
    return out, valid


def _correlation(a: np.ndarray, b: np.ndarray, valid: np.ndarray) -> float:
    if valid.sum() < 16:
        return float("nan")
    x, y = a[valid] - a[valid].mean(), b[valid] - b[valid].mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / denom) if denom > 0 else float("nan")


def _shifted(image: np.ndarray, valid: np.ndarray, rows: int, cols: int):
    """``image`` and ``valid`` read ``(rows, cols)`` further: out[p] = image[p + shift]."""
    out, ok = np.zeros_like(image), np.zeros_like(valid)
    h, w = image.shape
    ys, xs = slice(max(0, -rows), min(h, h - rows)), slice(max(0, -cols), min(w, w - cols))
    yd, xd = slice(max(0, rows), min(h, h + rows)), slice(max(0, cols), min(w, w + cols))
    out[ys, xs], ok[ys, xs] = image[yd, xd], valid[yd, xd]
    return out, ok


def measure_shift(lr_hsi: np.ndarray, hr_msi: np.ndarray, scale: int) -> Shift:
    """The whole-HR-pixel shift of the HR-MSI ``(M, r h, r w)`` relative to the LR-HSI ``(C, h, w)``
    laid on the same grid (NaN marks invalid pixels); zero when no shift clearly beats none."""
    try:
        from skimage.registration import phase_cross_correlation
    except ImportError as exc:
        raise DependencyError(
            f"Co-registering the two images needs scikit-image, which does not import ({exc}): "
            "install it with 'python -m pip install scikit-image' (in QGIS: the algorithm "
            "'HSI Fusion ▸ Install dependencies').") from None

    r = scale
    y, y_ok = _band_mean(lr_hsi)
    z, z_ok = _band_mean(hr_msi)
    y_hr = np.repeat(np.repeat(y, r, axis=0), r, axis=1)
    y_hr_ok = np.repeat(np.repeat(y_ok, r, axis=0), r, axis=1)
    z_blur = uniform_filter(z, size=r, mode="nearest")
    z_blur_ok = uniform_filter(z_ok.astype(float), size=r, mode="nearest") > 0.999
    if y_hr_ok.sum() < 64 * r * r or z_blur_ok.sum() < 64 * r * r:
        return Shift()
    with scipy.fft.set_workers(run_threads()):  # its FFTs on the run's cores
        found = phase_cross_correlation(y_hr, z_blur, reference_mask=y_hr_ok, moving_mask=z_blur_ok,
                                        overlap_ratio=0.5)
    shift = found[0] if isinstance(found, tuple) else found
    # skimage gives the shift that registers the moving image onto the reference: the MSI's
    # content at p + d shows what the HSI shows at p for d = -shift.
    rows, cols = (-int(round(float(v))) for v in shift)
    unshifted = _correlation(y_hr, z_blur, y_hr_ok & z_blur_ok)
    if max(abs(rows), abs(cols)) > MAX_SHIFT_LR * r:
        return Shift(0, 0, unshifted, unshifted)
    moved, moved_ok = _shifted(z_blur, z_blur_ok, rows, cols)
    best = _correlation(y_hr, moved, y_hr_ok & moved_ok)
    if not np.isfinite(best) or (np.isfinite(unshifted) and best - unshifted < MIN_GAIN):
        return Shift(0, 0, unshifted, unshifted)
    return Shift(rows, cols, best, unshifted)
