"""The joint PSF + SRF fit on a chosen window: one convex QP solved exactly.

For every MSI band ``m`` and every usable LR pixel, the LR-HSI integrated by the SRF column
``s_m`` must equal the HR-MSI band blurred and sampled by the PSF ``k``::

    Yᵀ s_m ≈ A_m k,        k ≥ 0, 1ᵀk = 1,  s_m ≥ 0, 1ᵀs_m = 1.

The residual is linear in ``(k, s_1 … s_M)`` jointly, so least squares over both is a convex QP
(no alternation needed). Bands are weighted by the inverse mean square of the HR-MSI band so
each counts equally; small penalties keep the PSF smooth (weight chosen by GCV) and the SRF
smooth along wavelength, and an optional prior pulls each SRF column towards a preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .simplex_qp import ArrowQP, QPSolution, solve_arrow_qp
from .psf_estimator import smoothness_matrix
from .srf_estimator import spectral_smoothness
from .windows import Patches, Window

__all__ = ["JointFit", "joint_fit", "SRF_SMOOTHNESS", "PRIOR_WEIGHT"]

#: Weight of the SRF's smoothness along wavelength (relative to the mean eigenvalue of YYᵀ).
SRF_SMOOTHNESS = 1e-6
#: Weight of the pull towards an SRF prior (same scale).
PRIOR_WEIGHT = 0.1


@dataclass
class JointFit:
    """PSF on the window ``(height, width)``, SRF ``(C, M)``, solver iterations and ridge."""

    kernel: np.ndarray
    srf: np.ndarray
    iterations: int
    ridge: float
    solution: QPSolution


def joint_fit(patches: Patches, weights: np.ndarray, window: Window, psf_smoothness: float,
              wavelengths: Optional[np.ndarray] = None, prior: Optional[np.ndarray] = None,
              prior_weight: float = PRIOR_WEIGHT, start: Optional[JointFit] = None) -> JointFit:
    """Least-squares PSF and SRF on ``window`` under the simplex constraints.

    ``start``, a fit of the same window with other penalties, warm-starts the solver.
    """
    y, a = patches.y, patches.a
    n, c = patches.n_pixels, y.shape[0]
    hkk = sum(w * (am.T @ am) for w, am in zip(weights, a)) / n
    hkk += psf_smoothness * np.trace(hkk) / window.size * (smoothness_matrix(window) + 1e-3 * np.eye(window.size))
    q = y @ y.T / n
    mean_eig = np.trace(q) / c
    base = q + SRF_SMOOTHNESS * mean_eig * (spectral_smoothness(wavelengths, c) + 1e-3 * np.eye(c))
    fs = np.zeros((len(weights), c))
    if prior is not None:
        base = base + prior_weight * mean_eig * np.eye(c)
        fs = (weights[:, None] * prior_weight * mean_eig) * prior.T
    qss = weights[:, None, None] * base[None]
    cross = np.stack([-w * (y @ am).T / n for w, am in zip(weights, a)])
    sol = solve_arrow_qp(ArrowQP(hkk, cross, qss, np.zeros(window.size), fs),
                         start=None if start is None else start.solution)
    return JointFit(sol.k.reshape(window.height, window.width), sol.s, sol.iterations, sol.ridge, sol)
