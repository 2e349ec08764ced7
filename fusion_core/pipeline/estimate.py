"""Scene-wide estimates made once before the windows: the common factor and the degradation model.

The degradation is estimated on the whole pair when it fits the memory bound, else on its most
textured crop that does (:func:`estimation_rect`); the same crop serves co-registration. Only pixels
valid in both images enter (NaN marks the others), so nodata swaths and borders never bias it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np

from ..degradation import DegradationModel
from ..errors import InputError
from ..io import Raster
from ..progress import Progress
from ..request import FusionRequest

if TYPE_CHECKING:
    from ..io.pair import Rect
    from ..windows.sampling import Texture
    from ..windows.source import Source

__all__ = ["normaliser", "srf_prior", "estimation_rect", "estimate_scene", "disagreeing_pixels", "gain_note",
           "ESTIMATION_MEMORY_FACTOR", "ESTIMATION_MAX_SIDE", "NORMALISER_SAMPLE", "ROBUST_MIN_SHARE",
           "ROBUST_ROUNDS", "DISAGREEMENT_BYTES"]

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
    residual stands out of the scene's (:func:`~fusion_core.report.disagreement.find_disagreement`,
    the report's rule) are left out, with the PSF's reach around them, and the model estimated
    again when they cover at least :data:`ROBUST_MIN_SHARE` of the pixels; up to
    :data:`ROBUST_ROUNDS` times, as a model spoilt by a large change shows only part of it.
    """
    from ..estimation import check_msi_bands, estimate_degradation
    from ..io.pair import scaled_rect

    r = source.scale
    lr_data = source.read_lr(rect) / norm
    hr_data = source.read_hr(scaled_rect(rect, r)) / norm
    sharpening = source.hr_sharpening  # coarse bands, even sharpened, would narrow the PSF

    def estimate(lr_pixels: np.ndarray) -> DegradationModel:
        return estimate_degradation(
            lr_pixels, hr_data, r, srf_prior=srf_prior(request, lr, hr), psf_size=psf_size,
            hsi_wavelengths=lr.wavelengths, msi_band_names=hr.band_names,
            psf_bands=None if sharpening is None else sharpening.sharp, check_bands=False,
            progress=progress)

    model = estimate(lr_data)
    apart = np.zeros(lr_data.shape[1:], bool)
    for _ in range(ROBUST_ROUNDS):  # a badly spoilt first model shows only part of the area
        more = disagreeing_pixels(np.where(apart, np.nan, lr_data), hr_data, model) & ~apart
        if more.mean() < ROBUST_MIN_SHARE:
            break
        apart |= more
        model = estimate(np.where(apart, np.nan, lr_data))
    if apart.any():
        progress.info(f"The two images disagree on {100 * apart.mean():.1f} % of the pixels the "
                      "degradation was estimated on (clouds, shadows or changes between the dates): "
                      "it was estimated again without them.")
    check_msi_bands(model, float(apart.mean()))
    return model


def disagreeing_pixels(lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel) -> np.ndarray:
    """``(h, w)`` LR pixels of a pair where the images disagree under ``model``
    (:func:`~fusion_core.pipeline.disagreement.measure_disagreement`, the scene's own rule),
    with the PSF's reach around them; NaN marks pixels without a value."""
    from scipy import ndimage

    from ..windows.in_memory import ArraySource
    from ..windows.layout import psf_halo
    from .disagreement import measure_disagreement

    found = measure_disagreement(ArraySource.whole(lr_hsi, hr_msi, model.scale), model,
                                 DISAGREEMENT_BYTES).mask
    reach = max(1, psf_halo(max(model.psf.shape), model.scale))
    return ndimage.binary_dilation(found, iterations=reach) if found.any() else found


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
