"""HSI Fusion QGIS plugin: blind fusion of hyperspectral and multispectral images.

At load time the plugin makes the Python packages installed by ``make setup`` (torch and friends,
in a virtual environment) importable from QGIS's own Python, so no manual path setting is needed
in the desktop or in ``qgis_process``.
"""

from .engine_path import add_engine_site_packages

add_engine_site_packages()


def classFactory(iface):  # noqa: N802 (QGIS API name)
    """QGIS entry point: return the plugin instance."""
    from .plugin import HsiFusionPlugin

    return HsiFusionPlugin(iface)
