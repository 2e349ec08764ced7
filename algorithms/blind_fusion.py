"""hsifusion:blindfusion — fuse an LR-HSI with an HR-MSI into a georeferenced HR-HSI."""

from __future__ import annotations

from ..fusion_core.request import FusionRequest
from .base import FusionAlgorithm
from .product_input import PRODUCT_HELP
from .request_parameters import request_results, skipped_outputs


class BlindFusion(FusionAlgorithm):
    ID = "blindfusion"
    LABEL = "Blind fusion (HSI + MSI → HR-HSI)"
    GROUP = "fusion"
    HELP = (
        "Fuses a low-resolution hyperspectral image (LR-HSI) with a high-resolution multispectral "
        "image (HR-MSI) of the same place into a high-resolution hyperspectral image, without "
        "knowing the sensors' PSF or SRF: they are estimated from the two images (or read from "
        "DEGRADATION, written by 'Estimate degradation').<br>"
        + PRODUCT_HELP + "<br>"
        "Products as downloaded are accepted: nodata (values, masks, alpha), GDAL scale/offset, "
        "different extents (the overlap is fused), grids a fraction of a pixel apart, other CRSs "
        "and a shift between the images are handled, and the log says what was done.<br>"
        "UAL (4) and UAO (5) start from networks pretrained with this plugin's own scripts on "
        "other real scenes and work on the scene's own 12-dimensional spectral subspace, so any "
        "band layout is accepted. Large scenes are fused in overlapping windows blended without "
        "seams, so memory stays under MAX_MEMORY_GB whatever the scene size.<br>"
        "REPORT (on by default) says how far the result can be trusted without a reference: "
        "a quality estimate measured on this pair, how well the result gives back the LR-HSI, HQNR, "
        "the estimated PSF/SRF, where the two images disagree, and warnings; it opens in the "
        "Results Viewer. From processing.run and qgis_process it is written beside OUTPUT "
        "(<name>_report.html) unless REPORT is given empty (None).<br>"
    )
    REQUEST = FusionRequest

    def preprocessParameters(self, parameters):  # noqa: N802
        """The dialog (not ``processing.run``) passes its parameters through here: a report the
        user skipped is not written beside the output."""
        return skipped_outputs(parameters, FusionRequest)

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import fuse_files

        request = self.request(parameters, context)
        result = fuse_files(request, progress)
        request = result.request or request       # the report's default path filled in
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
        feedback.pushInfo(f"Fused with {result.method}: {timing}.")
        if request.report:
            feedback.pushInfo(f"Quality report: {request.report} (shown in the Results Viewer).")
        return request_results(request)
