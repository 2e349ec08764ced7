"""Point spread function kernels: construction, normalisation and simple descriptors.

A PSF is a 2-D non-negative numpy array of odd or even size K >= r that sums to one. Where its
centre of mass sits relative to the centre of the kernel encodes the sub-pixel offset between the
HR and LR grids (see :mod:`fusion_core.degradation.operators` for the exact convention).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = [
    "gaussian_psf",
    "sensor_psf",
    "block_centre",
    "motion_psf",
    "normalize_psf",
    "psf_centroid",
    "psf_fwhm",
    "fwhm_to_sigma",
]

_FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def fwhm_to_sigma(fwhm: float) -> float:
    """Standard deviation of a Gaussian with the given full width at half maximum."""
    return float(fwhm) / _FWHM_PER_SIGMA


def gaussian_psf(
    size: int,
    fwhm: float | tuple[float, float],
    angle_deg: float = 0.0,
    shift: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """A sampled (optionally anisotropic, rotated, shifted) Gaussian kernel that sums to one.

    Args:
        size: kernel width and height in HR pixels.
        fwhm: FWHM in HR pixels, one value or (along the major, along the minor axis).
        angle_deg: rotation of the major axis, counter-clockwise from the column axis.
        shift: (row, column) shift of the centre from the kernel centre, in HR pixels.

    Returns:
        Array of shape (size, size).
    """
    if size < 1:
        raise InputError(f"PSF size must be at least 1, got {size}.")
    fx, fy = (float(fwhm), float(fwhm)) if np.isscalar(fwhm) else map(float, fwhm)  # type: ignore[arg-type]
    if fx <= 0 or fy <= 0:
        raise InputError(f"PSF FWHM must be positive, got {fwhm}.")
    sx, sy = fwhm_to_sigma(fx), fwhm_to_sigma(fy)
    c = (size - 1) / 2.0
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    dy, dx = rows - c - shift[0], cols - c - shift[1]
    t = np.deg2rad(angle_deg)
    u = dx * np.cos(t) + dy * np.sin(t)
    v = -dx * np.sin(t) + dy * np.cos(t)
    k = np.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2))
    return normalize_psf(k)


def block_centre(kernel_size: int, scale: int) -> float:
    """Index (along one axis) of a kernel's sample that falls on the centre of its LR block.

    With the padding convention of :func:`~fusion_core.degradation.operators.spatial_degrade`
    this is the kernel centre when ``kernel_size - scale`` is even, half a pixel before it when odd.
    """
    return (kernel_size - scale) // 2 + (scale - 1) / 2.0


def sensor_psf(scale: int, fwhm: float, size: int | None = None, **kwargs) -> np.ndarray:
    """A Gaussian PSF centred on the LR block for ratio ``scale``.

    The default size is the smallest one >= ``scale`` with the parity of ``scale`` that holds
    ±1.5 FWHM (so the Wald-protocol kernel, FWHM = r, is r × r). Extra keyword arguments
    (``angle_deg``, ``shift``) go to :func:`gaussian_psf`.
    """
    widest = max(np.atleast_1d(fwhm))
    if size is None:
        size = max(scale, int(np.ceil(3.0 * widest)))
        size += (size - scale) % 2
    offset = block_centre(size, scale) - (size - 1) / 2.0
    dy, dx = kwargs.pop("shift", (0.0, 0.0))
    return gaussian_psf(size, fwhm, shift=(dy + offset, dx + offset), **kwargs)


def motion_psf(size: int, length: float, angle_deg: float, width_fwhm: float = 1.0) -> np.ndarray:
    """A linear motion-blur kernel (a line of ``length`` pixels, slightly smoothed) summing to one."""
    c = (size - 1) / 2.0
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    t = np.deg2rad(angle_deg)
    along = (cols - c) * np.cos(t) + (rows - c) * np.sin(t)
    across = -(cols - c) * np.sin(t) + (rows - c) * np.cos(t)
    sigma = fwhm_to_sigma(width_fwhm)
    k = np.exp(-0.5 * (across / sigma) ** 2) * (np.abs(along) <= length / 2.0)
    return normalize_psf(k)


def normalize_psf(kernel: np.ndarray) -> np.ndarray:
    """Clip a kernel at zero and scale it to sum to one (float64)."""
    k = np.clip(np.asarray(kernel, dtype=np.float64), 0.0, None)
    if k.ndim != 2:
        raise InputError(f"A PSF must be a 2-D kernel, got an array of shape {k.shape}.")
    total = k.sum()
    if not np.isfinite(total) or total <= 0:
        raise InputError("The PSF kernel has no positive weight: check the kernel file.")
    return k / total


def psf_centroid(kernel: np.ndarray) -> tuple[float, float]:
    """Centre of mass (row, column) of a kernel relative to its geometric centre, in HR pixels."""
    k = np.asarray(kernel, dtype=np.float64)
    rows, cols = np.mgrid[0 : k.shape[0], 0 : k.shape[1]]
    s = k.sum()
    cy = (rows * k).sum() / s - (k.shape[0] - 1) / 2.0
    cx = (cols * k).sum() / s - (k.shape[1] - 1) / 2.0
    return float(cy), float(cx)


def psf_fwhm(kernel: np.ndarray) -> tuple[float, float]:
    """FWHM (row, column) in HR pixels of the Gaussian with the kernel's second moments."""
    k = np.asarray(kernel, dtype=np.float64)
    k = k / k.sum()
    rows, cols = np.mgrid[0 : k.shape[0], 0 : k.shape[1]]
    my, mx = (rows * k).sum(), (cols * k).sum()
    vy = ((rows - my) ** 2 * k).sum()
    vx = ((cols - mx) ** 2 * k).sum()
    return float(np.sqrt(vy) * _FWHM_PER_SIGMA), float(np.sqrt(vx) * _FWHM_PER_SIGMA)
