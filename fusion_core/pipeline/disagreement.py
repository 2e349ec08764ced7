"""DISAGREEMENT_FROM_HSI, scene side: where the two inputs disagree, found once before the windows.

The map depends only on the two inputs and the degradation model: the cross-sensor residual
``D(Z) − g ∘ Sᵀ Y`` per LR pixel in noise units, thresholded on the scene's own spread
(:mod:`fusion_core.report.disagreement`). The noise levels are measured on the report's crop
with the report's estimators, the residual is computed strip by strip over the whole scene
(memory bounded like the report's scan) and the map is handed to the report as it is, so the
map the report shows and the areas fused from the LR-HSI alone
(:mod:`fusion_core.windows.fallback`) are one and the same.
"""

from __future__ import annotations

import time
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

__all__ = ["cross_units_map", "measure_disagreement", "scene_disagreement", "hsi_fallback"]


def cross_units_map(source: "Source", model: DegradationModel, normal: np.ndarray,
                    budget_bytes: int, progress: Optional[Progress] = None) -> np.ndarray:
    """The cross-sensor residual of the whole scene per LR pixel ``(h, w)``, in units of
    ``normal`` ``(M,)``, read strip by strip with the PSF's reach above and below each strip;
    NaN where the PSF footprint of an LR pixel is not wholly valid or leaves the scene
    (:func:`~fusion_core.report.disagreement.judged_cross_residual`)."""
    r = model.scale
    rows, cols = source.lr_shape
    halo = psf_halo(max(model.psf.shape), r) + 1
    per_row = 8 * 4 * cols * (r * r * model.n_msi_bands + model.n_hsi_bands)
    per_strip = max(1, budget_bytes // per_row)
    units = np.full((rows, cols), np.nan, np.float32)
    for a in range(0, rows, per_strip):
        b = min(rows, a + per_strip)
        a0, b0 = max(0, a - halo), min(rows, b + halo)
        lr = source.read_lr((a0, 0, b0 - a0, cols))
        hr = source.read_hr((a0 * r, 0, (b0 - a0) * r, cols * r))
        units[a:b] = noise_units(judged_cross_residual(lr, hr, model), normal)[a - a0:b - a0]
        if progress is not None:
            progress.update(b / rows, "Finding where the two images disagree")
    return units


def measure_disagreement(source: "Source", model: DegradationModel, budget_bytes: int,
                         progress: Optional[Progress] = None,
                         texture: Optional["Texture"] = None) -> Disagreement:
    """The disagreement map of a scene, with the noise measured on the report's crop (chosen on
    the run's ``texture`` when given)."""
    from ..report.assemble import crop_pixels

    _, lr, hr = crop_pixels(source, model.scale, texture)
    normal = cross_normal(input_noise(lr, hr, model), model)
    return find_disagreement(cross_units_map(source, model, normal, budget_bytes, progress))


def scene_disagreement(plan: "RunPlan", scene: "SceneModel",
                       progress: Progress) -> Optional[Disagreement]:
    """The scene's disagreement map when the request asks to fuse it from the LR-HSI alone
    (None otherwise), with what was found in the log."""
    request = plan.request
    if not request.disagreement_from_hsi:
        return None
    t0 = time.perf_counter()
    found = measure_disagreement(scene.source, scene.model, max(request.memory_bytes // 8, 2 ** 26),
                                 progress, scene.texture)
    seconds = time.perf_counter() - t0
    if not found.areas:
        progress.info(f"{request.name_of('disagreement_from_hsi')}: the two images agree everywhere "
                      f"(threshold {found.threshold:.1f} noise units, {seconds:.1f} s); the whole "
                      "scene is fused.")
        return found
    margin = reach_pixels(scene.model)
    progress.info(f"{request.name_of('disagreement_from_hsi')}: the two images disagree in "
                  f"{found.areas} area(s), {100 * found.share:.2f} % of the scene (above "
                  f"{found.threshold:.1f} noise units, {seconds:.1f} s); there, and {margin} HR "
                  f"pixel(s) around, the result is the LR-HSI alone, blended over "
                  f"{feather_pixels(scene.model.scale)} more.")
    return found


def hsi_fallback(found: Optional[Disagreement], model: DegradationModel) -> Optional[HsiFallback]:
    """What the windows need to fuse the areas of ``found`` from the LR-HSI alone (None when
    there is nothing to replace)."""
    if found is None or not found.areas:
        return None
    return HsiFallback.build(found.mask, model)
