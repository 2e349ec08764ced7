"""The first step of a file-to-file run: everything decided from metadata, before any pixel is read.

:func:`plan_run` turns a :class:`~fusion_core.request.FusionRequest` into a :class:`RunPlan`: the
method and its settings, the scheduler, both rasters' metadata and how their grids meet
(:func:`fusion_core.io.resample.plan_pair`). Every problem found here is reported in a second, not
after an hour of compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple, Optional

from ..errors import InputError
from ..io import Raster, read_raster_info
from ..progress import Progress
from ..request import FusionRequest

if TYPE_CHECKING:
    from ..io.resample import PairPlan
    from ..methods.base import FusionConfig, FusionMethod
    from ..products import Delivery

__all__ = ["RunPlan", "Inputs", "PlannedInputs", "plan_run", "plan_inputs", "open_inputs", "read_pair_info",
           "method_and_config"]


@dataclass(frozen=True)
class RunPlan:
    """What a run will do, decided from the request and the rasters' metadata.

    Attributes:
        request: the request it was planned from.
        method: a fresh instance of the fusion method.
        config: preset, device, seed and options, as the method receives them.
        scheduler: ``""`` (this process), ``"local"`` or a Dask scheduler's address.
        lr: the LR-HSI's metadata (data array empty); ``lr.path`` is the dataset read.
        hr: the HR-MSI's metadata (data array empty).
        pair: how the two grids meet: ratio, pixels fused, warps.
        inputs: the two inputs as delivered: product, acquisition date, masks.
    """

    request: FusionRequest
    method: "FusionMethod"
    config: "FusionConfig"
    scheduler: str
    lr: Raster
    hr: Raster
    pair: "PairPlan"
    inputs: "Inputs"


def method_and_config(request: FusionRequest, method: Optional["FusionMethod"] = None
                      ) -> tuple["FusionMethod", "FusionConfig"]:
    """The method of ``request`` (or ``method``, a custom one) and its run settings, checked
    (a bad option fails here)."""
    from ..device import resolve_device
    from ..methods import load_method
    from ..methods.base import FusionConfig

    method = method if method is not None else load_method(request.method)
    config = FusionConfig(preset=request.preset,
                          device=resolve_device(request.device, request.name_of("device")),
                          seed=request.seed, options=dict(request.options))
    method.check_config(config)
    return method, config


def _require_paths(request: FusionRequest, names: tuple[str, ...]) -> None:
    missing = [request.name_of(n) for n in names if not getattr(request, n)]
    if missing:
        raise InputError(f"Give {' and '.join(missing)}: a file-to-file run needs "
                         f"{'them' if len(missing) > 1 else 'it'}.")


@dataclass(frozen=True)
class Inputs:
    """The request's LR-HSI and HR-MSI as delivered products (:mod:`fusion_core.products`)."""

    lr: "Delivery"
    hr: "Delivery"


def open_inputs(request: FusionRequest) -> Inputs:
    """The request's two inputs resolved to the datasets the engine reads, with their masks."""
    from ..products import open_input

    _require_paths(request, ("lr_hsi", "hr_msi"))
    classes = request.mask_classes
    return Inputs(open_input(request.lr_hsi, "LR-HSI", classes, request.lr_mask or None,
                             request.name_of("lr_mask")),
                  open_input(request.hr_msi, "HR-MSI", classes, request.hr_mask or None,
                             request.name_of("hr_mask")))


def _dated(delivery: "Delivery", info: Raster) -> "Delivery":
    """``delivery`` with its acquisition time: the reader's, else its raster's metadata's."""
    from dataclasses import replace

    return delivery if delivery.acquired else replace(delivery, acquired=info.acquired)


def read_pair_info(request: FusionRequest, inputs: Inputs) -> tuple[Raster, Raster]:
    """Metadata of the request's LR-HSI and HR-MSI (``inputs``: as opened), with WAVELENGTHS
    applied when given; each raster's ``path`` is the dataset the engine reads."""
    from dataclasses import replace

    lr = read_raster_info(inputs.lr.dataset, "LR-HSI")
    hr = read_raster_info(inputs.hr.dataset, "HR-MSI")
    if request.wavelengths:
        from ..io import parse_wavelengths

        given = parse_wavelengths(request.wavelengths, lr.count, "LR-HSI",
                                  request.name_of("wavelengths"))
        lr = replace(lr, wavelengths=given.wavelengths, fwhm=given.fwhm,
                     wavelength_source=given.source)
    return lr, hr


def plan_run(request: FusionRequest, progress: Progress,
             method: Optional["FusionMethod"] = None) -> RunPlan:
    """Check a file-to-file request against its rasters and decide how it runs.

    ``method`` replaces the request's method by a custom :class:`FusionMethod` instance.

    Raises:
        InputError: a missing path, an unreadable raster, grids that cannot be fused (the
            message names the setting that fixes it), or a method option the method refuses.
    """
    from ..windows import resolve_scheduler

    _require_paths(request, ("lr_hsi", "hr_msi", "output"))
    method, config = method_and_config(request, method)
    inputs, lr, hr, pair = plan_inputs(request, progress)
    return RunPlan(request=request, method=method, config=config,
                   scheduler=resolve_scheduler(request.dask_scheduler), lr=lr, hr=hr, pair=pair,
                   inputs=inputs)


class PlannedInputs(NamedTuple):
    """The pair's part of a plan (what estimation needs too)."""

    inputs: Inputs
    lr: Raster
    hr: Raster
    pair: "PairPlan"


def plan_inputs(request: FusionRequest, progress: Progress) -> PlannedInputs:
    """The request's two inputs opened, their metadata read and logged, and how their grids
    meet: the steps every job on a pair (fusion, estimation) takes first."""
    from ..io.resample import plan_pair

    delivered = open_inputs(request)
    lr, hr = read_pair_info(request, delivered)
    inputs = Inputs(_dated(delivered.lr, lr), _dated(delivered.hr, hr))
    log_inputs(inputs, lr, hr, progress)
    return PlannedInputs(inputs, lr, hr, plan_pair(lr, hr, request.resample_hr_msi, progress.info))


def log_inputs(inputs: Inputs, lr: Raster, hr: Raster, progress: Progress) -> None:
    """What each input is and when it was acquired, as the log says it; a warning when the two
    dates are far apart (:data:`fusion_core.io.dates.DATE_GAP_DAYS`)."""
    from ..io.dates import date_gap_warning, days_apart

    for role, info, delivery in (("LR-HSI", lr, inputs.lr), ("HR-MSI", hr, inputs.hr)):
        progress.info(f"{role}: {delivery.describe()}; {info.count} bands, "
                      f"{info.describe_radiometry()}; wavelengths: "
                      f"{info.wavelength_source or 'none'}.")
    gap = days_apart(inputs.lr.acquired, inputs.hr.acquired)
    progress.info(f"Acquired: LR-HSI {inputs.lr.acquired or 'unknown'}, HR-MSI "
                  f"{inputs.hr.acquired or 'unknown'}"
                  + (f" ({gap:.1f} days apart)." if gap is not None else "."))
    warning = date_gap_warning(inputs.lr.acquired, inputs.hr.acquired)
    if warning:
        progress.info("Warning: " + warning)
