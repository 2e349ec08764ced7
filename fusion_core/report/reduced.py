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

Two corrections, both decided from the run itself, no constant fitted on a truth:

* *The run's fallback.* Where the run fused from the LR-HSI alone (DISAGREEMENT_FROM_HSI: the
  areas where the two images disagree, :mod:`fusion_core.windows.fallback`) its result is an
  interpolation, which the reduced run (fusing everywhere) never shows. The figure mixes the
  errors per band as the result does: the share ``s`` of the result's pixels the run took from
  the LR-HSI alone (its fallback weights over the tiles, :func:`fallback_share`) carries the
  error of that interpolation at the run's scale, the rest the reduced result's. That error is
  measured on the HR-MSI (:func:`interpolation_error`: the HR-MSI degraded by the model and
  brought up as the fallback does, against itself), the one image that shows the scene's detail
  at the run's scale; the same interpolation one scale down, on the reduced LR-HSI, was 3–13 dB
  worse than at the run's scale on TRUST's pairs (AVIRIS: 2.6–3.4), on the HR-MSI within 0.4 dB
  of the truth (the HR-MSI's own noise counts as error there, small beside an
  interpolation's). On TRUST's AVIRIS pair with the anisotropic PSF a blind SRF made 3 % of the
  LR pixels disagree, 11 % of the result came from the LR-HSI alone and cost 9 dB (SSCF:
  40.3 → 31.2 dB), which the check, at +4.9 dB, did not see. (Where the HR-MSI merely has no
  value the run takes the LR-HSI alone too; the report is not handed that mask, so those areas
  are not counted.)
* *A map fitted on fewer pixels.* A method's spectral map from the M MSI bands (and an offset)
  is fitted on the LR pixels; one scale down they are ``r²`` times fewer (25–36 on a 100² scene
  at r = 4), and a least-squares map fitted on ``n`` samples with ``p`` unknowns misses new
  pixels by ``n / (n − p − 1)`` times its residual (:func:`fit_inflation`, the textbook
  out-of-sample error of a regression with Gaussian predictors). The reduced result's error is
  divided by that factor at the reduced size over the factor at the run's (the mosaic's LR
  pixels): 1–3 dB for 5–6 reduced LR pixels a side, 0.3–0.7 at 8–11, under 0.3 from 16.

Over ``benchmarks/TRUST.md``'s fusion runs the two took the mean absolute error of the 35 runs
of the pairs it had before issue 28 from 1.57 to 1.32 dB, and of the issue's AVIRIS pairs from
2.81 dB (optimistic: the fallback unseen) to 0.88 dB. The reduced result's own PSNR, before
either, is kept as ``fused_PSNR`` (the "no better than bicubic" warning compares it).

What it cannot see: the reduced pair is made with the run's model, so an error of a blindly
estimated model does not show in it; nor does a mismatch of real sensors that the run's model
does not hold (TRUST's real Hyperion/ALI pair: about +5 dB optimistic).
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
from ..windows.fallback import HsiFallback, upsample_hsi

__all__ = ["reduced_resolution_check", "signal_part", "fit_inflation", "fallback_share",
           "interpolation_error", "MIN_REDUCED_LR_PIXELS", "Fuse"]

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


def _compared(reference: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as float64 ``(B, 1, N)`` over the reference's non-constant bands, on the pixels the
    estimate has (a result moved onto the LR-HSI's geometry has none along its edges)."""
    flat = reference.reshape(reference.shape[0], -1)
    keep = flat.max(axis=1) > flat.min(axis=1)
    ok = np.all(np.isfinite(estimate), axis=0) & np.all(np.isfinite(reference), axis=0)
    # float64 once, not per metric; pixels picked by np.compress (indexing by a mask is slow)
    ref, est = (np.compress(ok.ravel(), np.asarray(image[keep], np.float64).reshape(int(keep.sum()), -1),
                            axis=1)[:, None] for image in (reference, estimate))
    return ref, est


def _scores(reference: np.ndarray, estimate: np.ndarray, scale: int) -> dict[str, float]:
    """PSNR, SAM and ERGAS of ``estimate`` against ``reference`` (:func:`_compared`)."""
    return _figures(*_compared(reference, estimate), scale)


def _figures(ref: np.ndarray, est: np.ndarray, scale: int, mse: Optional[np.ndarray] = None) -> dict[str, float]:
    """PSNR, SAM and ERGAS of compared pixels (:func:`_compared`); ``mse`` ``(B,)``: the error per
    band PSNR and ERGAS are made of, instead of the estimate's."""
    if mse is None:
        return {"PSNR": psnr(ref, est), "SAM": sam(ref, est), "ERGAS": ergas(ref, est, scale)}
    with np.errstate(divide="ignore"):
        spread = mse / ref.mean(axis=(1, 2)) ** 2
    return {"PSNR": _psnr(ref, mse), "SAM": sam(ref, est), "ERGAS": float(100 / scale * np.sqrt(spread.mean()))}


def _psnr(reference: np.ndarray, mse: np.ndarray) -> float:
    """:func:`~fusion_core.metrics.psnr` of an error ``mse`` ``(B,)`` per band of ``reference``."""
    with np.errstate(divide="ignore"):
        return float(np.mean(10 * np.log10(reference.max(axis=(1, 2)) ** 2 / mse)))


def fit_inflation(pixels: int, unknowns: int) -> float:
    """``n / (n − p − 1)``: how many times its residual a least-squares map of ``p = unknowns``
    inputs, fitted on ``n = pixels`` samples, misses new pixels (the expected out-of-sample
    error of a regression with Gaussian inputs). The methods regularise their maps (ridge
    strength by GCV), so at most half the samples' worth of unknowns is counted: the factor
    stays finite (about 2) however few the pixels."""
    p = min(unknowns, pixels // 2)
    return pixels / max(pixels - p - 1, 1)


def fallback_share(mask: np.ndarray, model: DegradationModel, rects: list[tuple[int, int, int, int]]) -> float:
    """Share of the result's HR pixels over the LR rectangles ``rects`` (the report's tiles)
    that the run took from the LR-HSI alone for its disagreement ``mask`` ``(h, w)`` (LR pixels
    of the scene): the run's fallback weights (:class:`~fusion_core.windows.fallback.HsiFallback`,
    ramps counted by their weight)."""
    fallback = HsiFallback.build(mask, model)
    weights = [fallback.weights(rect, model.scale) for rect in rects]
    return float(sum(w.sum() for w in weights) / sum(w.size for w in weights))


def interpolation_error(hr_msi: np.ndarray, lr_msi: np.ndarray, model: DegradationModel) -> float:
    """Error of an image brought up from the LR grid as the run's fallback does it
    (:func:`~fusion_core.windows.fallback.upsample_hsi`), relative to each band's squared peak and
    averaged over bands, measured on the HR-MSI ``(M, H, W)`` from ``lr_msi``, itself degraded
    by ``model``: the one image that shows the scene's detail at the run's scale."""
    truth = np.asarray(hr_msi, np.float64)
    up = upsample_hsi(np.asarray(lr_msi, np.float32), model).astype(np.float64)
    peak = truth.reshape(truth.shape[0], -1).max(axis=1)
    keep = peak > 0
    return float((((up - truth) ** 2).mean(axis=(1, 2))[keep] / peak[keep] ** 2).mean())


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
                             noise_std: Optional[np.ndarray] = None, from_hsi: float = 0.0) -> dict:
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
        from_hsi: the share of the run's result taken from the LR-HSI alone
            (:func:`fallback_share`; 0: none).

    Returns:
        ``{"PSNR", "SAM", "ERGAS", "bicubic": {...}, "lr_pixels": [rows, cols], "seconds"}``
        with ``fused_PSNR`` (the reduced result's own, before the corrections of the module's
        docstring), ``fit_correction_db`` and ``from_hsi_share``,
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
    ref, est = _compared(moved, np.asarray(fused))
    unknowns = hr_msi.shape[0] + 1                    # a map of the MSI bands and an offset
    fewer = (fit_inflation(small_lr.shape[1] * small_lr.shape[2], unknowns)
             / fit_inflation(rows * cols, unknowns))
    as_fused = ((ref - est) ** 2).mean(axis=(1, 2))
    mse = as_fused / fewer
    if from_hsi > 0:
        alone = interpolation_error(hr_msi[:, :rows * r, :cols * r], small_hr, model) * ref.max(axis=(1, 2)) ** 2
        mse = (1 - from_hsi) * mse + from_hsi * alone
    return {**_figures(ref, est, r, mse), "fused_PSNR": _psnr(ref, as_fused),
            "bicubic": _scores(on_lr_grid.move(signal), bicubic, r),
            "lr_pixels": [int(small_lr.shape[1]), int(small_lr.shape[2])], "from_hsi_share": from_hsi,
            "fit_correction_db": float(10 * np.log10(fewer)), "seconds": seconds}
