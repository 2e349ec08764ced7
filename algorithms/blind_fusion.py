"""hsifusion:blindfusion — fuse an LR-HSI with an HR-MSI into a georeferenced HR-HSI."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterString,
)

from ..fusion_core.methods import CATALOG
from ..fusion_core.methods.settings import PRESETS
from .base import FusionAlgorithm

DEVICES = ("auto", "cpu", "cuda")


class BlindFusion(FusionAlgorithm):
    ID = "blindfusion"
    LABEL = "Blind fusion (HSI + MSI → HR-HSI)"
    GROUP = "fusion"
    HELP = (
        "Fuses a low-resolution hyperspectral image (LR-HSI) with a high-resolution multispectral "
        "image (HR-MSI) of the same place into a high-resolution hyperspectral image, without "
        "knowing the sensors' PSF or SRF: they are estimated from the two images (or read from "
        "DEGRADATION, written by 'Estimate degradation').<br>"
        "<b>Inputs</b> must share the CRS and origin, with an integer pixel-size ratio and the "
        "HR-MSI covering exactly SCALE × the LR-HSI's pixels; NaN/nodata are refused.<br>"
        "<b>METHOD</b>: " + "; ".join(f"{i} = {e.label}" for i, e in enumerate(CATALOG)) + ".<br>"
        "UAL (4) and UAO (5) start from networks pretrained with this plugin's own scripts "
        "(scripts/pretrain_ual.py, scripts/pretrain_uao.py) on other real scenes; they work on "
        "the scene's own 12-dimensional spectral subspace, so any band layout is accepted. "
        "UAL's paper assumes a known SRF: here UAL uses the SRF of the blind estimate (or of "
        "DEGRADATION).<br>"
        "<b>PRESET</b>: fast (default) or the paper's iteration schedule (hours for deep "
        "methods on a CPU).<br>"
        "<b>OUTPUT</b>: float32 tiled, compressed BigTIFF on the HR-MSI grid, with the LR-HSI's "
        "band names and wavelengths, written window by window under the name "
        "&lt;output&gt;.part and renamed when complete. DEVICE picks CPU or CUDA; SEED makes "
        "runs reproducible (bit for bit on a CPU; on CUDA to within rounding, as some GPU "
        "kernels add in varying order).<br>"
        "<b>Large scenes</b> (advanced): the scene is fused in overlapping windows, blended "
        "without seams, so memory stays under MAX_MEMORY_GB whatever the scene size; "
        "WINDOW_SIZE sets the window edge in HR pixels (0 = the largest that fits). "
        "DASK_SCHEDULER runs the windows on a Dask cluster: 'local' starts one on this machine, "
        "an address (tcp://host:8786) uses a running one whose workers see the input files at "
        "the same paths; empty uses the environment variable HSI_FUSION_DASK_SCHEDULER, or none. "
        "RESUME continues an interrupted run of the same inputs and settings from "
        "&lt;output&gt;.resume.json (without fusing finished windows again) and keeps the "
        "partial output if this run stops.<br>"
        "<b>METHOD_OPTIONS</b> (advanced): settings of the chosen method as "
        "'name=value; name=value', e.g. 'hsi_geometry=false' to keep the default method's "
        "result on the HR-MSI's geometry when the sensors are misregistered (by default it "
        "follows the HSI's, whose PSF is centred on its pixels); an unknown name is refused "
        "with the list of valid ones.<br>"
        "<b>RESAMPLE_HR_MSI</b>: when the HR-MSI's grid does not nest in the LR-HSI's (a "
        "non-integer pixel ratio, shifted grids, another CRS), warp it with GDAL onto the grid "
        "nested in the LR-HSI's at the nearest integer ratio (the log says how); when off, such "
        "a pair is refused."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.add_pair_parameters()
        self.addParameter(QgsProcessingParameterEnum(
            "METHOD", self.tr("Fusion method"), options=[e.label for e in CATALOG], defaultValue=0))
        self.addParameter(QgsProcessingParameterFile(
            "DEGRADATION", self.tr("Degradation model (empty: estimate it)"), extension="json",
            optional=True))
        self.add_srf_parameters("optional prior for the estimation")
        self.addParameter(QgsProcessingParameterEnum(
            "PRESET", self.tr("Preset"), options=[self.tr("fast"), self.tr("paper's schedule")],
            defaultValue=0))
        self.addParameter(self.advanced(QgsProcessingParameterEnum(
            "DEVICE", self.tr("Device"), options=list(DEVICES), defaultValue=0)))
        self.addParameter(self.advanced(QgsProcessingParameterNumber(
            "SEED", self.tr("Random seed"), QgsProcessingParameterNumber.Integer, defaultValue=0)))
        self.addParameter(self.advanced(QgsProcessingParameterString(
            "METHOD_OPTIONS", self.tr("Method options (name=value; ...)"), defaultValue="",
            optional=True)))
        self.addParameter(self.advanced(QgsProcessingParameterNumber(
            "MAX_MEMORY_GB", self.tr("Memory bound (GB)"), QgsProcessingParameterNumber.Double,
            defaultValue=4.0, minValue=0.25)))
        self.addParameter(self.advanced(QgsProcessingParameterNumber(
            "WINDOW_SIZE", self.tr("Window size in HR pixels (0 = from the memory bound)"),
            QgsProcessingParameterNumber.Integer, defaultValue=0, minValue=0)))
        self.addParameter(self.advanced(QgsProcessingParameterString(
            "DASK_SCHEDULER", self.tr("Dask scheduler ('local', an address, or empty)"),
            defaultValue="", optional=True)))
        self.addParameter(self.advanced(QgsProcessingParameterBoolean(
            "RESUME", self.tr("Resume an interrupted run"), defaultValue=False)))
        self.addParameter(self.advanced(QgsProcessingParameterBoolean(
            "RESAMPLE_HR_MSI", self.tr("Resample the HR-MSI onto the LR-HSI grid when they do not nest"),
            defaultValue=False)))
        self.addParameter(QgsProcessingParameterRasterDestination("OUTPUT", self.tr("Fused HR-HSI")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "DEGRADATION_OUTPUT", self.tr("Degradation model used"), "JSON files (*.json)",
            optional=True, createByDefault=False))

    def run(self, parameters, context, feedback, progress):
        from ..fusion_core.methods.options import parse_method_options
        from ..fusion_core.pipeline import fuse_files

        output = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        model_out = self.parameterAsFileOutput(parameters, "DEGRADATION_OUTPUT", context) or None
        result = fuse_files(
            *self.pair_paths(parameters, context),
            output,
            method=self.parameterAsEnum(parameters, "METHOD", context),
            degradation_path=self.parameterAsFile(parameters, "DEGRADATION", context) or None,
            srf_source=self.srf_source(parameters, context),
            preset=PRESETS[self.parameterAsEnum(parameters, "PRESET", context)],
            device=DEVICES[self.parameterAsEnum(parameters, "DEVICE", context)],
            seed=self.parameterAsInt(parameters, "SEED", context),
            options=parse_method_options(self.parameterAsString(parameters, "METHOD_OPTIONS", context)),
            model_output_path=model_out,
            progress=progress,
            max_memory_gb=self.parameterAsDouble(parameters, "MAX_MEMORY_GB", context),
            window_size=self.parameterAsInt(parameters, "WINDOW_SIZE", context),
            dask_scheduler=self.parameterAsString(parameters, "DASK_SCHEDULER", context) or None,
            resume=self.parameterAsBool(parameters, "RESUME", context),
            resample_hr_msi=self.parameterAsBool(parameters, "RESAMPLE_HR_MSI", context),
        )
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        feedback.pushInfo(f"Fused with {result.method}: {timing}.")
        return {"OUTPUT": output, "DEGRADATION_OUTPUT": model_out}
