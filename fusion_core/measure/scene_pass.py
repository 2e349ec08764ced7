"""One pass over a whole scene, strip by strip, noting per LR pixel where each input has a value
and, when asked, the cross-sensor residual in noise units: what the fusion takes from the LR-HSI
alone (:mod:`fusion_core.pipeline.disagreement`) and the blind estimation leaves out.

Memory is bounded like the report's scan; the noise is measured on the report's crop
(:mod:`.crop`) with the report's estimators (:mod:`.consistency`), so the map the report shows
and the areas fused from the LR-HSI alone are one and the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional, Sequence

import numpy as np

from ..degradation import DegradationModel
from ..progress import Progress
from ..windows.layout import psf_halo
from .consistency import NoiseLevels, input_noise, noise_units
from .crop import crop_pixels
from .disagreement import Disagreement, cross_normal, find_disagreement, judged_cross_residual

if TYPE_CHECKING:
    from ..windows.sampling import Texture
    from ..windows.source import Source

__all__ = ["ScenePass", "Mapper", "scan_strip", "scan_run", "scan_scene", "cross_units_map", "crop_noise",
           "crop_normal", "measure_disagreement", "judged_bands"]


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


def judged_bands(source: "Source") -> Optional[tuple[int, ...]]:
    """The HR-MSI bands the cross-sensor residual is judged on: the native-resolution ones when
    the stack has bands resampled from coarser pixels (SHARPEN_MSI found them), whose own blur
    the model's PSF does not describe — on a clean EnMAP-like pair with Sentinel-2's 20 m bands
    stacked bilinearly, judging them flagged 0.6 % of the scene, which the LR-HSI alone then
    replaced at 22 dB where the fusion gave 36; None: every band."""
    sharpening = getattr(source, "hr_sharpening", None)
    return None if sharpening is None else tuple(sharpening.sharp)


#: Runs a function over items, yielding the results in the items' order: here by default, on
#: threads (:func:`fusion_core.threads.on_threads`: the scan's strips spend most of their time
#: decoding, a dataset read by one thread at a time, so one strip's LR-HSI is decoded while
#: another's HR-MSI is), or as tasks of a Dask cluster
#: (:func:`fusion_core.windows.distributed.map_on_dask`).
Mapper = Callable[[Callable[[Any], Any], list], Iterable[Any]]


def _here(function: Callable[[Any], Any], items: list) -> Iterator[Any]:
    return map(function, items)


def scan_strip(source: "Source", model: DegradationModel, normal: Optional[np.ndarray],
               judged: list[int], halo: int, strip: tuple[int, int]
               ) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """LR rows ``strip`` ``[a, b)`` of :func:`scan_scene`: (LR-HSI valid, HR block whole,
    residual in noise units or None), read with ``halo`` rows above and below."""
    a, b = strip
    r = model.scale
    rows, cols = source.lr_shape
    a0, b0 = max(0, a - halo), min(rows, b + halo)
    lr = source.read_lr((a0, 0, b0 - a0, cols))
    hr = source.read_hr((a0 * r, 0, (b0 - a0) * r, cols * r))
    valid = np.all(np.isfinite(lr), axis=0)[a - a0:b - a0]
    whole = np.all(np.isfinite(hr), axis=0).reshape(b0 - a0, r, cols, r).all(axis=(1, 3))[a - a0:b - a0]
    units = None
    if normal is not None:
        residual = judged_cross_residual(lr, hr, model)[judged]
        units = noise_units(residual, normal[judged])[a - a0:b - a0]
    return valid, whole, units


def scan_run(source: "Source", model: DegradationModel, normal: Optional[np.ndarray],
             judged: list[int], halo: int, strips: list[tuple[int, int]]
             ) -> list[tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]:
    """:func:`scan_strip` of consecutive ``strips`` (a Dask task), the inputs' datasets kept open
    with a block cache that holds a row of their tiles: the tiles two strips share (an LR-HSI
    tile is 128 rows, a strip a few dozen) are decoded once, as in one process."""
    import rasterio

    from ..io.reading import kept_open
    from ..windows.memory import GDAL_CACHE_BYTES

    with kept_open(), rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
        return [scan_strip(source, model, normal, judged, halo, strip) for strip in strips]


def scan_scene(source: "Source", model: DegradationModel, normal: Optional[np.ndarray],
               budget_bytes: int, progress: Optional[Progress] = None,
               bands: Optional[Sequence[int]] = None, mapper: Optional[Mapper] = None,
               runs: Optional[int] = None) -> ScenePass:
    """Read the whole scene strip by strip, with the PSF's reach above and below each strip, and
    note per LR pixel :class:`ScenePass`'s masks and, given ``normal`` ``(M,)``, the
    cross-sensor residual in its units: NaN where the PSF footprint of an LR pixel is not
    wholly valid or leaves the scene
    (:func:`.disagreement.judged_cross_residual`). The residual is judged on the HR-MSI
    ``bands`` (default :func:`judged_bands`). ``mapper`` runs the strips (:func:`scan_strip`,
    each within ``budget_bytes``): here by default, or as tasks of a Dask cluster, one strip
    each or, given ``runs``, that many runs of consecutive strips (:func:`scan_run`)."""
    judged = list(bands if bands is not None else judged_bands(source) or range(model.n_msi_bands))
    rows, cols = source.lr_shape
    halo = psf_halo(max(model.psf.shape), model.scale) + 1 if normal is not None else 0
    per_row = 8 * 4 * cols * (model.scale ** 2 * model.n_msi_bands + model.n_hsi_bands)
    per_strip = max(1, budget_bytes // per_row)
    strips = [(a, min(rows, a + per_strip)) for a in range(0, rows, per_strip)]
    lr_valid = np.zeros((rows, cols), bool)
    hr_whole = np.zeros((rows, cols), bool)
    units = np.full((rows, cols), np.nan, np.float32) if normal is not None else None
    if runs:
        size = -(-len(strips) // runs)
        grouped = [strips[k:k + size] for k in range(0, len(strips), size)]
        found: Iterable = (strip for run in (mapper or _here)(
            partial(scan_run, source, model, normal, judged, halo), grouped) for strip in run)
    else:
        found = (mapper or _here)(partial(scan_strip, source, model, normal, judged, halo), strips)
    for (a, b), (valid, whole, strip_units) in zip(strips, found):
        lr_valid[a:b], hr_whole[a:b] = valid, whole
        if units is not None:
            units[a:b] = strip_units
        if progress is not None:
            progress.update(b / rows, "Finding where the HR-MSI has no value or the images disagree")
    return ScenePass(lr_valid, lr_valid & ~hr_whole, units)


def cross_units_map(source: "Source", model: DegradationModel, normal: np.ndarray,
                    budget_bytes: int, progress: Optional[Progress] = None,
                    bands: Optional[Sequence[int]] = None) -> np.ndarray:
    """The cross-sensor residual of the whole scene per LR pixel ``(h, w)``, in units of
    ``normal`` ``(M,)``, judged on ``bands`` (:func:`scan_scene`)."""
    units = scan_scene(source, model, normal, budget_bytes, progress, bands).units
    assert units is not None
    return units


def crop_noise(source: "Source", model: DegradationModel, texture: Optional["Texture"]) -> NoiseLevels:
    """The inputs' noise, measured on the report's crop (chosen on the run's ``texture`` when
    given): what the disagreement map and the report judge residuals against."""
    _, lr, hr = crop_pixels(source, model.scale, texture)
    return input_noise(lr, hr, model)


def crop_normal(source: "Source", model: DegradationModel, texture: Optional["Texture"]) -> np.ndarray:
    """The cross-sensor residual's normal value, from the noise of :func:`crop_noise`."""
    return cross_normal(crop_noise(source, model, texture), model)


def measure_disagreement(source: "Source", model: DegradationModel, budget_bytes: int,
                         progress: Optional[Progress] = None,
                         texture: Optional["Texture"] = None,
                         bands: Optional[Sequence[int]] = None) -> Disagreement:
    """The disagreement map of a scene judged on the HR-MSI ``bands`` (:func:`scan_scene`,
    :func:`crop_normal`)."""
    return find_disagreement(cross_units_map(source, model, crop_normal(source, model, texture),
                                             budget_bytes, progress, bands))
