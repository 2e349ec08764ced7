"""A DESIS L2A delivery in the layout public DESIS readers describe, written from a cube.

``<name>-METADATA.xml`` (``base/temporalCoverage/startTime``,
``specific/bandCharacterisation/band`` with ``bandNumber``, ``wavelengthCenterOfBand``,
``wavelengthWidthOfBand``, ``gainOfBand``, ``offsetOfBand``), ``<name>-SPECTRAL_IMAGE.tif``
(int16 reflectance × 10 000, nodata −32768) and ``<name>-QL_QUALITY-2.tif`` (10 bands: shadow,
land, snow, haze land, haze water, cloud land, cloud water, water, AOT, water vapour), in a
folder of the product's name, zipped when asked. Not checked against a real product.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from affine import Affine

from .enmap import GAIN, NODATA, parse_acquired, write_geotiff, xml_child

__all__ = ["write_desis_l2a", "product_name", "QUALITY_FLAGS"]

#: The bands of QL_QUALITY-2, in order.
QUALITY_FLAGS = ("shadow", "land", "snow", "haze_land", "haze_water", "cloud_land",
                 "cloud_water", "water", "aot", "water_vapour")


def product_name(acquired: str, level: str = "L2A") -> str:
    """The product's name for an acquisition start (``"2022-07-24T10:31:05Z"``)."""
    return f"DESIS-HSI-{level}-DT0000001234_001-{parse_acquired(acquired):%Y%m%dT%H%M%S}-V0215"


def _metadata(acquired: str, wavelengths: Sequence[float], fwhm: Sequence[float]) -> bytes:
    root = ET.Element("hsi_doc")
    xml_child(xml_child(xml_child(root, "base"), "temporalCoverage"), "startTime",
         parse_acquired(acquired).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    char = xml_child(xml_child(root, "specific"), "bandCharacterisation")
    for k, (wl, fw) in enumerate(zip(wavelengths, fwhm), start=1):
        band = xml_child(char, "band")
        xml_child(band, "bandNumber", str(k))
        xml_child(band, "wavelengthCenterOfBand", f"{float(wl):.10g}")
        xml_child(band, "wavelengthWidthOfBand", f"{float(fw):.10g}")
        xml_child(band, "gainOfBand", f"{GAIN:g}")
        xml_child(band, "offsetOfBand", "0")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def write_desis_l2a(target: Path, cube: np.ndarray, wavelengths: Sequence[float],
                    fwhm: Sequence[float], transform: Affine, crs: str, acquired: str,
                    flags: Optional[dict[str, np.ndarray]] = None, zipped: bool = True,
                    level: str = "L2A") -> Path:
    """Write a DESIS delivery of ``cube`` (``(C, H, W)`` reflectance, NaN nodata) under ``target``.

    Args:
        flags: QL_QUALITY-2 bands by name (:data:`QUALITY_FLAGS`), ``(H, W)`` each; the others
            are written clear (``land`` set).
        zipped: write ``<name>.zip`` holding the product folder instead of the folder.

    Returns:
        The ZIP, or the product folder.
    """
    flags = dict(flags or {})
    unknown = sorted(set(flags) - set(QUALITY_FLAGS))
    if unknown:
        raise ValueError(f"unknown QL_QUALITY-2 flags {unknown}; choose among {QUALITY_FLAGS}")
    _, height, width = cube.shape
    name = product_name(acquired, level)
    folder = Path(target) / name
    folder.mkdir(parents=True, exist_ok=True)
    stored = np.where(np.isfinite(cube), np.round(np.nan_to_num(cube) / GAIN), NODATA)
    write_geotiff(folder / f"{name}-SPECTRAL_IMAGE.tif",
               np.clip(stored, -32768, 32767).astype(np.int16), transform, crs, NODATA, False)
    quality = np.zeros((len(QUALITY_FLAGS), height, width), np.uint8)
    quality[QUALITY_FLAGS.index("land")] = 1
    for flag, values in flags.items():
        quality[QUALITY_FLAGS.index(flag)] = np.asarray(values, np.uint8)
    write_geotiff(folder / f"{name}-QL_QUALITY-2.tif", quality, transform, crs, None, False)
    (folder / f"{name}-METADATA.xml").write_bytes(_metadata(acquired, wavelengths, fwhm))
    if not zipped:
        return folder
    archive = Path(target) / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for file in sorted(folder.iterdir()):
            z.write(file, f"{name}/{file.name}")
    shutil.rmtree(folder)
    return archive
