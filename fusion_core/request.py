"""One fusion run as one typed, immutable value: :class:`FusionRequest`.

The request owns every setting of a run: its default, its validation and how users see it (the
QGIS parameter key, label and help, the CLI flag), declared by a :class:`~fusion_core.params.Param`
on each field. The QGIS algorithm and the command line build their parameters from those fields
(:func:`request_fields`) instead of restating them, and messages name a field in the caller's
vocabulary (:meth:`~fusion_core.params.Request.name_of`): ``MAX_MEMORY_GB`` in QGIS,
``--max-memory-gb`` on the command line, ``max_memory_gb`` in Python. The other jobs' requests
(:mod:`fusion_core.job_requests`) share the fields they have in common with it.

Example::

    from fusion_core import FusionRequest, fuse_files
    fuse_files(FusionRequest("enmap.tif", "s2.tif", "fused.tif", method="sscf"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Optional

from .errors import InputError
from .io.output_format import CODECS, DTYPES, FORMATS, OutputOptions
from .methods import CATALOG, describe_options, method_index
from .methods.options import parse_method_options
from .methods.settings import DEFAULT_PRESET, PRESETS
from .params import INPUT_KINDS, OUTPUT_KINDS, Caller, Param, Request, param
from .products.base import DEFAULT_MASK_CLASSES, MASK_CLASSES
from .srf.catalog import SENSOR_PRESETS
from .srf.source import SrfSource

__all__ = ["FusionRequest", "Param", "Caller", "request_fields", "fields_of_kind", "PRESETS", "DEVICES",
           "GEOMETRIES", "MIN_MEMORY_GB", "INPUT_KINDS", "OUTPUT_KINDS"]

#: Values of the enumerated fields, in the (frozen) order of their QGIS enums.
DEVICES = ("auto", "cpu", "cuda")
GEOMETRIES = ("msi", "hsi")
#: Smallest memory bound a run can work in: the Python process with torch loaded and a window.
MIN_MEMORY_GB = 1.0


def _split_names(text: str) -> tuple[str, ...]:
    return tuple(b.strip() for b in (text or "").split(",") if b.strip())


def _method_help() -> str:
    return "; ".join(f"{i} = {e.label}" for i, e in enumerate(CATALOG))


class SrfSettings(Request):
    """The settings of an HR-MSI's SRF (fields ``sensor``, ``srf_file`` and ``msi_bands``), for
    the requests that take one."""

    sensor: Optional[str]
    srf_file: Optional[str]
    msi_bands: tuple[str, ...]

    def check_srf(self) -> None:
        """``msi_bands`` as a tuple; a preset and a CSV are not both given."""
        object.__setattr__(self, "msi_bands", tuple(self.msi_bands or ()))
        if self.sensor and self.srf_file:
            raise InputError(f"Give either {self.name_of('sensor')} or {self.name_of('srf_file')}, "
                             "not both.")

    @property
    def srf_source(self) -> SrfSource:
        """The SRF asked for (a preset, a CSV, or none)."""
        fields = dict(self.fields())
        return SrfSource(self.sensor, self.srf_file, self.msi_bands or None,
                         names=(self.name_of("sensor"), self.name_of("srf_file"),
                                self.name_of("msi_bands"),
                                self.name_of("wavelengths") if "wavelengths" in fields
                                else "the band wavelengths"))


@dataclass(frozen=True)
class FusionRequest(SrfSettings):
    """Everything that decides a fusion run (see the module docstring).

    The three paths may stay empty for :func:`fusion_core.pipeline.fuse_arrays`, which fuses
    arrays in memory with the same settings and the same code path.
    """

    lr_hsi: str = param("", key="LR_HSI", label="Low-resolution hyperspectral image",
                         help="The LR-HSI (EnMAP, PRISMA, DESIS, Hyperion…), any GDAL raster.",
                         kind="raster_in", cli="")
    hr_msi: str = param("", key="HR_MSI", label="High-resolution multispectral image",
                         help="The HR-MSI of the same place (Sentinel-2, Landsat, WorldView…).",
                         kind="raster_in", cli="")
    output: str = param("", key="OUTPUT", label="Fused HR-HSI",
                         help="The fused image (GeoTIFF), on the HR-MSI's grid with the LR-HSI's "
                              "bands, band names and wavelengths.", kind="raster_out", cli="")
    method: str = param("sscf", key="METHOD", label="Fusion method",
                         help="The fusion method, by index or id: " + _method_help() + ".",
                         kind="enum", choices=tuple(e.id for e in CATALOG),
                         choice_labels=tuple(e.label for e in CATALOG))
    degradation: Optional[str] = param(
        None, key="DEGRADATION", label="Degradation model (empty: estimate it)",
        help="A degradation model (JSON written by 'Estimate degradation'); estimated from the "
             "pair when empty.", kind="file_in", optional=True, extension="json")
    sensor: Optional[str] = param(
        None, key="SENSOR", label="HR-MSI sensor SRF preset",
        help="The SRF of the HR-MSI's sensor, from a preset: for fusion an optional prior, which "
             "the blind estimation corrects.",
        kind="enum", choices=tuple(p for p, _ in SENSOR_PRESETS),
        choice_labels=tuple(label for _, label in SENSOR_PRESETS), optional=True)
    srf_file: Optional[str] = param(
        None, key="SRF_FILE", label="HR-MSI SRF CSV file",
        help="The SRF of the HR-MSI's sensor as a table (a wavelength_nm column, then one column "
             "per band): for fusion an optional prior, which the blind estimation corrects.", kind="file_in",
        optional=True, extension="csv")
    msi_bands: tuple[str, ...] = param(
        (), key="MSI_BANDS",
        label="SRF bands in HR-MSI band order, comma separated (e.g. B2,B3,B4,B8)",
        help="Which bands of the SRF preset or file the HR-MSI holds, in raster order.",
        kind="text", optional=True, parse=_split_names)
    preset: str = param(DEFAULT_PRESET, key="PRESET", label="Preset",
                         help="fast (default) or the paper's iteration schedule (hours for the "
                              "deep methods on a CPU).", kind="enum", choices=PRESETS,
                         choice_labels=("fast", "paper's schedule"))
    device: str = param("auto", key="DEVICE", label="Device",
                         help="auto (CUDA when present), cpu or cuda.", kind="enum",
                         choices=DEVICES, advanced=True)
    seed: int = param(0, key="SEED", label="Random seed",
                       help="Seed of every random choice: runs are reproducible (bit for bit on a "
                            "CPU; on CUDA to within rounding).", kind="integer", advanced=True)
    options: Mapping[str, Any] = param(
        None, factory=lambda: MappingProxyType({}), key="METHOD_OPTIONS",
        label="Method options (name=value; ...)",
        help="Settings of the chosen method as 'name=value; name=value' or a JSON object; an "
             "unknown name is refused with the list of valid ones. Each method's options: "
             + " ".join(f"[{e.short_name}] " + "; ".join(o.text() for o in describe_options(e.id))
                        for e in CATALOG) + ".", kind="text",
        advanced=True, optional=True, cli="--options", parse=parse_method_options)
    max_memory_gb: float = param(
        4.0, key="MAX_MEMORY_GB", label="Memory bound (GB)",
        help=f"Peak memory of the run (this process and an embedded cluster's workers); at least "
             f"{MIN_MEMORY_GB:g} GB.", kind="number", minimum=MIN_MEMORY_GB, advanced=True)
    window_size: int = param(
        0, key="WINDOW_SIZE", label="Window size in HR pixels (0 = from the memory bound)",
        help="Edge of the windows the scene is fused in, in HR pixels; 0 takes the largest that "
             "fits the memory bound.", kind="integer", minimum=0, advanced=True)
    dask_scheduler: str = param(
        "", key="DASK_SCHEDULER", label="Dask scheduler ('local', an address, or empty)",
        help="'local' starts a Dask cluster on this machine; an address (tcp://host:8786) uses a "
             "running one whose workers see the inputs at the same paths; empty uses "
             "$HSI_FUSION_DASK_SCHEDULER, or none.", kind="text", advanced=True, optional=True,
        cli="--dask")
    resume: bool = param(False, key="RESUME", label="Resume an interrupted run",
                          help="Continue an interrupted run of the same inputs and settings "
                               "without fusing finished windows again.", kind="boolean",
                          advanced=True)
    resample_hr_msi: bool = param(
        False, key="RESAMPLE_HR_MSI",
        label="Resample the HR-MSI onto the LR-HSI grid when they do not nest",
        help="Warp the HR-MSI (instead of the LR-HSI) when the grids do not nest; the output is "
             "then on the LR-HSI-aligned grid.", kind="boolean", advanced=True)
    geometry: str = param(
        "msi", key="GEOMETRY", label="Output geometry",
        help="msi: the result is pixel-aligned with the HR-MSI and follows its georeferencing "
             "(default); hsi: it follows the LR-HSI's georeferencing when the two images are "
             "misregistered (same pixels, moved by the measured shift).", kind="enum",
        choices=GEOMETRIES, choice_labels=("HR-MSI's (default)", "LR-HSI's"), advanced=True)
    coregister: bool = param(
        True, key="COREGISTER", label="Estimate and compensate a shift between the images",
        help="Measure a global shift between the two images (up to a few LR pixels) and "
             "compensate it; the log and the degradation model report it.", kind="boolean",
        advanced=True)
    sharpen_msi: bool = param(
        True, key="SHARPEN_MSI", label="Give coarser HR-MSI bands the detail of the sharp ones",
        help="HR-MSI bands resampled from coarser pixels (Sentinel-2's 20 m bands stacked at "
             "10 m) are found from the image and given the sharp bands' detail before fusion, "
             "so that their blur is not taken for the scene's.", kind="boolean", advanced=True)
    wavelengths: str = param(
        "", key="WAVELENGTHS", label="LR-HSI wavelengths (list in nm or µm, or a CSV file)",
        help="Band centres of the LR-HSI when its metadata has none: '443, 490, …' or a text/CSV "
             "file with one value per band.", kind="text", advanced=True, optional=True)
    lr_mask: str = param(
        "", key="LR_MASK", label="LR-HSI mask (non-zero: leave out)",
        help="A raster of pixels to leave out of the LR-HSI (clouds, shadows, anything): non-zero "
             "excludes. On the LR-HSI's grid, or coarser by a whole factor; a product's own "
             "quality layers are read without it (QUALITY_MASK).", kind="raster_in",
        optional=True)
    hr_mask: str = param(
        "", key="HR_MASK", label="HR-MSI mask (non-zero: leave out)",
        help="A raster of pixels to leave out of the HR-MSI: non-zero excludes. On the HR-MSI's "
             "grid, or coarser by a whole factor.", kind="raster_in", optional=True)
    quality_mask: str = param(
        ", ".join(DEFAULT_MASK_CLASSES), key="QUALITY_MASK",
        label="Product quality classes to leave out",
        help="Which classes of a delivered product's quality layers (EnMAP QL_QUALITY_*, "
             "Sentinel-2 SCL, PRISMA and DESIS masks) are left out of the estimation and the "
             f"fusion, comma separated among {', '.join(MASK_CLASSES)}; 'none' uses no product "
             "mask.", kind="text", advanced=True)
    degradation_output: Optional[str] = param(
        None, key="DEGRADATION_OUTPUT", label="Degradation model used",
        help="Also write the degradation model used (JSON).", kind="file_out", optional=True,
        extension="json")
    report: Optional[str] = param(
        None, key="REPORT", label="Quality report",
        help="A self-contained HTML report of how far the result can be trusted: a quality "
             "estimate measured on this pair (a reduced-resolution check on samples from the whole "
             "scene), how well the result gives back the LR-HSI (in units of its noise), the HQNR "
             "index, the estimated PSF/SRF and how firmly the data pin the SRF down, "
             "misregistration, noise, quick-looks and warnings in plain words; a JSON of the same "
             "figures is written beside it. Written by default beside OUTPUT as "
             "<output name>_report.html (a name of its own when that file exists and is not an "
             "earlier report of the same output); an empty value writes none (--no-report on the "
             "command line, report=False in Python).",
        kind="file_out", optional=True, extension="html", create_by_default=True,
        beside_output="_report.html")
    consistency_map: Optional[str] = param(
        None, key="CONSISTENCY_MAP", label="Consistency map",
        help="A raster on the output's grid: band 1, how far the result integrated by the SRF is "
             "from the HR-MSI; band 2, how far the result blurred by the PSF is from the LR-HSI; "
             "both in units of the input's noise (about 1 is as good as the data can tell).",
        kind="raster_out", optional=True, pixel_bytes=4)
    agreement_mask: Optional[str] = param(
        None, key="AGREEMENT", label="Agreement mask",
        help="A raster on the output's grid: 1 where the LR-HSI and the HR-MSI agree, 0 where they "
             "disagree (clouds, shadows, changes between the acquisition dates): there the result "
             "follows one image only; nodata where they cannot be compared (either input's nodata, "
             "and the scene's edge, where the PSF reaches past it).", kind="raster_out", optional=True,
        pixel_bytes=1)
    provenance: Optional[str] = param(
        None, key="PROVENANCE", label="Provenance",
        help="A raster on the output's grid saying where each pixel comes from: 1 fused from both "
             "images; 2 the LR-HSI alone brought to the HR grid (the HR-MSI is masked or has no "
             "value there, or the two images disagree); 3 a blend of the two (the ramp between 2 "
             "and 1); 0 empty (nodata: the LR-HSI has no value there).", kind="raster_out",
        optional=True, pixel_bytes=1)
    output_format: str = param(
        "GTiff", key="OUTPUT_FORMAT", label="Output layout",
        help="GTiff: a tiled, band-interleaved GeoTIFF written while windows are fused (default); "
             "COG: a Cloud-Optimized GeoTIFF with overviews, rewritten by GDAL at the end.",
        kind="enum", choices=FORMATS, choice_labels=("GeoTIFF (default)", "Cloud-Optimized GeoTIFF"),
        advanced=True)
    output_compression: str = param(
        "ZSTD", key="OUTPUT_COMPRESSION", label="Output compression",
        help="ZSTD (default, fast), DEFLATE (for software without ZSTD), LERC_ZSTD or NONE; "
             "all lossless.", kind="enum", choices=CODECS, advanced=True)
    output_type: str = param(
        "float32", key="OUTPUT_TYPE", label="Output data type",
        help="float32: physical values, NaN as nodata (default); int16: counts with the scale and "
             "offset written to the file (GDAL and QGIS show physical values), nodata -32768, "
             "half the size; the scale is chosen from the LR-HSI's values unless OUTPUT_SCALE "
             "is given.", kind="enum", choices=DTYPES,
        choice_labels=("float32 (default)", "scaled int16"), advanced=True)
    output_scale: float = param(
        0.0, key="OUTPUT_SCALE", label="int16 output: physical value of one count (0: from the data)",
        help="For an int16 output: the physical value of one count (e.g. 0.0001 for reflectance "
             "stored as EnMAP does); 0 chooses it from the LR-HSI (a step of 6e-5 of its 99.9th "
             "percentile).", kind="number", minimum=0.0, advanced=True)
    output_overviews: bool = param(
        False, key="OUTPUT_OVERVIEWS", label="Add overviews to the output",
        help="Build internal overviews (averaged) at the end, so QGIS shows a zoomed-out view of "
             "a large result at once (a COG always has them).", kind="boolean", advanced=True)
    disagreement_from_hsi: bool = param(
        True, key="DISAGREEMENT_FROM_HSI",
        label="Fuse areas where the images disagree from the LR-HSI alone",
        help="On by default. Where the two images disagree (a cloud or its shadow in one image "
             "only, a change between the acquisition dates: the areas of the AGREEMENT mask, found "
             "before fusion), the HR-MSI is left out as if masked and the result is the LR-HSI "
             "alone brought to the HR grid, so what only the HR-MSI shows is not painted into the "
             "result; those areas keep the LR-HSI's resolution, blended smoothly into the fused "
             "surroundings (code 2 of PROVENANCE). Off: they are fused like the rest.",
        kind="boolean", advanced=True)
    caller: Caller = field(default="python", compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "method", CATALOG[method_index(self.method, self.name_of("method"))].id)
        self.parse_text()
        set_(self, "options", MappingProxyType(dict(self.options or {})))
        set_(self, "dask_scheduler", (self.dask_scheduler or "").strip())
        for name, spec in self.fields():
            if spec.beside_output and isinstance(getattr(self, name), bool):   # False: none
                set_(self, name, None if getattr(self, name) else "")
        self.check_declared()
        self.check_srf()
        self.mask_classes  # noqa: B018 - refuses an unknown class now
        if self.output_overviews and self.output_format == "COG":
            raise InputError(f"A COG always has overviews: leave {self.name_of('output_overviews')} "
                             f"off with {self.name_of('output_format')} COG.")

    def check_method_options(self) -> None:
        """Raise :class:`InputError` unless ``options`` are valid for the request's method and
        preset (torch-free, so it runs before any file is opened)."""
        from .methods import method_presets
        from .methods.settings import resolve_settings

        entry = CATALOG[method_index(self.method)]
        resolve_settings(method_presets(self.method), self.preset, self.options, entry.short_name)

    @property
    def mask_classes(self) -> frozenset[str]:
        """The product quality classes left out (QUALITY_MASK)."""
        from .products import parse_mask_classes

        return parse_mask_classes(self.quality_mask, self.name_of("quality_mask"))

    @property
    def output_options(self) -> OutputOptions:
        """How the fused raster is encoded (the int16 scale still to be chosen from the data
        when ``output_scale`` is 0)."""
        return OutputOptions(format=self.output_format, codec=self.output_compression,
                             dtype=self.output_type, scale=float(self.output_scale),
                             overviews=self.output_overviews)

    @property
    def memory_bytes(self) -> int:
        return int(self.max_memory_gb * 2**30)


#: The declarations of :class:`FusionRequest` (see :class:`fusion_core.params.Request`).
request_fields = FusionRequest.fields
fields_of_kind = FusionRequest.fields_of_kind
param_of = FusionRequest.param_of
cli_flag = FusionRequest.cli_flag
