"""The Python packages the engine needs beyond what QGIS brings (numpy, GDAL's ``osgeo``, PyQt).

One list serves the check every algorithm makes before it runs (:func:`missing`) and what the
installers install (:data:`ENGINE_REQUIREMENTS`); the installers skip whatever QGIS's Python
already has (:mod:`.plan`). QGIS for Windows (OSGeo4W, standalone) and macOS ship GDAL's own
bindings but not rasterio, affine, scikit-image, Dask, pyrsr or torch; Debian's QGIS users get
most of them from apt.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["MIN_TORCH", "Requirement", "ENGINE", "ENGINE_REQUIREMENTS", "missing"]

MIN_TORCH = "2.6"  # the oldest torch the engine's tests pass with (Debian 13's; README)


@dataclass(frozen=True)
class Requirement:
    """One package: the module the engine imports, pip's requirement for it, and what it is for."""

    module: str
    pip: str
    purpose: str


ENGINE: tuple[Requirement, ...] = (
    Requirement("torch", f"torch>={MIN_TORCH}", "the fusion methods"),
    Requirement("rasterio", "rasterio", "reading and writing rasters"),
    Requirement("affine", "affine<3", "raster geotransforms"),  # 3.0.1 on Python 3.11: rasterio 1.4.4 fails (TypeError)
    Requirement("pyproj", "pyproj", "coordinate systems"),
    Requirement("scipy", "scipy", "filters and optimisation"),
    Requirement("skimage", "scikit-image", "co-registration"),
    Requirement("distributed", "dask[distributed]", "processing windows in parallel"),
    Requirement("threadpoolctl", "threadpoolctl", "one BLAS thread per window"),
    Requirement("pyrsr", "pyrsr", "sensor spectral responses"),
    Requirement("matplotlib", "matplotlib", "the report's figures"),
)

#: pip requirements of :data:`ENGINE`, in its order.
ENGINE_REQUIREMENTS: tuple[str, ...] = tuple(r.pip for r in ENGINE)


def missing(requirements: tuple[Requirement, ...] = ENGINE) -> list[tuple[Requirement, str]]:
    """The requirements whose module does not import here, each with the import's error."""
    found = []
    for requirement in requirements:
        try:
            importlib.import_module(requirement.module)
        except ImportError as exc:
            found.append((requirement, str(exc)))
    return found
