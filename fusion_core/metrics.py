"""Quality metrics of a fused image against its reference, as in the seeds' evaluation code.

Images are numpy arrays ``(C, H, W)``, band-first; everything is computed in float64. PSNR,
SAM, ERGAS, RMSE and CC follow the UDALN / M2U-Net evaluation code, so our numbers compare with
their tables; SSIM follows Wang et al. (2004) and UIQI Wang & Bovik (2002). Where a value is
undefined the conventions below say what is returned:

* PSNR of a band reproduced exactly is ``inf`` (no cap), and so is then the mean.
* SAM skips pixels where either spectrum is all zero (their angle is undefined); the seeds add
  1e-7 to the norm product instead, which counts such pixels as 90° and biases every angle up
  slightly. The angle is computed as ``2 asin(|u - v| / 2)`` of the unit spectra ``u, v``,
  equal to ``acos(u·v)`` but exact for identical spectra.
* CC of a band whose estimate is constant is 0 (no linear relation is reproduced).
* A constant reference band makes PSNR, ERGAS, CC and SSIM undefined: it is rejected.

PSNR and ERGAS take the reference's noise variance per band (``noise_var``) when the reference
is itself a noisy measurement (a real pair's reference, in ``benchmarks/trust.py``): the error
against the noise-free reference is then estimated as each band's squared error less that
variance, kept to at least :data:`MIN_ERROR_SHARE` of it.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
from scipy import ndimage

from .errors import InputError

__all__ = [
    "psnr",
    "sam",
    "ergas",
    "rmse",
    "cc",
    "ssim",
    "uiqi",
    "quality_metrics",
    "format_report",
]

SSIM_SIGMA = 1.5
SSIM_WINDOW = 11
SSIM_K1, SSIM_K2 = 0.01, 0.03
UIQI_WINDOW = 8

# name: (unit, better, format) for the report table, in the seeds' reporting order.
_REPORT_ROWS = {
    "PSNR": ("dB", "higher", ".2f"),
    "SAM": ("degrees", "lower", ".3f"),
    "ERGAS": ("", "lower", ".3f"),
    "RMSE": ("reference units", "lower", ".4g"),
    "CC": ("", "higher", ".4f"),
    "SSIM": ("", "higher", ".4f"),
    "UIQI": ("", "higher", ".4f"),
}


def _pair(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 ``(C, H, W)`` arrays, after checking they can be compared."""
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    if ref.shape != est.shape or ref.ndim != 3:
        raise InputError(
            f"Reference {ref.shape} and estimate {est.shape} must be images of the same shape "
            "(bands, rows, columns): crop or resample the estimate to the reference grid."
        )
    for name, x in (("reference", ref), ("estimate", est)):
        bad = int(np.count_nonzero(~np.isfinite(x)))
        if bad:
            raise InputError(
                f"The {name} has {bad} NaN or infinite values: metrics need finite numbers; "
                "mask or fill nodata pixels first."
            )
    flat = ref.reshape(ref.shape[0], -1)
    constant = np.flatnonzero(flat.max(axis=1) == flat.min(axis=1))
    if constant.size:
        raise InputError(
            f"Reference band(s) {constant.tolist()} are constant: PSNR, ERGAS, CC and SSIM are "
            "undefined on them; drop those bands from both images."
        )
    return ref, est


#: The least share of a band's squared error left once the reference's noise is taken out.
MIN_ERROR_SHARE = 0.05


def _band_mse(ref: np.ndarray, est: np.ndarray, noise_var: Optional[np.ndarray] = None) -> np.ndarray:
    mse = ((ref - est) ** 2).mean(axis=(1, 2))
    if noise_var is None:
        return mse
    return np.maximum(mse - np.asarray(noise_var, np.float64), MIN_ERROR_SHARE * mse)


def psnr(reference: np.ndarray, estimate: np.ndarray, noise_var: Optional[np.ndarray] = None) -> float:
    """Mean over bands of ``10 log10(max(ref_b)² / MSE_b)`` in dB; the peak is each band's
    reference maximum, as in the seeds. A band reproduced exactly gives ``inf``. ``noise_var``:
    the reference's noise variance per band, taken out of the error (module docstring)."""
    ref, est = _pair(reference, estimate)
    peak = ref.max(axis=(1, 2))
    with np.errstate(divide="ignore"):
        return float(np.mean(10 * np.log10(peak**2 / _band_mse(ref, est, noise_var))))


def sam(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Mean spectral angle in degrees over pixels where neither spectrum is all zero."""
    ref, est = _pair(reference, estimate)
    r = ref.reshape(ref.shape[0], -1)
    e = est.reshape(est.shape[0], -1)
    nr, ne = np.linalg.norm(r, axis=0), np.linalg.norm(e, axis=0)
    keep = (nr > 0) & (ne > 0)
    if not keep.any():
        raise InputError(
            "Every pixel has an all-zero spectrum in one image: SAM is undefined; "
            "check that both images hold data."
        )
    # every column divided (the skipped by 1), then the kept chords: indexing the columns of a
    # band-first array by a mask cost 40 ms for 198 bands × 4096 pixels, the rest 5 ms
    chord = np.linalg.norm(r / np.where(keep, nr, 1.0) - e / np.where(keep, ne, 1.0), axis=0)[keep]
    return float(np.degrees(2 * np.arcsin(np.minimum(chord / 2, 1.0))).mean())


def ergas(reference: np.ndarray, estimate: np.ndarray, scale: float,
          noise_var: Optional[np.ndarray] = None) -> float:
    """``(100 / r) sqrt(mean_b MSE_b / mean(ref_b)²)`` with ``r = scale``, the HSI/MSI ratio;
    ``noise_var`` as in :func:`psnr`."""
    if not scale > 0:
        raise InputError(f"ERGAS needs a positive resolution ratio, got {scale}.")
    ref, est = _pair(reference, estimate)
    with np.errstate(divide="ignore"):
        ratio = _band_mse(ref, est, noise_var) / ref.mean(axis=(1, 2)) ** 2
    return float(100 / scale * math.sqrt(ratio.mean()))


def rmse(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Root mean square error over all values, in the images' units."""
    ref, est = _pair(reference, estimate)
    return float(math.sqrt(((ref - est) ** 2).mean()))


def cc(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Mean over bands of the Pearson correlation; a constant estimate band counts as 0."""
    ref, est = _pair(reference, estimate)
    r = ref - ref.mean(axis=(1, 2), keepdims=True)
    e = est - est.mean(axis=(1, 2), keepdims=True)
    num = (r * e).sum(axis=(1, 2))
    den = np.sqrt((r**2).sum(axis=(1, 2)) * (e**2).sum(axis=(1, 2)))
    return float(np.mean(np.divide(num, den, out=np.zeros_like(num), where=den > 0)))


def _valid_mean(index_map: np.ndarray, window: int) -> np.ndarray:
    """Per-band mean of ``(C, H, W)`` over the pixels whose window lies inside the image.

    Falls back to the whole map when the image is smaller than the window.
    """
    lo, hi = window // 2, (window - 1) // 2
    _, h, w = index_map.shape
    if h >= window and w >= window:
        index_map = index_map[:, lo : h - hi, lo : w - hi]
    return index_map.mean(axis=(1, 2))


def _local_moments(ref: np.ndarray, est: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """Local means, variances and covariance of both ``(C, H, W)`` images under the separable
    window ``outer(weights, weights)``, one per band, borders reflected.

    Direct weighted sums (not running sums), so an all-zero window gives exactly zero.
    """

    def smooth(x: np.ndarray) -> np.ndarray:
        x = ndimage.correlate1d(x, weights, axis=1, mode="reflect")
        return ndimage.correlate1d(x, weights, axis=2, mode="reflect")

    mr, me = smooth(ref), smooth(est)
    var_r = smooth(ref * ref) - mr**2
    var_e = smooth(est * est) - me**2
    cov = smooth(ref * est) - mr * me
    return mr, me, var_r, var_e, cov


def ssim(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Mean over bands of SSIM (Wang et al., 2004).

    Local statistics under an 11×11 Gaussian window of sigma 1.5 (population covariance),
    ``K1 = 0.01``, ``K2 = 0.03`` and ``L`` = the reference band's range (max - min); the map is
    averaged over the positions where the window lies inside the image. (M2U-Net's code uses
    skimage defaults instead: a 7×7 uniform window and the estimate's range.)
    """
    ref, est = _pair(reference, estimate)
    offsets = np.arange(SSIM_WINDOW) - SSIM_WINDOW // 2
    weights = np.exp(-0.5 * (offsets / SSIM_SIGMA) ** 2)
    mr, me, var_r, var_e, cov = _local_moments(ref, est, weights / weights.sum())
    span = (ref.max(axis=(1, 2)) - ref.min(axis=(1, 2)))[:, None, None]
    c1, c2 = (SSIM_K1 * span) ** 2, (SSIM_K2 * span) ** 2
    luminance = (2 * mr * me + c1) / (mr**2 + me**2 + c1)
    index_map = luminance * (2 * cov + c2) / (var_r + var_e + c2)
    return float(_valid_mean(index_map, SSIM_WINDOW).mean())


def uiqi(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Mean over bands of Wang & Bovik's universal image quality index Q.

    ``Q = 4 cov μr μe / ((var_r + var_e)(μr² + μe²))`` on 8×8 uniform sliding windows, as the
    sewar ``uqi`` used by M2U-Net, averaged over all windows inside the image (sewar's crop
    leaves out the last row and column of them). Degenerate windows
    follow Wang & Bovik's code: ``Q = 2 μr μe / (μr² + μe²)`` when both are flat, and 1 when
    that is 0/0 too. Variances below 1e-12 of ``μr² + μe²`` count as flat (round-off).
    """
    ref, est = _pair(reference, estimate)
    mr, me, var_r, var_e, cov = _local_moments(ref, est, np.full(UIQI_WINDOW, 1.0 / UIQI_WINDOW))
    mean_term = mr**2 + me**2
    var_term = var_r + var_e
    var_term[var_term <= 1e-12 * mean_term] = 0.0
    index_map = np.ones_like(mr)
    flat = (var_term == 0) & (mean_term > 0)
    index_map[flat] = 2 * mr[flat] * me[flat] / mean_term[flat]
    full = var_term * mean_term > 0
    index_map[full] = 4 * cov[full] * mr[full] * me[full] / (var_term[full] * mean_term[full])
    return float(_valid_mean(index_map, UIQI_WINDOW).mean())


def quality_metrics(reference: np.ndarray, estimate: np.ndarray, scale: float) -> dict[str, float]:
    """All seven metrics of ``estimate`` against ``reference`` (both ``(C, H, W)``).

    Args:
        reference: ground-truth HR-HSI.
        estimate: fused HR-HSI on the same grid.
        scale: resolution ratio r between the LR-HSI and the HR-MSI (for ERGAS).

    Returns:
        ``{"PSNR", "SAM", "ERGAS", "RMSE", "CC", "SSIM", "UIQI"}`` as floats.

    Raises:
        InputError: shapes differ, values are not finite, or a reference band is constant.
    """
    ref, est = _pair(reference, estimate)
    return {
        "PSNR": psnr(ref, est),
        "SAM": sam(ref, est),
        "ERGAS": ergas(ref, est, scale),
        "RMSE": rmse(ref, est),
        "CC": cc(ref, est),
        "SSIM": ssim(ref, est),
        "UIQI": uiqi(ref, est),
    }


def format_report(metrics: dict[str, float], title: str) -> str:
    """A markdown table of ``metrics`` with units and the better direction, under ``title``.

    Known metrics come first in the usual order; any other key is listed after them.
    """
    lines = [f"### {title}", "", "| metric | value | unit | better |", "|---|---|---|---|"]
    known = [k for k in _REPORT_ROWS if k in metrics]
    for name in known + [k for k in metrics if k not in _REPORT_ROWS]:
        unit, better, fmt = _REPORT_ROWS.get(name, ("", "", ".4g"))
        lines.append(f"| {name} | {format(float(metrics[name]), fmt)} | {unit} | {better} |")
    return "\n".join(lines) + "\n"
