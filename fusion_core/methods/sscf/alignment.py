"""Relative alignment of the HR-MSI to the HSI: a sub-pixel shift and a blur between sensors.

The degradation model says how the LR-HSI was obtained from the unknown HR-HSI. With two real
sensors the HR-MSI is not exactly on that HR-HSI's grid and does not have its sharpness: bands
of different instruments are registered to a fraction of a pixel at best, and their optics
differ. A spectral mapping applied to such an MSI puts every edge where the MSI has it, not
where the HSI has it, and that costs several dB (about 4 dB on the Hyperion/ALI pair).

The relative kernel ``g`` (a shift ``(dy, dx)`` and an isotropic Gaussian blur of variance
``s``, applied in the Fourier domain on a reflect-padded image) is found by matching the HR-MSI,
warped by ``g`` and degraded by the scene's PSF, to the LR-HSI integrated by the SRF, band by
band up to a gain and an offset (so an approximate SRF still serves). On simulated pairs both
sides agree at ``g = identity`` and the fit stays there; the warp is only used when it explains
a clear share of the mismatch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import minimize

from ...degradation import alias_mean, blur_spectrum, spectral_degrade

__all__ = ["Alignment", "estimate_alignment", "warp", "noise_gains"]

#: Share of the cross-sensor mismatch the warp must remove to be used.
MIN_GAIN = 0.2
#: Edge of the central LR square the alignment is fitted on, at most: 2304 LR pixels × M bands
#: fix three parameters to a few thousandths of a pixel.
FIT_LR_PIXELS = 48
#: Fewest valid LR pixels in that crop for a fit (fewer: no alignment).
MIN_FIT_PIXELS = 64
_PAD = 8
#: L-BFGS (scipy's: torch's optimisers import torch._dynamo on first use, 1.4 s of every
#: process's first window) to the tolerances of torch's LBFGS, which the fit was tuned with: a
#: looser gradient tolerance stops at the blur's start, whose gradient is small.
_LBFGS_OPTIONS = {"maxiter": 40, "maxfun": 50, "gtol": 1e-7, "ftol": 1e-9}


@dataclass(frozen=True)
class Alignment:
    """A relative kernel: shift ``(dy, dx)`` in HR pixels and Gaussian blur variance (HR px²)."""

    dy: float = 0.0
    dx: float = 0.0
    blur: float = 0.0

    @property
    def is_identity(self) -> bool:
        return self.dy == 0.0 and self.dx == 0.0 and self.blur == 0.0

    def then(self, other: "Alignment") -> "Alignment":
        """This kernel followed by ``other`` (shifts add, blur variances add)."""
        return Alignment(self.dy + other.dy, self.dx + other.dx, self.blur + other.blur)


def warp(x: torch.Tensor, dy: torch.Tensor | float, dx: torch.Tensor | float,
         blur: torch.Tensor | float) -> torch.Tensor:
    """Shift an image ``(M, H, W)`` by ``(dy, dx)`` HR pixels and blur it with variance ``blur``."""
    m, h, w = x.shape
    pad = min(_PAD, h - 1, w - 1)
    xp = F.pad(x[None], (pad, pad, pad, pad), mode="reflect")[0]
    hp, wp = xp.shape[-2:]
    ky = torch.fft.fftfreq(hp, dtype=x.dtype, device=x.device)[:, None]
    kx = torch.fft.rfftfreq(wp, dtype=x.dtype, device=x.device)[None, :]
    phase = -2.0 * math.pi * (ky * dy + kx * dx)
    gain = torch.exp(-2.0 * math.pi ** 2 * (ky ** 2 + kx ** 2) * blur)
    spectrum = torch.fft.rfft2(xp) * torch.polar(gain, phase)
    return torch.fft.irfft2(spectrum, s=(hp, wp))[:, pad:pad + h, pad:pad + w]


def _mismatch(target: torch.Tensor, features: torch.Tensor,
              valid: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Mean over bands of the share of each target band a gain and offset of ``features`` miss,
    over the pixels of ``valid`` (all when None)."""
    t = target.reshape(target.shape[0], -1)
    f = features.reshape(features.shape[0], -1)
    if valid is not None:
        keep = valid.reshape(-1)
        t, f = t[:, keep], f[:, keep]
    t = t - t.mean(1, keepdim=True)
    f = f - f.mean(1, keepdim=True)
    cov = (t * f).sum(1)
    tt = (t * t).sum(1).clamp_min(1e-30)
    ff = (f * f).sum(1).clamp_min(1e-30)
    return (1.0 - cov ** 2 / (tt * ff)).mean()


def estimate_alignment(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, psf: np.ndarray | torch.Tensor,
                       srf: np.ndarray, scale: int, valid: Optional[torch.Tensor] = None) -> Alignment:
    """The relative kernel that best maps the HR-MSI ``(M, H, W)`` onto the LR-HSI ``(C, h, w)``.

    Fitted on the central ``FIT_LR_PIXELS``² LR pixels at most (three parameters need far fewer
    pixels than a window has), in the Fourier domain: the HR-MSI's spectrum times the PSF's is
    computed once, and each trial kernel costs one product with it and the fold of its aliases
    onto the LR grid (:func:`~fusion_core.degradation.alias_mean`) instead of two HR FFTs and a
    convolution. Only the LR pixels of ``valid`` ``(h, w)`` are compared (all when None).
    """
    rows, cols = _central(lr_hsi.shape[1], FIT_LR_PIXELS), _central(lr_hsi.shape[2], FIT_LR_PIXELS)
    inside = None if valid is None else valid[rows, cols]
    if inside is not None and int(inside.sum()) < MIN_FIT_PIXELS:
        return Alignment()
    target = spectral_degrade(lr_hsi[None, :, rows, cols].double(), srf)[0]
    hr_rows, hr_cols = slice(rows.start * scale, rows.stop * scale), slice(cols.start * scale, cols.stop * scale)
    z = hr_msi[:, hr_rows, hr_cols].double()
    pad_lr = min(math.ceil(_PAD / scale), target.shape[1] - 1, target.shape[2] - 1)
    zp = F.pad(z[None], (pad_lr * scale,) * 4, mode="reflect")[0]
    hp, wp = zp.shape[-2:]
    blurred = torch.fft.fft2(zp) * blur_spectrum(psf, scale, hp, wp, zp)
    ky = torch.fft.fftfreq(hp, dtype=z.dtype, device=z.device)[:, None]
    kx = torch.fft.fftfreq(wp, dtype=z.dtype, device=z.device)[None, :]
    h, w = target.shape[1:]

    def mismatch(dy, dx, blur) -> torch.Tensor:
        phase = -2.0 * math.pi * (ky * dy + kx * dx)
        gain = torch.exp(-2.0 * math.pi ** 2 * (ky ** 2 + kx ** 2) * blur)
        lr = torch.fft.ifft2(alias_mean(blurred * torch.polar(gain, phase), scale)).real
        return _mismatch(target, lr[:, pad_lr:pad_lr + h, pad_lr:pad_lr + w], inside)

    with torch.no_grad():
        base = float(mismatch(0.0, 0.0, 0.0))

    def loss_and_gradient(params: np.ndarray) -> tuple[float, np.ndarray]:
        theta = torch.tensor(params, dtype=torch.float64, device=z.device, requires_grad=True)
        with torch.enable_grad():
            loss = mismatch(theta[0], theta[1], F.softplus(theta[2]))
            loss.backward()
        assert theta.grad is not None
        return float(loss.detach()), theta.grad.cpu().numpy()

    fit = minimize(loss_and_gradient, np.array([0.0, 0.0, -4.0]), jac=True, method="L-BFGS-B",
                   options=_LBFGS_OPTIONS)
    dy, dx, blur = float(fit.x[0]), float(fit.x[1]), float(F.softplus(torch.tensor(fit.x[2])))
    with torch.no_grad():
        best = float(mismatch(dy, dx, blur))
    if not all(map(math.isfinite, (dy, dx, blur, best))) or best > (1.0 - MIN_GAIN) * base:
        return Alignment()
    return Alignment(dy, dx, blur)


def _central(n: int, most: int) -> slice:
    """The central ``most`` indices of ``n`` (all of them when fewer)."""
    start = max(0, (n - most) // 2)
    return slice(start, start + min(n, most))


def noise_gains(alignment: Alignment, psf: np.ndarray | torch.Tensor, dtype: torch.dtype,
                device: torch.device) -> tuple[float, float]:
    """``(Σ g², Σ (k ∗ g)²)``: the noise variance an HR-MSI pixel passes to the warped HR-MSI and
    to its LR version, per unit of its own noise variance."""
    k = torch.as_tensor(psf, dtype=dtype, device=device)
    margin = _PAD + int(math.ceil(abs(alignment.dy) + abs(alignment.dx) + 4 * math.sqrt(alignment.blur)))
    canvas = F.pad(k, (margin, margin, margin, margin))
    delta = torch.zeros_like(canvas)
    delta[canvas.shape[0] // 2, canvas.shape[1] // 2] = 1.0
    both = torch.stack([delta, canvas])
    warped = warp(both, alignment.dy, alignment.dx, alignment.blur)
    return float((warped[0] ** 2).sum()), float((warped[1] ** 2).sum())
