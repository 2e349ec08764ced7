"""Small dense decompositions (a few hundred rows at most), computed with numpy's LAPACK.

torch's CPU build calls multi-threaded MKL for SVD, eigh and QR; on a busy machine its threads
spin-wait for each other and a 200×600 SVD can take seconds instead of milliseconds. These
matrices are tiny, so they are moved to numpy (float64) and the result comes back on the
caller's device.

Many tiny systems, one per pixel of a map (the local spectral map's), are the other case:
:func:`cholesky_maps_` and :func:`cholesky_solve_maps_` factor and solve them with whole maps
as the elements, on the maps' device, without a transposition to pixels-first.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

__all__ = ["principal_axes", "orthonormalise", "cholesky_maps_", "cholesky_solve_maps_"]

#: Least pivot of :func:`cholesky_maps`, relative to the matrix's own diagonal entry: below it
#: (a singular or, by rounding, slightly indefinite matrix) the pivot is raised to it.
PIVOT_FLOOR = 1e-12


def principal_axes(samples: torch.Tensor, gram: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigen-decomposition of ``samples @ samples.T`` for samples ``(C, n)`` (rows are variables).

    ``gram``, when the caller has it already, is that ``(C, C)`` product.

    Returns:
        Eigenvectors ``(C, C)`` (columns) and eigenvalues ``(C,)``, largest first, float64, on
        the samples' device. The eigenvalues are the squared singular values of ``samples``.
    """
    if gram is None:
        gram = samples.double() @ samples.double().T
    values, vectors = np.linalg.eigh(gram.double().cpu().numpy())
    order = np.argsort(values)[::-1]
    device = samples.device
    return (torch.as_tensor(np.ascontiguousarray(vectors[:, order]), dtype=torch.float64, device=device),
            torch.as_tensor(np.clip(values[order], 0.0, None), dtype=torch.float64, device=device))


def orthonormalise(basis: torch.Tensor) -> torch.Tensor:
    """An orthonormal basis ``(C, p)`` of the span of the columns of ``basis`` (QR)."""
    q, _ = np.linalg.qr(basis.double().cpu().numpy())
    return torch.as_tensor(q, dtype=torch.float64, device=basis.device)


def cholesky_maps_(system: torch.Tensor) -> torch.Tensor:
    """Lower Cholesky factors ``L`` ``(M, M, ...)`` of the symmetric positive definite matrices
    ``system[:, :, i]`` ``(M, M, ...)``, one per trailing index (e.g. one per pixel of a map),
    written over the lower triangle of ``system`` (only that triangle is read; the upper one is
    left as it is and means nothing in ``L``). Returns ``system``.

    Computed with whole maps as the elements (structure of arrays), in place: a per-pixel batch
    of small matrices would be transposed to pixels-first and given to LAPACK one matrix at a
    time, which costs more than the arithmetic (a 12×12 system per pixel of a 190² window:
    copies of 0.5 s around a 0.1 s solve). A pivot below :data:`PIVOT_FLOOR` times its
    diagonal entry is raised to it.
    """
    m = system.shape[0]
    floor = torch.finfo(system.dtype).tiny
    for j in range(m):
        column = system[j:, j]
        least = PIVOT_FLOOR * column[0].abs() + floor
        for k in range(j):
            column.addcmul_(system[j:, k], system[j, k], value=-1.0)
        column[0].clamp_(min=least).sqrt_()
        column[1:] /= column[0]
    return system


def cholesky_solve_maps_(factor: torch.Tensor, rhs: torch.Tensor, tile_bytes: int = 1 << 22) -> torch.Tensor:
    """Solve ``L Lᵀ x[k] = rhs[k]`` for factors ``L`` ``(M, M, S, ...)`` of :func:`cholesky_maps_`
    and ``K`` right-hand sides ``rhs`` ``(K, M, S, ...)``, writing ``x`` over ``rhs``; returns it.

    Forward then back substitution with whole maps as the elements, in ``L``'s dtype (``rhs``
    may be stored in a lower precision), along the first trailing axis in tiles of about
    ``tile_bytes`` of ``x``: a tile and its factors stay in the cache through the ``M²``
    passes instead of streaming the whole factor for every right-hand side.
    """
    k, m = rhs.shape[:2]
    span = rhs.shape[2]
    per_index = max(1, k * m * rhs[0, 0, 0].numel() * factor.element_size())
    step = max(1, tile_bytes // per_index)
    for start in range(0, span, step):
        tile = slice(start, min(start + step, span))
        x, f = rhs[:, :, tile].to(factor.dtype), factor[:, :, tile]
        for i in range(m):
            for j in range(i):
                x[:, i].addcmul_(f[i, j], x[:, j], value=-1.0)
            x[:, i] /= f[i, i]
        for i in reversed(range(m)):
            for j in range(i + 1, m):
                x[:, i].addcmul_(f[j, i], x[:, j], value=-1.0)
            x[:, i] /= f[i, i]
        rhs[:, :, tile] = x
    return rhs
