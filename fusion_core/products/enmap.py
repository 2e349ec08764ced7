"""EnMAP Level-2A products, as the EnMAP portal delivers them.

The portal's ``dims_op_oc_oc-en_…tar.gz`` holds, under ``ENMAP.HSI.L2A/…``, the product as
``ENMAP01-____L2A-DT…Z.ZIP``; that ZIP holds one folder of the product's name with its files
(the layout EnMAP-Box's ``ImportEnmapL2AAlgorithm`` reads, and EnPT's L2A writer follows):

- ``…-METADATA.XML`` (``…-METADATA.xml`` in some versions): ``base/level``,
  ``base/temporalCoverage/startTime`` and ``specific/bandCharacterisation/bandID[@number]`` with
  ``wavelengthCenterOfBand``, ``FWHMOfBand`` (nm), ``GainOfBand`` and ``OffsetOfBand``
  (reflectance = DN × gain + offset; the GeoTIFF has no GDAL scale of its own);
- ``…-SPECTRAL_IMAGE.TIF`` (the EOC Geoservice's copies: ``…-SPECTRAL_IMAGE_COG.TIF``/``.tiff``):
  224 int16 bands, nodata −32768;
- single-band quality layers ``…-QL_QUALITY_CLOUD``, ``_CLOUDSHADOW``, ``_CIRRUS``, ``_HAZE``,
  ``_SNOW`` (non-zero: flagged) and ``…-QL_QUALITY_CLASSES`` (1 land, 2 water, 3 background
  outside the swath, as EnPT reads it); ``…-QL_PIXELMASK``, the defective-pixel mask, has one
  band per spectral band.

Given the ZIP, its folder, a folder holding it, its metadata file, its spectral image (also as
``/vsizip/…`` paths), the reader returns the image's bands in reflectance with their wavelengths
and FWHM, the quality layers of the classes asked for, and the acquisition start. An L1B or L1C
product, or any level but L2A, is refused: the engine needs orthorectified surface reflectance.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from typing import Optional

import rasterio

from ..errors import InputError
from ..io.sidecars import band_characterisation
from .base import MASK_CLASSES, MaskLayer, ProductBands
from .dlr import Located, has_product, iso_utc, locate, spectral_bands

NAME = "enmap"

_PREFIX = "ENMAP01-"
_LEVEL = re.compile(r"ENMAP01-_*(L[0-9][A-Z]?)-", re.IGNORECASE)
#: L2A reflectance's nodata when the GeoTIFF does not declare one (EnPT's and DLR's value).
NODATA = -32768.0
#: The L2A convention (reflectance × 10 000) when the XML lists no gains.
DEFAULT_GAIN = 1e-4

#: Quality class → (layer, excluded values; empty: any non-zero value).
LAYERS: dict[str, tuple[str, tuple[int, ...]]] = {
    "cloud": ("QL_QUALITY_CLOUD", ()),
    "shadow": ("QL_QUALITY_CLOUDSHADOW", ()),
    "cirrus": ("QL_QUALITY_CIRRUS", ()),
    "haze": ("QL_QUALITY_HAZE", ()),
    "snow": ("QL_QUALITY_SNOW", ()),
    "water": ("QL_QUALITY_CLASSES", (2,)),
    "saturated": ("QL_PIXELMASK", ()),
}


def claims(source: str) -> bool:
    """True for what names or holds an EnMAP product, or is the portal's delivery archive."""
    return _is_portal_archive(source) or has_product(source, _PREFIX)


def _is_portal_archive(source: str) -> bool:
    name = os.path.basename(source.rstrip("/\\")).lower()
    return name.startswith("dims_op_oc_oc-en_") and name.endswith((".tar.gz", ".tgz", ".tar"))


def read(source: str, role: str, classes: frozenset[str]) -> Optional[ProductBands]:
    """The L2A product's bands, quality layers and acquisition start (see the module docstring).

    Raises:
        InputError: the portal's tar.gz itself, no product or several, a level other than L2A,
            a metadata file that does not describe the image.
    """
    if _is_portal_archive(source):
        raise InputError(
            f"The {role} {source} is the EnMAP portal's delivery archive. Extract it (7-Zip on "
            "Windows) and give the product inside it: the ENMAP01-____L2A-…ZIP under "
            "ENMAP.HSI.L2A/, its unzipped folder or its METADATA.XML.")
    product = locate(source, _PREFIX, "EnMAP", role)
    root = product.metadata_root("EnMAP", role)
    level = _level(root, product.stem)
    _check_level(level, product.stem, role)
    image = product.spectral_image("EnMAP", role)
    bands, notes = spectral_bands(band_characterisation(root), "EnMAP", image, product, role,
                                  NODATA, DEFAULT_GAIN)
    masks, mask_notes = _masks(product, classes, len(bands))
    acquired = iso_utc(root.findtext("base/temporalCoverage/startTime")) or iso_utc(product.stem)
    return ProductBands(f"EnMAP {level}", bands, image, masks, acquired, None, level,
                        tuple(notes + mask_notes))


def _level(root: ET.Element, stem: str) -> str:
    """The processing level: ``base/level`` in the XML, else the one in the product name."""
    text = (root.findtext("base/level") or root.findtext("metadata/schema/processingLevel")
            or "").strip().upper()
    if text:
        return text
    match = _LEVEL.match(stem)
    return match.group(1).upper() if match else "unknown level"


def _check_level(level: str, stem: str, role: str) -> None:
    if level == "L2A":
        return
    why = {"L1B": "L1B is top-of-atmosphere radiance in sensor geometry, not orthorectified "
                  "(and its VNIR and SWIR are two images on two grids).",
           "L1C": "L1C is orthorectified but top-of-atmosphere radiance, not surface reflectance."}
    raise InputError(
        f"The {role} {stem} is an EnMAP {level} product; HSI Fusion reads EnMAP L2A (orthorectified "
        f"surface reflectance). {why.get(level, 'Only L2A is read.')} Order the scene as L2A on "
        "the EnMAP portal (or process it to L2A with EnPT), then give that product.")


def _masks(product: Located, classes: frozenset[str],
           count: int) -> tuple[tuple[MaskLayer, ...], list[str]]:
    """The quality layers of ``classes``; a class whose layer is absent or cannot be applied
    whole-pixel is left out with a note."""
    masks: list[MaskLayer] = []
    notes: list[str] = []
    for name in (c for c in MASK_CLASSES if c in classes):
        layer, exclude = LAYERS[name]
        path = product.part(layer)
        if path is None:
            notes.append(f"{name}: the product has no {layer}, not applied")
            continue
        if layer == "QL_PIXELMASK":
            with rasterio.open(path) as ds:
                per_band = ds.count > 1
            if per_band:
                notes.append(f"saturated: {layer} flags defective pixels band by band; leaving a "
                             f"pixel out of all {count} bands for one band's flag would lose good "
                             "data, not applied")
                continue
        label = f"{layer} = {', '.join(map(str, exclude))}" if exclude else layer
        masks.append(MaskLayer(path, 1, exclude, label))
    return tuple(masks), notes
