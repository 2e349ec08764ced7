"""DESIS Level-2A products (DLR's spectrometer on the ISS, 2018–2023; archive products).

A product is a set of files named ``DESIS-HSI-L2A-DT…-<start>-V….-<part>`` (the names and parts
as EnMAP-Box's DESIS import and public DESIS readers list them; not checked against a product):

- ``…-METADATA.xml``: ``specific/bandCharacterisation/band`` with ``bandNumber``,
  ``wavelengthCenterOfBand``, ``wavelengthWidthOfBand`` (nm), ``gainOfBand``, ``offsetOfBand``
  (reflectance = DN × gain + offset, 1e-4 at L2A), and ``base/temporalCoverage/startTime``;
- ``…-SPECTRAL_IMAGE.tif``: 235 int16 bands, nodata −32768 (with a ``.hdr`` ENVI header);
- ``…-QL_QUALITY-2.tif``: 10 bands, in order shadow, land, snow, haze over land, haze over water,
  cloud over land, cloud over water, water (non-zero: flagged), then AOT and water vapour;
  ``…-QL_QUALITY.tif`` holds per-band flags (not used: a pixel is kept or left out whole).

Given the ZIP, the folder, the metadata file or the spectral image, the reader returns the
bands in reflectance with their wavelengths and widths, the quality bands of the classes asked
for (DESIS has no cirrus or saturation layer: noted), and the acquisition start. Levels other
than L2A are refused.
"""

from __future__ import annotations

import re
from typing import Optional

import rasterio

from ..errors import InputError
from ..io.sidecars import band_characterisation
from .base import MASK_CLASSES, MaskLayer, ProductBands
from .dlr import Located, has_product, iso_utc, locate, spectral_bands

NAME = "desis"

_PREFIX = "DESIS-HSI-"
_LEVEL = re.compile(r"DESIS-HSI-(L[0-9][A-Z]?)-", re.IGNORECASE)
NODATA = -32768.0
DEFAULT_GAIN = 1e-4
QUALITY = "QL_QUALITY-2"
#: Quality class → the 1-based bands of QL_QUALITY-2 that flag it.
QUALITY_BANDS: dict[str, tuple[int, ...]] = {
    "shadow": (1,), "snow": (3,), "haze": (4, 5), "cloud": (6, 7), "water": (8,)}


def claims(source: str) -> bool:
    """True for what names or holds a DESIS product."""
    return has_product(source, _PREFIX)


def read(source: str, role: str, classes: frozenset[str]) -> Optional[ProductBands]:
    """The L2A product's bands, quality bands and acquisition start (see the module docstring).

    Raises:
        InputError: no product or several, a level other than L2A, a metadata file that does
            not describe the image.
    """
    product = locate(source, _PREFIX, "DESIS", role)
    match = _LEVEL.match(product.stem)
    level = match.group(1).upper() if match else "unknown level"
    if level != "L2A":
        raise InputError(
            f"The {role} {product.stem} is a DESIS {level} product; HSI Fusion reads DESIS L2A "
            "(orthorectified surface reflectance). Order the scene as L2A, then give that product.")
    root = product.metadata_root("DESIS", role)
    image = product.spectral_image("DESIS", role)
    bands, notes = spectral_bands(band_characterisation(root), "DESIS", image, product, role,
                                  NODATA, DEFAULT_GAIN)
    masks, mask_notes = _masks(product, classes)
    acquired = iso_utc(root.findtext(".//temporalCoverage/startTime")) or iso_utc(product.stem)
    return ProductBands("DESIS L2A", bands, image, masks, acquired, None, level,
                        tuple(notes + mask_notes))


def _masks(product: Located, classes: frozenset[str]) -> tuple[tuple[MaskLayer, ...], list[str]]:
    """A layer per QL_QUALITY-2 band of ``classes``; a class without one is noted."""
    wanted = [c for c in MASK_CLASSES if c in classes]
    path = product.part(QUALITY)
    if path is None:
        return (), [f"the product has no {QUALITY}: {', '.join(wanted)} not applied"] if wanted \
            else []
    with rasterio.open(path) as ds:
        count = ds.count
    masks: list[MaskLayer] = []
    notes: list[str] = []
    for name in wanted:
        bands = QUALITY_BANDS.get(name, ())
        if not bands or max(bands) > count:
            notes.append(f"{name}: DESIS {QUALITY} has no such flag, not applied")
            continue
        masks.extend(MaskLayer(path, b, (), f"{QUALITY} band {b} ({name})") for b in bands)
    return tuple(masks), notes
