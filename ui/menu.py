"""Raster ▸ HSI Fusion menu: one entry per algorithm, opening its Processing dialog."""

from __future__ import annotations

try:  # Qt6 (QGIS 4), and QGIS >= 3.34 on Qt5, have QAction in QtGui
    from qgis.PyQt.QtGui import QAction
except ImportError:  # older QGIS on Qt5
    from qgis.PyQt.QtWidgets import QAction

ENTRIES = (
    ("hsifusion:blindfusion", "Blind fusion…"),
    ("hsifusion:estimatedegradation", "Estimate degradation…"),
    ("hsifusion:simulatepair", "Simulate LR-HSI / HR-MSI pair…"),
    ("hsifusion:qualitymetrics", "Quality metrics…"),
)
MENU = "&HSI Fusion"


class FusionMenu:
    """Adds the plugin's entries to the Raster menu of the QGIS desktop."""

    def __init__(self, iface) -> None:
        self.iface = iface
        self.actions: list[QAction] = []

    def install(self) -> None:
        for algorithm_id, label in ENTRIES:
            action = QAction(label, self.iface.mainWindow())
            action.triggered.connect(lambda _=False, a=algorithm_id: self._open(a))
            self.iface.addPluginToRasterMenu(MENU, action)
            self.actions.append(action)

    def remove(self) -> None:
        for action in self.actions:
            self.iface.removePluginRasterMenu(MENU, action)
        self.actions.clear()

    @staticmethod
    def _open(algorithm_id: str) -> None:
        import processing

        processing.execAlgorithmDialog(algorithm_id)
