"""hsifusion:qualitymetrics — PSNR, SAM, ERGAS, RMSE, CC, SSIM, UIQI of an estimate."""

from __future__ import annotations

from qgis.core import QgsProcessingOutputNumber

from ..fusion_core.job_requests import MetricsRequest
from .base import FusionAlgorithm
from .request_parameters import request_results

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
        "in the graphical modeler; REPORT optionally writes them as a text table.<br>"
    )
    REQUEST = MetricsRequest

    def initAlgorithm(self, config=None):  # noqa: N802
        super().initAlgorithm(config)
        for key, label in METRICS.items():
            self.addOutput(QgsProcessingOutputNumber(key, self.tr(label)))

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import metrics_files

        request = self.request(parameters, context)
        values = metrics_files(request)
        for key in METRICS:
            feedback.pushInfo(f"{key}: {values[key]:.4f}")
        return {**{k: float(values[k]) for k in METRICS}, **request_results(request)}
