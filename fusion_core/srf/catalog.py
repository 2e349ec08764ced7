"""The sensor presets offered to users, in the (append-only) order of the QGIS SENSOR enum.

Kept free of heavy imports so dialogs can be built before the engine's dependencies load; the
curves themselves are loaded by :mod:`fusion_core.srf.presets`.
"""

__all__ = ["SENSOR_PRESETS"]

#: (preset id, label) pairs. Never reorder: scripts and models refer to presets by index.
SENSOR_PRESETS: tuple[tuple[str, str], ...] = (
    ("sentinel-2a", "Sentinel-2A MSI"),
    ("sentinel-2b", "Sentinel-2B MSI"),
    ("landsat-8", "Landsat-8 OLI"),
    ("landsat-9", "Landsat-9 OLI"),
    ("worldview-2", "WorldView-2 (8 MS bands)"),
    ("worldview-3", "WorldView-3 (8 VNIR bands)"),
)
