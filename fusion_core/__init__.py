"""HSI Fusion engine: blind fusion of a low-resolution hyperspectral image with a
high-resolution multispectral image. Pure Python + torch; never imports QGIS.

The Python API::

    from fusion_core import FusionRequest, fuse_files, fuse_arrays
    fuse_files(FusionRequest("enmap.tif", "s2.tif", "fused.tif"))
    fused = fuse_arrays(FusionRequest(method="sscf"), lr_hsi, hr_msi).fused

Importing the package loads neither torch nor a method; the names above load on first use.
"""

from typing import Any

__version__ = "0.3.0"  # the plugin's version (metadata.txt)

__all__ = ["FusionRequest", "fuse_files", "fuse_arrays", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "FusionRequest":
        from .request import FusionRequest

        return FusionRequest
    if name in ("fuse_files", "fuse_arrays"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'fusion_core' has no attribute {name!r}")
