"""hsifusion:estimatedegradation — blind PSF/SRF estimation, written as a model file and a plot."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
)

from .base import FusionAlgorithm
from .product_input import PRODUCT_HELP
from .qgis_compat import INTEGER
from .request_parameters import request_from_parameters, request_parameters

#: The request fields this algorithm takes (the fusion's, where they decide the estimate).
FIELDS = ("lr_hsi", "hr_msi", "sensor", "srf_file", "msi_bands", "wavelengths", "resample_hr_msi",
          "coregister", "max_memory_gb")


class EstimateDegradation(FusionAlgorithm):
    ID = "estimatedegradation"
    LABEL = "Estimate degradation (PSF and SRF)"
    GROUP = "degradation"
    HELP = (
        "Estimates, from the LR-HSI and HR-MSI alone, how the two images were formed: the point "
        "spread function (PSF, a free non-negative kernel, possibly larger than the ratio and "
        "off-centre, which also captures a sub-pixel shift between the grids) and the spectral "
        "response functions (SRF, one non-negative curve per HR-MSI band, summing to one).<br>"
        "It uses the fact that the HR-MSI blurred and decimated by the PSF must equal the LR-HSI "
        "integrated by the SRF, up to a radiometric gain per HR-MSI band: two instruments never "
        "share one calibration, so when gains clearly explain part of the mismatch they are "
        "estimated too (model field msi_gain; the plot labels each band with its gain) instead "
        "of letting the PSF absorb the difference in contrast.<br>"
        "An SRF preset or CSV is optional: when given, it regularises the estimate, which is "
        "useful when the HR-MSI has few bands; a wrong preset is corrected by the data.<br>"
        + PRODUCT_HELP + "<br>"
        "<b>OUTPUT</b>: a JSON model that 'Blind fusion' accepts as DEGRADATION. <b>PLOT</b>: a "
        "PNG with the PSF, the SRF curves and the consistency residual between the two "
        "low-resolution MSIs (small and structure-free when the model is right)."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        for parameter in request_parameters(FIELDS):
            self.addParameter(parameter)
        self.addParameter(self.advanced(QgsProcessingParameterNumber(
            "PSF_SIZE", self.tr("PSF support in HR pixels (0: choose automatically)"),
            INTEGER, defaultValue=0, minValue=0)))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", self.tr("Degradation model"), "JSON files (*.json)"))
        self.addParameter(QgsProcessingParameterFileDestination(
            "PLOT", self.tr("Plot of PSF and SRF"), "PNG files (*.png)", optional=True))

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import estimate_files

        model_path = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        plot_path = self.parameterAsFileOutput(parameters, "PLOT", context) or None
        psf_size = self.parameterAsInt(parameters, "PSF_SIZE", context) or None
        request = request_from_parameters(self, parameters, context, FIELDS)
        model, prior = estimate_files(request, model_path, psf_size=psf_size, progress=progress)
        if plot_path:
            from ..ui.degradation_plot import plot_degradation

            plot_degradation(model, plot_path, srf_prior=prior)
        dy, dx = model.psf_offset
        feedback.pushInfo(
            f"Ratio {model.scale}, PSF {model.psf.shape[0]}×{model.psf.shape[1]} px, "
            f"grid offset {dy:+.2f}, {dx:+.2f} HR px (row, column)."
        )
        return {"OUTPUT": model_path, "PLOT": plot_path}
