"""Any other raster GDAL opens — a GeoTIFF, ENVI, a ``/vsizip/`` or ``/vsicurl/`` path, a
subdataset string — read as it is; and what is refused because it is no raster at all."""

from __future__ import annotations

from typing import Optional

from ..errors import InputError
from .archive import list_files
from .base import BandSource, MaskLayer, ProductBands

NAME = "raster"


def claims(source: str) -> bool:
    return True


def read(source: str, role: str, classes: frozenset[str]) -> Optional[ProductBands]:
    """None (read the raster as it is), or an InputError for a folder or archive that holds no
    product a reader knows."""
    if list_files(source) is None:
        return None
    kind = "ZIP" if source.lower().endswith(".zip") or source.startswith("/vsizip/") else "folder"
    raise InputError(
        f"The {role} {source} is a {kind} that holds no product HSI Fusion reads (EnMAP L2A, "
        "Sentinel-2 L2A, PRISMA L2D, DESIS L2A). Give the product's own delivery as downloaded, "
        "or the raster file itself (e.g. the GeoTIFF inside it).")


def as_bands(source: str, role: str) -> ProductBands:
    """The raster's bands as a product (to add a mask of the user's to it): its radiometry,
    names and wavelengths as the engine reads them, and its own mask kept."""
    from ..io import read_raster_info

    info = read_raster_info(source, role)
    wl = info.wavelengths
    fw = info.fwhm
    bands = tuple(
        BandSource(source, index, info.band_names[k],
                   None if wl is None else float(wl[k]), None if fw is None else float(fw[k]),
                   r.scale, r.offset, r.nodata)
        for k, (index, r) in enumerate(zip(info.band_indexes, info.radiometry)))
    own = any(r.mask for r in info.radiometry)
    masks = (MaskLayer(source, "mask,1", (0,), "its own mask"),) if own else ()
    return ProductBands("raster", bands, masks=masks)
