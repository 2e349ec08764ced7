"""An EnMAP delivery in the real layout, written from a reflectance cube.

The product is a folder named like ``ENMAP01-____L2A-DT0000001234_20220724T103105Z_001_V010303_
20230101T000000Z`` holding ``<name>-METADATA.XML`` (the DLR element names: ``base/level``,
``base/temporalCoverage/startTime``, ``specific/bandCharacterisation/bandID`` with
``wavelengthCenterOfBand``, ``FWHMOfBand``, ``GainOfBand``, ``OffsetOfBand``,
``product/productFileInformation``), ``<name>-SPECTRAL_IMAGE.TIF`` (int16 reflectance × 10 000,
nodata −32768, no GDAL scale: the gains live in the XML) and the ``QL_*`` quality GeoTIFFs; as
the portal's ``<name>.ZIP`` holding that folder when zipped. ``level="L1B"`` writes the L1B
layout (``SPECTRAL_IMAGE_VNIR``/``_SWIR``), to test that it is refused.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import rasterio
from affine import Affine
from rasterio.shutil import copy as copy_raster

__all__ = ["write_enmap_l2a", "product_name", "QUALITY_LAYERS", "GAIN", "NODATA", "parse_acquired",
           "xml_child", "write_geotiff"]

NODATA = -32768
GAIN = 1e-4
#: The single-band quality layers every product ships (QL_PIXELMASK has one band per band).
QUALITY_LAYERS = ("QL_QUALITY_CLOUD", "QL_QUALITY_CLOUDSHADOW", "QL_QUALITY_CIRRUS",
                  "QL_QUALITY_HAZE", "QL_QUALITY_SNOW", "QL_QUALITY_CLASSES",
                  "QL_QUALITY_TESTFLAGS")


def product_name(acquired: str, level: str = "L2A") -> str:
    """The product's name for an acquisition start (``"2022-07-24T10:31:05Z"``)."""
    stamp = parse_acquired(acquired).strftime("%Y%m%dT%H%M%S")
    return f"ENMAP01-____{level}-DT0000001234_{stamp}Z_001_V010303_20230101T000000Z"


def parse_acquired(acquired: str) -> datetime:
    """``"2022-07-24T10:31:05Z"`` as a UTC datetime."""
    return datetime.strptime(acquired.rstrip("Z"), "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=timezone.utc)


def write_geotiff(path: Path, data: np.ndarray, transform: Affine, crs: str,
                  nodata: Optional[float], cog: bool) -> None:
    """``(C, H, W)`` ``data`` as a GeoTIFF (a cloud-optimised one when ``cog``)."""
    count, height, width = data.shape
    profile = dict(driver="COG" if cog else "GTiff", width=width, height=height, count=count,
                   dtype=data.dtype.name, crs=crs, transform=transform)
    if nodata is not None:
        profile["nodata"] = nodata
    if cog:
        with rasterio.MemoryFile() as mem:
            with mem.open(**{**profile, "driver": "GTiff"}) as ds:
                ds.write(data)
            with mem.open() as src:
                copy_raster(src, path, driver="COG")
        return
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data)


def xml_child(parent: ET.Element, tag: str, text: Optional[str] = None,
              **attrs: str) -> ET.Element:
    """A new child element of ``parent``."""
    elem = ET.SubElement(parent, tag, attrs)
    if text is not None:
        elem.text = text
    return elem


def _metadata(name: str, level: str, acquired: str, wavelengths: Sequence[float],
              fwhm: Sequence[float], shape: tuple[int, int], files: Sequence[str],
              image: str) -> bytes:
    root = ET.Element("level_X")
    meta = xml_child(root, "metadata")
    xml_child(xml_child(meta, "schema"), "processingLevel", level)
    xml_child(meta, "name", f"{name}-METADATA.XML")
    base = xml_child(root, "base")
    xml_child(base, "format", f"ENMAP_{level}")
    xml_child(base, "level", level)
    start = parse_acquired(acquired)
    cover = xml_child(base, "temporalCoverage")
    xml_child(cover, "startTime", start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    xml_child(cover, "stopTime", start.replace(second=min(start.second + 4, 59))
         .strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    specific = xml_child(root, "specific")
    xml_child(specific, "code", level)
    char = xml_child(specific, "bandCharacterisation")
    for k, (wl, fw) in enumerate(zip(wavelengths, fwhm), start=1):
        band = xml_child(char, "bandID", number=str(k))
        xml_child(band, "wavelengthCenterOfBand", f"{float(wl):.10g}")
        xml_child(band, "FWHMOfBand", f"{float(fw):.10g}")
        xml_child(band, "GainOfBand", f"{GAIN:g}")
        xml_child(band, "OffsetOfBand", "0")
    product = xml_child(root, "product")
    merge = xml_child(xml_child(product, "image"), "merge")
    xml_child(merge, "channels", str(len(wavelengths)))
    xml_child(merge, "name", image)
    dim = xml_child(merge, "dimension")
    xml_child(dim, "columns", str(shape[1]))
    xml_child(dim, "rows", str(shape[0]))
    info = xml_child(product, "productFileInformation")
    for k, file in enumerate(files):
        entry = xml_child(info, "file", number=str(k))
        xml_child(entry, "name", file)
        xml_child(entry, "format", "xml" if file.upper().endswith(".XML") else "binary")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def write_enmap_l2a(target: Path, cube: np.ndarray, wavelengths: Sequence[float],
                    fwhm: Sequence[float], transform: Affine, crs: str, acquired: str,
                    masks: Optional[dict[str, np.ndarray]] = None, zipped: bool = True,
                    level: str = "L2A", cog_naming: bool = False) -> Path:
    """Write an EnMAP delivery of ``cube`` under the folder ``target``.

    Args:
        cube: ``(C, H, W)`` surface reflectance (NaN: nodata).
        wavelengths, fwhm: per band, nm.
        transform, crs: the grid (rasterio Affine, CRS text such as ``"EPSG:32633"``).
        acquired: acquisition start, ``"2022-07-24T10:31:05Z"``.
        masks: quality layers by name (``"QL_QUALITY_CLOUD"``: an ``(H, W)`` array, non-zero
            flagged; ``"QL_QUALITY_CLASSES"``: 1 land, 2 water, 3 background; ``"QL_PIXELMASK"``:
            ``(C, H, W)`` or ``(H, W)``). Layers not given are written clear (land, no flag), as
            every real product ships all of them.
        zipped: write the portal's ``<name>.ZIP`` (holding the product folder) instead of the folder.
        level: ``"L2A"``; ``"L1B"``/``"L1C"`` write that level's names, to test refusals.
        cog_naming: name the rasters ``…_COG.tiff`` and the metadata ``…-METADATA.xml``, as the
            EOC Geoservice's copies are named.

    Returns:
        The ZIP, or the product folder.
    """
    masks = dict(masks or {})
    count, height, width = cube.shape
    name = product_name(acquired, level)
    folder = Path(target) / name
    folder.mkdir(parents=True, exist_ok=True)
    ext = "_COG.tiff" if cog_naming else ".TIF"
    stored = np.where(np.isfinite(cube), np.round(np.nan_to_num(cube) / GAIN), NODATA)
    stored = np.clip(stored, -32767, 32767).astype(np.int16)
    stored[~np.isfinite(cube)] = NODATA
    files: list[str] = []

    def write(part: str, data: np.ndarray, nodata: Optional[float]) -> str:
        file = f"{name}-{part}{ext}"
        write_geotiff(folder / file, data, transform, crs, nodata, cog_naming)
        files.append(file)
        return file

    if level == "L1B":
        half = count // 2
        image = write("SPECTRAL_IMAGE_VNIR", stored[:half], NODATA)
        write("SPECTRAL_IMAGE_SWIR", stored[half:], NODATA)
    else:
        image = write("SPECTRAL_IMAGE", stored, NODATA)
    clear = np.zeros((1, height, width), np.uint8)
    for layer in QUALITY_LAYERS:
        default = clear + 1 if layer == "QL_QUALITY_CLASSES" else clear
        given = masks.pop(layer, None)
        write(layer, default if given is None else np.asarray(given, np.uint8).reshape(1, height, width),
              None)
    pixel = masks.pop("QL_PIXELMASK", None)
    pixel = np.zeros((count, height, width), np.uint8) if pixel is None else np.asarray(pixel, np.uint8)
    write("QL_PIXELMASK", pixel.reshape(-1, height, width), None)
    if masks:
        raise ValueError(f"unknown quality layers {sorted(masks)}; choose among "
                         f"{', '.join(QUALITY_LAYERS)}, QL_PIXELMASK")
    meta = f"{name}-METADATA.{'xml' if cog_naming else 'XML'}"
    (folder / meta).write_bytes(_metadata(name, level, acquired, wavelengths, fwhm,
                                          (height, width), files + [meta], image))
    if not zipped:
        return folder
    archive = Path(target) / f"{name}.ZIP"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(folder.iterdir()):
            z.write(file, f"{name}/{file.name}")
    shutil.rmtree(folder)
    return archive
