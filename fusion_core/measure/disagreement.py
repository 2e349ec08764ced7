"""Where the two inputs disagree: clouds, shadows, changes between the acquisition dates.

Where both images see the same ground, the HR-MSI blurred by the PSF and decimated equals the
LR-HSI integrated by the SRF (times the gains) up to the two images' noise. The residual of that
equation, per LR pixel and in noise units (:func:`cross_residual`, :func:`cross_normal`), is
about one where the images agree; a cloud in one image only, its shadow, a new building or a
harvested field leave a residual of many units over an area.

The threshold is decided from the scene itself (:func:`find_disagreement`): the residual map is
smoothed over 3×3 LR pixels (an area, not an edge), and a pixel disagrees when it stands more than
:data:`ROBUST_SPREAD` robust standard deviations (1.4826 × MAD, on a log scale) above the scene's
median, and at least :data:`MIN_UNITS` noise units. The model's global misfit (two real sensors
never agree exactly) raises the median and the spread, not the alarms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..degradation import DegradationModel, spatial_degrade, spectral_degrade
from .consistency import NOISE_FLOOR, NoiseLevels, as_batch, noise_units

__all__ = ["ROBUST_SPREAD", "MIN_UNITS", "Disagreement", "cross_residual", "judged_cross_residual",
           "cross_normal", "cross_units", "find_disagreement"]

#: Robust standard deviations (of the log residual) above the median that make an alarm.
ROBUST_SPREAD = 4.0
#: Fewest noise units a disagreement has, whatever the scene's spread.
MIN_UNITS = 3.0
_SMOOTHING = 3


@dataclass(frozen=True)
class Disagreement:
    """The disagreement map of a scene.

    Attributes:
        score: ``(h, w)`` smoothed cross-sensor residual in noise units, per LR pixel.
        mask: ``(h, w)`` True where the two images disagree.
        threshold: the score above which a pixel disagrees.
        areas: number of connected areas in the mask.
    """

    score: np.ndarray
    mask: np.ndarray
    threshold: float
    areas: int

    @property
    def share(self) -> float:
        """Fraction of the scene's LR pixels that disagree."""
        return float(self.mask.mean()) if self.mask.size else 0.0


def cross_residual(lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel) -> np.ndarray:
    """``D(Z) − g ∘ Sᵀ Y`` ``(M, h, w)`` of an LR-HSI ``(C, h, w)`` and its HR-MSI ``(M, r h, r w)``."""
    blurred = spatial_degrade(as_batch(hr_msi), model.psf, model.scale)[0].numpy()
    integrated = spectral_degrade(as_batch(lr_hsi), model.srf)[0].numpy()
    return blurred - integrated * np.asarray(model.msi_gain)[:, None, None]


def judged_cross_residual(lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel) -> np.ndarray:
    """:func:`cross_residual` of a piece of the scene (NaN marks invalid pixels), NaN at the LR
    pixels where it cannot be judged: invalid, or whose PSF footprint is not wholly on valid HR
    pixels inside the piece (:func:`~fusion_core.methods.gaps.support_valid`): there the two
    images disagree by construction. A piece read :func:`~fusion_core.windows.layout.psf_halo`
    LR pixels wider than what is kept judges the kept pixels as the whole scene does."""
    import torch

    from ..methods.gaps import support_valid

    lr_ok, hr_ok = np.all(np.isfinite(lr_hsi), axis=0), np.all(np.isfinite(hr_msi), axis=0)
    judged = support_valid(torch.from_numpy(lr_ok), torch.from_numpy(hr_ok), model.psf, model.scale,
                           edge_valid=False).numpy()
    residual = cross_residual(lr_hsi if lr_ok.all() else np.nan_to_num(lr_hsi),
                              hr_msi if hr_ok.all() else np.nan_to_num(hr_msi), model)
    residual[:, ~judged] = np.nan
    return residual


def cross_normal(noise: NoiseLevels, model: DegradationModel) -> np.ndarray:
    """Normal value ``(M,)`` of :func:`cross_residual`: the HR-MSI's noise through the PSF plus
    the LR-HSI's through the SRF and gains, never below :data:`NOISE_FLOOR` of the band's RMS."""
    msi = noise.msi ** 2 * float(np.sum(model.psf ** 2))
    hsi = np.asarray(model.msi_gain) ** 2 * ((model.srf ** 2) * (noise.hsi ** 2)[:, None]).sum(axis=0)
    return np.maximum(np.sqrt(msi + hsi), NOISE_FLOOR * noise.msi_rms)


def cross_units(lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel,
                noise: NoiseLevels) -> np.ndarray:
    """The cross-sensor residual per LR pixel ``(h, w)`` in noise units."""
    return noise_units(cross_residual(lr_hsi, hr_msi, model), cross_normal(noise, model))


def find_disagreement(units: np.ndarray) -> Disagreement:
    """The areas of a cross-sensor residual map ``(h, w)`` (noise units) that stand out of it.

    Pixels without a value (NaN: nodata in either input) are left out of the smoothing and of
    the scene's statistics, and never disagree.
    """
    finite = np.isfinite(units)
    total = ndimage.uniform_filter(np.where(finite, np.square(units, dtype=np.float64), 0.0),
                                   _SMOOTHING, mode="nearest")
    counted = ndimage.uniform_filter(finite.astype(np.float64), _SMOOTHING, mode="nearest")
    score = np.full(units.shape, np.nan)
    score[finite] = np.sqrt(total[finite] / counted[finite])
    threshold = MIN_UNITS
    if finite.any():
        logs = np.log(np.maximum(score[finite], 1e-12))
        centre = float(np.median(logs))
        spread = 1.4826 * float(np.median(np.abs(logs - centre)))
        threshold = max(MIN_UNITS, float(np.exp(centre + ROBUST_SPREAD * spread)))
    mask = np.zeros(units.shape, bool)
    mask[finite] = score[finite] > threshold
    areas = int(ndimage.label(mask)[1]) if mask.any() else 0
    return Disagreement(score.astype(np.float32), mask, threshold, areas)
