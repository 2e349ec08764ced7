"""The ``hsifusion`` Processing provider."""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .blind_fusion import BlindFusion
from .estimate_degradation import EstimateDegradation
from .install_dependencies import InstallDependencies
from .quality_metrics import QualityMetrics
from .simulate_pair import SimulatePair

ICON = Path(__file__).resolve().parent.parent / "icon.svg"


class HsiFusionProvider(QgsProcessingProvider):
    """Lists the plugin's algorithms under 'HSI Fusion' in the Processing Toolbox."""

    def id(self) -> str:
        return "hsifusion"

    def name(self) -> str:
        return "HSI Fusion"

    def longName(self) -> str:  # noqa: N802
        return "HSI Fusion — blind hyperspectral/multispectral image fusion"

    def icon(self) -> QIcon:
        return QIcon(str(ICON))

    def loadAlgorithms(self) -> None:  # noqa: N802
        for algorithm in (SimulatePair(), EstimateDegradation(), BlindFusion(), QualityMetrics(),
                          InstallDependencies()):
            self.addAlgorithm(algorithm)
