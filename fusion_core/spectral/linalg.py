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

__all__ = ["principal_axes", "orthonormalise"]


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
