"""What a product's own files beside the image say about its bands (read, never written).

- EnMAP L1B/L1C/L2A ``…-METADATA.XML`` (DLR layout, as EnPT writes it and EnMAP-Box reads it):
  ``level_X/specific/bandCharacterisation/bandID[@number]`` with ``wavelengthCenterOfBand``,
  ``FWHMOfBand`` (nm), ``GainOfBand`` and ``OffsetOfBand`` (physical = DN × gain + offset; the
  GeoTIFF itself carries no GDAL scale).
- DESIS ``…-METADATA.xml``: ``bandCharacterisation/band`` elements with ``bandNumber``,
  ``wavelengthCenterOfBand``, ``wavelengthWidthOfBand`` (nm), ``gainOfBand`` and ``offsetOfBand``.
  Beside a plain image only the wavelengths are used; the DESIS product reader applies the gains.
- An ENVI header beside a GeoTIFF (``image.hdr`` or ``image.tif.hdr``, as DESIS ships
  ``…-SPECTRAL_IMAGE.hdr``): its ``wavelength`` / ``fwhm`` / ``wavelength units``.

A file is used only when it lists exactly as many bands as the image has.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from .wavelengths import Spectral, envi_header_wavelengths, make_spectral

__all__ = ["ProductBands", "product_bands", "BandCharacterisation", "band_characterisation"]

_MAX_CANDIDATES = 20  # metadata files looked at in one folder


@dataclass(frozen=True)
class ProductBands:
    """Per-band values a product's metadata file declares."""

    spectral: Spectral
    gains: Optional[np.ndarray] = None
    offsets: Optional[np.ndarray] = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(elem: ET.Element, *names: str) -> Optional[str]:
    for child in elem:
        if _local(child.tag) in names and child.text and child.text.strip():
            return child.text.strip()
    return None


def _floats(elems: list[ET.Element], *names: str) -> Optional[list[float]]:
    texts = [_child_text(e, *names) for e in elems]
    try:
        return [float(t) for t in texts if t is not None] if None not in texts else None
    except ValueError:
        return None


@dataclass(frozen=True)
class BandCharacterisation:
    """The per-band values of an EnMAP or DESIS metadata XML, in band order.

    Attributes:
        layout: ``"EnMAP"`` or ``"DESIS"``.
        wavelengths, fwhm: band centres and widths in nm (fwhm None when not listed).
        gains, offsets: physical = DN × gain + offset (None when not listed).
    """

    layout: str
    wavelengths: list[float]
    fwhm: Optional[list[float]]
    gains: Optional[list[float]]
    offsets: Optional[list[float]]


def band_characterisation(root: ET.Element) -> Optional[BandCharacterisation]:
    """The band values of a parsed EnMAP (``bandCharacterisation/bandID``) or DESIS
    (``bandCharacterisation/band``) metadata XML, or None when it lists none."""
    char = next((e for e in root.iter() if _local(e.tag) == "bandCharacterisation"), None)
    bands = [e for e in (char if char is not None else []) if _local(e.tag) == "bandID"]
    bands.sort(key=lambda e: int(e.get("number", "0")) if e.get("number", "").isdigit() else 0)
    wl = _floats(bands, "wavelengthCenterOfBand")
    if wl:  # EnMAP
        return BandCharacterisation("EnMAP", wl, _floats(bands, "FWHMOfBand"),
                                    _floats(bands, "GainOfBand"), _floats(bands, "OffsetOfBand"))
    bands = [e for e in root.iter() if _local(e.tag) == "band" and _child_text(e, "bandNumber")]
    bands = [e for e in bands if _child_text(e, "wavelengthCenterOfBand") is not None]
    if not bands:
        return None
    bands.sort(key=lambda e: float(_child_text(e, "bandNumber") or 0))
    return BandCharacterisation("DESIS", _floats(bands, "wavelengthCenterOfBand") or [],
                                _floats(bands, "wavelengthWidthOfBand"),
                                _floats(bands, "gainOfBand"), _floats(bands, "offsetOfBand"))


def _parse_xml(path: Path) -> Optional[tuple[str, list[float], Optional[list[float]],
                                             Optional[list[float]], Optional[list[float]]]]:
    """(layout, wavelengths, FWHM, gains, offsets) of an EnMAP or DESIS metadata XML beside a
    plain image, or None (DESIS gains are left out here: a DESIS image given as a plain raster
    keeps its stored values; :mod:`fusion_core.products.desis` applies them)."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return None
    found = band_characterisation(root)
    if found is None:
        return None
    if found.layout == "DESIS":
        return "DESIS", found.wavelengths, found.fwhm, None, None
    return found.layout, found.wavelengths, found.fwhm, found.gains, found.offsets


def _xml_candidates(image: Path) -> list[Path]:
    """``*METADATA.XML`` files beside ``image``, those of the same product (name prefix) first."""
    prefix = image.name.upper().split("-SPECTRAL_IMAGE")[0]
    try:
        names = [n for n in os.listdir(image.parent)
                 if n.upper().endswith(("METADATA.XML", "METADATA.XML.XML"))]
    except OSError:
        return []
    names.sort(key=lambda n: (not n.upper().startswith(prefix), n))
    return [image.parent / n for n in names[:_MAX_CANDIDATES]]


def _usable_gains(values: Optional[list[float]], count: int) -> Optional[np.ndarray]:
    ok = values is not None and len(values) == count and all(np.isfinite(values))
    return np.asarray(values, dtype=np.float64) if ok else None


def _from_xml(image: Path, count: int) -> tuple[Optional[ProductBands], str]:
    note = ""
    for xml in _xml_candidates(image):
        parsed = _parse_xml(xml)
        if parsed is None:
            continue
        layout, wl, fw, gains, offsets = parsed
        spectral = make_spectral(wl, fw, "nm", count, f"{layout} {xml.name}")
        if spectral is None:
            note = (f"{layout} {xml.name} beside the image lists {len(wl)} bands but the image has "
                    f"{count}: not used" if len(wl) != count else
                    f"{layout} {xml.name} has a wavelength that is not positive: not used")
            continue
        gains_ok = _usable_gains(gains, count)
        if gains_ok is None or not np.all(gains_ok != 0):
            return ProductBands(spectral), ""
        return ProductBands(spectral, gains_ok, _usable_gains(offsets, count)), ""
    return None, note


def _from_envi_header(image: Path, count: int) -> tuple[Optional[ProductBands], str]:
    for hdr in (image.with_suffix(".hdr"), Path(str(image) + ".hdr")):
        if not hdr.is_file():
            continue
        try:
            wl, fw, unit = envi_header_wavelengths(hdr.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
        spectral = make_spectral(wl, fw, unit, count, f"ENVI header {hdr.name}")
        if spectral is not None:
            return ProductBands(spectral), ""
        return None, (f"ENVI header {hdr.name} beside the image lists {len(wl)} wavelengths for "
                      f"{count} bands: not used")
    return None, ""


@lru_cache(maxsize=64)
def _cached(image: str, stamp: tuple, count: int) -> tuple[Optional[ProductBands], str]:
    path = Path(image)
    found, note = _from_xml(path, count)
    if found is None:
        found, hdr_note = _from_envi_header(path, count)
        note = note or hdr_note
    return found, note


def product_bands(image: str | os.PathLike, count: int) -> tuple[Optional[ProductBands], str]:
    """The band values a metadata file beside ``image`` declares for its ``count`` bands.

    Returns:
        The values (None when no file fits) and, when a file was found but not used, why.
    """
    path = Path(image)
    try:
        folder = path.parent.stat()
        stamp = (folder.st_mtime_ns, path.stat().st_mtime_ns)
    except OSError:
        return None, ""
    return _cached(str(path.resolve()), stamp, count)
