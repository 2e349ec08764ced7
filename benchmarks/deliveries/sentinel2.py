"""Sentinel-2 SAFE deliveries written from reflectance arrays, laid out as ESA's archive ships them.

:func:`write_s2_l2a` writes a product-named ``.SAFE`` folder (or its ZIP, as downloaded) with
``MTD_MSIL2A.xml``, one granule with its ``MTD_TL.xml`` (the tile's geoposition) and the bands
as lossless JPEG 2000 files under ``IMG_DATA/R10m|R20m|R60m`` (``IMG_DATA`` alone for an L1C),
stored as the processors store them: uint16 DN = reflectance × 10000 + 1000 from processing
baseline 04.00 on (BOA_ADD_OFFSET −1000 in the metadata), reflectance × 10000 before; 0 is
nodata. GDAL's SENTINEL2 driver opens it as a folder, as a ZIP and through ``/vsizip/``.

Only what the driver and a reader need is written (no manifest.safe, DATASTRIP, AUX_DATA, angle
grids or 60 m resampled copies; AOT, WVP and the cloud/snow probabilities are zeros at 20 m, so
GDAL finds every layer it lists); element names and nesting are those of real products.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS

__all__ = ["write_s2_l2a", "S2_BANDS"]

#: Band name (as the SRF presets name them) -> (bandId in the metadata, native resolution in m).
S2_BANDS: dict[str, tuple[int, int]] = {
    "B1": (0, 60), "B2": (1, 10), "B3": (2, 10), "B4": (3, 10), "B5": (4, 20), "B6": (5, 20),
    "B7": (6, 20), "B8": (7, 10), "B8A": (8, 20), "B9": (9, 60), "B10": (10, 60),
    "B11": (11, 20), "B12": (12, 20),
}
_PSD = "https://psd-14.sentinel2.eo.esa.int/PSD/"
_QUANTIFICATION = 10000
_OFFSET = -1000  # BOA_ADD_OFFSET / RADIO_ADD_OFFSET from processing baseline 04.00
_JP2 = {"driver": "JP2OpenJPEG", "REVERSIBLE": "YES", "QUALITY": "100"}


def _file_band(name: str) -> str:
    """``B2`` -> ``B02`` (file names), ``B8A`` stays."""
    return f"B{int(name[1:]):02d}" if name[1:].isdigit() else name


def _canonical(name: str) -> str:
    key = name.strip().upper()
    key = f"B{int(key[1:])}" if key[1:].isdigit() else key
    if key not in S2_BANDS:
        raise ValueError(f"Unknown Sentinel-2 band {name!r}; use one of {', '.join(S2_BANDS)}.")
    return key


def _baseline_offset(baseline: str) -> int:
    major = int(baseline.split(".")[0])
    return _OFFSET if major >= 4 else 0


def _sizes(bands: dict[str, np.ndarray]) -> tuple[int, int]:
    """Rows and columns at 10 m, from the 10 m bands or the coarser ones."""
    for name, array in bands.items():
        if S2_BANDS[name][1] == 10:
            return int(array.shape[0]), int(array.shape[1])
    name, array = next(iter(bands.items()))
    factor = S2_BANDS[name][1] // 10
    return int(array.shape[0]) * factor, int(array.shape[1]) * factor


def _shape(rows10: int, cols10: int, resolution: int) -> tuple[int, int]:
    factor = resolution // 10
    return math.ceil(rows10 / factor), math.ceil(cols10 / factor)


def _dn(reflectance: np.ndarray, add_offset: int) -> np.ndarray:
    """Stored DN of a reflectance array: NaN -> 0 (nodata), valid values kept off 0 and 65535."""
    values = np.asarray(reflectance, dtype=np.float64)
    dn = np.rint(values * _QUANTIFICATION - add_offset)
    return np.where(np.isfinite(values), np.clip(dn, 1, 65534), 0).astype(np.uint16)


def _write_jp2(path: Path, array: np.ndarray, transform: Affine, crs: CRS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", width=array.shape[1], height=array.shape[0], count=1,
                       dtype=array.dtype.name, crs=crs, transform=transform, **_JP2) as dst:
        dst.write(array, 1)
    with rasterio.open(path) as src:  # lossless, or the benchmark's truth is not the product's
        if not np.array_equal(src.read(1), array):
            raise RuntimeError(f"JP2OpenJPEG did not write {path.name} losslessly.")


def _sub(parent: ET.Element, tag: str, text: object = None, **attrs: str) -> ET.Element:
    elem = ET.SubElement(parent, tag, attrs)
    if text is not None:
        elem.text = str(text)
    return elem


def _xml(root: ET.Element, path: Path) -> None:
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))


def _times(acquired: str) -> tuple[str, str]:
    """(ISO 8601 with milliseconds and Z, compact ``YYYYMMDDTHHMMSS``) of ``acquired``."""
    when = datetime.fromisoformat(acquired.replace("Z", "+00:00"))
    when = when.astimezone(timezone.utc) if when.tzinfo else when
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z", \
        when.strftime("%Y%m%dT%H%M%S")


def _centres(spacecraft: str) -> dict[str, float]:
    """Band centres of the spacecraft's SRF preset (the SRF the reader compares against)."""
    from fusion_core.srf import load_preset

    table = load_preset(spacecraft.lower())
    return dict(zip(table.band_names, (float(c) for c in table.centres())))


def _product_xml(path: Path, *, level: str, name: str, start: str, baseline: str,
                 spacecraft: str, granule: str, images: list[str], add_offset: int) -> None:
    l2a = level == "L2A"
    kind = "Level-2A" if l2a else "Level-1C"
    ET.register_namespace("n1", f"{_PSD}User_Product_{kind}.xsd")
    ns = f"{{{_PSD}User_Product_{kind}.xsd}}"
    root = ET.Element(f"{ns}{kind}_User_Product")
    general = _sub(root, f"{ns}General_Info")
    info = _sub(general, "Product_Info")
    for tag, value in (("PRODUCT_START_TIME", start), ("PRODUCT_STOP_TIME", start),
                       ("PRODUCT_URI", f"{name}.SAFE"), ("PROCESSING_LEVEL", kind),
                       ("PRODUCT_TYPE", "S2MSI2A" if l2a else "S2MSI1C"),
                       ("PROCESSING_BASELINE", baseline), ("GENERATION_TIME", start)):
        _sub(info, tag, value)
    take = _sub(info, "Datatake", datatakeIdentifier=f"G{name[:3]}_{name.split('_')[2]}_000001_N{baseline}")
    for tag, value in (("SPACECRAFT_NAME", spacecraft), ("DATATAKE_TYPE", "INS-NOBS"),
                       ("DATATAKE_SENSING_START", start), ("SENSING_ORBIT_NUMBER", "122"),
                       ("SENSING_ORBIT_DIRECTION", "DESCENDING")):
        _sub(take, tag, value)
    _sub(_sub(info, "Query_Options", completeSingleTile="true"), "PRODUCT_FORMAT", "SAFE_COMPACT")
    listing = _sub(_sub(_sub(info, "Product_Organisation"), "Granule_List"), "Granule",
                   datastripIdentifier=f"{name[:3]}_OPER_MSI_{level}_DS", imageFormat="JPEG2000",
                   granuleIdentifier=f"{name[:3]}_OPER_MSI_{level}_TL_{granule}")
    for image in images:
        _sub(listing, "IMAGE_FILE", image)
    chars = _sub(general, "Product_Image_Characteristics")
    for text, index in (("NODATA", 0), ("SATURATED", 65535)):
        special = _sub(chars, "Special_Values")
        _sub(special, "SPECIAL_VALUE_TEXT", text)
        _sub(special, "SPECIAL_VALUE_INDEX", index)
    if l2a:
        _sub(_sub(chars, "QUANTIFICATION_VALUES_LIST"), "BOA_QUANTIFICATION_VALUE",
             _QUANTIFICATION, unit="none")
    else:
        _sub(chars, "QUANTIFICATION_VALUE", _QUANTIFICATION, unit="none")
    if add_offset:
        offsets = _sub(chars, "BOA_ADD_OFFSET_VALUES_LIST" if l2a else "Radiometric_Offset_List")
        for band_id in range(len(S2_BANDS)):
            _sub(offsets, "BOA_ADD_OFFSET" if l2a else "RADIO_ADD_OFFSET", add_offset,
                 band_id=str(band_id))
    spectral = _sub(chars, "Spectral_Information_List")
    centres = _centres(spacecraft)
    for band, (band_id, resolution) in S2_BANDS.items():
        entry = _sub(spectral, "Spectral_Information", bandId=str(band_id), physicalBand=band)
        _sub(entry, "RESOLUTION", resolution)
        _sub(_sub(entry, "Wavelength"), "CENTRAL", f"{centres[band]:.1f}", unit="nm")
    _xml(root, path)


def _tile_xml(path: Path, *, level: str, granule: str, start: str, crs: CRS,
              transform10: Affine, rows10: int, cols10: int) -> None:
    kind = "Level-2A" if level == "L2A" else "Level-1C"
    uri = f"{_PSD}S2_PDI_{kind}_Tile_Metadata.xsd"
    ET.register_namespace("n1", uri)
    root = ET.Element(f"{{{uri}}}{kind}_Tile_ID")
    general = _sub(root, f"{{{uri}}}General_Info")
    _sub(general, "TILE_ID", granule, metadataLevel="Brief")
    _sub(general, "SENSING_TIME", start, metadataLevel="Standard")
    geocoding = _sub(_sub(root, f"{{{uri}}}Geometric_Info"), "Tile_Geocoding", metadataLevel="Brief")
    _sub(geocoding, "HORIZONTAL_CS_NAME", crs.to_wkt().split('"')[1])
    _sub(geocoding, "HORIZONTAL_CS_CODE", f"EPSG:{crs.to_epsg()}")
    for resolution in (10, 20, 60):
        rows, cols = _shape(rows10, cols10, resolution)
        size = _sub(geocoding, "Size", resolution=str(resolution))
        _sub(size, "NROWS", rows)
        _sub(size, "NCOLS", cols)
    for resolution in (10, 20, 60):
        position = _sub(geocoding, "Geoposition", resolution=str(resolution))
        for tag, value in (("ULX", transform10.c), ("ULY", transform10.f), ("XDIM", resolution),
                           ("YDIM", -resolution)):
            _sub(position, tag, f"{value:g}")
    _xml(root, path)


def write_s2_l2a(target: Path, bands: dict[str, np.ndarray], transform10: Affine, crs: CRS | str,
                 acquired: str, scl: Optional[np.ndarray] = None, baseline: str = "05.10",
                 spacecraft: str = "Sentinel-2A", zipped: bool = True, level: str = "L2A") -> Path:
    """Write a Sentinel-2 product into the folder ``target``; return its ZIP or ``.SAFE`` folder.

    Args:
        target: an existing folder; the product is written in it under its product name.
        bands: reflectance per band (``"B2"`` or ``"B02"``, ``"B8A"``), each at its native
            resolution (10, 20 or 60 m) on the tile of ``transform10``; NaN is nodata.
        transform10: the tile's 10 m geotransform (north up, upper-left corner).
        crs: its UTM CRS.
        acquired: sensing start, ISO 8601 UTC (``"2023-08-23T09:55:59Z"``).
        scl: the scene classification at 20 m (uint8 classes 0-11), or None for none.
        baseline: processing baseline (``"05.10"``): from ``"04.00"`` on, DN carry +1000.
        spacecraft: ``"Sentinel-2A"``, ``"Sentinel-2B"``, … (the product name's ``S2A`` …).
        zipped: write the ZIP as downloaded (the folder is not kept) instead of the folder.
        level: ``"L2A"`` (bottom of atmosphere) or ``"L1C"`` (top of atmosphere, one
            ``IMG_DATA`` folder of native-resolution bands, no SCL).
    """
    if level not in ("L2A", "L1C"):
        raise ValueError(f"level must be 'L2A' or 'L1C', not {level!r}.")
    if not re.fullmatch(r"\d{2}\.\d{2}", baseline):
        raise ValueError(f"baseline must read like '05.10', not {baseline!r}.")
    crs = CRS.from_user_input(crs)
    data = {_canonical(k): np.asarray(v) for k, v in bands.items()}
    if not data:
        raise ValueError("write_s2_l2a needs at least one band.")
    rows10, cols10 = _sizes(data)
    for name, array in data.items():
        expected = _shape(rows10, cols10, S2_BANDS[name][1])
        if array.shape != expected:
            raise ValueError(f"{name} is {array.shape}; at {S2_BANDS[name][1]} m the tile is {expected}.")
    start, compact = _times(acquired)
    mission = f"S2{spacecraft.strip()[-1].upper()}"
    zone = (crs.to_epsg() or 32633) % 100
    tile = f"T{zone:02d}UUU"
    name = f"{mission}_MSI{level}_{compact}_N{baseline.replace('.', '')}_R122_{tile}_{compact}"
    granule = f"{level}_{tile}_A000001_{compact}"
    add_offset = _baseline_offset(baseline)
    target = Path(target)
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        safe = Path(tmp) / f"{name}.SAFE"
        img = safe / "GRANULE" / granule / "IMG_DATA"
        images = []
        layers = {k: _dn(v, add_offset) for k, v in data.items()}
        if scl is not None and level == "L2A":
            layers["SCL"] = np.asarray(scl, dtype=np.uint8)
            if layers["SCL"].shape != _shape(rows10, cols10, 20):
                raise ValueError(f"scl is {layers['SCL'].shape}; at 20 m the tile is "
                                 f"{_shape(rows10, cols10, 20)}.")
        for key, array in layers.items():
            resolution = 20 if key == "SCL" else S2_BANDS[key][1]
            stem = f"{tile}_{compact}_{_file_band(key)}"
            rel = (f"R{resolution}m/{stem}_{resolution}m" if level == "L2A" else stem)
            transform = transform10 * Affine.scale(resolution / 10)
            _write_jp2(img / f"{rel}.jp2", array, transform, crs)
            images.append(f"GRANULE/{granule}/IMG_DATA/{rel}")
        if level == "L2A":  # the 20 m layers GDAL lists beside the bands (zeros: not modelled)
            zeros = np.zeros(_shape(rows10, cols10, 20), np.uint16)
            transform20 = transform10 * Affine.scale(2)
            for rel in (f"IMG_DATA/R20m/{tile}_{compact}_AOT_20m", f"IMG_DATA/R20m/{tile}_{compact}_WVP_20m",
                        "QI_DATA/MSK_CLDPRB_20m", "QI_DATA/MSK_SNWPRB_20m"):
                _write_jp2(img.parent / f"{rel}.jp2", zeros, transform20, crs)
                if rel.startswith("IMG_DATA"):
                    images.append(f"GRANULE/{granule}/{rel}")
        _product_xml(safe / f"MTD_MSI{level}.xml", level=level, name=name, start=start,
                     baseline=baseline, spacecraft=spacecraft, granule=granule,
                     images=sorted(images), add_offset=add_offset)
        _tile_xml(safe / "GRANULE" / granule / "MTD_TL.xml", level=level, granule=granule,
                  start=start, crs=crs, transform10=transform10, rows10=rows10, cols10=cols10)
        if not zipped:
            return Path(shutil.move(str(safe), str(target / safe.name)))
        archive = target / f"{name}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
            for path in sorted(safe.rglob("*")):
                z.write(path, path.relative_to(tmp).as_posix())
        return archive
