"""Plugin object: registers the Processing provider, the shipped models and the HSI Fusion menu."""

from __future__ import annotations

from qgis.core import QgsApplication

from .algorithms.input_layers import quiet_inputs_in_qgis_process
from .algorithms.models_folder import add_models_folder, remove_models_folder
from .algorithms.provider import HsiFusionProvider


class HsiFusionPlugin:
    """Registers the ``hsifusion`` Processing provider (desktop and ``qgis_process``)."""

    def __init__(self, iface=None) -> None:
        self.iface = iface
        self.provider: HsiFusionProvider | None = None
        self.menu = None

    def initProcessing(self) -> None:  # noqa: N802 (QGIS API name)
        """Called by QGIS, also headless in ``qgis_process``."""
        quiet_inputs_in_qgis_process()
        if self.provider is None:
            self.provider = HsiFusionProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self) -> None:  # noqa: N802 (QGIS API name)
        """Called by the desktop only: the provider, models under Models, the Raster menu."""
        self.initProcessing()
        add_models_folder()
        if self.iface is not None:
            from .ui.menu import FusionMenu

            self.menu = FusionMenu(self.iface)
            self.menu.install()

    def unload(self) -> None:
        remove_models_folder()
        if self.menu is not None:
            self.menu.remove()
            self.menu = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
