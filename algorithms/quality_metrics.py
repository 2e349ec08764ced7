"""hsifusion:qualitymetrics — PSNR, SAM, ERGAS, RMSE, CC, SSIM, UIQI of an estimate."""

from __future__ import annotations

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from .base import FusionAlgorithm
from .qgis_compat import INTEGER

METRICS = {
    "PSNR": "Peak signal-to-noise ratio (dB, mean over bands, peak = band maximum)",
    "SAM": "Spectral angle mapper (degrees, mean over pixels)",
    "ERGAS": "ERGAS (relative dimensionless global error)",
    "RMSE": "Root mean square error (image units)",
    "CC": "Cross correlation (mean over bands)",
    "SSIM": "Structural similarity (mean over bands)",
    "UIQI": "Universal image quality index (mean over bands)",
}


class QualityMetrics(FusionAlgorithm):
    ID = "qualitymetrics"
    LABEL = "Quality metrics (PSNR, SAM, ERGAS…)"
    GROUP = "evaluation"
    HELP = (
        "Compares a fused image with a reference of the same size and bands using the metrics of "
        "the fusion literature, computed as in the published methods' evaluation code so numbers "
        "compare with their tables: PSNR (per band, peak = the band's reference maximum, "
        "averaged), SAM (degrees, mean over pixels), ERGAS (with SCALE, the resolution ratio), "
        "RMSE, CC, SSIM and UIQI (per band, averaged).<br>The metrics are numeric outputs, usable "
        "in the graphical modeler; REPORT optionally writes them as a text table."
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer("REFERENCE", self.tr("Reference image")))
        self.addParameter(QgsProcessingParameterRasterLayer("ESTIMATE", self.tr("Fused (estimated) image")))
        self.addParameter(QgsProcessingParameterNumber(
            "SCALE", self.tr("Resolution ratio (for ERGAS)"), INTEGER,
            defaultValue=4, minValue=1))
        self.addParameter(QgsProcessingParameterFileDestination(
            "REPORT", self.tr("Report"), "Text files (*.txt *.md)", optional=True, createByDefault=False))
        for key, label in METRICS.items():
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(label)))

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import metrics_files

        report = self.parameterAsFileOutput(parameters, "REPORT", context) or None
        values = metrics_files(
            self.raster_path(parameters, "REFERENCE", context),
            self.raster_path(parameters, "ESTIMATE", context),
            self.parameterAsInt(parameters, "SCALE", context), report,
        )
        for key in METRICS:
            feedback.pushInfo(f"{key}: {values[key]:.4f}")
        return {**{k: float(values[k]) for k in METRICS}, "REPORT": report}
