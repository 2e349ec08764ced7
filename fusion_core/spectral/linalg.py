"""Small dense decompositions (a few hundred rows at most), computed with numpy's LAPACK.

torch's CPU build calls multi-threaded MKL for SVD, eigh and QR; on a busy machine its threads
spin-wait for each other and a 200×600 SVD can take seconds instead of milliseconds. These
matrices are tiny, so they are moved to numpy (float64) and the result comes back on the
caller's device.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

__all__ = ["principal_axes", "orthonormalise", "cholesky_maps", "cholesky_solve_maps"]

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


def cholesky_maps(system: torch.Tensor) -> torch.Tensor:
    """Lower Cholesky factors ``(M, M, ...)`` of the symmetric positive definite matrices
    ``system[:, :, i]`` ``(M, M, ...)``, one per trailing index (e.g. one per pixel of a map).

    Computed with whole maps as the elements (structure of arrays): a per-pixel batch of small
    matrices would be transposed to pixels-first and given to LAPACK one matrix at a time, which
    costs far more than the arithmetic (a 12×12 system per pixel of a 190² window: about 1 s).
    A pivot below :data:`PIVOT_FLOOR` times its diagonal entry is raised to it.
    """
    m = system.shape[0]
    factor = torch.zeros_like(system)
    floor = torch.finfo(system.dtype).tiny
    for j in range(m):
        column = system[j:, j]
        if j:
            column = column - (factor[j:, :j] * factor[j, None, :j]).sum(1)
        pivot = column[0].clamp_min(PIVOT_FLOOR * system[j, j].abs() + floor).sqrt()
        factor[j, j] = pivot
        factor[j + 1:, j] = column[1:] / pivot
    return factor


def cholesky_solve_maps(factor: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """Solutions ``x`` ``(K, M, ...)`` of ``L Lᵀ x[k] = rhs[k]`` for factors ``L`` ``(M, M, ...)``
    of :func:`cholesky_maps` and ``K`` right-hand sides ``(K, M, ...)``, in ``L``'s dtype:
    forward then back substitution, with whole maps as the elements."""
    m = factor.shape[0]
    x = rhs.to(factor.dtype, copy=True)
    for i in range(m):
        if i:
            x[:, i] -= (factor[i, :i] * x[:, :i]).sum(1)
        x[:, i] /= factor[i, i]
    for i in reversed(range(m)):
        if i < m - 1:
            x[:, i] -= (factor[i + 1:, i] * x[:, i + 1:]).sum(1)
        x[:, i] /= factor[i, i]
    return x
