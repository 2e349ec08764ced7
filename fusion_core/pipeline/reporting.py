"""The report of a fusion run, as the pipeline asks for it: one call before the windows, one after.

:func:`report_start` and :func:`report_run` serve :func:`~fusion_core.pipeline.fuse_files` (so
the QGIS algorithm and the command line) and :func:`~fusion_core.pipeline.fuse_arrays` alike.
The first measures the inputs' noise and sets up the scan that the windows feed with each region
they write (:mod:`fusion_core.report.region_scan`); the second hands the report the finished
run's facts — the result read back from the output (file or array), the model, the inputs, the
run's own fusion in memory for the reduced-resolution check — to compute the figures
(:mod:`fusion_core.report.assemble`) and write what the request asks for
(:mod:`fusion_core.report.write`). :func:`with_default_report` gives a run on files its report's
default path beside the output.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..measure.consistency import NoiseLevels
from ..measure.disagreement import Disagreement
from ..progress import Progress
from ..report.assemble import ReportInputs, ReportStart, array_reader, assemble_report, start_report
from ..report.reduced import Fuse
from ..report.render import FORMAT, json_path
from ..report.scan import FusedReader
from ..report.speclib import spectral_library_path, write_spectral_library
from ..report.write import wants_report, write_maps, write_report
from ..request import FusionRequest, param_of
from .lineage import input_facts

if TYPE_CHECKING:
    from .plan import RunPlan
    from .scene import SceneModel

__all__ = ["report_start", "report_run", "with_default_report"]


def _earlier_report(path: Path, output: str) -> bool:
    """Whether the report at ``path`` (HTML, JSON beside it) may be replaced: neither file is
    there, or its JSON is a report of this same ``output`` (an earlier run's, which the new
    result replaces). Any other file there is the user's and is kept."""
    report, facts = path, json_path(path)
    if not report.exists() and not facts.exists():
        return True
    try:
        content = json.loads(facts.read_text(encoding="utf-8"))
        return (content.get("format") == FORMAT
                and Path(content["run"]["output"]).resolve() == Path(output).resolve())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def with_default_report(request: FusionRequest) -> FusionRequest:
    """``request`` with its report's path filled in when REPORT was not given (None) and the run
    writes a file: ``<output name>_report.html`` beside the output, or, when that name holds a
    file other than an earlier report of the same output, ``<output name>_report_2.html``, ``_3``…
    (nothing of the user's is overwritten). An empty REPORT (no report) stays empty."""
    if request.report is not None or not request.output:
        return request
    stem, extension = param_of("report").beside_output.rsplit(".", 1)
    output = Path(request.output)
    count = 1
    while True:
        path = output.with_name(f"{output.stem}{stem}{'' if count == 1 else f'_{count}'}.{extension}")
        if _earlier_report(path, request.output):
            return request.with_(report=str(path))
        count += 1


def _reader(output, bands: Optional[tuple[int, ...]] = None) -> FusedReader:
    """Reads the finished result over an HR rectangle, from an in-memory or a file output;
    only ``bands`` (the LR-HSI bands fused; all when None), in physical values (an int16
    output's scale and offset applied, nodata as NaN)."""
    data = getattr(output, "data", None)
    if data is not None:
        return array_reader(data if bands is None else data[list(bands)])
    from rasterio.windows import Window

    from ..io import read_raster

    path = str(output.final)

    def read(rect):
        values = read_raster(path, "fused result", window=Window(rect[1], rect[0], rect[3], rect[2])).data
        return values if bands is None else values[list(bands)]

    return read


def report_start(plan: "RunPlan", scene: "SceneModel",
                 noise: Optional[NoiseLevels] = None) -> Optional[ReportStart]:
    """Before the windows: the noise (``noise``, the one the run's disagreement map was judged
    against, when measured) and the scan they feed (pass its ``scan.add`` to
    :func:`~fusion_core.windows.run_windows`), when the run asks for a report or a map."""
    if not wants_report(plan.request):
        return None
    wavelengths = plan.lr.select(scene.source.lr_bands).wavelengths
    return start_report(scene.source, scene.model, wavelengths, scene.grid, scene.texture, noise,
                        spectral_map=bool(plan.request.consistency_map))


def report_run(plan: "RunPlan", scene: "SceneModel", output, seconds: dict[str, float],
               progress: Progress, start: ReportStart, fuse: Fuse,
               disagreement: Optional[Disagreement] = None) -> dict[str, float]:
    """Compute and write the report and maps of ``start`` (:func:`report_start`); returns
    ``{"report": seconds}``, counting the time spent before and during the windows.
    ``fuse``: the run's fusion in memory (the reduced-resolution check); ``disagreement``: the
    map the run fused from the LR-HSI alone, shown as it is."""
    request = plan.request
    t0 = time.perf_counter()
    progress.info("Computing the quality report.")
    grid = getattr(output, "grid", None) or scene.source.plan.hr_grid(plan.hr)  # the result's own grid
    bands = scene.source.lr_bands
    lr = plan.lr.select(bands)
    inputs = ReportInputs(
        request=request, method=plan.method, fuse=fuse, source=scene.source,
        read_fused=_reader(output, bands), model=scene.model,
        output=str(getattr(output, "final", output.path)), hsi_wavelengths=lr.wavelengths,
        msi_band_names=list(plan.hr.band_names), seconds=dict(seconds),
        estimated="estimation" in scene.seconds, budget_bytes=max(request.memory_bytes // 8, 2 ** 26),
        pixel_size=grid.pixel_size[0] if grid.crs is not None else None, start=start,
        disagreement=disagreement, delivered=input_facts(plan.inputs))
    report = assemble_report(inputs, progress.child(0.0, 0.9))
    t1 = time.perf_counter()
    write_maps(request, report, grid, scene.model.scale)
    report.facts["run"]["report_seconds"]["maps"] = time.perf_counter() - t1
    if request.report:
        write_report(request.report, report, lr.wavelengths)
        library = spectral_library_path(request.report)
        write_spectral_library(library, report.facts["samples"], grid, lr.wavelengths,
                               report.facts["degradation"]["msi_centres_nm"])
        progress.info(f"Quality report written to {request.report} "
                      f"({len(report.facts['warnings'])} warning(s)); its sample spectra to {library}.")
    earlier = start.seconds + (start.scan.seconds if start.scan is not None else 0.0)
    return {"report": time.perf_counter() - t0 + earlier}
