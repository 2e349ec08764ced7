"""Scene-wide estimates made once before the windows: the common factor and the degradation model.

The degradation is estimated on the whole pair when it fits the memory bound, else on its most
textured crop that does (:func:`estimation_rect`); the same crop serves co-registration. Only pixels
valid in both images enter (NaN marks the others), so nodata swaths and borders never bias it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from ..degradation import DegradationModel
from ..errors import InputError
from ..io import Raster
from ..progress import Progress
from ..request import FusionRequest

if TYPE_CHECKING:
    from ..io.pair import Rect
    from ..measure.disagreement import Disagreement
    from ..windows.sampling import Texture
    from ..windows.source import Source

__all__ = ["normaliser", "srf_prior", "estimation_rect", "estimate_scene", "scene_disagreement_of", "widened",
           "gain_note",
           "ESTIMATION_MEMORY_FACTOR", "ESTIMATION_MAX_SIDE", "NORMALISER_SAMPLE", "ROBUST_MIN_SHARE",
           "ROBUST_ROUNDS", "TRIM_SHARE", "TRIM_STEPS", "TRIM_SAME_PSF", "DISAGREEMENT_BYTES"]

#: Memory the degradation estimator needs, in multiples of the pair it is given (float32).
ESTIMATION_MEMORY_FACTOR = 8
#: Largest estimation crop edge (LR pixels): on the 1000×1000-pixel benchmark scene the PSF and
#: SRF errors are the same from 128² to 564² pixels, and 256² takes a quarter of the time
#: (benchmarks/LARGE_SCENE.md).
ESTIMATION_MAX_SIDE = 256
#: LR-HSI values read to compute the common normalising factor (all of them when fewer).
NORMALISER_SAMPLE = 20_000_000
#: Share of the estimation's LR pixels where the images disagree from which the degradation is
#: estimated again without them (clean benchmark pairs: under 0.2 %).
ROBUST_MIN_SHARE = 0.005
#: Working memory of the disagreement check on the estimation crop (it fits one strip).
DISAGREEMENT_BYTES = 2 ** 28
#: Most estimations made again without the disagreeing areas found so far.
ROBUST_ROUNDS = 3
#: Share of the estimation's LR pixels, those that fit the current model worst, left out of a
#: trial estimate when the first model finds no disagreement (a least-trimmed-squares
#: concentration step): a change can spoil that model so widely that nothing stands out of its
#: residual (benchmarks/FALLBACK.md: a 24×24 patch, 6 % of the scene, gave a PSF of 8.6 × 6.7
#: HR pixels FWHM instead of 2.5, the patch scoring 30 noise units against a threshold of 52).
#: Half, the most a fit can leave out and still be decided by the agreeing pixels: with a
#: quarter, a change covering a quarter of the scene still spoilt every trial.
TRIM_SHARE = 0.5
#: Most trial estimates; they stop earlier once a disagreement is found, or once a trial's PSF
#: is the model's it was trimmed from (within :data:`TRIM_SAME_PSF`): nothing was hiding.
TRIM_STEPS = 3
TRIM_SAME_PSF = 0.1
#: Radiometric gains between the sensors outside this range are reported in the log.
GAIN_RANGE = (0.8, 1.25)


def normaliser(lr: np.ndarray) -> float:
    """One common factor for both images so the LR-HSI's 99.9th percentile (of its valid
    values) is 1."""
    values = np.abs(lr[np.isfinite(lr)])
    value = float(np.percentile(values, 99.9)) if values.size else 0.0
    if not np.isfinite(value) or value <= 0:
        raise InputError("The LR-HSI has no valid non-zero value where it overlaps the HR-MSI: "
                         "check the input raster, its nodata value and its extent.")
    return value


def srf_prior(request: FusionRequest, lr: Raster, hr: Raster):
    """The request's SRF prior on the LR-HSI's bands, or None without one."""
    source = request.srf_source
    if not source.given:
        return None
    return source.prior(lr.wavelengths, lr.fwhm, n_msi=hr.count, msi_names=hr.band_names)


def estimation_rect(request: FusionRequest, source: "Source", lr: Raster, hr: Raster, budget: int,
                    texture: "Texture", progress: Progress) -> "Rect":
    """The LR rectangle the scene is estimated on: all of it when it fits ``budget`` bytes, else
    the most textured crop that does, at most ESTIMATION_MAX_SIDE² (chosen on ``texture``)."""
    from ..windows.sampling import estimation_crop

    rows, cols = source.lr_shape
    r, c, m = source.scale, lr.count, hr.count
    per_lr_pixel = 4 * (c + m * r * r) * ESTIMATION_MEMORY_FACTOR
    if rows * cols * per_lr_pixel <= budget and max(rows, cols) <= ESTIMATION_MAX_SIDE:
        return 0, 0, rows, cols
    side = min(ESTIMATION_MAX_SIDE, int(np.sqrt(max(budget, 0) / per_lr_pixel)))
    if side < 8:
        raise InputError(
            f"{request.name_of('max_memory_gb')} leaves {budget / 2**30:.2f} GB to estimate the "
            "degradation, too little for a 8×8-pixel crop of the LR-HSI: raise it or give a "
            f"degradation model ({request.name_of('degradation')})."
        )
    rect = estimation_crop(texture, (rows, cols), side)
    progress.info(f"The degradation is estimated on the {rect[3]}×{rect[2]} LR pixels from column "
                  f"{rect[1]}, row {rect[0]} (the most textured crop of at most "
                  f"{ESTIMATION_MAX_SIDE}² that fits the memory bound): it holds for the whole "
                  "scene.")
    return rect


def estimate_scene(request: FusionRequest, source: "Source", lr: Raster, hr: Raster, norm: float,
                   rect: "Rect", progress: Progress,
                   psf_size: Optional[int] = None) -> DegradationModel:
    """Blind estimation on the LR rectangle ``rect`` of the pair, both images divided by the
    common factor ``norm``; the model holds for the whole scene.

    Where the two images disagree (a cloud or a change seen by one of them only) they break the
    model every pixel is fitted to, and a patch of a few per cent widened the PSF threefold in
    ``benchmarks/FALLBACK.md``. So the first estimate is checked: the areas whose cross-sensor
    residual stands out of the scene's (:func:`~fusion_core.measure.disagreement.find_disagreement`,
    the report's rule) are left out, with the PSF's reach around them, and the model estimated
    again when they cover at least :data:`ROBUST_MIN_SHARE` of the pixels; up to
    :data:`ROBUST_ROUNDS` times, as a model spoilt by a large change shows only part of it.
    When the first model finds nothing, or leaves an HR-MSI band unexplained, trial models, each
    estimated without the :data:`TRIM_SHARE` of pixels that fit the one before worst, look again
    (a model spoilt widely shows nothing, or only part of the change); when they find nothing
    either, the first model is kept.
    """
    from ..estimation import check_msi_bands, estimate_degradation, unexplained_band
    from ..io.pair import scaled_rect

    r = source.scale
    lr_data = source.read_lr(rect) / norm
    hr_data = source.read_hr(scaled_rect(rect, r)) / norm
    sharpening = source.hr_sharpening  # coarse bands, even sharpened, would narrow the PSF

    def estimate(left_out: Optional[np.ndarray] = None, areas: bool = False) -> DegradationModel:
        """The model without the LR pixels ``left_out``; for disagreeing ``areas``, without
        their HR blocks too, as a quality mask would leave them out (with the LR pixels alone, a
        bright unflagged cloud in the HR-MSI still widened the PSF 1.5-fold on a delivered
        pair). Scattered trimmed pixels keep their blocks: blanking them would leave few LR
        pixels with a whole footprint."""
        lr_pixels, hr_pixels = lr_data, hr_data
        if left_out is not None:
            lr_pixels = np.where(left_out, np.nan, lr_data)
            if areas:
                hr_pixels = np.where(np.kron(left_out, np.ones((r, r), bool)), np.nan, hr_data)
        return estimate_degradation(
            lr_pixels, hr_pixels, r, srf_prior=srf_prior(request, lr, hr), psf_size=psf_size,
            hsi_wavelengths=lr.wavelengths, msi_band_names=hr.band_names,
            psf_bands=None if sharpening is None else sharpening.sharp, check_bands=False,
            progress=progress)

    model = judge = estimate()
    judged = None if sharpening is None else sharpening.sharp

    def disagreement(lr_pixels: np.ndarray, model: DegradationModel) -> "Disagreement":
        return scene_disagreement_of(lr_pixels, hr_data, model, judged)

    found = disagreement(lr_data, model)
    settled, spoilt = True, unexplained_band(model) is not None
    for _ in range(TRIM_STEPS):  # nothing found: nothing there, or a model spoilt widely
        if widened(found.mask, judge).mean() >= ROBUST_MIN_SHARE and not spoilt:
            settled = True
            break
        spoilt = False
        trial = estimate(_worst(found.score, TRIM_SHARE))
        found = disagreement(lr_data, trial)
        settled = _same_psf(trial, judge)
        judge = trial
        if settled:
            break
    if not settled and widened(found.mask, judge).mean() < ROBUST_MIN_SHARE:
        _unsettled(model, judge, progress, request.name_of("degradation"))
    apart = np.zeros(lr_data.shape[1:], bool)
    for _ in range(ROBUST_ROUNDS):  # a badly spoilt first model shows only part of the area
        more = widened(found.mask, judge) & ~apart
        if more.mean() < ROBUST_MIN_SHARE:
            break
        apart |= more
        model = judge = estimate(apart, areas=True)
        found = disagreement(np.where(apart, np.nan, lr_data), model)
    if apart.any():
        progress.info(f"The two images disagree on {100 * apart.mean():.1f} % of the pixels the "
                      "degradation was estimated on (clouds, shadows or changes between the dates): "
                      "it was estimated again without them.")
    warning = check_msi_bands(model, float(apart.mean()))
    if warning:
        progress.info(f"Warning: {warning}")
    return model


def _unsettled(model: DegradationModel, trial: DegradationModel, progress: Progress,
               degradation: str) -> None:
    """Warn (log and the model's warnings, which the report shows) that the blind estimate
    changes when the pixels that fit it worst are left out and no disagreement stands out:
    planted changes over a third of the scene or more did that, and the model was then wrong
    everywhere (benchmarks/FALLBACK.md)."""
    from ..degradation import psf_fwhm

    first, last = psf_fwhm(model.psf), psf_fwhm(trial.psf)
    warning = (f"The blind estimate is unstable: leaving out half of the pixels, those it fits "
               f"worst, changes the PSF from {first[0]:.1f} × {first[1]:.1f} to {last[0]:.1f} × "
               f"{last[1]:.1f} HR pixels FWHM, and no area stands out where the two images "
               "disagree. The images may differ over much of the scene (a third or more: changes "
               "between the dates, clouds), which leaves nothing consistent to estimate the PSF "
               "and SRF on, and the result may be wrong everywhere. Choose a pair closer in date "
               f"or cloud-free, or give a degradation model estimated on one ({degradation}).")
    model.diagnostics.setdefault("warnings", []).append(warning)
    progress.info(f"Warning: {warning}")


def _same_psf(a: DegradationModel, b: DegradationModel) -> bool:
    """Whether two models' PSFs have the same width (FWHM within :data:`TRIM_SAME_PSF`)."""
    from ..degradation import psf_fwhm

    wa, wb = np.asarray(psf_fwhm(a.psf)), np.asarray(psf_fwhm(b.psf))
    return bool(np.all(np.abs(wa - wb) <= TRIM_SAME_PSF * np.maximum(wb, 1e-9)))


def _worst(score: np.ndarray, share: float) -> np.ndarray:
    """``(h, w)`` True on the ``share`` of the pixels with the highest ``score`` (NaN: none)."""
    finite = np.isfinite(score)
    if not finite.any():
        return np.zeros(score.shape, bool)
    return finite & (score > np.percentile(score[finite], 100 * (1 - share)))


def scene_disagreement_of(lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel,
                          bands: Optional[Sequence[int]] = None) -> "Disagreement":
    """The disagreement map of a pair held in memory under ``model``, judged on the HR-MSI
    ``bands`` (:func:`~fusion_core.measure.scene_pass.measure_disagreement`, the scene's own
    rule); NaN marks pixels without a value."""
    from ..measure.scene_pass import measure_disagreement
    from ..windows.in_memory import ArraySource

    return measure_disagreement(ArraySource.whole(lr_hsi, hr_msi, model.scale), model,
                                DISAGREEMENT_BYTES, bands=bands)


def widened(mask: np.ndarray, model: DegradationModel) -> np.ndarray:
    """The LR ``mask`` ``(h, w)`` with the PSF's reach around it: the pixels whose footprint
    touches it, left out of the estimation with it."""
    from scipy import ndimage

    from ..windows.layout import psf_halo

    reach = max(1, psf_halo(max(model.psf.shape), model.scale))
    return ndimage.binary_dilation(mask, iterations=reach) if mask.any() else mask


def gain_note(model: DegradationModel) -> str:
    """A log line when the sensors' radiometric gains are far from one, saying what it means."""
    gains = np.asarray(model.msi_gain)
    far = [i for i, g in enumerate(gains) if not GAIN_RANGE[0] <= g <= GAIN_RANGE[1]]
    if not far:
        return ""
    names = model.msi_band_names or [f"band {i + 1}" for i in range(gains.size)]
    shown = ", ".join(f"{names[i]} ×{gains[i]:.2f}" for i in far[:8])
    return (f"The HR-MSI reads far from the LR-HSI integrated over its bands ({shown}): the two "
            "products are not on the same radiometric scale (radiance vs reflectance, another "
            "processing level, or a scale/offset missing from a file's metadata). The fusion "
            "models these gains and follows the LR-HSI's radiometry; check the inputs' units if "
            "this is unexpected.")
