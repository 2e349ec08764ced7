"""Data-consistency solve: the smallest smooth correction that makes an image fit the LR-HSI.

Given a first HR estimate, its LR residual ``R = Y - D(X0)`` says what the estimate gets wrong at
low resolution. The correction ``Δ`` solves, for every channel independently,

    min_Δ  ||D(Δ) - R||²  +  τ ||∇Δ||²  +  μ ||Δ||²,

where ``μ`` (per channel) weighs the residual's noise against the correction it should carry and
``D`` is the scene's blur-and-decimate operator (:func:`~fusion_core.degradation.spatial_degrade`,
so any PSF, anisotropic or larger than the ratio, is handled exactly, borders included). The
normal equations ``(DᵀD + τ ∇ᵀ∇ + μ I) Δ = Dᵀ R`` are symmetric positive definite. With a small
``τ`` the result reproduces ``R`` after degradation almost exactly and spreads it smoothly over
each LR pixel's footprint. Two solvers:

* :func:`fourier_correction` (the default): on a periodic image the blur, the decimation's
  aliasing and the Laplacian are all diagonal in the Fourier domain, and the Woodbury identity
  turns the normal equations into one division per LR frequency (the closed form of Zhao et
  al., "Fast single image super-resolution using a new analytical solution for ℓ2–ℓ2
  problems", IEEE TIP 2016). The residual is first extended by a mirror image of itself, so the
  periodic solution equals the one with mirrored borders; two FFTs per channel replace the
  tens of operator calls of conjugate gradients.
* :func:`consistency_correction`: conjugate gradients on the exact operator, borders as
  :func:`~fusion_core.degradation.spatial_degrade` extends them, to any tolerance. Away from
  the border of the image (a few LR pixels) both agree to the solver's tolerance.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import torch

from ...degradation import alias_mean, blur_spectrum, spatial_degrade
from ...progress import Progress
from ..gaps import fill_gaps

__all__ = ["spatial_adjoint", "neg_laplacian", "conjugate_gradient", "consistency_correction",
           "fourier_correction", "MIRROR_LR_PIXELS"]

#: LR pixels of mirrored residual around the image in the Fourier solve: the correction's
#: response to a border decays about sevenfold per LR pixel, so at this distance the
#: periodic wrap-around changes it by less than 1e-6 of its range.
MIRROR_LR_PIXELS = 8
#: Bytes of the HR images :func:`fourier_correction` inverts at a time: a few channels' spectra
#: and inverse transforms instead of all of them at once (tens of MB per window, fresh pages
#: each time).
_BLOCK_BYTES = 1 << 23


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
    valid: Optional[torch.Tensor] = None,
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
        valid: ``(h, w)`` the LR pixels that are data (all when None): the data term is
            summed over them only.
    """
    tau = smoothness / scale ** 2
    mu = damping.to(residual.dtype).clamp_min(1e-6 * tau)[None, :, None, None]
    weight = 1.0 if valid is None else valid.to(residual.dtype)
    rhs = spatial_adjoint(weight * residual[None], psf, scale)

    def normal(d: torch.Tensor) -> torch.Tensor:
        data = weight * spatial_degrade(d, psf, scale)
        return spatial_adjoint(data, psf, scale) + tau * neg_laplacian(d) + mu * d

    delta, _ = conjugate_gradient(normal, rhs, iters, tol, progress)
    return delta[0]


def _mirror(x: torch.Tensor, before: tuple[int, int], after: tuple[int, int]) -> torch.Tensor:
    """``x`` ``(..., h, w)`` extended by its half-sample mirror image (edge pixels repeated)."""
    def axis(t: torch.Tensor, dim: int, b: int, a: int) -> torch.Tensor:
        n = t.shape[dim]
        parts: list[torch.Tensor] = []
        while b > 0:  # a mirror wider than the image alternates mirrored and straight copies
            take = min(b, n)
            parts.insert(0, t.narrow(dim, 0, take).flip(dim) if len(parts) % 2 == 0 else t.narrow(dim, n - take, take))
            b -= take
        parts.append(t)
        rest, flip = a, True
        while rest > 0:
            take = min(rest, n)
            parts.append(t.narrow(dim, n - take, take).flip(dim) if flip else t.narrow(dim, 0, take))
            rest -= take
            flip = not flip
        return torch.cat(parts, dim) if len(parts) > 1 else t

    return axis(axis(x, -2, before[0], after[0]), -1, before[1], after[1])


def _fft_size(n: int) -> int:
    """The smallest size ``>= n`` whose prime factors are 2, 3 and 5 (fast FFTs)."""
    while True:
        m = n
        for f in (2, 3, 5):
            while m % f == 0:
                m //= f
        if m == 1:
            return n
        n += 1


def fourier_correction(
    residual: torch.Tensor,
    psf: np.ndarray | torch.Tensor,
    scale: int,
    smoothness: float,
    damping: torch.Tensor,
    mirror: int = MIRROR_LR_PIXELS,
    valid: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """The HR correction ``Δ`` ``(C, H, W)`` of :func:`consistency_correction`, in closed form.

    With ``A = τ ∇ᵀ∇ + μ I`` and ``D = S B`` (blur ``B``, decimation ``S``), the Woodbury identity
    gives ``Δ = A⁻¹ Bᵀ Sᵀ (I + S B A⁻¹ Bᵀ Sᵀ)⁻¹ R``. On a periodic grid ``A`` and ``B`` are
    Fourier multipliers ``a(ω)`` and ``b(ω)``, ``Sᵀ`` repeats the LR spectrum over the HR one and
    ``S`` averages the ``r²`` HR frequencies that alias onto each LR one, so the inner inverse
    is a division by ``1 + mean_aliases(|b|² / a)`` at each LR frequency. The residual is
    mirrored by ``mirror`` LR pixels on each side (more where that makes the FFT sizes fast)
    and the correction cropped back, so the borders behave as mirrors, as in the CG solve.
    Computed in single precision (products and quotients only, no cancellation), one channel's
    spectrum at a time, with the inverse FFT over the half spectrum of a real image.

    With ``valid`` ``(h, w)``, only those LR pixels are data. The closed form needs every pixel,
    so each missing one takes the residual of the nearest valid pixel, as the mirrored border
    does: on the Jasper Ridge swath pair of ``benchmarks/REAL_PRODUCTS.md`` this is within 0.01 dB of
    repeating the solve with the gaps filled by the correction's own prediction (the EM
    iteration towards the exact masked solution, which :func:`consistency_correction` solves).

    Args: as :func:`consistency_correction`. Returns the residual's dtype.
    """
    if valid is not None and not bool(valid.all()):
        residual = fill_gaps(torch.where(valid, residual, torch.full_like(residual, float("nan"))))
    c, h, w = residual.shape
    r = scale
    tau = smoothness / r ** 2
    (top, left) = (min(mirror, 4 * h), min(mirror, 4 * w))
    big_h, big_w = _fft_size(h + 2 * top), _fft_size(w + 2 * left)
    padded = _mirror(residual.float(), (top, left), (big_h - h - top, big_w - w - left))
    hr_h, hr_w = big_h * r, big_w * r
    half = hr_w // 2 + 1
    blur = blur_spectrum(psf, r, hr_h, hr_w, padded)                              # (H, W)
    power = blur.abs() ** 2
    fy = torch.fft.fftfreq(hr_h, dtype=padded.dtype, device=padded.device)[:, None]
    fx = torch.fft.fftfreq(hr_w, dtype=padded.dtype, device=padded.device)[None, :]
    laplacian = tau * (4 * torch.sin(torch.pi * fy) ** 2 + 4 * torch.sin(torch.pi * fx) ** 2)
    mu = damping.double().clamp_min(1e-6 * tau).tolist()
    lr_spectrum = torch.fft.fft2(padded)                                          # (C, h, w)
    adjoint = blur[:, :half].conj()
    delta = torch.empty(c, h * r, w * r, dtype=residual.dtype, device=padded.device)
    step = max(1, _BLOCK_BYTES // (hr_h * hr_w * padded.element_size()))
    spectrum = torch.empty(min(step, c), hr_h, half, dtype=lr_spectrum.dtype, device=padded.device)
    a = torch.empty_like(laplacian)
    for start in range(0, c, step):  # a few channels at a time: their spectra stay small
        block = range(start, min(start + step, c))
        for i, channel in enumerate(block):
            torch.add(laplacian, mu[channel], out=a)                              # (H, W)
            inner = lr_spectrum[channel] / (1.0 + alias_mean(power / a, r))       # (h, w)
            # Sᵀ: the LR spectrum repeated over the HR one (its half, for the real inverse FFT).
            repeated = inner.repeat(r, -(-half // big_w))[:, :half]
            torch.mul(repeated, adjoint / a[:, :half], out=spectrum[i])
        whole = torch.fft.irfft2(spectrum[:len(block)], s=(hr_h, hr_w))
        delta[start:block.stop] = whole[:, top * r:(top + h) * r, left * r:(left + w) * r]
    return delta
