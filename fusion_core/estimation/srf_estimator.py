"""The SRF side: smoothness along wavelength, and fitting a (possibly wrong) preset to the data.

A preset is trusted for its shape, not its position or width: each of its columns is shifted
and stretched along wavelength (around its centre) over a grid, and the candidate whose LR-HSI
integral best matches the HR-MSI band blurred by the current PSF is kept. The joint estimate is
then pulled towards that adapted preset, which fixes the components of the SRF that the data
cannot see (outside the LR-HSI's spectral subspace) without overriding those it can.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..spectral import subspace_dimension
from ..srf.prior import SrfPrior
from .windows import Patches

__all__ = ["spectral_smoothness", "adapt_prior", "SHIFTS_NM", "STRETCHES"]

#: Shifts (nm) tried for a preset's curves, in a first pass without stretch.
SHIFTS_NM = np.arange(-30.0, 30.5, 1.0)
#: Stretch factors tried, in a second pass around the best shift.
STRETCHES = np.array([0.6, 0.7, 0.8, 0.9, 1.0, 1.12, 1.25, 1.4, 1.6, 1.8, 2.0])
_REFINE_NM = np.arange(-3.0, 3.5, 1.0)
#: RSS drop, in residual variances, needed to leave the common shift or a stretch of 1.
EVIDENCE = 50.0


def spectral_smoothness(wavelengths: Optional[np.ndarray], n_bands: int) -> np.ndarray:
    """``DᵀD`` of first differences between spectrally adjacent bands (gaps are not bridged)."""
    wl = np.arange(n_bands, dtype=np.float64) if wavelengths is None else np.asarray(wavelengths, float)
    order = np.argsort(wl)
    gaps = np.diff(wl[order])
    typical = np.median(gaps) if gaps.size else 1.0
    rows = []
    for i, gap in enumerate(gaps):
        if 0 < gap <= 3.0 * typical:
            row = np.zeros(n_bands)
            row[order[i]], row[order[i + 1]] = -1.0, 1.0
            rows.append(row)
    d = np.array(rows) if rows else np.zeros((1, n_bands))
    return d.T @ d


def adapt_prior(prior: SrfPrior, patches: Patches, kernel: np.ndarray,
                noise_std: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shift and stretch the prior's columns to fit the data; returns (matrix, shifts, stretches).

    Every variant ``p`` of a column is scored by ``RSS(p) = min_g ‖g Yᵀp − A_m k‖²``, the
    mismatch between the LR-HSI it integrates and the HR-MSI band blurred by ``kernel``, up to
    the band's radiometric gain ``g``. The LR-HSI is
    first projected onto its signal subspace: its noise would otherwise favour wide variants,
    which average more of it. A sensor's curves usually move together, so one shift common to all bands is
    chosen first; a band keeps a shift of its own, and a stretch other than 1, only when that
    lowers its RSS by more than :data:`EVIDENCE` residual variances (a likelihood-ratio test).

    Args:
        prior: the preset on the HSI bands. patches: equations of the PSF window.
        kernel: the PSF on that window. noise_std: ``(C,)`` LR-HSI noise std per band.
    """
    n = patches.n_pixels
    dimension = subspace_dimension(torch.from_numpy(patches.y), torch.from_numpy(noise_std))
    basis = np.linalg.svd(patches.y, full_matrices=False)[0][:, :dimension]
    y = basis @ (basis.T @ patches.y)
    gram = y @ y.T
    k = np.ravel(kernel)
    m_bands = prior.shape[1]
    one = np.ones(1)
    rss, variance, targets = [], np.zeros(m_bands), []
    for m in range(m_bands):
        target = patches.a[m] @ k
        targets.append((y @ target, float(target @ target)))
        rss.append(_rss(prior.variants(m, SHIFTS_NM, one), gram, *targets[m]))
        variance[m] = max(np.nanmin(rss[m]) / n, 1e-30)
    common = int(np.nanargmin(np.nansum(np.array(rss) / variance[:, None], axis=0)))
    adapted = np.empty(prior.shape)
    shifts, stretches = np.zeros(m_bands), np.ones(m_bands)
    for m in range(m_bands):
        own = int(np.nanargmin(rss[m]))
        pick = own if (rss[m][common] - rss[m][own]) / variance[m] > EVIDENCE else common
        local = SHIFTS_NM[pick] + _REFINE_NM
        cands = prior.variants(m, local, STRETCHES)
        cost = _rss(cands, gram, *targets[m])
        unit = int(np.flatnonzero(STRETCHES == 1.0)[0]) * local.size + int(np.argmin(np.abs(_REFINE_NM)))
        best = int(np.nanargmin(cost))
        if not (cost[unit] - cost[best]) / variance[m] > EVIDENCE:
            best = unit
        adapted[:, m] = cands[best]
        stretches[m], shifts[m] = STRETCHES[best // local.size], local[best % local.size]
    return adapted, shifts, stretches


def _rss(cands: np.ndarray, gram: np.ndarray, rhs: np.ndarray, energy: float) -> np.ndarray:
    """``min_g ‖g Yᵀp − b‖²`` of each variant (NaN for variants outside the HSI's range)."""
    power = np.einsum("nc,cd,nd->n", cands, gram, cands)
    return energy - (cands @ rhs) ** 2 / np.where(power > 0, power, np.nan)
