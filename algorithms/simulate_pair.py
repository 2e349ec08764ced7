"""hsifusion:simulatepair — an LR-HSI/HR-MSI pair from a reference HR-HSI (Wald's protocol)."""

from __future__ import annotations

from ..fusion_core.job_requests import SimulationRequest
from .base import FusionAlgorithm
from .request_parameters import request_from_parameters, request_help, request_parameters, request_results


class SimulatePair(FusionAlgorithm):
    ID = "simulatepair"
    LABEL = "Simulate LR-HSI / HR-MSI pair"
    GROUP = "evaluation"
    HELP = (
        "Degrades a reference high-resolution hyperspectral image into the two inputs of fusion, "
        "so that fusion methods can be evaluated against the reference (Wald's protocol).<br>"
    )

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(self.HELP) + request_help(SimulationRequest)

    def initAlgorithm(self, config=None):  # noqa: N802
        for parameter in request_parameters(SimulationRequest):
            self.addParameter(parameter)

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import simulate_pair_files

        request = request_from_parameters(self, parameters, context, SimulationRequest)
        simulate_pair_files(request, progress)
        return request_results(request)
