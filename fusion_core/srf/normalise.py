"""The one SRF normalisation of the engine: non-negative columns that sum to one."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["normalize_srf"]


def normalize_srf(srf: np.ndarray, band_names: Optional[Sequence[str]] = None) -> np.ndarray:
    """A new SRF matrix ``(C, M)``: ``srf`` clipped at zero, each column scaled to sum to one.

    Args:
        srf: ``(C, M)`` responses of the M HR-MSI bands on the C HSI bands.
        band_names: names of the M HR-MSI bands, for the messages.

    Raises:
        InputError: not a matrix, missing values, or a band with no response on the HSI's bands.
    """
    s = np.clip(np.asarray(srf, dtype=np.float64), 0.0, None)
    if s.ndim != 2:
        raise InputError(f"An SRF must be a matrix (HSI bands × MSI bands), got shape {s.shape}.")
    if not np.all(np.isfinite(s)):
        raise InputError("The SRF has missing values: give a response (0 where none) for every HSI band.")
    sums = s.sum(axis=0)
    empty = np.flatnonzero(sums <= 0)
    if empty.size:
        names = [str(n) for n in band_names] if band_names is not None and len(band_names) == s.shape[1] \
            else [f"band {i + 1}" for i in range(s.shape[1])]
        label = ", ".join(names[i] for i in empty)
        raise InputError(
            f"HR-MSI {label} has no response at the LR-HSI's wavelengths: it lies outside the "
            "hyperspectral range; drop it from the HR-MSI and the band list.")
    return s / sums
