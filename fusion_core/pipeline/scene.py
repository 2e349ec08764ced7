"""The second step of a run: what holds for the whole scene, decided once before the windows.

:func:`scene_model` gives the degradation model (read from the request's DEGRADATION, or
estimated blindly on the pair or on its most textured crop that fits the memory bound), the
common normalising factor of both images, the window layout, and the resume state — or takes all
of them from the state an interrupted run of the same request left beside the output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..degradation import DegradationModel
from ..errors import InputError
from ..io import Raster
from ..progress import Progress
from ..request import FusionRequest

if TYPE_CHECKING:
    from ..windows import ResumeState, WindowGrid
    from .plan import RunPlan
    from ..windows.source import Source

__all__ = ["SceneModel", "scene_model", "estimate_scene", "normaliser", "srf_prior", "ESTIMATION_MEMORY_FACTOR",
           "NORMALISER_SAMPLE"]

#: Memory the degradation estimator needs, in multiples of the pair it is given (float32).
ESTIMATION_MEMORY_FACTOR = 8
#: LR-HSI values read to compute the common normalising factor (all of them when fewer).
NORMALISER_SAMPLE = 20_000_000


@dataclass
class SceneModel:
    """What every window of a run shares.

    Attributes:
        model: the degradation model of the scene.
        norm: the common factor both images are divided by (the LR-HSI's 99.9th percentile).
        grid: the window layout.
        state: the resume state of the output (kept in memory only for an in-memory run).
        seconds: time spent, by stage (``estimation`` when the model was estimated).
    """

    model: DegradationModel
    norm: float
    grid: "WindowGrid"
    state: "ResumeState"
    seconds: dict[str, float] = field(default_factory=dict)


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
    source = request.srf_source
    if not source.given:
        return None
    return source.prior(lr.wavelengths, lr.fwhm, n_msi=hr.count)


def _estimate(request: FusionRequest, lr: Raster, hr: Raster, scale: int, norm: float,
              psf_size: Optional[int], progress: Progress) -> DegradationModel:
    """Blind estimation on the pair, both images divided by the common factor ``norm``."""
    from ..estimation import estimate_degradation

    return estimate_degradation(
        lr.data / norm, hr.data / norm, scale, srf_prior=srf_prior(request, lr, hr),
        psf_size=psf_size, hsi_wavelengths=lr.wavelengths, msi_band_names=hr.band_names,
        progress=progress,
    )


def estimate_scene(request: FusionRequest, source: "Source", lr: Raster, hr: Raster, norm: float,
                   budget: int, progress: Progress, psf_size: Optional[int] = None) -> DegradationModel:
    """Estimate the degradation once for the scene: on the whole pair when it fits ``budget``
    bytes, else on the most textured crop that does (the model holds for the whole scene)."""
    from ..windows.sampling import estimation_crop

    rows, cols = source.lr_shape
    r, c, m = source.scale, lr.count, hr.count
    per_lr_pixel = 4 * (c + m * r * r) * ESTIMATION_MEMORY_FACTOR
    if rows * cols * per_lr_pixel <= budget:
        rect = (0, 0, rows, cols)
    else:
        side = int(np.sqrt(max(budget, 0) / per_lr_pixel))
        if side < 8:
            raise InputError(
                f"{request.name_of('max_memory_gb')} leaves {budget / 2**30:.2f} GB to estimate the "
                "degradation, too little for a 8×8-pixel crop of the LR-HSI: raise it or give a "
                f"degradation model ({request.name_of('degradation')})."
            )
        step = source.sample_step(NORMALISER_SAMPLE)
        rect = estimation_crop(source.read_lr_sample(step), step, (rows, cols), side)
        progress.info(f"The scene is too big to estimate the degradation on at once: it is "
                      f"estimated on the {rect[3]}×{rect[2]} LR pixels from column {rect[1]}, row "
                      f"{rect[0]} (the most textured crop that fits the memory bound).")
    hr_rect = tuple(v * r for v in rect)
    lr_crop = replace(lr, data=source.read_lr(rect))
    hr_crop = replace(hr, data=source.read_hr(hr_rect))
    return _estimate(request, lr_crop, hr_crop, r, norm, psf_size, progress)


def _given_model(request: FusionRequest, lr: Raster, hr: Raster, scale: int,
                 progress: Progress) -> DegradationModel:
    model = DegradationModel.load(request.degradation)
    model.check_compatible(lr.count, hr.count, scale, request.name_of("degradation"))
    progress.info(f"Degradation model read from {request.degradation}.")
    return model


def scene_model(plan: "RunPlan", source: "Source", progress: Progress,
                state_path: Optional[str] = None,
                model: Optional[DegradationModel] = None) -> SceneModel:
    """The degradation model, factor, windows and resume state of a planned run.

    Args:
        plan: the run's plan.
        source: where the pixels come from (files or arrays).
        progress: reports the estimation's progress (its first 10 %).
        state_path: the output whose resume state is read and kept (None: in memory).
        model: a degradation model to use (in-memory runs); else the request's DEGRADATION,
            else estimated.
    """
    from ..windows import ResumeState, choose_tile, plan_grid
    from ..windows.distributed import local_cluster_shape
    from ..windows.memory import process_bytes
    from .fingerprint import run_fingerprint

    request = plan.request
    run_key = run_fingerprint(plan)
    state = ResumeState.load(state_path, run_key) if (state_path and request.resume) else None
    if request.resume and state is None and state_path and ResumeState.exists(state_path):
        progress.info("The saved state next to the output is for other inputs or settings: "
                      "starting over.")
    if state is not None:
        from ..windows import WindowGrid

        layout = state.layout
        grid = WindowGrid.build(*source.lr_shape, source.scale, layout["core_lr"],
                                layout["halo_lr"], layout["ramp_lr"])
        progress.info(f"Resuming with the degradation model, factor and windows of {state.path}.")
        return SceneModel(state.model, state.norm, grid, state)
    seconds: dict[str, float] = {}
    norm = normaliser(source.read_lr_sample(source.sample_step(NORMALISER_SAMPLE)))
    if model is not None:
        model.check_compatible(plan.lr.count, plan.hr.count, source.scale, "model")
    elif request.degradation:
        model = _given_model(request, plan.lr, plan.hr, source.scale, progress)
    else:
        t0 = time.perf_counter()
        model = estimate_scene(request, source, plan.lr, plan.hr, norm,
                               request.memory_bytes - process_bytes(), progress.child(0.0, 0.1))
        seconds["estimation"] = time.perf_counter() - t0
        progress.info(f"Degradation estimated in {seconds['estimation']:.1f} s.")
    workers = local_cluster_shape(plan.config.device)[0] if plan.scheduler == "local" else 0
    grid = plan_grid(source, plan.method, model, request.memory_bytes, request.window_size,
                     workers, progress.info, plan.config, request.name_of)
    state = ResumeState(state_path, run_key, dict(grid.describe(), tile=choose_tile(grid)), norm,
                        model)
    if not request.resume:
        state.remove()
    return SceneModel(model, norm, grid, state, seconds)
