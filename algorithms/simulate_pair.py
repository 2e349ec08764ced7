"""hsifusion:simulatepair — an LR-HSI/HR-MSI pair from a reference HR-HSI (Wald's protocol)."""

from __future__ import annotations

from ..fusion_core.job_requests import SimulationRequest
from .base import FusionAlgorithm
from .request_parameters import request_results


class SimulatePair(FusionAlgorithm):
    ID = "simulatepair"
    LABEL = "Simulate LR-HSI / HR-MSI pair"
    GROUP = "evaluation"
    HELP = (
        "Degrades a reference high-resolution hyperspectral image into the two inputs of fusion, "
        "so that fusion methods can be evaluated against the reference (Wald's protocol).<br>"
    )
    REQUEST = SimulationRequest

    def execute(self, parameters, context, feedback, progress):
        from ..fusion_core.pipeline import simulate_pair_files

        request = self.request(parameters, context)
        simulate_pair_files(request, progress)
        return request_results(request)
