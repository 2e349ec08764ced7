"""The SRF side: smoothness along wavelength, and fitting a (possibly wrong) preset to the data.

A preset is trusted for its shape, not its position or width: each of its columns is shifted
and stretched along wavelength (around its centre) over a grid, and the candidate whose LR-HSI
integral best matches the HR-MSI band blurred by the current PSF is kept. The joint estimate is
then pulled towards that adapted preset, which fixes the components of the SRF that the data
cannot see (outside the LR-HSI's spectral subspace) without overriding those it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from ..spectral import subspace_dimension
from ..srf.prior import SrfPrior
from .windows import Patches

__all__ = ["spectral_smoothness", "adapt_prior", "AdaptedPrior", "STEP_NM", "SHIFTS_NM", "FINE_NM", "STRETCHES",
           "COMMON_STRETCHES", "REFINE_NM", "EVIDENCE_Z"]

#: Shifts (nm) tried for a preset's curves, in a first pass without stretch.
SHIFTS_NM = np.arange(-30.0, 30.5, 1.0)
#: Steps (nm) around the best common shift that refine it: a 1 nm error in the shift alone costs
#: 8 % of the SRF matrix on 10 nm HSI bands (Landsat 8 on AVIRIS).
FINE_NM = np.round(np.arange(-1.0, 1.05, 0.1), 1)
#: Stretch factors tried for all curves together, with the refined common shift.
COMMON_STRETCHES = np.round(np.arange(0.8, 1.251, 0.025), 3)
#: Stretch factors tried, in a second pass around the best shift.
STRETCHES = np.array([0.6, 0.7, 0.8, 0.9, 1.0, 1.12, 1.25, 1.4, 1.6, 1.8, 2.0])
#: Shifts (nm) around a band's shift tried with each stretch.
REFINE_NM = np.arange(-3.0, 3.25, 0.5)
#: Step (nm) of the finite differences that give a shift's standard error.
STEP_NM = 1.0
#: Paired z-score a band's own shift or stretch needs to replace the common shift.
EVIDENCE_Z = 4.0


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


@dataclass
class AdaptedPrior:
    """The prior moved onto the data: its matrix ``(C, M)``, each band's shift (nm, or bands
    for a bare matrix) and stretch, the standard error of each band's shift as its own pixels
    pin it (``inf`` where they do not), and the shift common to the sensor's bands with its
    standard error from all bands' pixels together (known better than any one band's)."""

    matrix: np.ndarray
    shifts: np.ndarray
    stretches: np.ndarray
    shift_std: np.ndarray
    common_shift: float
    common_std: float


def adapt_prior(prior: SrfPrior, patches: Patches, kernel: np.ndarray, noise_std: np.ndarray,
                free_gains: bool = True, memo: Optional[dict] = None) -> AdaptedPrior:
    """Shift and stretch the prior's columns to fit the data.

    Every variant ``p`` of a column is scored by ``RSS(p) = ‖g Yᵀp − A_m k‖²``, the mismatch
    between the LR-HSI it integrates and the HR-MSI band blurred by ``kernel``, with the band's
    radiometric gain ``g`` fitted when ``free_gains`` and 1 otherwise (two sensors calibrated
    alike: the band's level then tells the shift too, which pins it to a few tenths of a nm
    where a free gain leaves it a nm loose). The LR-HSI is first projected onto its signal
    subspace, and the expected share of the noise left there, ``n g² pᵀΣp``, is taken out of
    each score (Σ: the projected noise covariance): noise inside ``Y`` (errors in variables)
    favours variants over quieter or more bands. A sensor's curves usually move together, so one
    shift common to all bands is chosen first, on a 1 nm grid refined to :data:`FINE_NM` (with
    one common stretch of :data:`COMMON_STRETCHES` when the gains are 1). A band
    keeps a shift of its own, and a stretch other than 1, only when that fits its pixels better
    by :data:`EVIDENCE_Z` standard errors of a paired comparison of the per-pixel residuals
    (Vuong 1989): two variants' RSS differ by chance by about ``√n`` residual variances, so a
    fixed RSS drop would be a test whose false alarms grow with the image. The common shift's
    standard error is the same sandwich as a band's (:meth:`_BandScore.shift_std`) on the
    weighted sum of the bands' scores, per pixel, so noise the bands share counts once.

    Args:
        prior: the preset on the HSI bands. patches: equations of the PSF window.
        kernel: the PSF on that window. noise_std: ``(C,)`` LR-HSI noise std per band.
        free_gains: whether each MSI band has a radiometric gain of its own.
        memo: the prior's variants computed so far, kept by a caller that adapts it again.
    """
    memo = {} if memo is None else memo

    def variants(band: int, shifts: np.ndarray, stretches: np.ndarray) -> np.ndarray:
        key = (band, shifts.tobytes(), stretches.tobytes())
        if key not in memo:
            memo[key] = prior.variants(band, shifts, stretches)
        return memo[key]

    dimension = subspace_dimension(torch.from_numpy(patches.y), torch.from_numpy(noise_std))
    basis = np.linalg.svd(patches.y, full_matrices=False)[0][:, :dimension]
    y = basis @ (basis.T @ patches.y)
    cov = basis @ ((basis.T * noise_std ** 2) @ basis) @ basis.T
    bands = [_BandScore(y, a @ np.ravel(kernel), cov, free_gains) for a in patches.a]
    one = np.ones(1)
    coarse = [band.rss(variants(m, SHIFTS_NM, one)) for m, band in enumerate(bands)]
    weights = np.array([band.n / max(float(np.nanmin(rss)), 1e-30 * band.energy) for band, rss in zip(bands, coarse)])
    common = float(SHIFTS_NM[int(np.nanargmin(np.nansum(np.array(coarse) * weights[:, None], axis=0)))])
    fine, widths = common + FINE_NM, COMMON_STRETCHES if not free_gains else one
    total = np.nansum([w * band.rss(variants(m, fine, widths))
                       for m, (w, band) in enumerate(zip(weights, bands))], axis=0)
    best = int(np.nanargmin(total))
    common, wide = float(fine[best % fine.size]), widths[best // fine.size:best // fine.size + 1]
    adapted = np.empty(prior.shape)
    shifts, stretches = np.full(prior.shape[1], common), np.full(prior.shape[1], wide[0])
    for m, band in enumerate(bands):
        adapted[:, m] = variants(m, np.array([common]), wide)[0]
        own = float(SHIFTS_NM[int(np.nanargmin(coarse[m]))])
        centre = own if band.better(variants(m, np.array([own]), one)[0], adapted[:, m]) else common
        local = centre + REFINE_NM
        cands = variants(m, local, STRETCHES)
        best = int(np.nanargmin(band.rss(cands)))
        if band.better(cands[best], adapted[:, m]):
            adapted[:, m] = cands[best]
            stretches[m], shifts[m] = STRETCHES[best // local.size], local[best % local.size]
    steps = np.array([-STEP_NM, 0.0, STEP_NM])
    spread = np.array([band.shift_std(variants(m, shifts[m] + steps, stretches[m:m + 1]), STEP_NM)
                       for m, band in enumerate(bands)])
    trios = [variants(m, common + steps, wide) for m in range(len(bands))]
    return AdaptedPrior(adapted, shifts, stretches, spread, common, _common_std(bands, weights, trios))


def _common_std(bands: list["_BandScore"], weights: np.ndarray, trios: list[np.ndarray]) -> float:
    """Standard error of the shift common to ``bands`` (their scores summed with ``weights``),
    from each band's three variants :data:`STEP_NM` apart around it; bands whose variants leave
    the HSI's range are left out."""
    parts = [(w, band.slope_curvature(trio, STEP_NM)) for w, band, trio in zip(weights, bands, trios)
             if np.all(np.isfinite(trio))]
    if not parts:
        return float("inf")
    slope = sum(w * part[0] for w, part in parts)
    curvature = sum(w * part[1] for w, part in parts)
    return _sandwich(slope, curvature)


def _sandwich(slope: np.ndarray, curvature: float) -> float:
    """Standard error of a minimum from the per-pixel slopes of its score and the score's
    curvature (M-estimator sandwich: the slopes' spread over the curvature)."""
    return float(np.sqrt(slope.size) * np.std(slope) / curvature) if curvature > 0 else float("inf")


class _BandScore:
    """Scores of one MSI band's SRF variants against its equations ``Yᵀp ≈ target``, less the
    part the LR-HSI's noise (covariance ``cov`` per pixel) contributes on average."""

    def __init__(self, y: np.ndarray, target: np.ndarray, cov: np.ndarray, free_gain: bool) -> None:
        self.y, self.target, self.cov, self.free_gain = y, target, cov, free_gain
        self.n = y.shape[1]
        self.gram = y @ y.T - self.n * cov
        self.rhs, self.energy = y @ target, float(target @ target)

    def rss(self, cands: np.ndarray) -> np.ndarray:
        """The score of each variant (rows of ``cands``; NaN outside the HSI's range)."""
        power = np.sum((cands @ self.gram) * cands, axis=1)
        if not self.free_gain:
            return self.energy - 2.0 * cands @ self.rhs + power
        return self.energy - (cands @ self.rhs) ** 2 / np.where(power > 0, power, np.nan)

    def excess(self, cand: np.ndarray) -> np.ndarray:
        """Per-pixel squared residual of a variant less its expected LR-HSI noise part."""
        power = float(cand @ self.gram @ cand)
        gain = 1.0 if not self.free_gain else float(cand @ self.rhs) / power if power > 0 else 0.0
        return (gain * (cand @ self.y) - self.target) ** 2 - gain ** 2 * float(cand @ self.cov @ cand)

    def shift_std(self, trio: np.ndarray, step: float) -> float:
        """Standard error of the shift from three variants ``step`` apart around it (M-estimator
        sandwich: the per-pixel scores' spread over the total score's curvature)."""
        if not np.all(np.isfinite(trio)):
            return float("inf")
        return _sandwich(*self.slope_curvature(trio, step))

    def slope_curvature(self, trio: np.ndarray, step: float) -> tuple[np.ndarray, float]:
        """Per-pixel slopes of the score and its curvature, from three variants ``step`` apart."""
        low, mid, high = self.rss(trio)
        slope = (self.excess(trio[2]) - self.excess(trio[0])) / (2.0 * step)
        return slope, float((low - 2.0 * mid + high) / step ** 2)

    def better(self, cand: np.ndarray, reference: np.ndarray) -> bool:
        """Whether ``cand`` fits the pixels better than ``reference`` by :data:`EVIDENCE_Z`."""
        if not np.all(np.isfinite(cand)) or np.array_equal(cand, reference):
            return False
        gain = self.excess(reference) - self.excess(cand)
        spread = float(np.std(gain)) * np.sqrt(gain.size)
        return bool(gain.sum() > EVIDENCE_Z * spread) if spread > 0 else False
