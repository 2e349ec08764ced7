"""Where the files of a DLR product (EnMAP, DESIS) are, whichever of its forms a user gives.

Both missions ship a product as one folder of files named ``<product>-<part>.<ext>`` (its
``-METADATA.XML``, ``-SPECTRAL_IMAGE.TIF``, ``-QL_…`` quality layers); the EnMAP portal's
``ENMAP01-….ZIP`` holds that folder. A user may give the ZIP, the folder, a folder holding one
such ZIP (the portal's ``dims_op_…`` archive unpacked), a ``/vsizip/`` path, the metadata file
or the spectral image: :func:`locate` finds the product's files from any of them, without
unpacking anything.
"""

from __future__ import annotations

import os
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

import rasterio

from ..errors import InputError
from ..io.sidecars import BandCharacterisation
from .archive import Files, list_files
from .base import BandSource

__all__ = ["Located", "locate", "iso_utc", "has_product", "spectral_bands"]

#: File extensions of a product's rasters, most common first (EnMAP lets users order
#: GeoTIFF, BSQ, BIL, BIP or JPEG2000; the EOC Geoservice's copies are ``_COG.TIF``/``.tiff``).
RASTER_EXTS = (".TIF", ".TIFF", ".GEOTIFF", ".BSQ", ".BIL", ".BIP", ".JP2")
#: A product's own file: ``<stem>-METADATA.XML``, ``<stem>-SPECTRAL_IMAGE[_VNIR|_SWIR][_COG].TIF``,
#: ``<stem>-QL_…[_COG].TIF`` (not a file derived from one, such as EnMAP-Box's ``….vrt``).
_OWN_FILE = re.compile(
    r"^(?P<stem>.+?)-(?:METADATA\.XML|(?:SPECTRAL_IMAGE(?:_VNIR|_SWIR)?|QL_[A-Z0-9_-]+?)(?:_COG)?"
    r"(?:" + "|".join(re.escape(e) for e in RASTER_EXTS) + r"))$", re.IGNORECASE)


@dataclass(frozen=True)
class Located:
    """One product's files.

    Attributes:
        files: the listing the product lies in.
        folder: the product's folder inside it (``""``: its top).
        stem: the product name every file starts with.
        metadata: the metadata file's name in ``files``.
    """

    files: Files
    folder: str
    stem: str
    metadata: str

    def part(self, part: str, exts: tuple[str, ...] = RASTER_EXTS) -> Optional[str]:
        """The GDAL name of ``<stem>-<part>[_COG]<ext>`` (case-insensitive), or None."""
        wanted = {f"{self.stem}-{part}{cog}{ext}".upper() for cog in ("", "_COG") for ext in exts}
        found = sorted(n for n in self.files.names
                       if posixpath.dirname(n) == self.folder
                       and posixpath.basename(n).upper() in wanted)
        return self.files.gdal(found[0]) if found else None

    def read_metadata(self) -> bytes:
        return self.files.read_bytes(self.metadata)

    def metadata_root(self, label: str, role: str) -> ET.Element:
        """The parsed metadata file; an unreadable one is an InputError naming the fix."""
        try:
            return ET.fromstring(self.read_metadata())
        except ET.ParseError as exc:
            raise InputError(f"The {role} {label} product's {self.metadata} cannot be read ({exc}); "
                             "download the product again.") from None

    def spectral_image(self, label: str, role: str) -> str:
        """The GDAL name of the product's SPECTRAL_IMAGE; a product without one is refused."""
        image = self.part("SPECTRAL_IMAGE")
        if image is None:
            raise InputError(f"The {role} {label} product {self.stem} has no SPECTRAL_IMAGE file; "
                             "download the whole product again.")
        return image


def _split(source: str) -> tuple[str, str]:
    """``(parent, name)`` of a path, a ``/vsizip/`` path included."""
    path = source.rstrip("/\\")
    if path.startswith("/vsi"):
        return posixpath.dirname(path), posixpath.basename(path)
    return os.path.dirname(os.path.abspath(path)), os.path.basename(path)


def _is_product_file(name: str, prefix: str) -> bool:
    return name.upper().startswith(prefix) and _OWN_FILE.match(name) is not None


def _metadata_files(files: Files, prefix: str, metadata: str) -> list[str]:
    return [n for n in files.names if posixpath.basename(n).upper().startswith(prefix)
            and n.upper().endswith(metadata)]


def _inner_zips(files: Files, prefix: str) -> list[str]:
    return [n for n in files.names if posixpath.basename(n).upper().startswith(prefix)
            and n.upper().endswith(".ZIP")]


def has_product(source: str, prefix: str, metadata: str = "-METADATA.XML") -> bool:
    """True when ``source`` names, or holds, a product whose files start with ``prefix``
    (a name and a file listing only)."""
    _, name = _split(source)
    if _is_product_file(name, prefix):
        return True
    container = os.path.isdir(source) or source.lower().endswith(".zip") \
        or source.startswith("/vsizip/")
    if not container:
        return False
    if name.upper().startswith(prefix):
        return True
    files = list_files(source)
    return files is not None and bool(_metadata_files(files, prefix, metadata)
                                      or _inner_zips(files, prefix))


def locate(source: str, prefix: str, label: str, role: str,
           metadata: str = "-METADATA.XML") -> Located:
    """The product ``source`` names or holds (see the module docstring).

    Args:
        prefix: how the product's file names start (``"ENMAP01-"``), upper case.
        label: the product family, for messages (``"EnMAP"``).
        metadata: how its metadata file's name ends, upper case.

    Raises:
        InputError: no product, or several, or one nested in a ZIP inside the ZIP.
    """
    parent, name = _split(source)
    if _is_product_file(name, prefix):
        files = list_files(parent)
        own = _OWN_FILE.match(name)
        stem = own.group("stem") if own else name
        metas = [] if files is None else [
            n for n in files.names if "/" not in n
            and n.upper() == f"{stem}{metadata}".upper()]
        if files is None or not metas:
            raise InputError(
                f"The {role} {source} is a {label} product file, but the product's "
                f"{stem}{metadata} is not beside it. Give the whole product as delivered (its "
                "ZIP or unzipped folder): its wavelengths, gains and quality layers are in it.")
        return Located(files, "", stem, metas[0])
    files = list_files(source)
    if files is None:
        raise InputError(f"The {role} {source} is no {label} product, folder or ZIP that can be "
                         "read. Give the product's ZIP, its unzipped folder or its metadata file.")
    metas = _metadata_files(files, prefix, metadata)
    if not metas:
        inner = _inner_zips(files, prefix)
        if len(inner) == 1 and not files.base.startswith("/vsizip/"):
            return locate(files.gdal(inner[0]), prefix, label, role, metadata)
        where = "ZIP" if files.base.startswith("/vsizip/") else "folder"
        if inner:
            raise InputError(
                f"The {role} {source} is a {where} holding {len(inner)} {label} product ZIP(s) "
                f"({', '.join(posixpath.basename(n) for n in inner[:3])}). Give one of them "
                "(extract it from the archive first if it lies inside another ZIP).")
        raise InputError(f"The {role} {source} is a {where} that holds no {label} product "
                         f"(no {prefix}…{metadata} in it). Give the product's own ZIP or folder.")
    if len(metas) > 1:
        raise InputError(
            f"The {role} {source} holds {len(metas)} {label} products "
            f"({', '.join(posixpath.basename(m) for m in metas[:3])}…). Give one of them: its "
            "folder or its metadata file.")
    folder = posixpath.dirname(metas[0])
    stem = posixpath.basename(metas[0])[:-len(metadata)]
    return Located(files, folder, stem, metas[0])


_STAMP = re.compile(r"(\d{8}T\d{6})")


def iso_utc(text: Optional[str]) -> Optional[str]:
    """``"2022-07-24T10:45:26Z"`` from an XML time (``2022-07-24T10:45:26.123456Z``) or a
    product-name stamp (``20220724T104526``); None when neither parses."""
    if not text:
        return None
    value = text.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%f",
                "%Y-%m-%dT%H:%M:%S"):
        try:
            moment = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    else:
        stamp = _STAMP.search(value)
        if stamp is None:
            return None
        moment = datetime.strptime(stamp.group(1), "%Y%m%dT%H%M%S")
    return moment.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def spectral_bands(found: Optional[BandCharacterisation], label: str, image: str,
                   product: Located, role: str, nodata: float,
                   default_gain: float) -> tuple[tuple[BandSource, ...], list[str]]:
    """The image's bands with the metadata's wavelengths, FWHM, gains and offsets.

    Args:
        found: what the metadata file lists (None: nothing).
        label: the product family, for messages.
        nodata: the stored nodata when the image declares none.
        default_gain: the gain when the metadata lists none (with a note saying so).

    Raises:
        InputError: no band list, or one of another length than the image's bands.
    """
    if found is None or found.layout != label:
        raise InputError(f"The {role} {label} product's {posixpath.basename(product.metadata)} "
                         "lists no bandCharacterisation: download the product again.")
    with rasterio.open(image) as ds:
        count, declared = ds.count, ds.nodata
    if len(found.wavelengths) != count:
        raise InputError(
            f"The {role} {label} product's {posixpath.basename(product.metadata)} describes "
            f"{len(found.wavelengths)} bands but its spectral image has {count}: the files are "
            "of different products. Download the product again.")
    notes: list[str] = []
    gains, offsets = found.gains, found.offsets
    if gains is None or len(gains) != count or not all(g != 0 for g in gains):
        gains = [default_gain] * count
        notes.append(f"no band gains in {posixpath.basename(product.metadata)}: values read as "
                     f"DN × {default_gain:g}")
    if offsets is None or len(offsets) != count:
        offsets = [0.0] * count
    fwhm = found.fwhm if found.fwhm is not None and len(found.fwhm) == count else None
    stored_nodata = nodata if declared is None else float(declared)
    bands = tuple(
        BandSource(image, k + 1, f"band {k + 1}", found.wavelengths[k],
                   None if fwhm is None else fwhm[k], gains[k], offsets[k], stored_nodata)
        for k in range(count))
    return bands, notes
