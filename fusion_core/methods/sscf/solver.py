"""Data-consistency solve: the smallest smooth correction that makes an image fit the LR-HSI.

Given a first HR estimate, its LR residual ``R = Y - D(X0)`` says what the estimate gets wrong at
low resolution. The correction ``Δ`` solves, for every channel independently,

    min_Δ  ||D(Δ) - R||²  +  τ ||∇Δ||²  +  μ ||Δ||²,

where ``μ`` (per channel) weighs the residual's noise against the correction it should carry and
``D`` is the scene's blur-and-decimate operator (:func:`~fusion_core.degradation.spatial_degrade`,
so any PSF, anisotropic or larger than the ratio, is handled exactly, borders included). The
normal equations ``(DᵀD + τ ∇ᵀ∇ + μ I) Δ = Dᵀ R`` are symmetric positive definite and solved by
conjugate gradients, one step size per channel. With a small ``τ`` the result reproduces ``R``
after degradation almost exactly and spreads it smoothly over each LR pixel's footprint.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import torch

from ...degradation import spatial_degrade
from ...progress import Progress

__all__ = ["spatial_adjoint", "neg_laplacian", "conjugate_gradient", "consistency_correction"]


def spatial_adjoint(lr: torch.Tensor, psf: np.ndarray | torch.Tensor, scale: int) -> torch.Tensor:
    """Adjoint ``Dᵀ`` of :func:`spatial_degrade` applied to an LR image ``(B, C, h, w)``.

    Computed by differentiating the operator itself, so it is the exact adjoint, reflected
    borders included, for any kernel.
    """
    b, c, h, w = lr.shape
    with torch.enable_grad():
        probe = torch.zeros(b, c, h * scale, w * scale, dtype=lr.dtype, device=lr.device,
                            requires_grad=True)
        out = spatial_degrade(probe, psf, scale)
        (grad,) = torch.autograd.grad(out, probe, grad_outputs=lr)
    return grad


def neg_laplacian(x: torch.Tensor) -> torch.Tensor:
    """``∇ᵀ∇ x`` of an image ``(..., H, W)`` with forward differences and Neumann borders."""
    dx = x[..., :, 1:] - x[..., :, :-1]
    dy = x[..., 1:, :] - x[..., :-1, :]
    out = torch.zeros_like(x)
    out[..., :, 1:] += dx
    out[..., :, :-1] -= dx
    out[..., 1:, :] += dy
    out[..., :-1, :] -= dy
    return out


def conjugate_gradient(
    operator: Callable[[torch.Tensor], torch.Tensor],
    rhs: torch.Tensor,
    iters: int,
    tol: float = 1e-8,
    progress: Optional[Progress] = None,
) -> tuple[torch.Tensor, int]:
    """Solve ``operator(x) = rhs`` for a channel-separable SPD operator, from ``x = 0``.

    Every channel of ``rhs`` ``(B, C, H, W)`` is its own system with its own step sizes. Stops
    when the residual norm of every channel fell below ``tol`` times that of its right-hand side.

    Returns:
        The solution and the number of iterations run.
    """
    dims = (-2, -1)
    x = torch.zeros_like(rhs)
    r = rhs.clone()
    p = r.clone()
    rs = (r * r).sum(dims, keepdim=True)
    stop = (tol ** 2) * rs.clamp_min(torch.finfo(rhs.dtype).tiny)
    for it in range(1, iters + 1):
        ap = operator(p)
        curvature = (p * ap).sum(dims, keepdim=True)
        alpha = torch.where(curvature > 0, rs / curvature.clamp_min(torch.finfo(rhs.dtype).tiny),
                            torch.zeros_like(rs))
        x = x + alpha * p
        r = r - alpha * ap
        rs_new = (r * r).sum(dims, keepdim=True)
        if progress is not None:
            progress.update(it / iters, "Data-consistency solve")
        if bool((rs_new <= stop).all()):
            return x, it
        p = r + (rs_new / rs.clamp_min(torch.finfo(rhs.dtype).tiny)) * p
        rs = rs_new
    return x, iters


def consistency_correction(
    residual: torch.Tensor,
    psf: np.ndarray | torch.Tensor,
    scale: int,
    smoothness: float,
    damping: torch.Tensor,
    iters: int,
    tol: float = 1e-8,
    progress: Optional[Progress] = None,
) -> torch.Tensor:
    """The HR correction ``Δ`` ``(C, H, W)`` whose degradation best reproduces ``residual`` ``(C, h, w)``.

    Args:
        residual: LR residual to explain, one channel per coefficient or band.
        psf: the scene's PSF.
        scale: resolution ratio r.
        smoothness: ``τ r²`` (dimensionless): the weight of ``||∇Δ||²`` relative to the data
            term's response to a flat image (``1 / r²``).
        damping: ``(C,)`` the weight ``μ`` of ``||Δ||²`` per channel: its noise variance over
            the variance of the correction it should carry (a Wiener filter); at least
            ``1e-6 τ`` so the system stays well posed.
        iters: maximum number of CG iterations.
        tol: relative residual at which CG stops.
        progress: reports every iteration and honours cancel.
    """
    tau = smoothness / scale ** 2
    mu = damping.to(residual.dtype).clamp_min(1e-6 * tau)[None, :, None, None]
    rhs = spatial_adjoint(residual[None], psf, scale)

    def normal(d: torch.Tensor) -> torch.Tensor:
        return spatial_adjoint(spatial_degrade(d, psf, scale), psf, scale) + tau * neg_laplacian(d) + mu * d

    delta, _ = conjugate_gradient(normal, rhs, iters, tol, progress)
    return delta[0]
