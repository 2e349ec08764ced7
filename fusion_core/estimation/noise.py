"""Noise level and signal subspace of the LR-HSI, for handling its noise in the regression.

The noise of each band is the residual of predicting it from its spectral neighbours (the
multiple-regression estimate of HySime, Bioucas-Dias & Nascimento 2008, restricted to ±10 bands
so it stays well posed on small images). The signal subspace keeps the eigenvalues of the
spectral second-moment matrix that stand clearly above the largest eigenvalue pure noise of that
level would give (the Marchenko–Pastur edge).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hsi_noise_variance", "signal_dimension"]

_NEIGHBOURS = 10


def hsi_noise_variance(spectra: np.ndarray) -> np.ndarray:
    """Per-band noise variance ``(C,)`` of spectra ``(C, n)`` (rows are bands).

    Every band's least-squares fit on its neighbours and a constant is solved from one
    ``(C + 1)²`` Gram matrix of the pixels (normal equations), not by a pass over the pixels
    per band.
    """
    c, n = spectra.shape
    out = np.zeros(c)
    if c < 3:
        return out
    rows = np.vstack([spectra, np.ones((1, n), dtype=spectra.dtype)]).astype(np.float64)
    gram = rows @ rows.T                                       # (C + 1, C + 1)
    for band in range(c):
        lo, hi = max(0, band - _NEIGHBOURS), min(c, band + _NEIGHBOURS + 1)
        design = [j for j in range(lo, hi) if j != band] + [c]   # neighbours and the constant
        dof = n - len(design)
        if dof < 5:
            continue
        system, rhs = gram[np.ix_(design, design)], gram[design, band]
        coef = np.linalg.lstsq(system, rhs, rcond=None)[0]
        rss = gram[band, band] - 2.0 * coef @ rhs + coef @ system @ coef
        out[band] = max(rss, 0.0) / dof
    return out


def signal_dimension(spectra: np.ndarray, noise_variance: np.ndarray) -> int:
    """Number of spectral components of ``spectra (C, n)`` above the noise, at least 1."""
    c, n = spectra.shape
    eig = np.linalg.eigvalsh(spectra @ spectra.T / n)[::-1]
    edge = float(np.mean(noise_variance)) * (1.0 + np.sqrt(c / n)) ** 2
    floor = max(2.0 * edge, 1e-12 * eig[0])
    return int(max(1, min(np.sum(eig > floor), max(1, n // 4))))
