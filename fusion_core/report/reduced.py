"""The reduced-resolution check: Wald's protocol applied to the user's own pair.

Both inputs are degraded by the ratio with the run's degradation model (the LR-HSI blurred by the
PSF and decimated becomes a smaller LR-HSI; the HR-MSI likewise becomes an MSI at the LR-HSI's
resolution), fused with the same method and settings by the run's own in-memory fusion (a
:data:`Fuse` the caller passes: :func:`fusion_core.pipeline.fuse.array_fusion`), and the result
is scored against the user's LR-HSI, which plays the reference. That is a measured quality
estimate for this scene and this method, one scale down, not a promise from a paper. The reduced
pair is given the run's degradation model: it is exactly the model under which the reduced pair
was made. Bicubic interpolation of the reduced LR-HSI is scored beside it, so the figure says
what fusion added.

The pair is cut from tiles over the whole scene (:mod:`.tiles`), not its most textured crop.

The reference is the LR-HSI's *signal*: the LR-HSI projected onto its signal subspace
(:func:`~fusion_core.spectral.signal_subspace`, from the noise the report measured), which keeps
the spectra and leaves ``p / C`` of the noise. The LR-HSI is a measurement: scored against it as
it is, a result one scale down is charged the reference's own noise, which no method reproduces
and which the true error (against a clean image) does not hold. Over ``benchmarks/TRUST.md``'s
fusion runs this took the mean absolute error from 2.85 to 1.57 dB: the 30 dB pairs went from
0.8–7.5 dB pessimistic to −2.8…+1.3 dB, the real Hyperion/ALI pair from +12–13 dB optimistic
to +4.6–5.0. Tried on the same runs and dropped: taking the measured noise variance out of the
error (ill-posed where the error is near the noise: +15 to +50 dB on clean pairs), giving the
reduced pair back the inputs' noise (2.87 dB: a reduced pair of a few LR pixels a side fits
noise worse than the run), scoring only the reduced result's interior.

What it cannot see: the reduced pair is made with the run's model, so an error of a blindly
estimated model does not show in it (a poor blind PSF on TRUST's AVIRIS Santa Barbara pair:
+4.9 dB optimistic); and a reduced pair of very few LR pixels is harder than the run (−1.6 to
−3.5 dB at 4–6 reduced LR pixels a side).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Optional

import numpy as np
import torch

from ..baselines import bicubic_upsample
from ..degradation import DegradationModel, spatial_degrade
from ..errors import InputError
from ..measure.consistency import Geometry, as_batch, model_geometry
from ..metrics import ergas, psnr, sam
from ..progress import Progress
from ..request import INPUT_KINDS, OUTPUT_KINDS, FusionRequest, fields_of_kind
from ..spectral import hsi_noise_std, pixel_samples, signal_subspace

__all__ = ["reduced_resolution_check", "signal_part", "MIN_REDUCED_LR_PIXELS", "Fuse"]

#: Fuses an LR-HSI ``(C, h, w)`` with an HR-MSI ``(M, r h, r w)`` held in memory, under the
#: request's settings and the given model, with the run's method; returns the fused image.
Fuse = Callable[[FusionRequest, np.ndarray, np.ndarray, DegradationModel, Optional[Progress]], np.ndarray]

#: Fewest LR pixels a side of the reduced LR-HSI may have for the check to mean something.
MIN_REDUCED_LR_PIXELS = 4
#: Request fields that do not carry over to the reduced run, which is in memory and given the
#: model: every file it would read or write, resume and the cluster; and the search for areas
#: where the images disagree (its noise measurement was a third of the check's time: the check
#: scores the method, and the run's own disagreement map is in the report); and SHARPEN_MSI:
#: the HR-MSI the report reads is the run's, already sharpened (looking again was 0.06 s).
_CLEARED = (*fields_of_kind(*INPUT_KINDS, *OUTPUT_KINDS), "resume", "dask_scheduler")
_OFF = {"disagreement_from_hsi": False, "sharpen_msi": False}


def _degrade(image: np.ndarray, model: DegradationModel) -> np.ndarray:
    return spatial_degrade(as_batch(image), model.psf, model.scale)[0].numpy()


def _as_matched(model: DegradationModel) -> DegradationModel:
    """The model without the run's co-registration shift: the reduced pair is cut from the run's
    pair as matched, and a given model's recorded shift would be applied to it again (the
    reduced run is always given the model, so this alone keeps it from being co-registered)."""
    return replace(model, matched_shift=(0, 0))


def _scores(reference: np.ndarray, estimate: np.ndarray, scale: int) -> dict[str, float]:
    """PSNR, SAM and ERGAS over the reference's non-constant bands, on the pixels the estimate
    has (a result moved onto the LR-HSI's geometry has none along its edges)."""
    flat = reference.reshape(reference.shape[0], -1)
    keep = flat.max(axis=1) > flat.min(axis=1)
    ok = np.all(np.isfinite(estimate), axis=0) & np.all(np.isfinite(reference), axis=0)
    # float64 once, not per metric; pixels picked by np.compress (indexing by a mask is slow)
    ref, est = (np.compress(ok.ravel(), np.asarray(image[keep], np.float64).reshape(int(keep.sum()), -1),
                            axis=1)[:, None] for image in (reference, estimate))
    return {"PSNR": psnr(ref, est), "SAM": sam(ref, est), "ERGAS": ergas(ref, est, scale)}


def signal_part(image: np.ndarray, noise_std: Optional[np.ndarray] = None) -> np.ndarray:
    """``image`` ``(C, h, w)`` projected onto its signal subspace found against ``noise_std``
    ``(C,)`` (measured on ``image`` when None): its spectra without most of its noise."""
    x = torch.from_numpy(np.asarray(image, np.float64))
    sigma = hsi_noise_std(pixel_samples(x)) if noise_std is None else torch.as_tensor(noise_std, dtype=torch.float64)
    basis = signal_subspace(x, sigma)
    flat = x.reshape(x.shape[0], -1)
    return (basis @ (basis.T @ flat)).reshape(x.shape).numpy().astype(np.float32)


def reduced_resolution_check(request: FusionRequest, fuse: Fuse, lr_hsi: np.ndarray,
                             hr_msi: np.ndarray, model: DegradationModel,
                             progress: Optional[Progress] = None,
                             geometry: Optional[Geometry] = None,
                             noise_std: Optional[np.ndarray] = None) -> dict:
    """Score the run's method on the pair degraded by its ratio.

    Args:
        request: the run's settings (method, preset, options, seed, device…); its paths and
            outputs are not used.
        fuse: the run's fusion in memory (its method, wavelengths and band names).
        lr_hsi, hr_msi: the LR-HSI ``(C, h, w)`` and HR-MSI ``(M, r h, r w)`` (or a crop of both).
        model: the run's degradation model.
        progress: reports and cancels.
        geometry: the geometry the run's result is on (:func:`.consistency.choose_geometry`):
            with an off-centre PSF, a result on the LR-HSI's geometry is scored against the
            LR-HSI moved onto it, as bicubic interpolation always is.
        noise_std: ``(C,)`` the LR-HSI's noise (the report's); None: measured here.

    Returns:
        ``{"PSNR", "SAM", "ERGAS", "bicubic": {...}, "lr_pixels": [rows, cols], "seconds"}``,
        or ``{"skipped": reason}`` when the pair is too small to be degraded once more.
    """
    r = model.scale
    rows, cols = (v // r * r for v in lr_hsi.shape[1:])
    if min(rows, cols) // r < MIN_REDUCED_LR_PIXELS:
        return {"skipped": f"the LR-HSI ({lr_hsi.shape[2]}×{lr_hsi.shape[1]} pixels) is too small "
                           f"to be degraded once more by {r}: at least "
                           f"{MIN_REDUCED_LR_PIXELS * r} pixels a side are needed"}
    reference = np.asarray(lr_hsi[:, :rows, :cols], np.float32)
    small_lr = _degrade(reference, model)
    small_hr = _degrade(hr_msi[:, :rows * r, :cols * r], model)
    sub = request.without(*_CLEARED).with_(**_OFF)
    t0 = time.perf_counter()
    try:
        fused = fuse(sub, small_lr, small_hr, _as_matched(model), progress)
    except InputError as exc:
        return {"skipped": str(exc)}
    seconds = time.perf_counter() - t0
    bicubic = bicubic_upsample(torch.from_numpy(small_lr), r).numpy()
    on_lr_grid = model_geometry(model)[-1]              # the LR-HSI's geometry (off-centre PSF)
    signal = signal_part(reference, noise_std)
    moved = (geometry or model_geometry(model)[0]).move(signal)
    return {**_scores(moved, np.asarray(fused), r), "bicubic": _scores(on_lr_grid.move(signal), bicubic, r),
            "lr_pixels": [int(small_lr.shape[1]), int(small_lr.shape[2])], "seconds": seconds}
