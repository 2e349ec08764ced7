"""SSCF: spectral-mapping fusion with subspace data consistency, the default fusion method."""

from __future__ import annotations

from typing import Optional

import torch

from ...degradation import DegradationModel, spatial_degrade
from ...errors import InputError
from ...progress import Progress
from ...spectral import (
    RidgeMap,
    apply_local_map,
    fit_local_map,
    fit_ridge_map,
    hsi_noise_std,
    msi_noise_std,
    sample_moments,
    signal_subspace,
)
from ..base import FusionConfig, FusionMethod
from ..gaps import bridge_pairs, fill_gaps, finite_pixels, support_valid, valid_pixels
from ..result_memory import result_tensor
from .alignment import Alignment, estimate_alignment, noise_gains, warp
from .settings import PRESETS, SSCFSettings
from .solver import consistency_correction, fourier_correction

#: Fewest LR pixels with a valid footprint for the fit to leave the gaps out; with fewer, the
#: window is bridged as any method's (:func:`~fusion_core.methods.gaps.fill_pairs`).
MIN_VALID_LR_PIXELS = 16
#: Most of an LR pixel's PSF weight that may fall beyond the window (or on its gaps) for the
#: pixel to be fitted on. Beyond the window the HR-MSI is only a reflection of itself, which an
#: off-centre PSF (offset grids, misregistration) weighs differently from the sensor: fitting
#: every edge pixel cost 1.2 dB on a 51×114 EnMAP crop whose true PSF is half an HR pixel off
#: centre, 2.4 dB at 1.5 pixels, 0.7 dB centred. Stricter shares gain nothing there and lose
#: up to 0.5 dB on small simulated pairs with PSFs wider than r (RESULTS' harder protocol),
#: whose borders were simulated by that very reflection.
FIT_OUTSIDE_SHARE = 0.1
#: Least share of the valid LR pixels that those :data:`FIT_OUTSIDE_SHARE` keeps must be for the
#: fit to keep to them. On a tiny image (the report's reduced-resolution pair: 6×6 LR pixels of
#: a 100² scene at r = 4) the pixels away from the edges are a handful, and estimates fitted on
#: them are noisier than the reflection at the edges is wrong.
MIN_FIT_SHARE = 0.5

__all__ = ["SSCF"]


class SSCF(FusionMethod):
    """Spectral-mapping fusion with subspace data consistency (SSCF).

    The fused image is built in four closed-form steps, all decided from the two inputs:

    1. **Alignment** (:mod:`.alignment`): a sub-pixel shift and blur that put the HR-MSI on the
       HSI's grid (the identity on simulated pairs; it matters with real sensors).
    2. **Global spectral map** (:mod:`.mapping`): a ridge regression from the PSF-degraded
       HR-MSI to the LR-HSI, strength by GCV, penalised for the HR-MSI's noise
       (:mod:`.noise`), applied to the HR-MSI.
    3. **Local map of the residual**: what the global map misses at LR, projected on the
       LR-HSI's signal subspace (:mod:`.subspace`), is explained by a smoothly varying local
       affine map of the MSI bands and added at HR.
    4. **Data consistency** (:mod:`.solver`): the remaining LR residual is spread over HR
       pixels by the smoothest correction whose degradation reproduces it (in closed form in the
       Fourier domain, or by conjugate gradients on the exact PSF operator), damped per subspace
       coefficient by its noise share.

    It optimises, in turn, the LR fit of the spectral maps (least squares with data-chosen
    ridges) and ``||D(Δ) - R||² + τ||∇Δ||² + μ||Δ||²`` for the correction. A 100×100 scene with
    200 bands takes about a second on a laptop CPU, and the cost grows with pixels × bands.
    A window with nodata (NaN) is fused with its gaps left out of every fit and check (the LR
    pixels whose PSF footprint is valid), so a gap costs only what it hides.
    Preset ``"paper"`` solves the consistency step by conjugate gradients to a tight tolerance. Options: the fields of
    :class:`~.settings.SSCFSettings`.
    """

    name = "sscf"
    presets = PRESETS
    halo_lr_pixels = 8
    handles_gaps = True  # fitted and checked on the LR pixels whose footprint is valid
    concurrent_windows = True  # closed form, no random state
    #: Measured by ``benchmarks/memory.py``: the HR work is on M + p maps, not on the C bands.
    memory_factor = 1.5

    def fuse(
        self,
        lr_hsi: torch.Tensor,
        hr_msi: torch.Tensor,
        model: DegradationModel,
        config: FusionConfig,
        progress: Progress,
    ) -> torch.Tensor:
        settings: SSCFSettings = self.settings(config)
        _check_inputs(lr_hsi, hr_msi, model)
        lr_hsi, hr_msi, fit, data = _leave_out_gaps(lr_hsi, hr_msi, model)
        r = model.scale
        y = lr_hsi.double()
        z = hr_msi.float()  # HR work in float32: warp, local map, composition
        alignment = Alignment()
        psf = torch.as_tensor(model.psf, dtype=torch.float64, device=y.device)  # one upload for every solver step

        progress.update(0.0, "Aligning the HR-MSI to the HSI")
        if settings.align:
            moved = z if alignment.is_identity else warp(z, alignment.dy, alignment.dx, 0.0)
            alignment = alignment.then(estimate_alignment(y, moved, psf, model.srf, r, fit))
        if not alignment.is_identity:
            z = warp(z, alignment.dy, alignment.dx, alignment.blur)
            progress.info(
                f"SSCF: HR-MSI shifted by ({alignment.dy:+.2f}, {alignment.dx:+.2f}) px and "
                f"blurred (variance {alignment.blur:.2f} px²) to match the HSI."
            )
        lr_msi = spatial_degrade(z[None], psf, r)[0].double()
        hr_gain, lr_gain = noise_gains(alignment, psf, torch.float64, z.device)
        progress.update(0.15, "Estimating the noise of both images")
        srf = torch.as_tensor(model.srf, device=y.device)
        y_pixels, lr_msi_pixels = valid_pixels(y, fit), valid_pixels(lr_msi, fit)
        moments = sample_moments(y_pixels, lr_msi_pixels)  # one Gram matrix for every estimate
        sigma_y = hsi_noise_std(y_pixels, moments)
        sigma_z = msi_noise_std(hr_msi, lr_msi_pixels, y_pixels, sigma_y, srf, lr_gain, moments)
        extra_var = sigma_z ** 2 * max(hr_gain - lr_gain, 0.0)

        # The result is x = W z + b + basis @ c: the global map of the HR-MSI plus subspace
        # coefficients c at HR. Every step works on z and c (M + p maps), never on the C bands
        # at HR; D(W z + b) = W D(z) + b because the PSF sums to one.
        progress.update(0.2, "Learning the spectral map")
        every = moments if moments.count == y_pixels[0].numel() else None  # not subsampled
        ridge = fit_ridge_map(lr_msi_pixels, y_pixels, extra_var, every)
        basis = signal_subspace(y_pixels, sigma_y, moments=moments)
        residual = _coefficients(basis, y) - _projected(ridge, basis)(lr_msi)
        coefficients = None
        if settings.local:
            progress.update(0.3, "Learning the local spectral map")
            local = fit_local_map(lr_msi, residual, settings.local_radius, settings.local_eps, extra_var, fit)
            coefficients = apply_local_map(local, z, r)
            residual = residual - spatial_degrade(coefficients[None], psf, r)[0].double()

        progress.update(0.45, "Solving for data consistency")
        damping = _damping(valid_pixels(residual, fit), basis, sigma_y, r)
        if data is not None:
            residual = residual * data
        if settings.fourier_solve:
            # in single precision throughout (products and quotients, no cancellation)
            delta = fourier_correction(residual.float(), psf, r, settings.smoothness, damping, valid=data)
        else:
            delta = consistency_correction(residual, psf, r, settings.smoothness, damping,
                                           settings.cg_iters, settings.cg_tol, progress.child(0.45, 1.0),
                                           data)
        coefficients = delta.float() if coefficients is None else coefficients.add_(delta)
        progress.update(0.95, "Composing the bands")
        x = _compose(ridge, basis, z, coefficients)
        progress.update(1.0, "Fused")
        progress.info(f"SSCF: signal subspace of {basis.shape[1]} components.")
        return x.to(dtype=lr_hsi.dtype if lr_hsi.is_floating_point() else torch.float32)


def _leave_out_gaps(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel
                    ) -> tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
    """The window with its gaps (NaN) filled for computation, the LR pixels ``(h, w)`` every
    estimate is fitted on, and those the consistency data term counts (None: all of them).

    The data term counts every LR pixel whose PSF footprint is valid
    (:func:`~fusion_core.methods.gaps.support_valid`), the HR-MSI kept as it is wherever it is
    valid, so a gap costs only the information it hides. The estimates (noise, spectral maps,
    subspace, alignment, damping) are fitted only on pixels whose footprint also stays inside
    the window (:data:`FIT_OUTSIDE_SHARE`) while they are :data:`MIN_VALID_LR_PIXELS` and
    :data:`MIN_FIT_SHARE` of the valid ones, else on every valid one. With fewer valid pixels
    than :data:`MIN_VALID_LR_PIXELS`, the gaps are bridged as for any method."""
    lr_ok, hr_ok = finite_pixels(lr_hsi).cpu(), finite_pixels(hr_msi).cpu()
    inside = support_valid(lr_ok, hr_ok, model.psf, model.scale, edge_valid=False,
                           outside_share=FIT_OUTSIDE_SHARE)
    if bool(lr_ok.all()) and bool(hr_ok.all()):
        data = None
    else:
        data = support_valid(lr_ok, hr_ok, model.psf, model.scale)
        if int(data.sum()) < MIN_VALID_LR_PIXELS:
            return (*bridge_pairs(lr_hsi, hr_msi, model.scale), None, None)
        lr_hsi, hr_msi = fill_gaps(lr_hsi), fill_gaps(hr_msi)
        data = data.to(lr_hsi.device)
    valid = int(lr_ok.sum()) if data is None else int(data.sum())
    kept = int(inside.sum())
    fit = inside.to(lr_hsi.device) if kept >= max(MIN_VALID_LR_PIXELS, MIN_FIT_SHARE * valid) else data
    return lr_hsi, hr_msi, fit, data


def _compose(ridge: RidgeMap, basis: torch.Tensor, msi: torch.Tensor,
             coefficients: torch.Tensor) -> torch.Tensor:
    """``W z + b + basis @ c`` ``(C, H, W)`` in float32, the only C-band image the method ever
    holds: one matrix product ``[W basis b] @ [z; c; 1]``, which writes the output once, rather
    than a broadcast of ``b`` and two products over it, into the memory lent for results
    (:mod:`~fusion_core.methods.result_memory`)."""
    m, h, w = msi.shape
    p = coefficients.shape[0]
    maps = msi.new_empty((m + p + 1, h * w))
    maps[:m] = msi.reshape(m, h * w)
    maps[m:m + p] = coefficients.reshape(p, h * w)
    maps[-1] = 1.0
    weights = torch.cat([ridge.weights, basis, ridge.bias[:, None]], 1).float()
    out = result_tensor((weights.shape[0], h * w), msi)
    return torch.mm(weights, maps, out=out).reshape(-1, h, w)


def _projected(ridge: RidgeMap, basis: torch.Tensor) -> RidgeMap:
    """The ridge map's subspace coefficients: ``basisᵀ (W z + b)`` as one map of ``z``, so the
    residual's coefficients need no C-band image."""
    return RidgeMap(basis.T @ ridge.weights, basis.T @ ridge.bias, ridge.strength)


def _coefficients(basis: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    """Subspace coefficients ``(p, H, W)`` of an image ``(C, H, W)``."""
    return torch.einsum("cp,chw->phw", basis, image)


def _damping(residual: torch.Tensor, basis: torch.Tensor, sigma_y: torch.Tensor, scale: int) -> torch.Tensor:
    """Per coefficient, the weight ``μ`` of ``||Δ||²`` that makes the correction a Wiener filter
    of the LR residual: its noise variance over the variance of its signal part, divided by the
    ``r²`` HR pixels over which ``||Δ||²`` counts each LR pixel's correction (a flat correction
    ``c`` of a residual ``R`` minimises ``(c − R)² + μ r² c²``)."""
    noise = (basis ** 2 * sigma_y[:, None] ** 2).sum(0)
    power = (residual ** 2).mean((1, 2))
    return noise / (power - noise).clamp_min(1e-3 * noise + 1e-30) / scale ** 2


def _check_inputs(lr_hsi: torch.Tensor, hr_msi: torch.Tensor, model: DegradationModel) -> None:
    """Raise :class:`InputError` unless the shapes fit each other and the model."""
    if lr_hsi.ndim != 3 or hr_msi.ndim != 3:
        raise InputError(
            f"SSCF expects an LR-HSI (C, h, w) and an HR-MSI (M, H, W); got shapes "
            f"{tuple(lr_hsi.shape)} and {tuple(hr_msi.shape)}."
        )
    r = model.scale
    (c, h, w), (m, hh, ww) = lr_hsi.shape, hr_msi.shape
    if (hh, ww) != (h * r, w * r):
        raise InputError(
            f"The HR-MSI is {hh}×{ww} pixels but the LR-HSI ({h}×{w}) times the ratio {r} is "
            f"{h * r}×{w * r}: crop both to the same ground extent."
        )
    model.check_compatible(c, m, r)
    if min(h, w) < 2:
        raise InputError(f"The LR-HSI window is {h}×{w} pixels; SSCF needs at least 2×2.")
