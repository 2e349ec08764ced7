"""One GDAL dataset from a product's bands and quality layers: a VRT, kept as XML text.

The VRT stacks the product's bands on one grid (coarser bands resampled by nearest neighbour,
as ``gdalbuildvrt`` does), carries each band's scale, offset, nodata, name and wavelength as GDAL
metadata, and has a dataset mask that is 0 wherever a quality layer excludes a pixel (the layers
are multiplied: a pixel any of them excludes is left out). The engine reads masked pixels as
nodata. The XML text itself is the dataset's name: GDAL opens it without a file, so nothing is
written beside the inputs and a Dask worker opens the same dataset from the same string.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Optional, Sequence

import rasterio

from ..errors import InputError
from ..io.names import LABEL_KEY
from .base import BandSource, MaskLayer, ProductBands

__all__ = ["build_vrt"]

_GDAL_TYPES = {"uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
               "uint32": "UInt32", "int32": "Int32", "float32": "Float32", "float64": "Float64"}


@dataclass(frozen=True)
class _Grid:
    crs: str
    transform: tuple[float, ...]
    width: int
    height: int


def _grid(name: str, role: str) -> tuple[_Grid, str]:
    try:
        with rasterio.open(name) as ds:
            t = ds.transform
            crs = ds.crs.to_wkt() if ds.crs else ""
            return _Grid(crs, (t.c, t.a, t.b, t.f, t.d, t.e), ds.width, ds.height), ds.dtypes[0]
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"The {role} product's raster {name} cannot be opened: {exc}.") from None


def _covers(grid: _Grid, other: _Grid, tolerance: float) -> bool:
    """True when ``other`` spans the same ground as ``grid`` (to ``tolerance`` CRS units)."""
    x0, y0 = grid.transform[0], grid.transform[3]
    x1 = x0 + grid.width * grid.transform[1]
    y1 = y0 + grid.height * grid.transform[5]
    ox0, oy0 = other.transform[0], other.transform[3]
    ox1 = ox0 + other.width * other.transform[1]
    oy1 = oy0 + other.height * other.transform[5]
    return all(abs(a - b) <= tolerance for a, b in ((x0, ox0), (y0, oy0), (x1, ox1), (y1, oy1)))


def _check_same_ground(grid: _Grid, other: _Grid, what: str, role: str) -> None:
    tolerance = 0.5 * max(abs(other.transform[1]), abs(other.transform[5]))
    if (grid.crs and other.crs and grid.crs != other.crs) or not _covers(grid, other, tolerance):
        raise InputError(
            f"{what} does not cover the {role}'s pixels ({other.width}×{other.height} pixels at "
            f"{abs(other.transform[1]):g} units, against {grid.width}×{grid.height} at "
            f"{abs(grid.transform[1]):g}): a mask must have the image's CRS and extent (it may be "
            "coarser by a whole factor). Warp it onto the image with QGIS 'Warp (reproject)' or "
            "gdalwarp -te/-tr, or leave it out.")


def _sub(parent: ET.Element, tag: str, text: Optional[str] = None, **attrs: str) -> ET.Element:
    elem = ET.SubElement(parent, tag, attrs)
    if text is not None:
        elem.text = text
    return elem


def _source(parent: ET.Element, kind: str, dataset: str, band: int | str, src: _Grid,
            dst: _Grid) -> ET.Element:
    elem = _sub(parent, kind)
    _sub(elem, "SourceFilename", dataset, relativeToVRT="0")
    _sub(elem, "SourceBand", str(band))
    _sub(elem, "SrcRect", xOff="0", yOff="0", xSize=str(src.width), ySize=str(src.height))
    _sub(elem, "DstRect", xOff="0", yOff="0", xSize=str(dst.width), ySize=str(dst.height))
    return elem


def _lut(exclude: Sequence[int]) -> str:
    """A GDAL LUT giving 0 on the excluded values and 1 elsewhere (outside its range GDAL keeps
    the end values, 1); empty ``exclude``: 0 on every non-zero value."""
    if not exclude:
        return "-1e-9:0,0:1,1e-9:0"
    lo, hi = min(exclude) - 1, max(exclude) + 1
    return ",".join(f"{v}:{0 if v in set(exclude) else 1}" for v in range(lo, hi + 1))


def _data_type(types: Sequence[str]) -> str:
    unique = set(types)
    if len(unique) == 1 and next(iter(unique)) in _GDAL_TYPES:
        return _GDAL_TYPES[next(iter(unique))]
    return "Float64" if "float64" in unique or "int32" in unique or "uint32" in unique else "Float32"


def _mask_band(root: ET.Element, grid_name: str, grid: _Grid, masks: Sequence[MaskLayer],
               role: str) -> None:
    """A dataset mask: 255 where valid, 0 where any layer excludes the pixel (their product)."""
    band = _sub(_sub(root, "MaskBand"), "VRTRasterBand", dataType="Byte",
                subClass="VRTDerivedRasterBand")
    _sub(band, "PixelFunctionType", "mul")
    _sub(band, "SourceTransferType", "Float32")
    base = _source(band, "ComplexSource", grid_name, 1, grid, grid)
    _sub(base, "ScaleOffset", "255")
    _sub(base, "ScaleRatio", "0")
    for layer in masks:
        other, _ = _grid(layer.dataset, role)
        _check_same_ground(grid, other, f"The {role}'s quality layer {layer.name or layer.dataset}",
                           role)
        src = _source(band, "ComplexSource", layer.dataset, layer.band, other, grid)
        _sub(src, "LUT", _lut(layer.exclude))


def build_vrt(product: ProductBands, label: str, role: str) -> str:
    """The XML text of a VRT of ``product``'s bands on its grid, with its quality layers as the
    dataset mask; ``label`` names it in messages (:func:`fusion_core.io.names.vrt_label`)."""
    if not product.bands:
        raise InputError(f"The {role} product {label} has no band to read.")
    grid_name = product.grid_dataset or product.bands[0].dataset
    grid, _ = _grid(grid_name, role)
    sources: dict[str, tuple[_Grid, str]] = {}
    for b in product.bands:
        if b.dataset not in sources:
            sources[b.dataset] = _grid(b.dataset, role)
            _check_same_ground(grid, sources[b.dataset][0], f"The {role}'s band {b.name}", role)
    root = ET.Element("VRTDataset", rasterXSize=str(grid.width), rasterYSize=str(grid.height))
    if grid.crs:
        _sub(root, "SRS", grid.crs)
    _sub(root, "GeoTransform", ", ".join(repr(v) for v in grid.transform))
    meta = _sub(root, "Metadata")
    _sub(meta, "MDI", f"{product.product} {label}", key=LABEL_KEY)
    if product.acquired:
        _sub(meta, "MDI", product.acquired, key="ACQUISITION_DATETIME")
    data_type = _data_type([sources[b.dataset][1] for b in product.bands])
    for i, b in enumerate(product.bands, start=1):
        band = _sub(root, "VRTRasterBand", dataType=data_type, band=str(i))
        _band_metadata(band, b)
        src_grid = sources[b.dataset][0]
        kind = "SimpleSource" if (src_grid.width, src_grid.height) == (grid.width, grid.height) \
            else "ComplexSource"
        src = _source(band, kind, b.dataset, b.band, src_grid, grid)
        if b.nodata is not None and kind == "ComplexSource":
            _sub(src, "NODATA", repr(float(b.nodata)))
    if product.masks:
        _mask_band(root, grid_name, grid, product.masks, role)
    return ET.tostring(root, encoding="unicode")


def _band_metadata(band: ET.Element, b: BandSource) -> None:
    _sub(band, "Description", b.name)
    if b.nodata is not None and math.isfinite(b.nodata):
        _sub(band, "NoDataValue", repr(float(b.nodata)))
    if b.scale != 1.0 or b.offset != 0.0:
        _sub(band, "Offset", repr(float(b.offset)))
        _sub(band, "Scale", repr(float(b.scale)))
    items: dict[str, str] = {}
    if b.wavelength is not None:
        items.update(wavelength=f"{b.wavelength:.8g}", wavelength_units="Nanometers")
        if b.fwhm is not None:
            items["fwhm"] = f"{b.fwhm:.8g}"
    if b.resolution is not None:
        items["native_resolution"] = f"{b.resolution:g}"
    if items:
        meta = _sub(band, "Metadata")
        for key, value in items.items():
            _sub(meta, "MDI", value, key=key)
