"""Raster ▸ HSI Fusion menu: one entry per algorithm, opening its Processing dialog, and the
Dependencies dialog (also under Plugins ▸ HSI Fusion), offered too when torch is missing."""

from __future__ import annotations

try:  # Qt6 (QGIS 4), and QGIS >= 3.34 on Qt5, have QAction in QtGui
    from qgis.PyQt.QtGui import QAction
except ImportError:  # older QGIS on Qt5
    from qgis.PyQt.QtWidgets import QAction

from ..engine_path import set_install_offer
from .dependencies_dialog import DependenciesDialog, InstallOffer

ENTRIES = (
    ("hsifusion:blindfusion", "Blind fusion…"),
    ("hsifusion:estimatedegradation", "Estimate degradation…"),
    ("hsifusion:simulatepair", "Simulate LR-HSI / HR-MSI pair…"),
    ("hsifusion:qualitymetrics", "Quality metrics…"),
)
MENU = "&HSI Fusion"
DEPENDENCIES = "Dependencies…"


class FusionMenu:
    """Adds the plugin's entries to the Raster menu of the QGIS desktop."""

    def __init__(self, iface) -> None:
        self.iface = iface
        self.actions: list[QAction] = []
        self.dependencies: QAction | None = None

    def install(self) -> None:
        for algorithm_id, label in ENTRIES:
            action = QAction(label, self.iface.mainWindow())
            action.triggered.connect(lambda _=False, a=algorithm_id: self._open(a))
            self.iface.addPluginToRasterMenu(MENU, action)
            self.actions.append(action)
        self.dependencies = QAction(DEPENDENCIES, self.iface.mainWindow())
        self.dependencies.triggered.connect(self._open_dependencies)
        self.iface.addPluginToRasterMenu(MENU, self.dependencies)
        self.iface.addPluginToMenu(MENU, self.dependencies)
        set_install_offer(InstallOffer(self.iface.mainWindow()))

    def remove(self) -> None:
        set_install_offer(None)
        for action in self.actions:
            self.iface.removePluginRasterMenu(MENU, action)
        if self.dependencies is not None:
            self.iface.removePluginRasterMenu(MENU, self.dependencies)
            self.iface.removePluginMenu(MENU, self.dependencies)
            self.dependencies = None
        self.actions.clear()

    def _open_dependencies(self) -> None:
        DependenciesDialog(self.iface.mainWindow()).exec()

    @staticmethod
    def _open(algorithm_id: str) -> None:
        import processing

        processing.execAlgorithmDialog(algorithm_id)
