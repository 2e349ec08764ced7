"""The second step of a run: what holds for the whole scene, decided once before the windows.

:func:`scene_model` decides which LR-HSI bands are fused, the common normalising factor of both
images, the shift between them, the degradation model (given, or estimated blindly on the pair or
on its most textured crop that fits the memory bound), the window layout and the resume state —
or takes all of them from the state an interrupted run of the same request left beside the
output.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Optional

from ..degradation import DegradationModel
from ..io import Raster
from ..progress import Progress
from ..request import FusionRequest
from .align import coregister, fit_msi_sharpening, live_bands, misregistration, report_misregistration
from .estimate import NORMALISER_SAMPLE, estimate_scene, estimation_rect, gain_note, normaliser

if TYPE_CHECKING:
    from ..windows import ResumeState, WindowGrid
    from ..windows.sampling import Texture
    from ..windows.source import Source
    from .plan import RunPlan

__all__ = ["SceneModel", "scene_model", "PreparedScene", "prepare_scene"]


@dataclass
class SceneModel:
    """What every window of a run shares.

    Attributes:
        source: the pixels to fuse: the LR-HSI bands used, the HR window after co-registration.
        model: the degradation model of the scene (on the bands used).
        norm: the common factor both images are divided by (the LR-HSI's 99.9th percentile).
        grid: the window layout.
        state: the resume state of the output (kept in memory only for an in-memory run).
        misregistration: the measured shift between the images, (row, column) HR pixels.
        seconds: time spent, by stage (``estimation`` when the model was estimated).
        texture: where the crops are chosen (the report's), as the run sampled the LR-HSI; None:
            sampled again where needed (a resumed run).
    """

    source: "Source"
    model: DegradationModel
    norm: float
    grid: "WindowGrid"
    state: "ResumeState"
    misregistration: tuple[float, float] = (0.0, 0.0)
    seconds: dict[str, float] = field(default_factory=dict)
    texture: Optional["Texture"] = None


def _resumed(plan: "RunPlan", source: "Source", state: "ResumeState",
             progress: Progress) -> SceneModel:
    from ..windows import WindowGrid

    layout = state.layout
    bands = layout.get("lr_bands")
    source = source.with_bands(None if bands is None else tuple(bands))
    if layout.get("sharpening"):
        from ..spectral.multiresolution import MsiSharpening

        source = source.with_sharpening(MsiSharpening.from_dict(layout["sharpening"]))
    shift = tuple(layout.get("shift", (0, 0)))
    if shift != (0, 0):
        source = source.with_plan(source.plan.moved(shift[0], shift[1], _hr_shape(plan)))
    grid = WindowGrid.build(*source.lr_shape, source.scale, layout["core_lr"], layout["halo_lr"],
                            layout["ramp_lr"])
    progress.info(f"Resuming with the degradation model, factor and windows of {state.path}.")
    return SceneModel(source, state.model, state.norm, grid, state,
                      misregistration(state.model, source.plan, (shift[0], shift[1])))


def _hr_shape(plan: "RunPlan") -> tuple[int, int]:
    """(rows, cols) of the HR image the HR window lies in (the HR-MSI, or its warp)."""
    grid = plan.pair.hr_source_grid(plan.hr)
    return grid.height, grid.width


def _follow(rect: tuple[int, int, int, int], before, source: "Source") -> tuple[int, int, int, int]:
    """The LR rectangle ``rect`` of the plan ``before`` in the coordinates of ``source``'s plan
    (co-registration may cut LR pixels that no longer meet the HR-MSI), clipped to it."""
    rows, cols = source.lr_shape
    dr = source.plan.lr_window[0] - before.lr_window[0]
    dc = source.plan.lr_window[1] - before.lr_window[1]
    r0, c0 = max(0, rect[0] - dr), max(0, rect[1] - dc)
    return r0, c0, min(rect[0] - dr + rect[2], rows) - r0, min(rect[1] - dc + rect[3], cols) - c0


@dataclass
class PreparedScene:
    """What :func:`prepare_scene` decided: the source (bands used, HR window after
    co-registration), the factor, the degradation model, the whole-pixel shift matched and the
    whole misregistration (HR pixels), the seconds the estimation took, and the texture the
    crops were chosen on (None when co-registration moved the LR area)."""

    source: "Source"
    norm: float
    model: DegradationModel
    shift: tuple[int, int]
    misregistration: tuple[float, float]
    seconds: dict[str, float]
    texture: Optional["Texture"] = None


def prepare_scene(request: FusionRequest, lr: Raster, hr: Raster, source: "Source",
                  hr_shape: tuple[int, int], progress: Progress,
                  model: Optional[DegradationModel] = None,
                  psf_size: Optional[int] = None) -> PreparedScene:
    """Bands, factor, co-registration and degradation model of a pair (fusion and the
    estimation job share it). ``model`` (or the request's DEGRADATION) is used when given."""
    from ..io.reading import kept_open
    from ..windows.memory import process_bytes
    from ..windows.sampling import Texture

    seconds: dict[str, float] = {}
    step = source.sample_step(NORMALISER_SAMPLE)
    sample = source.read_lr_sample(step)
    bands = live_bands(sample, lr, progress)
    lr_info = lr.select(bands)
    if bands is not None:
        source, sample = source.with_bands(bands), sample[list(bands)]
    norm = normaliser(sample)
    if model is None and request.degradation:
        model = DegradationModel.load(request.degradation)
        progress.info(f"Degradation model read from {request.degradation}.")
    budget = request.memory_bytes - process_bytes()
    texture = Texture.of(sample, step)
    rect = estimation_rect(request, source, lr_info, hr, budget, texture, progress)
    before = source.plan
    with kept_open():  # co-registration, sharpening and estimation read the same crop: decoded once
        source, shift = coregister(request, source, rect, hr_shape, model, progress)
        rect = _follow(rect, before, source)
        moved = source.plan.lr_window != before.lr_window     # the texture was sampled on another area
        if request.sharpen_msi:
            source = source.with_sharpening(fit_msi_sharpening(source, rect, hr, progress))
        if model is not None:
            model.check_compatible(lr_info.count, hr.count, source.scale,
                                   request.name_of("degradation"))
        else:
            t0 = time.perf_counter()
            model = estimate_scene(request, source, lr_info, hr, norm, rect,
                                   progress.child(0.0, 0.1), psf_size)
            seconds["estimation"] = time.perf_counter() - t0
            progress.info(f"Degradation estimated in {seconds['estimation']:.1f} s.")
            note = gain_note(model)
            if note:
                progress.info(note)
    pixel = source.plan.hr_grid(hr).pixel_size[0] if hr.grid.crs is not None else None
    shown = report_misregistration(request, model, source.plan, shift, pixel, progress)
    return PreparedScene(source, norm, model, shift, shown, seconds, None if moved else texture)


def scene_model(plan: "RunPlan", source: "Source", progress: Progress,
                state_path: Optional[str] = None,
                model: Optional[DegradationModel] = None) -> SceneModel:
    """The bands, factor, shift, degradation model, windows and resume state of a planned run.

    Args:
        plan: the run's plan.
        source: where the pixels come from (files or arrays).
        progress: reports the estimation's progress (its first 10 %).
        state_path: the output whose resume state is read and kept (None: in memory).
        model: a degradation model to use (in-memory runs); else the request's DEGRADATION,
            else estimated.
    """
    from ..report.write import wants_report
    from ..windows import ResumeState, choose_tile, plan_grid
    from ..windows.distributed import cluster_room, local_cluster_shape
    from .fingerprint import run_fingerprint

    request = plan.request
    run_key = run_fingerprint(plan)
    state = ResumeState.load(state_path, run_key) if (state_path and request.resume) else None
    if request.resume and state is None and state_path and ResumeState.exists(state_path):
        progress.info("The saved state next to the output is for other inputs or settings: "
                      "starting over.")
    if state is not None:
        return _resumed(plan, source, state, progress)
    prepared = prepare_scene(request, plan.lr, plan.hr, source, _hr_shape(plan), progress, model)
    source, model = prepared.source, prepared.model
    workers = local_cluster_shape(plan.config.device)[0] if plan.scheduler == "local" else 0
    room = cluster_room(plan.scheduler, request.memory_bytes) if plan.scheduler not in ("", "local") else 0
    grid = plan_grid(source, plan.method, model, request.memory_bytes, request.window_size,
                     workers, progress.info, plan.config, request.name_of,
                     keep_inputs=wants_report(request), worker_bytes=room)
    bands = source.lr_bands
    sharpening = source.hr_sharpening
    layout = dict(grid.describe(), tile=choose_tile(grid), shift=list(prepared.shift),
                  lr_bands=None if bands is None else list(bands),
                  sharpening=None if sharpening is None else asdict(sharpening))
    state = ResumeState(state_path, run_key, layout, prepared.norm, model)
    if not request.resume:
        state.remove()
    return SceneModel(source, model, prepared.norm, grid, state, prepared.misregistration,
                      prepared.seconds, prepared.texture)
