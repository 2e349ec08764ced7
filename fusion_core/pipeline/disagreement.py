"""What the windows take from the LR-HSI alone, found once before them: where the HR-MSI has no
value and (DISAGREEMENT_FROM_HSI) where the two inputs disagree.

One pass over the scene (:func:`fusion_core.measure.scene_pass.scan_scene`) notes, per LR pixel,
whether the LR-HSI has a value (else the result is nodata), whether its HR block lacks a value of
the HR-MSI (a product's mask, a cloud, a swath edge: the result there is the LR-HSI alone) and,
when asked, the cross-sensor residual ``D(Z) − g ∘ Sᵀ Y`` in noise units, thresholded on the
scene's own spread (:mod:`fusion_core.measure.disagreement`). The map is handed to the report as
it is, so the map the report shows and the areas fused from the LR-HSI alone
(:mod:`fusion_core.windows.fallback`) are one and the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..degradation import DegradationModel
from ..measure.consistency import NoiseLevels
from ..measure.disagreement import Disagreement, cross_normal, find_disagreement
from ..measure.scene_pass import Mapper, crop_noise, scan_scene
from ..progress import Progress
from ..threads import on_threads, run_threads
from ..windows.fallback import HsiFallback, feather_pixels, reach_pixels

if TYPE_CHECKING:
    from .plan import RunPlan
    from .scene import SceneModel

__all__ = ["SceneMasks", "scene_masks", "hsi_fallback"]


@dataclass(frozen=True)
class SceneMasks:
    """Where a run's result comes from, per LR pixel ``(h, w)``.

    Attributes:
        lr_valid: the LR-HSI has a value (elsewhere the result is nodata).
        hr_gaps: the LR-HSI has a value and the HR-MSI lacks one in the pixel's HR block.
        disagreement: the disagreement map (DISAGREEMENT_FROM_HSI), None when not asked for.
        noise: the inputs' noise the map was judged against (the report's too), None when not
            measured.
    """

    lr_valid: np.ndarray
    hr_gaps: np.ndarray
    disagreement: Optional[Disagreement] = None
    noise: Optional[NoiseLevels] = None


def scene_masks(plan: "RunPlan", scene: "SceneModel", progress: Progress) -> SceneMasks:
    """Where the run's result is nodata and where it is the LR-HSI alone (the HR-MSI without a
    value; with DISAGREEMENT_FROM_HSI, the areas where the images disagree too), with what was
    found in the log."""
    request = plan.request
    model = scene.model
    t0 = time.perf_counter()
    noise = crop_noise(scene.source, model, scene.texture) if request.disagreement_from_hsi else None
    normal = None if noise is None else cross_normal(noise, model)
    mapper: Mapper
    runs = None
    if plan.scheduler:  # runs of strips as tasks of the cluster (two per worker thread), whose workers read them
        from ..windows.distributed import cluster_threads, map_on_dask

        mapper, budget = map_on_dask(plan.scheduler, progress), request.memory_bytes // 8
        runs = 2 * cluster_threads(plan.scheduler)
    else:  # on this process's cores; before the windows, the strips in flight share a third
        threads = run_threads()
        mapper, budget = on_threads(threads), request.memory_bytes // 3 // (threads + 1)
    found = scan_scene(scene.source, model, normal, max(budget, 2 ** 26), progress, mapper=mapper, runs=runs)
    disagreement = None if found.units is None else find_disagreement(found.units)
    masks = SceneMasks(found.lr_valid, found.hr_gaps, disagreement, noise)
    seconds = time.perf_counter() - t0
    blend = f"blended over {feather_pixels(model.scale)} HR pixel(s)"
    margin = (f"there, and {reach_pixels(model)} HR pixel(s) around, the result is the LR-HSI alone, "
              f"{blend} more")
    if found.hr_gaps.any():
        progress.info(f"The HR-MSI has no value (nodata or a quality mask) over "
                      f"{100 * found.hr_gaps.mean():.2f} % of the scene where the LR-HSI has one: "
                      f"there the result is the LR-HSI alone, {blend} into the fused pixels.")
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
    found = masks.disagreement
    flagged = found.mask if found is not None else np.zeros_like(masks.hr_gaps)
    if not (flagged.any() or masks.hr_gaps.any()):
        return None
    return HsiFallback.build(flagged, model, gaps=masks.hr_gaps)
