"""The LR-HSI's spectral signal subspace: a few spectral vectors that carry its signal.

Hyperspectral pixels lie close to a low-dimensional subspace; fusing its coefficients instead of
every band is faster and discards the noise outside it. The subspace is found on the
noise-whitened LR-HSI (each band divided by its noise std), where pure noise would give
eigenvalues of the sample covariance below the Marchenko–Pastur edge ``(1 + √(C/n))²``:
components above that edge carry signal. On clean data almost every component does and the
subspace grows up to its cap; on noisy data it shrinks to the few components above the noise.
This is the one rule of the engine: SSCF, the pretrained methods' adapter and the blind
estimation all count their components with it.
"""

from __future__ import annotations

from typing import Optional

import torch

from .linalg import orthonormalise, principal_axes
from .noise import SampleMoments, sample_moments

__all__ = ["signal_subspace", "subspace_dimension"]


def signal_subspace(lr_hsi: torch.Tensor, noise_std: torch.Tensor, max_dim: int | None = None,
                    moments: Optional[SampleMoments] = None) -> torch.Tensor:
    """An orthonormal basis ``(C, p)`` (float64) of the LR-HSI's signal subspace.

    Args:
        lr_hsi: ``(C, h, w)`` LR-HSI, or its spectra ``(C, n)``.
        noise_std: ``(C,)`` noise std of its bands.
        max_dim: cap on ``p``; default a third of the pixels (so the estimate stays well posed).
        moments: the LR-HSI's :func:`~.noise.sample_moments` when the caller has them.
    """
    scale, axes, eig, n = _whitened_axes(lr_hsi, noise_std, moments)
    p = _count(eig, lr_hsi.shape[0], n, max_dim)
    return orthonormalise(scale[:, None] * axes[:, :p])


def subspace_dimension(lr_hsi: torch.Tensor, noise_std: torch.Tensor, max_dim: int | None = None) -> int:
    """The number ``p`` of components of :func:`signal_subspace` (same arguments), at least 1."""
    _, _, eig, n = _whitened_axes(lr_hsi, noise_std)
    return _count(eig, lr_hsi.shape[0], n, max_dim)


def _whitened_axes(lr_hsi: torch.Tensor, noise_std: torch.Tensor, moments: Optional[SampleMoments] = None):
    """Band scales ``(C,)``, principal axes ``(C, C)`` and eigenvalues ``(C,)`` of the centred,
    noise-whitened pixels, and their number ``n``; all from the pixels' Gram matrix."""
    moments = moments or sample_moments(lr_hsi)
    gram, n = moments.hsi, moments.count
    spread = (gram.trace() / max(gram.shape[0] * n - 1, 1)).sqrt()           # std of the samples
    scale = noise_std.double().to(gram.device).clamp_min(1e-6 * float(spread) + 1e-30)
    whitened = gram / (scale[:, None] * scale[None, :])
    axes, eig = principal_axes(whitened, whitened)
    return scale, axes, eig, n


def _count(eig: torch.Tensor, c: int, n: int, max_dim: int | None) -> int:
    """Eigenvalues above the Marchenko–Pastur edge of pure noise, between 1 and the cap."""
    edge = (1.0 + (c / n) ** 0.5) ** 2
    cap = max(1, min(c, n // 3 if max_dim is None else max_dim))
    return int(min(max(1, int((eig / max(n - 1, 1) > edge).sum())), cap))
