"""What the windows take from the LR-HSI alone, found once before them: where the HR-MSI has no
value and (DISAGREEMENT_FROM_HSI) where the two inputs disagree.

One pass over the scene, strip by strip (memory bounded like the report's scan), reads both
inputs and notes, per LR pixel, whether the LR-HSI has a value (else the result is nodata),
whether its HR block lacks a value of the HR-MSI (a product's mask, a cloud, a swath edge: the
result there is the LR-HSI alone) and, when asked, the cross-sensor residual ``D(Z) − g ∘ Sᵀ Y``
in noise units, thresholded on the scene's own spread (:mod:`fusion_core.report.disagreement`).
The noise levels are measured on the report's crop with the report's estimators and the map is
handed to the report as it is, so the map the report shows and the areas fused from the LR-HSI
alone (:mod:`fusion_core.windows.fallback`) are one and the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..degradation import DegradationModel
from ..progress import Progress
from ..report.consistency import input_noise, noise_units
from ..report.disagreement import Disagreement, cross_normal, find_disagreement, judged_cross_residual
from ..windows.fallback import HsiFallback, feather_pixels, reach_pixels
from ..windows.layout import psf_halo

if TYPE_CHECKING:
    from ..windows.sampling import Texture
    from ..windows.source import Source
    from .plan import RunPlan
    from .scene import SceneModel

__all__ = ["ScenePass", "SceneMasks", "scan_scene", "cross_units_map", "measure_disagreement",
           "scene_masks", "hsi_fallback"]


@dataclass(frozen=True)
class ScenePass:
    """What one pass over the scene found, per LR pixel ``(h, w)``.

    Attributes:
        lr_valid: the LR-HSI has a value in every band used.
        hr_gaps: ``lr_valid``, and some HR pixel of its block lacks a value of the HR-MSI.
        units: the cross-sensor residual in noise units (None when not asked for).
    """

    lr_valid: np.ndarray
    hr_gaps: np.ndarray
    units: Optional[np.ndarray] = None


@dataclass(frozen=True)
class SceneMasks:
    """Where a run's result comes from, per LR pixel ``(h, w)``.

    Attributes:
        lr_valid: the LR-HSI has a value (elsewhere the result is nodata).
        hr_gaps: the LR-HSI has a value and the HR-MSI lacks one in the pixel's HR block.
        disagreement: the disagreement map (DISAGREEMENT_FROM_HSI), None when not asked for.
    """

    lr_valid: np.ndarray
    hr_gaps: np.ndarray
    disagreement: Optional[Disagreement] = None

    @property
    def from_hsi(self) -> np.ndarray:
        """LR pixels whose HR blocks are taken from the LR-HSI alone."""
        found = self.disagreement
        return self.hr_gaps if found is None else self.hr_gaps | found.mask


def scan_scene(source: "Source", model: DegradationModel, normal: Optional[np.ndarray],
               budget_bytes: int, progress: Optional[Progress] = None) -> ScenePass:
    """Read the whole scene strip by strip, with the PSF's reach above and below each strip, and
    note per LR pixel :class:`ScenePass`'s masks and, given ``normal`` ``(M,)``, the
    cross-sensor residual in its units: NaN where the PSF footprint of an LR pixel is not
    wholly valid or leaves the scene
    (:func:`~fusion_core.report.disagreement.judged_cross_residual`)."""
    r = model.scale
    rows, cols = source.lr_shape
    halo = psf_halo(max(model.psf.shape), r) + 1 if normal is not None else 0
    per_row = 8 * 4 * cols * (r * r * model.n_msi_bands + model.n_hsi_bands)
    per_strip = max(1, budget_bytes // per_row)
    lr_valid = np.zeros((rows, cols), bool)
    hr_whole = np.zeros((rows, cols), bool)
    units = np.full((rows, cols), np.nan, np.float32) if normal is not None else None
    for a in range(0, rows, per_strip):
        b = min(rows, a + per_strip)
        a0, b0 = max(0, a - halo), min(rows, b + halo)
        lr = source.read_lr((a0, 0, b0 - a0, cols))
        hr = source.read_hr((a0 * r, 0, (b0 - a0) * r, cols * r))
        lr_valid[a:b] = np.all(np.isfinite(lr), axis=0)[a - a0:b - a0]
        blocks = np.all(np.isfinite(hr), axis=0).reshape(b0 - a0, r, cols, r).all(axis=(1, 3))
        hr_whole[a:b] = blocks[a - a0:b - a0]
        if units is not None and normal is not None:
            units[a:b] = noise_units(judged_cross_residual(lr, hr, model), normal)[a - a0:b - a0]
        if progress is not None:
            progress.update(b / rows, "Finding where the HR-MSI has no value or the images disagree")
    return ScenePass(lr_valid, lr_valid & ~hr_whole, units)


def cross_units_map(source: "Source", model: DegradationModel, normal: np.ndarray,
                    budget_bytes: int, progress: Optional[Progress] = None) -> np.ndarray:
    """The cross-sensor residual of the whole scene per LR pixel ``(h, w)``, in units of
    ``normal`` ``(M,)`` (:func:`scan_scene`)."""
    units = scan_scene(source, model, normal, budget_bytes, progress).units
    assert units is not None
    return units


def _normal(source: "Source", model: DegradationModel, texture: Optional["Texture"]) -> np.ndarray:
    """The cross-sensor residual's normal value, the noise measured on the report's crop (chosen
    on the run's ``texture`` when given)."""
    from ..report.assemble import crop_pixels

    _, lr, hr = crop_pixels(source, model.scale, texture)
    return cross_normal(input_noise(lr, hr, model), model)


def measure_disagreement(source: "Source", model: DegradationModel, budget_bytes: int,
                         progress: Optional[Progress] = None,
                         texture: Optional["Texture"] = None) -> Disagreement:
    """The disagreement map of a scene (:func:`scan_scene`, :func:`_normal`)."""
    return find_disagreement(cross_units_map(source, model, _normal(source, model, texture),
                                             budget_bytes, progress))


def scene_masks(plan: "RunPlan", scene: "SceneModel", progress: Progress) -> SceneMasks:
    """Where the run's result is nodata and where it is the LR-HSI alone (the HR-MSI without a
    value; with DISAGREEMENT_FROM_HSI, the areas where the images disagree too), with what was
    found in the log."""
    request = plan.request
    model = scene.model
    t0 = time.perf_counter()
    normal = _normal(scene.source, model, scene.texture) if request.disagreement_from_hsi else None
    found = scan_scene(scene.source, model, normal, max(request.memory_bytes // 8, 2 ** 26), progress)
    disagreement = None if found.units is None else find_disagreement(found.units)
    masks = SceneMasks(found.lr_valid, found.hr_gaps, disagreement)
    seconds = time.perf_counter() - t0
    margin = (f"there, and {reach_pixels(model)} HR pixel(s) around, the result is the LR-HSI alone, "
              f"blended over {feather_pixels(model.scale)} more")
    if found.hr_gaps.any():
        progress.info(f"The HR-MSI has no value (nodata or a quality mask) over "
                      f"{100 * found.hr_gaps.mean():.2f} % of the scene where the LR-HSI has one: "
                      f"{margin}.")
    if disagreement is None:
        return masks
    name = request.name_of("disagreement_from_hsi")
    if not disagreement.areas:
        progress.info(f"{name}: the two images agree everywhere (threshold "
                      f"{disagreement.threshold:.1f} noise units, {seconds:.1f} s).")
    else:
        progress.info(f"{name}: the two images disagree in {disagreement.areas} area(s), "
                      f"{100 * disagreement.share:.2f} % of the scene (above "
                      f"{disagreement.threshold:.1f} noise units, {seconds:.1f} s): {margin}.")
    return masks


def hsi_fallback(masks: SceneMasks, model: DegradationModel) -> Optional[HsiFallback]:
    """What the windows need to take the areas of ``masks`` from the LR-HSI alone (None when
    there is nothing to replace)."""
    replaced = masks.from_hsi
    return HsiFallback.build(replaced, model) if replaced.any() else None
