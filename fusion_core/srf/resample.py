"""Resampling of tabulated spectral responses onto the bands of a hyperspectral image.

Each HSI band is modelled as a Gaussian of its FWHM (from the raster metadata, or the local band
spacing when absent) centred on its wavelength. The SRF matrix entry ``(c, m)`` is the overlap
integral of HSI band ``c`` with MSI band ``m``; columns are scaled to sum to one.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import InputError
from .normalise import normalize_srf
from .table import SrfTable

__all__ = ["resample_srf", "hsi_band_responses", "MIN_COVERAGE"]

#: Share of an MSI band's response that must fall on HSI bands; below it the band is rejected.
MIN_COVERAGE = 0.5
_STEP_NM = 0.5


def hsi_band_responses(grid: np.ndarray, hsi_wavelengths: np.ndarray,
                       hsi_fwhm: Optional[np.ndarray] = None) -> np.ndarray:
    """Gaussian responses ``(C, L)`` of the HSI bands on the wavelength ``grid`` (peak 1)."""
    wl = np.asarray(hsi_wavelengths, dtype=np.float64).ravel()
    if wl.size == 0 or not np.all(np.isfinite(wl)) or np.any(wl <= 0):
        raise InputError("The LR-HSI band wavelengths must be positive numbers in nm.")
    if hsi_fwhm is None:
        fwhm = _spacing(wl)
    else:
        fwhm = np.asarray(hsi_fwhm, dtype=np.float64).ravel()
        if fwhm.size != wl.size or np.any(~np.isfinite(fwhm)) or np.any(fwhm <= 0):
            raise InputError(f"{fwhm.size} FWHM values for {wl.size} LR-HSI bands, or some are not positive.")
    sigma = fwhm / (2.0 * np.sqrt(2.0 * np.log(2.0)))
    return np.exp(-0.5 * ((grid[None, :] - wl[:, None]) / sigma[:, None]) ** 2)


def resample_srf(table: SrfTable, hsi_wavelengths: np.ndarray,
                 hsi_fwhm: Optional[np.ndarray] = None) -> np.ndarray:
    """The SRF matrix ``(C, M)`` of ``table`` on the HSI bands, columns summing to one.

    Raises:
        InputError: an MSI band lies (mostly) outside the wavelengths the HSI covers.
    """
    grid = np.arange(table.wavelengths[0], table.wavelengths[-1] + _STEP_NM, _STEP_NM)
    curves = np.column_stack([np.interp(grid, table.wavelengths, col, left=0.0, right=0.0)
                              for col in table.responses.T])
    bands = hsi_band_responses(grid, hsi_wavelengths, hsi_fwhm)
    covered = bands.max(axis=0) >= 0.5
    coverage = (curves * covered[:, None]).sum(axis=0) / curves.sum(axis=0)
    outside = np.flatnonzero(coverage < MIN_COVERAGE)
    if outside.size:
        wl = np.asarray(hsi_wavelengths, dtype=np.float64)
        centres = table.centres()
        names = ", ".join(f"{table.band_names[i]} (≈{centres[i]:.0f} nm, {100 * coverage[i]:.0f} % covered)"
                          for i in outside)
        raise InputError(
            f"HR-MSI band(s) {names} of {table.name} lie outside the LR-HSI's bands "
            f"({wl.min():.0f}–{wl.max():.0f} nm): drop them from the HR-MSI and from the band list."
        )
    srf = bands @ curves * _STEP_NM
    return normalize_srf(srf, table.band_names)


def _spacing(wl: np.ndarray) -> np.ndarray:
    """Distance to the nearest other band: the FWHM assumed when the metadata has none."""
    if wl.size == 1:
        return np.array([10.0])
    order = np.argsort(wl)
    gaps = np.diff(wl[order])
    nearest = np.minimum(np.r_[np.inf, gaps], np.r_[gaps, np.inf])
    out = np.empty_like(wl)
    out[order] = nearest
    return np.where(np.isfinite(out) & (out > 0), out, 10.0)
