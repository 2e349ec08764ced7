"""Sentinel-2 Level-2A (SAFE) as delivered: the ZIP as downloaded, the ``.SAFE`` folder, its
``MTD_MSIL2A.xml``, or a GDAL ``SENTINEL2_L2A:<path>:10m:EPSG_<code>`` subdataset string.

The bands are read through GDAL's SENTINEL2 driver: the 10 m bands (B2, B3, B4, B8) from its
10m subdataset, the 20 m bands (B5, B6, B7, B8A, B11, B12) from its 20m subdataset at their own
resolution, put on the 10 m grid by nearest neighbour in the VRT (:mod:`.vrt`). The 60 m bands
(B1 aerosol, B9 water vapour) are left out: atmospheric bands, six times coarser than the grid.

Radiometry comes from ``MTD_MSIL2A.xml``: reflectance = (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION
_VALUE, the offset being −1000 from processing baseline 04.00 on and absent before; DN 0 is
nodata. GDAL 3.6's driver reports neither (band scale 1, offset 0, no nodata, no BOA_ADD_OFFSET
item), and whatever a later GDAL reports, the VRT's sources read stored DN: the scaling is
applied once, by the VRT. The quality mask is the scene classification (SCL, 20 m).
"""

from __future__ import annotations

import os
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Optional

import rasterio
from rasterio.errors import NotGeoreferencedWarning

from ..errors import InputError
from .archive import Files, list_files, zip_part
from .base import BandSource, MaskLayer, ProductBands

NAME = "sentinel2"

#: Bands read, named as the SRF presets name them; the VRT stacks them in spectral order.
BANDS_10M = ("B2", "B3", "B4", "B8")
BANDS_20M = ("B5", "B6", "B7", "B8A", "B11", "B12")
_SPECTRAL_ORDER = ("B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")
#: Quality class -> SCL values (ESA's L2A scene classification).
SCL_CLASSES: dict[str, tuple[int, ...]] = {
    "cloud": (8, 9), "shadow": (3,), "cirrus": (10,), "snow": (11,), "water": (6,),
    "saturated": (1,),
}

_SUBDATASET = re.compile(r"^SENTINEL2_\w+:(.+):(\w+):EPSG_(\d+)$", re.I)
_MTD = re.compile(r"(^|/)MTD_MSIL(1C|2A)\.xml$", re.I)
_PRODUCT = re.compile(r"^S2[A-Z]_MSIL(1C|2A)_", re.I)
_NODATA = 0


@dataclass(frozen=True)
class _Safe:
    """Where a SAFE is: its files, its metadata file's GDAL name and the EPSG a subdataset named."""

    files: Files
    mtd: str
    epsg: Optional[int] = None


def _file_band(name: str) -> str:
    """``B2`` -> ``B02`` (as in file names); ``B8A`` stays."""
    return f"B{int(name[1:]):02d}" if name[1:].isdigit() else name


def _absolute(name: str) -> str:
    """A GDAL name that does not depend on the working directory (a Dask worker's, QGIS')."""
    if name.startswith("/vsizip/"):
        archive, member = zip_part(name)
        return f"/vsizip/{os.path.abspath(archive)}" + (f"/{member}" if member else "")
    return name if name.startswith("/vsi") else os.path.abspath(name)


def claims(source: str) -> bool:
    """A ``SENTINEL2_*:`` subdataset, an ``MTD_MSIL1C/2A.xml``, a product-named ZIP or folder,
    or a folder / ZIP holding a SAFE's metadata file or a product's ZIP."""
    if source.upper().startswith("SENTINEL2_"):
        return True
    base = os.path.basename(source.rstrip("/\\"))
    if _MTD.search(source.replace("\\", "/")) or _PRODUCT.match(base):
        return True
    files = list_files(source)
    return files is not None and any(_MTD.search(n) or _product_zip(n) for n in files.names)


def _product_zip(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return bool(_PRODUCT.match(base)) and base.lower().endswith(".zip")


def _locate(source: str, role: str) -> _Safe:
    """The SAFE behind ``source``, refused with a fix when there is none."""
    epsg = None
    match = _SUBDATASET.match(source)
    if match:
        source, epsg = match.group(1), int(match.group(3))
    elif source.upper().startswith("SENTINEL2_"):
        raise InputError(f"The {role} {source} is no Sentinel-2 subdataset HSI Fusion reads: give "
                         "SENTINEL2_L2A:<path>/MTD_MSIL2A.xml:10m:EPSG_<code> as gdalinfo lists it, "
                         "or the product's ZIP or .SAFE folder.")
    source = _absolute(source)
    if _MTD.search(source.replace("\\", "/")):
        folder, name = source.replace("\\", "/").rsplit("/", 1)
        files = list_files(folder)
        if files is None or name not in files.names:
            raise InputError(f"The {role} metadata file {source} does not exist: give the path of "
                             "the product's MTD_MSIL2A.xml, its .SAFE folder or its ZIP.")
        return _Safe(files, files.gdal(name), epsg)
    files = list_files(source)
    if files is None and not source.startswith("/vsi") and not os.path.exists(source):
        raise InputError(f"The {role} {source} does not exist: check the path of the product's "
                         "ZIP, .SAFE folder or MTD_MSIL2A.xml.")
    found = [] if files is None else [n for n in files.names if _MTD.search(n)]
    if files is not None and not found and not files.base.startswith("/vsizip/"):
        zips = [n for n in files.names if _product_zip(n)]
        if len(zips) == 1:  # a folder holding the downloaded ZIP
            return _locate(files.gdal(zips[0]), role)
    if files is None or not found:
        what = "ZIP" if source.lower().endswith(".zip") or source.startswith("/vsizip/") else "folder"
        raise InputError(
            f"The {role} {source} is a {what} that holds no Sentinel-2 SAFE (no MTD_MSIL2A.xml "
            "in it): the download is incomplete or is not the product itself. Download the L2A "
            "product again as one ZIP (S2?_MSIL2A_….zip) and give that ZIP or its .SAFE folder.")
    if len(found) > 1:
        raise InputError(f"The {role} {source} holds {len(found)} Sentinel-2 products "
                         f"({', '.join(found)}): give the MTD_MSIL2A.xml of the one to fuse.")
    name = found[0]
    folder = name.rsplit("/", 1)[0] if "/" in name else ""
    inner = Files(tuple(n[len(folder) + 1:] for n in files.names if n.startswith(folder + "/")),
                  files.gdal(folder)) if folder else files
    return _Safe(inner, files.gdal(name), epsg)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, tag: str) -> Optional[ET.Element]:
    """The first element named ``tag`` (any namespace) below ``root``."""
    return next((e for e in root.iter() if _local(e.tag) == tag), None)


def _text(root: ET.Element, *tags: str) -> Optional[str]:
    for tag in tags:
        elem = _find(root, tag)
        if elem is not None and elem.text and elem.text.strip():
            return elem.text.strip()
    return None


@dataclass(frozen=True)
class _Metadata:
    """What ``MTD_MSIL2A.xml`` says about the bands' radiometry and the acquisition."""

    level: str
    baseline: str
    quantification: float
    offsets: dict[str, float]
    centres: dict[str, float]
    spacecraft: str
    start: Optional[str]


def _metadata(safe: _Safe, role: str) -> _Metadata:
    mtd = safe.mtd.rsplit("/", 1)[-1]
    try:
        root = ET.fromstring(safe.files.read_bytes(mtd))
    except (ET.ParseError, OSError) as exc:
        raise InputError(f"The {role} metadata file {safe.mtd} cannot be read ({exc}): download the "
                         "product again.") from None
    level = "L1C" if "1C" in _local(root.tag) or "1C" in mtd.upper() else "L2A"
    names: dict[str, str] = {}
    centres: dict[str, float] = {}
    for info in (e for e in root.iter() if _local(e.tag) == "Spectral_Information"):
        band = info.get("physicalBand", "")
        names[info.get("bandId", "")] = band
        central = _text(info, "CENTRAL")
        if central:
            centres[band] = float(central)
    offsets = {names.get(e.get("band_id", ""), ""): float(e.text or 0)
               for e in root.iter() if _local(e.tag) == "BOA_ADD_OFFSET"}
    quantification = _text(root, "BOA_QUANTIFICATION_VALUE", "QUANTIFICATION_VALUE")
    return _Metadata(level, _text(root, "PROCESSING_BASELINE") or "unknown",
                     float(quantification) if quantification else 10000.0, offsets, centres,
                     _text(root, "SPACECRAFT_NAME") or "",
                     _text(root, "PRODUCT_START_TIME", "DATATAKE_SENSING_START"))


def _iso_utc(value: Optional[str]) -> Optional[str]:
    """``2023-08-23T09:55:59.024Z`` -> ``2023-08-23T09:55:59Z``."""
    match = re.match(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})", value or "")
    return f"{match.group(1)}Z" if match else None


def _check_files(safe: _Safe, needs_scl: bool, source: str, role: str) -> None:
    missing = [b for b in BANDS_10M if not safe.files.find(f"_{_file_band(b)}_10m.jp2")]
    missing += [b for b in BANDS_20M if not safe.files.find(f"_{_file_band(b)}_20m.jp2")]
    scl = needs_scl and not safe.files.find("_SCL_20m.jp2")
    if not missing and not scl:
        return
    lacks = ", ".join(missing + (["the scene classification SCL_20m"] if scl else []))
    fix = "Download the product again as one ZIP"
    if scl and not missing:
        fix += ", or set the quality mask to 'none' to read it without SCL"
    raise InputError(f"The {role} Sentinel-2 product {source} lacks {lacks} (IMG_DATA/R10m, R20m): "
                     f"it is incomplete. {fix}.")


def _subdatasets(safe: _Safe, role: str) -> tuple[str, str]:
    """GDAL's 10m and 20m subdatasets, in the EPSG the source named when the product has it."""
    try:
        with warnings.catch_warnings():  # the product's root dataset has no geotransform
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(safe.mtd) as ds:
                names = list(ds.subdatasets)
    except rasterio.errors.RasterioError as exc:
        raise InputError(f"GDAL's SENTINEL2 driver cannot open the {role} {safe.mtd} ({exc}): "
                         "download the product again.") from None
    by_res: dict[str, list[str]] = {"10m": [], "20m": []}
    for name in names:
        match = _SUBDATASET.match(name)
        if match and match.group(2) in by_res:
            by_res[match.group(2)].append(name)
    if not by_res["10m"] or not by_res["20m"]:
        raise InputError(f"GDAL lists no 10m and 20m subdatasets in the {role} {safe.mtd}: "
                         "download the product again.")

    def pick(options: list[str]) -> str:
        wanted = [n for n in options if n.endswith(f":EPSG_{safe.epsg}")]
        return (wanted or options)[0]

    return pick(by_res["10m"]), pick(by_res["20m"])


def _band_indexes(dataset: str) -> dict[str, tuple[int, Optional[float]]]:
    """BANDNAME -> (1-based index, GDAL's nominal wavelength) in a subdataset (GDAL orders the
    10m one B4, B3, B2, B8)."""
    found = {}
    with rasterio.open(dataset) as ds:
        for i in range(1, ds.count + 1):
            tags = ds.tags(i)
            wavelength = tags.get("WAVELENGTH")
            found[tags.get("BANDNAME", "")] = (i, float(wavelength) if wavelength else None)
    return found


def _offset_note(meta: _Metadata) -> str:
    offsets = set(meta.offsets.values()) or {0.0}
    value = offsets.pop() if len(offsets) == 1 else None
    dn = "DN + BOA_ADD_OFFSET" if value is None else "DN" if not value else f"DN {value:+g}"
    return f"reflectance = ({dn}) / {meta.quantification:g} (processing baseline {meta.baseline})"


def read(source: str, role: str, classes: frozenset[str]) -> Optional[ProductBands]:
    """The product's 10 m and 20 m bands as reflectance and its SCL classes as masks.

    Raises:
        InputError: an L1C product, a SAFE lacking a band (or the SCL the mask needs), a ZIP or
            folder holding no SAFE.
    """
    safe = _locate(source, role)
    meta = _metadata(safe, role)
    if meta.level != "L2A":
        raise InputError(
            f"The {role} {source} is a Sentinel-2 Level-1C product (top-of-atmosphere reflectance); "
            "fusion needs Level-2A surface reflectance, as the LR-HSI's. Download the L2A product of "
            "the same date (S2?_MSIL2A_…) or process this one with ESA's Sen2Cor (L2A_Process).")
    scl_values = sorted({v for c in classes for v in SCL_CLASSES.get(c, ())})
    _check_files(safe, bool(scl_values), source, role)
    sub10, sub20 = _subdatasets(safe, role)
    index = {sub10: _band_indexes(sub10), sub20: _band_indexes(sub20)}
    bands = []
    for name in _SPECTRAL_ORDER:
        dataset, resolution = (sub10, 10.0) if name in BANDS_10M else (sub20, 20.0)
        band, nominal = index[dataset][name]
        bands.append(BandSource(dataset, band, name, meta.centres.get(name, nominal), None,
                                1.0 / meta.quantification,
                                meta.offsets.get(name, 0.0) / meta.quantification, _NODATA,
                                resolution))
    masks: tuple[MaskLayer, ...] = ()
    if scl_values:
        masks = (MaskLayer(sub20, index[sub20]["SCL"][0], tuple(scl_values),
                           f"SCL classes {', '.join(map(str, scl_values))}"),)
    from ..srf.presets import preset_ids

    sensor = meta.spacecraft.strip().lower()
    notes = [_offset_note(meta), "20 m bands B5, B6, B7, B8A, B11, B12 put on the 10 m grid (nearest)",
             "60 m bands B1, B9 left out"]
    if "haze" in classes:
        notes.append("haze not masked: the SCL has no haze class")
    if sensor not in preset_ids():
        notes.append(f"no SRF preset for {meta.spacecraft or 'an unnamed spacecraft'}: give the "
                     "SRF as a CSV or choose the preset of a Sentinel-2 twin")
    return ProductBands("Sentinel-2 L2A", tuple(bands), sub10, masks, _iso_utc(meta.start),
                        sensor if sensor in preset_ids() else None, "L2A", tuple(notes))
