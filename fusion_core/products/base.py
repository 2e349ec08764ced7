"""What a product reader returns: the bands and quality layers of one delivered product.

A reader (:mod:`fusion_core.products`, one module per product family) turns what a user has — a
delivery ZIP, an unzipped folder, a metadata file, a GDAL subdataset string — into a
:class:`ProductBands`: which raster band holds each spectral band, its physical scaling, name,
wavelength and native resolution, and which quality layers mark pixels to leave out. The engine
then reads one GDAL dataset built from it (:mod:`.vrt`), so every reader of the engine (the
estimation, the windows, the report, Dask workers) sees the product's physical values, its
wavelengths and its masks as nodata without knowing the product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

__all__ = ["BandSource", "MaskLayer", "ProductBands", "Delivery", "MASK_CLASSES",
           "DEFAULT_MASK_CLASSES"]

#: The quality classes a user can ask to leave out, in the products' common words; each reader
#: maps them onto its own layers and values (EnMAP's QL_QUALITY_* files, Sentinel-2's SCL, …).
MASK_CLASSES = ("cloud", "shadow", "cirrus", "haze", "snow", "water", "saturated")
#: Left out unless the user says otherwise.
DEFAULT_MASK_CLASSES = ("cloud", "shadow", "cirrus", "saturated")


@dataclass(frozen=True)
class BandSource:
    """One spectral band of a product.

    Attributes:
        dataset: the GDAL dataset name holding it (a path, ``/vsizip/…`` path or subdataset).
        band: its 1-based band index in ``dataset``.
        name: the product's name of the band (``"B8A"``, ``"band 12"``).
        wavelength, fwhm: centre and full width at half maximum in nm, when known.
        scale, offset: physical value = stored × scale + offset.
        nodata: the stored value meaning "no data", or None.
        resolution: the band's native pixel size in CRS units when it differs between bands
            (Sentinel-2's 10/20/60 m); None when all bands share the dataset's grid.
    """

    dataset: str
    band: int
    name: str
    wavelength: Optional[float] = None
    fwhm: Optional[float] = None
    scale: float = 1.0
    offset: float = 0.0
    nodata: Optional[float] = None
    resolution: Optional[float] = None


@dataclass(frozen=True)
class MaskLayer:
    """A quality layer whose values mark pixels to leave out.

    Attributes:
        dataset: the GDAL dataset name of the layer (it may be coarser than the bands: it is
            resampled by nearest neighbour onto their grid).
        band: its 1-based band index (or ``"mask,1"``: GDAL's own mask of the dataset).
        exclude: the stored values that exclude a pixel; empty: every non-zero value does.
        name: what it is, for the log (``"QL_QUALITY_CLOUD"``, ``"SCL classes 3, 8, 9, 10"``).
    """

    dataset: str
    band: int | str = 1
    exclude: tuple[int, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class ProductBands:
    """A product as a reader found it: its bands on one grid, its masks and its facts.

    Attributes:
        product: what it is, for the log (``"EnMAP L2A"``, ``"Sentinel-2 L2A"``).
        bands: the spectral bands, in the order the engine reads them.
        grid_dataset: a dataset whose grid (CRS, geotransform, size) the bands are read on;
            default the first band's dataset. Coarser bands are resampled onto it.
        masks: quality layers whose excluded values become nodata.
        acquired: acquisition start, ISO 8601 in UTC (``"2022-07-24T10:31:05Z"``), when known.
        sensor: the SRF preset of the sensor (``"sentinel-2a"``), when the product names one.
        level: the processing level (``"L2A"``).
        notes: what the log should say about how the product was read.
    """

    product: str
    bands: tuple[BandSource, ...]
    grid_dataset: str = ""
    masks: tuple[MaskLayer, ...] = ()
    acquired: Optional[str] = None
    sensor: Optional[str] = None
    level: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Delivery:
    """An input as the engine opens it.

    Attributes:
        source: what the user gave (a path, a ZIP, a folder, a subdataset string).
        dataset: the GDAL dataset name the engine reads (the source itself for a plain raster,
            else a VRT, as XML text, built from the product's bands and masks).
        product: what it is (``"EnMAP L2A"``; ``"raster"`` for a plain one).
        acquired, sensor, notes: from :class:`ProductBands` (None / empty for a plain raster).
        masks: the quality layers applied, for the log.
    """

    source: str
    dataset: str
    product: str = "raster"
    acquired: Optional[str] = None
    sensor: Optional[str] = None
    masks: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_product(self) -> bool:
        return self.dataset != self.source

    def describe(self) -> str:
        """One line for the log."""
        parts = [self.product if self.is_product else "raster"]
        if self.acquired:
            parts.append(f"acquired {self.acquired}")
        parts.append("masks: " + (", ".join(self.masks) if self.masks else "none"))
        return "; ".join(parts + list(self.notes))

