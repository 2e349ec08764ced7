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

import torch

from .linalg import orthonormalise, principal_axes
from .noise import pixel_samples

__all__ = ["signal_subspace", "subspace_dimension"]


def signal_subspace(lr_hsi: torch.Tensor, noise_std: torch.Tensor, max_dim: int | None = None) -> torch.Tensor:
    """An orthonormal basis ``(C, p)`` (float64) of the LR-HSI's signal subspace.

    Args:
        lr_hsi: ``(C, h, w)`` LR-HSI, or its spectra ``(C, n)``.
        noise_std: ``(C,)`` noise std of its bands.
        max_dim: cap on ``p``; default a third of the pixels (so the estimate stays well posed).
    """
    scale, axes, eig, n = _whitened_axes(lr_hsi, noise_std)
    p = _count(eig, lr_hsi.shape[0], n, max_dim)
    return orthonormalise(scale[:, None] * axes[:, :p])


def subspace_dimension(lr_hsi: torch.Tensor, noise_std: torch.Tensor, max_dim: int | None = None) -> int:
    """The number ``p`` of components of :func:`signal_subspace` (same arguments), at least 1."""
    _, _, eig, n = _whitened_axes(lr_hsi, noise_std)
    return _count(eig, lr_hsi.shape[0], n, max_dim)


def _whitened_axes(lr_hsi: torch.Tensor, noise_std: torch.Tensor):
    """Band scales ``(C,)``, principal axes ``(C, C)`` and eigenvalues ``(C,)`` of the centred,
    noise-whitened pixels, and their number ``n``."""
    y = pixel_samples(lr_hsi)
    n = y.shape[1]
    y = y - y.mean(1, keepdim=True)
    scale = noise_std.double().to(y.device).clamp_min(1e-6 * float(y.std()) + 1e-30)
    axes, eig = principal_axes(y / scale[:, None])
    return scale, axes, eig, n


def _count(eig: torch.Tensor, c: int, n: int, max_dim: int | None) -> int:
    """Eigenvalues above the Marchenko–Pastur edge of pure noise, between 1 and the cap."""
    edge = (1.0 + (c / n) ** 0.5) ** 2
    cap = max(1, min(c, n // 3 if max_dim is None else max_dim))
    return int(min(max(1, int((eig / max(n - 1, 1) > edge).sum())), cap))
