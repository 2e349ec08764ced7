"""The PSF: where it lies and how large it is (localisation), and how smooth it is (GCV).

Localisation solves the relation "HR-MSI blurred by k = LR-HSI times some SRF" with the SRF
eliminated in closed form: for a fixed ``k`` the best SRF column is the projection of the
blurred band onto the LR-HSI's signal subspace, so ``k`` minimises the part of ``A_m k`` that
the subspace cannot explain — a simplex-constrained least squares on ``K²`` unknowns only, fast
even for windows of ``(3r+1)²`` pixels. Restricting the projection to the signal subspace keeps
the LR-HSI's noise out of it.

The support is then read from the localised kernel: the smallest rectangle that keeps all but
:data:`TRIM_MASS` of its mass, plus one pixel of margin.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from .simplex_qp import ArrowQP, solve_arrow_qp
from .windows import Patches, Window

__all__ = ["locate_psf", "rim_mass", "trim_window", "smoothness_matrix", "choose_smoothness",
           "TRIM_MASS", "SMOOTHNESS_GRID"]

#: Mass a trimmed support may leave out of the localised kernel.
TRIM_MASS = 0.01
#: Candidate weights of the PSF smoothness penalty (relative to the mean diagonal of the Gram).
SMOOTHNESS_GRID = (1e-6, 1e-5, 1e-4, 1e-3)


def locate_psf(patches: Patches, weights: np.ndarray, dimension: int,
               window: Window) -> tuple[np.ndarray, int]:
    """Kernel ``(height, width)`` on ``window`` with the SRF projected out; and solver iterations."""
    n = patches.n_pixels
    u, _, vt = np.linalg.svd(patches.y, full_matrices=False)
    basis = vt[:dimension].T                                    # (n, p) orthonormal
    gram = np.zeros((window.size, window.size))
    for w, a in zip(weights, patches.a):
        proj = basis.T @ a
        gram += w * (a.T @ a - proj.T @ proj)
    gram /= n
    empty = np.zeros((0, window.size, 1))
    qp = ArrowQP(gram + 1e-10 * np.trace(gram) / window.size * np.eye(window.size), empty,
                 np.zeros((0, 1, 1)), np.zeros(window.size), np.zeros((0, 1)))
    sol = solve_arrow_qp(qp)
    return sol.k.reshape(window.height, window.width), sol.iterations


def rim_mass(kernel: np.ndarray) -> float:
    """Share of the kernel's mass on its outermost ring of pixels."""
    inner = kernel[1:-1, 1:-1].sum() if min(kernel.shape) > 2 else 0.0
    return float((kernel.sum() - inner) / kernel.sum())


def trim_window(kernel: np.ndarray, window: Window, mass: float = TRIM_MASS, margin: int = 1) -> Window:
    """The smallest sub-window leaving out at most ``mass`` of ``kernel``, grown by ``margin``."""
    top, bottom, left, right = 0, kernel.shape[0], 0, kernel.shape[1]
    removed = 0.0
    total = kernel.sum()
    while True:
        edges = []
        if bottom - top > 1:
            edges += [(kernel[top, left:right].sum(), "top"), (kernel[bottom - 1, left:right].sum(), "bottom")]
        if right - left > 1:
            edges += [(kernel[top:bottom, left].sum(), "left"), (kernel[top:bottom, right - 1].sum(), "right")]
        if not edges:
            break
        value, side = min(edges)
        if removed + value > mass * total:
            break
        removed += value
        if side == "top":
            top += 1
        elif side == "bottom":
            bottom -= 1
        elif side == "left":
            left += 1
        else:
            right -= 1
    top, left = max(top - margin, 0), max(left - margin, 0)
    bottom, right = min(bottom + margin, kernel.shape[0]), min(right + margin, kernel.shape[1])
    return Window(window.top + top, window.left + left, bottom - top, right - left)


def smoothness_matrix(window: Window) -> np.ndarray:
    """``DᵀD`` of the horizontal and vertical first differences of a kernel on ``window``."""
    def diff(n: int) -> np.ndarray:
        return np.diff(np.eye(n), axis=0)
    d = np.vstack([np.kron(diff(window.height), np.eye(window.width)),
                   np.kron(np.eye(window.height), diff(window.width))])
    return d.T @ d


def choose_smoothness(patches: Patches, weights: np.ndarray, srf: np.ndarray, window: Window) -> float:
    """Smoothness weight from :data:`SMOOTHNESS_GRID` minimising generalised cross-validation.

    GCV (Golub, Heath & Wahba 1979) is evaluated on the PSF-only problem with the SRF fixed and
    the sum-to-one constraint eliminated; it needs no noise level.
    """
    null = sla.null_space(np.ones((1, window.size)))
    base = np.full(window.size, 1.0 / window.size)
    gram = np.zeros((window.size, window.size))
    rhs = np.zeros(window.size)
    energy, n = 0.0, 0
    for m, (w, a) in enumerate(zip(weights, patches.a)):
        resid0 = patches.y.T @ srf[:, m] - a @ base
        gram += w * (a.T @ a)
        rhs += w * (a.T @ resid0)
        energy += w * float(resid0 @ resid0)
        n += resid0.size
    scale = np.trace(gram) / window.size
    gram_r, rhs_r = null.T @ gram @ null, null.T @ rhs
    penalty = null.T @ smoothness_matrix(window) @ null
    scores = []
    for lam in SMOOTHNESS_GRID:
        system = gram_r + lam * scale * penalty
        z = np.linalg.solve(system, rhs_r)
        rss = energy - 2.0 * z @ rhs_r + z @ gram_r @ z
        trace = np.trace(np.linalg.solve(system, gram_r))
        scores.append(n * max(rss, 0.0) / max(n - trace, 1.0) ** 2)
    return float(SMOOTHNESS_GRID[int(np.argmin(scores))])
