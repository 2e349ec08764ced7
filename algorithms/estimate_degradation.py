"""hsifusion:estimatedegradation — blind PSF/SRF estimation, written as a model file and a plot."""

from __future__ import annotations

from ..fusion_core.job_requests import EstimationRequest
from .base import FusionAlgorithm
from .product_input import PRODUCT_HELP
from .request_parameters import request_results


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
    )
    REQUEST = EstimationRequest

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import estimate_files

        request = self.request(parameters, context)
        model, prior = estimate_files(request.fusion, request.model, psf_size=request.psf_size or None,
                                      progress=progress)
        if request.plot:
            from ..ui.degradation_plot import plot_degradation

            plot_degradation(model, request.plot, srf_prior=prior)
        dy, dx = model.psf_offset
        feedback.pushInfo(
            f"Ratio {model.scale}, PSF {model.psf.shape[0]}×{model.psf.shape[1]} px, "
            f"grid offset {dy:+.2f}, {dx:+.2f} HR px (row, column)."
        )
        return request_results(request)
