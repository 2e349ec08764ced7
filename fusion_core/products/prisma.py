"""PRISMA L2D products (ASI): the HDF-EOS5 ``.he5`` file, or the ZIP it is delivered in.

An L2D file holds surface reflectance on a north-up UTM grid of 30 m pixels in two cubes,
``HDFEOS/SWATHS/PRS_L2D_HCO/Data Fields/VNIR_Cube`` and ``SWIR_Cube``, uint16 laid out
rows × bands × columns (reflectance = ``L2Scale<Vnir|Swir>Min`` + DN × (Max − Min) / 65535, DN 0
fill), their bands listed in decreasing wavelength by the root attributes ``List_Cw_Vnir`` /
``List_Cw_Swir`` (``List_Fwhm_*``; unused slots have wavelength 0 and flag 0 in
``List_Cw_*_Flags``). ``Epsg_Code`` and ``Product_ULcorner_easting/northing`` (the centre of the
upper-left pixel) place the grid; ``Product_StartTime`` dates it; ``Processing_Level`` is
``"2D"``. (As read by prismaread, EnMAP-Box's PRISMA import and ESA's prisma4sen2like.)

GDAL's classic HDF5 driver reads such a cube as 1000 bands of bands × columns, so the cubes are
read once through GDAL's multidimensional API and written to a GeoTIFF in a cache folder
(:func:`cache_dir`; never beside the input), keyed by the file's path, size and modification
time, written atomically and reused by later runs: a full 1000 × 1000 scene of 230 bands takes
2–5 s (read cube slab by slab, one pass per cube). That GeoTIFF holds the kept bands in
increasing wavelength (unused bands dropped; in the 920–1010 nm overlap the SWIR bands are kept
and the VNIR bands above the first SWIR band dropped, as prismaread's default join does: the
silicon VNIR detector's response falls off there), their scaling, wavelengths and names, and the
product's mask layers when the file carries them. ASI puts its cloud, land cover and sun-glint
masks (``Cloud_Mask`` 1 = cloud, ``LandCover_Mask`` 0 = water and 1 = snow, ``SunGlint_Mask``
1 = glint; 10 unclassified, 255 error) in the L1 product; an L2D file that carries them in its
``Data Fields`` has them applied to the classes ``cloud``, ``water`` (water and glint) and
``snow``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from ..errors import InputError
from .archive import list_files, zip_part
from .base import BandSource, MaskLayer, ProductBands

__all__ = ["NAME", "claims", "read", "cache_dir"]

NAME = "prisma"

_FIELDS = "/HDFEOS/SWATHS/PRS_L{level}_HCO/Data Fields/"
_LEVEL = re.compile(r"PRS_L(1|2B|2C|2D)_", re.I)
_PIXEL_M = 30.0
_DN_MAX = 65535.0
#: Bumped when the cached GeoTIFF's content changes, so that older ones are not reused.
_FORMAT = "1"
_SPECTRAL_KEY, _LEVEL_KEY, _ACQUIRED_KEY = "PRISMA_SPECTRAL_BANDS", "PRISMA_LEVEL", "PRISMA_ACQUIRED"
#: The product's mask layers: dataset name → (class, excluded values, what they mean).
_MASKS = {"Cloud_Mask": (("cloud", (1,), "1 cloud"),),
          "LandCover_Mask": (("water", (0,), "0 water"), ("snow", (1,), "1 snow")),
          "SunGlint_Mask": (("water", (1,), "1 sun glint"),)}
_GTIFF = ["INTERLEAVE=BAND", "BIGTIFF=IF_SAFER"]
_TILE = 256  # tiled when both sides exceed it (a small scene in tiles would be mostly padding)


@dataclass(frozen=True)
class _He5:
    """Where the ``.he5`` is: ``gdal`` its GDAL name, ``stat`` the file whose size and time
    stand for it (the ZIP for a member), ``name`` its file name."""

    gdal: str
    stat: str
    name: str


#: GDAL's name of one HDF5 array: ``HDF5:"file.he5"://HDFEOS/SWATHS/…/VNIR_Cube``.
_SUBDATASET = re.compile(r'^HDF5:"?(?P<file>.+?\.he5)"?://', re.IGNORECASE)


def _he5_in(source: str) -> Optional[_He5]:
    subdataset = _SUBDATASET.match(source)
    if subdataset:  # one cube of the product picked in QGIS: the product is read whole
        source = subdataset.group("file")
    if source.lower().endswith(".he5"):
        stat = zip_part(source)[0] if source.startswith("/vsizip/") else source
        return _He5(source, stat, os.path.basename(source))
    files = list_files(source)
    found = files.find(".he5") if files is not None else []
    if files is None or len(found) != 1:
        return None
    stat = zip_part(files.base)[0] if files.base.startswith("/vsizip/") else files.gdal(found[0])
    return _He5(files.gdal(found[0]), stat, os.path.basename(found[0]))


def claims(source: str) -> bool:
    """A ``.he5`` file, or a ZIP or folder holding one."""
    return _he5_in(source) is not None


def cache_dir() -> Path:
    """Where converted PRISMA cubes are kept: ``$HSI_FUSION_CACHE/prisma``, else the platform's
    user cache folder (``~/.cache/hsi-fusion``, ``%LOCALAPPDATA%\\hsi-fusion\\cache``,
    ``~/Library/Caches/hsi-fusion``)."""
    env = os.environ.get("HSI_FUSION_CACHE")
    if env:
        base = Path(env)
    elif sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "hsi-fusion" / "cache"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "hsi-fusion"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hsi-fusion"
    return base / "prisma"


def _refuse_level(level: str, source: str, role: str) -> None:
    if level.upper() != "2D":
        raise InputError(
            f"The {role} {source} is a PRISMA L{level.upper()} product; HSI Fusion reads PRISMA L2D "
            "(surface reflectance on a UTM map grid; L1 is top-of-atmosphere radiance and L2B/L2C are "
            "in swath geometry). Order the L2D product of this acquisition from ASI's PRISMA portal "
            "(prisma.asi.it) and give its .he5 or the ZIP it comes in.")


def read(source: str, role: str, classes: frozenset[str]) -> Optional[ProductBands]:
    """The L2D's bands (from its cached GeoTIFF, converted on first use) and mask layers."""
    he5 = _he5_in(source)
    if he5 is None:
        raise InputError(f"The {role} {source} holds no single PRISMA .he5 file; give the .he5 "
                         "itself or the ZIP ASI delivered it in.")
    named = _LEVEL.search(he5.name)
    if named:
        _refuse_level(named.group(1), source, role)
    tif = _cached(he5, source, role)
    return _product(tif, classes)


def _cache_path(he5: _He5, role: str) -> Path:
    try:
        st = os.stat(he5.stat)
    except OSError as exc:
        raise InputError(f"The {role} {he5.gdal} cannot be read: {exc}.") from None
    key = f"{os.path.abspath(he5.stat)}|{he5.gdal}|{st.st_size}|{st.st_mtime_ns}|{_FORMAT}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return cache_dir() / f"{Path(he5.name).stem}-{digest}.tif"


def _cached(he5: _He5, source: str, role: str) -> str:
    """The GeoTIFF of ``he5`` in the cache, written (atomically) when not there yet."""
    target = _cache_path(he5, role)
    if target.is_file():
        return str(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"The PRISMA cache folder {target.parent} cannot be created ({exc}): set "
                         "HSI_FUSION_CACHE to a writable folder.") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tif", dir=target.parent)
    os.close(fd)
    try:
        with _opened(he5, target.parent, source, role) as root:
            _convert(root, tmp, source, role)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return str(target)


def _quiet(call, *args):
    """``call(*args)`` with GDAL's error messages kept off stderr (a missing layer is no error)."""
    from osgeo import gdal

    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        return call(*args)
    finally:
        gdal.PopErrorHandler()


@contextmanager
def _opened(he5: _He5, scratch: Path, source: str, role: str) -> Iterator:
    """The multidimensional root group of ``he5``; a ZIP member GDAL cannot open in place is
    extracted into the cache folder for the conversion and removed after it."""
    from osgeo import gdal

    extracted = None
    try:
        ds = _quiet(gdal.OpenEx, he5.gdal, gdal.OF_MULTIDIM_RASTER)
        if ds is None and he5.gdal.startswith("/vsizip/"):
            archive, member = zip_part(he5.gdal)
            fd, extracted = tempfile.mkstemp(suffix=".he5", dir=scratch)
            with os.fdopen(fd, "wb") as out, zipfile.ZipFile(archive) as z, z.open(member) as src:
                shutil.copyfileobj(src, out, 1 << 24)
            ds = _quiet(gdal.OpenEx, extracted, gdal.OF_MULTIDIM_RASTER)
        if ds is None:
            raise InputError(f"The {role} {source} cannot be opened as HDF5 ({gdal.GetLastErrorMsg()}); "
                             "give a PRISMA L2D .he5 as ASI delivered it, or the ZIP it came in.")
        yield ds.GetRootGroup()
    finally:
        if extracted and os.path.exists(extracted):
            os.remove(extracted)


def _attrs(root) -> dict:
    return {a.GetName(): a.Read() for a in (root.GetAttributes() or [])}


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass(frozen=True)
class _Band:
    cube: str
    slot: int  # 0-based position in its cube
    wavelength: float
    fwhm: float


def _bands(attrs: dict) -> list[_Band]:
    """The bands kept, in increasing wavelength: used slots only, the SWIR bands in the overlap."""
    found: dict[str, list[_Band]] = {}
    for cube in ("Vnir", "Swir"):
        cw = np.atleast_1d(np.asarray(attrs[f"List_Cw_{cube}"], dtype=float))
        fw = np.atleast_1d(np.asarray(attrs.get(f"List_Fwhm_{cube}", np.zeros_like(cw)), dtype=float))
        flags = np.atleast_1d(np.asarray(attrs.get(f"List_Cw_{cube}_Flags", np.ones_like(cw)), dtype=float))
        found[cube] = [_Band(cube.upper(), i, float(cw[i]), float(fw[i]) if i < fw.size else 0.0)
                       for i in range(cw.size) if cw[i] > 0 and (i >= flags.size or flags[i] != 0)]
    first_swir = min((b.wavelength for b in found["Swir"]), default=np.inf)
    kept = [b for b in found["Vnir"] if b.wavelength < first_swir] + found["Swir"]
    return sorted(kept, key=lambda b: b.wavelength)


def _acquired(attrs: dict) -> Optional[str]:
    text = _text(attrs.get("Product_StartTime", "")).strip()
    try:
        return datetime.fromisoformat(text[:19]).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def _convert(root, out: str, source: str, role: str) -> None:
    """Write the L2D's kept bands (uint16 DN, with their scale, offset, wavelength and name) and
    its mask layers to the GeoTIFF ``out``."""
    from osgeo import gdal, osr

    attrs = _attrs(root)
    if "Processing_Level" not in attrs or "List_Cw_Vnir" not in attrs or "List_Cw_Swir" not in attrs:
        raise InputError(
            f"The {role} {source} is an HDF5 file but not a PRISMA product (no Processing_Level or "
            "List_Cw_Vnir/List_Cw_Swir attributes). Give a PRISMA L2D .he5 as ASI delivered it, or "
            "export the image to a GeoTIFF with wavelengths and give that.")
    level = _text(attrs["Processing_Level"]).strip()
    _refuse_level(level, source, role)
    fields = _FIELDS.format(level=level.upper())
    cubes = {c: _quiet(root.OpenMDArrayFromFullname, fields + f"{c}_Cube") for c in ("VNIR", "SWIR")}
    if any(a is None for a in cubes.values()):
        raise InputError(f"The {role} {source} has no VNIR_Cube/SWIR_Cube under {fields}: it is not a "
                         "complete PRISMA L2D file. Download the product again.")
    rows, _, cols = (d.GetSize() for d in cubes["VNIR"].GetDimensions())
    bands = _bands(attrs)
    found = [(name, _quiet(root.OpenMDArrayFromFullname, fields + name)) for name in _MASKS]
    masks = [(n, a) for n, a in found if a is not None and [d.GetSize() for d in a.GetDimensions()] == [rows, cols]]

    tiles = ["TILED=YES", f"BLOCKXSIZE={_TILE}", f"BLOCKYSIZE={_TILE}"] if min(rows, cols) > _TILE else []
    ds = gdal.GetDriverByName("GTiff").Create(out, cols, rows, len(bands) + len(masks), gdal.GDT_UInt16,
                                              _GTIFF + tiles)
    if ds is None:
        raise InputError(f"The PRISMA cache file {out} cannot be written ({gdal.GetLastErrorMsg()}): free "
                         "space there or set HSI_FUSION_CACHE to another folder.")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(int(np.asarray(attrs["Epsg_Code"]).ravel()[0]))
    ds.SetProjection(srs.ExportToWkt())
    x0 = float(np.asarray(attrs["Product_ULcorner_easting"]).ravel()[0]) - _PIXEL_M / 2
    y0 = float(np.asarray(attrs["Product_ULcorner_northing"]).ravel()[0]) + _PIXEL_M / 2
    ds.SetGeoTransform((x0, _PIXEL_M, 0.0, y0, 0.0, -_PIXEL_M))
    ds.SetMetadata({_SPECTRAL_KEY: str(len(bands)), _LEVEL_KEY: f"L{level.upper()}",
                    _ACQUIRED_KEY: _acquired(attrs) or "",
                    **{f"PRISMA_MASK_{n}": str(len(bands) + i) for i, (n, _) in enumerate(masks, 1)}})
    for index, b in enumerate(bands, 1):
        label = b.cube.capitalize()
        lo = float(np.asarray(attrs[f"L2Scale{label}Min"]).ravel()[0])
        hi = float(np.asarray(attrs[f"L2Scale{label}Max"]).ravel()[0])
        band = ds.GetRasterBand(index)
        band.SetDescription(f"{b.cube} {b.slot + 1}")
        band.SetScale((hi - lo) / _DN_MAX)
        band.SetOffset(lo)
        band.SetMetadata({"wavelength": f"{b.wavelength:.4f}", "fwhm": f"{b.fwhm:.4f}",
                          "wavelength_units": "Nanometers"})
    for cube, array in cubes.items():  # one pass over each cube, slab by slab
        targets = [(index, b.slot) for index, b in enumerate(bands, 1) if b.cube == cube]
        depth = array.GetDimensions()[1].GetSize()
        for r0 in range(0, rows, _TILE):
            n = min(_TILE, rows - r0)
            slab = array.ReadAsArray(array_start_idx=[r0, 0, 0], count=[n, depth, cols])
            if slab is None:
                raise InputError(f"The {role} {source}'s {cube}_Cube cannot be read ({gdal.GetLastErrorMsg()}): "
                                 "the file may be truncated; download the product again.")
            for index, slot in targets:
                ds.GetRasterBand(index).WriteArray(slab[:, slot, :], 0, r0)
    for i, (name, array) in enumerate(masks, 1):
        ds.GetRasterBand(len(bands) + i).SetDescription(name)
        ds.GetRasterBand(len(bands) + i).WriteArray(array.ReadAsArray().astype(np.uint16))
    ds.FlushCache()
    ds = None


def _product(tif: str, classes: frozenset[str]) -> ProductBands:
    """The cached GeoTIFF as a product: its spectral bands and the mask layers ``classes`` ask for."""
    import rasterio

    with rasterio.open(tif) as ds:
        tags = ds.tags()
        count = int(tags[_SPECTRAL_KEY])
        bands = []
        for i in range(1, count + 1):
            meta = ds.tags(i)
            bands.append(BandSource(tif, i, ds.descriptions[i - 1] or f"band {i}", float(meta["wavelength"]),
                                    float(meta["fwhm"]) or None, ds.scales[i - 1], ds.offsets[i - 1], 0.0))
    masks = []
    for name, uses in _MASKS.items():
        if f"PRISMA_MASK_{name}" in tags:
            index = int(tags[f"PRISMA_MASK_{name}"])
            masks += [MaskLayer(tif, index, values, f"{name} ({meaning})")
                      for cls, values, meaning in uses if cls in classes]
    notes: tuple[str, ...] = ()
    if "cloud" in classes and "PRISMA_MASK_Cloud_Mask" not in tags:
        notes = ("the L2D file carries no cloud mask (ASI delivers it with the L1 product): give one "
                 "as LR_MASK to leave clouds out",)
    level = tags.get(_LEVEL_KEY, "L2D")
    return ProductBands(f"PRISMA {level}", tuple(bands), tif, tuple(masks), tags.get(_ACQUIRED_KEY) or None,
                        None, level, notes + (f"read from its copy {tif} (converted on first use)",))
