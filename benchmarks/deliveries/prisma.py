"""A PRISMA L2D delivery (HDF-EOS5 ``.he5``, optionally zipped) written from a reflectance cube.

The layout follows the products ASI distributes, as public readers of real files read them
(prismaread ``pr_convert``/``pr_create_vnir``, EnMAP-Box ``ImportPrismaL2DAlgorithm``, ESA
sen2like ``prisma4sen2like``):

- the cubes are ``HDFEOS/SWATHS/PRS_L2D_HCO/Data Fields/VNIR_Cube`` and ``SWIR_Cube``, uint16,
  laid out rows × bands × columns, row 0 north and column 0 west;
- reflectance = ``L2Scale<Vnir|Swir>Min`` + DN × (Max − Min) / 65535; DN 0 is fill (the padding
  around the swath in the north-up UTM box);
- root attributes ``List_Cw_Vnir`` / ``List_Fwhm_Vnir`` / ``List_Cw_Vnir_Flags`` (and ``_Swir``)
  list the bands in decreasing wavelength, with unused slots at wavelength 0 and flag 0 (three
  VNIR slots first, two SWIR slots last here);
- the two spectrometers overlap (VNIR up to about 1000 nm, SWIR from about 920 nm);
- ``Epsg_Code`` and the ``Product_<UL|UR|LL|LR>corner_<easting|northing>`` attributes give the
  UTM grid, the corners being the centres of the corner pixels (30 m pixels);
- ``Product_StartTime`` / ``Product_StopTime`` (UTC, no zone suffix), ``Processing_Level`` ``"2D"``;
- ``VNIR_PIXEL_L2_ERR_MATRIX`` / ``SWIR_PIXEL_L2_ERR_MATRIX`` (uint8, the cubes' shape; 0 = no
  error), and ``Geolocation Fields/Latitude`` / ``Longitude``.

A cloud mask, when given, is written as ``Data Fields/Cloud_Mask`` (uint8: 0 clear, 1 cloud,
10 unclassified, 255 error — the coding of ASI's L1 ``Cloud_Mask``). ASI puts its cloud, land
cover and sun-glint masks in the L1 product only; this is the same layer carried in the L2D file,
which the reader uses when a file has it.
"""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional, Sequence

import h5py
import numpy as np
from affine import Affine

__all__ = ["write_prisma_l2d", "zip_delivery", "VNIR_MAX_NM", "SWIR_MIN_NM"]

#: The VNIR cube holds the bands below this wavelength, the SWIR cube those from SWIR_MIN_NM up.
VNIR_MAX_NM = 1000.0
SWIR_MIN_NM = 920.0
_DN_MAX = 65535
_UNUSED_VNIR, _UNUSED_SWIR = 3, 2
_TIME = "%Y-%m-%dT%H:%M:%S.%f"


def _scale_range(values: np.ndarray) -> tuple[float, float]:
    """The L2 scale's (min, max): 0–1 widened to the data's range."""
    finite = values[np.isfinite(values)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = max(1.0, float(finite.max())) if finite.size else 1.0
    return lo, hi


def _to_dn(cube: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Reflectance (C, H, W) to DN, laid out (H, C, W); NaN becomes the fill DN 0 and valid values
    stay ≥ 1 so that they never read as fill."""
    dn = np.rint((cube - lo) / (hi - lo) * _DN_MAX)
    dn = np.where(np.isfinite(cube), np.clip(dn, 1, _DN_MAX), 0).astype(np.uint16)
    return np.ascontiguousarray(dn.transpose(1, 0, 2))


def _spectrometer(f: h5py.File, fields: h5py.Group, name: str, cube: np.ndarray, wl: np.ndarray,
                  fw: np.ndarray, unused: int, unused_first: bool) -> None:
    """One spectrometer's cube, error matrix and attributes, bands in decreasing wavelength."""
    order = np.argsort(wl)[::-1]
    lo, hi = _scale_range(cube)
    dn = _to_dn(cube[order], lo, hi)
    rows, _, cols = dn.shape
    pad = np.zeros((rows, unused, cols), np.uint16)
    dn = np.concatenate([pad, dn] if unused_first else [dn, pad], axis=1)
    zeros = np.zeros(unused)
    wl_list = np.concatenate([zeros, wl[order]] if unused_first else [wl[order], zeros])
    fw_list = np.concatenate([zeros, fw[order]] if unused_first else [fw[order], zeros])
    fields.create_dataset(f"{name.upper()}_Cube", data=dn)
    fields.create_dataset(f"{name.upper()}_PIXEL_L2_ERR_MATRIX", data=np.zeros(dn.shape, np.uint8))
    label = name.capitalize()
    f.attrs[f"List_Cw_{label}"] = wl_list.astype(np.float32)
    f.attrs[f"List_Fwhm_{label}"] = fw_list.astype(np.float32)
    f.attrs[f"List_Cw_{label}_Flags"] = (wl_list > 0).astype(np.int8)
    f.attrs[f"L2Scale{label}Min"] = np.float32(lo)
    f.attrs[f"L2Scale{label}Max"] = np.float32(hi)


def _corners(f: h5py.File, transform: Affine, rows: int, cols: int) -> None:
    """The corner pixels' centres, as ASI's corner attributes give them."""
    for tag, (r, c) in {"UL": (0, 0), "UR": (0, cols - 1), "LL": (rows - 1, 0),
                        "LR": (rows - 1, cols - 1)}.items():
        x, y = transform * (c + 0.5, r + 0.5)
        f.attrs[f"Product_{tag}corner_easting"] = np.float64(x)
        f.attrs[f"Product_{tag}corner_northing"] = np.float64(y)


def _geolocation(swath: h5py.Group, transform: Affine, epsg: int, rows: int, cols: int) -> None:
    from pyproj import Transformer

    cc, rr = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    x, y = transform * (cc, rr)
    lon, lat = Transformer.from_crs(epsg, 4326, always_xy=True).transform(x, y)
    geo = swath.create_group("Geolocation Fields")
    geo.create_dataset("Latitude", data=np.asarray(lat, np.float32))
    geo.create_dataset("Longitude", data=np.asarray(lon, np.float32))


def write_prisma_l2d(target: Path, cube: np.ndarray, wavelengths: Sequence[float], fwhm: Sequence[float],
                     transform: Affine, epsg: int, acquired: datetime,
                     cloud: Optional[np.ndarray] = None, level: str = "2D") -> Path:
    """Write ``cube`` (C, H, W reflectance, NaN = no data) as a PRISMA L2D ``.he5``.

    Args:
        target: the ``.he5`` file to write, or a folder to write it into under ASI's file name
            (``PRS_L2D_STD_<start>_<stop>_0001.he5``).
        wavelengths, fwhm: per band, nm. Bands below :data:`VNIR_MAX_NM` go to the VNIR cube,
            bands from :data:`SWIR_MIN_NM` up to the SWIR cube (those between go to both).
        transform: the grid's affine transform (top-left edge, 30 m pixels); ``epsg`` its UTM CRS.
        acquired: acquisition start, UTC.
        cloud: (H, W) cloud mask (0 clear, 1 cloud) to carry as ``Cloud_Mask``, or None.
        level: ``Processing_Level`` (``"2D"``; ``"1"``, ``"2B"``, ``"2C"`` write the same file under
            that level's names, for refusals).

    Returns:
        The path written.
    """
    cube = np.asarray(cube, dtype=np.float32)
    wl = np.asarray(wavelengths, dtype=np.float64)
    fw = np.asarray(fwhm, dtype=np.float64)
    _, rows, cols = cube.shape
    stop = acquired + timedelta(seconds=4)
    target = Path(target)
    if target.suffix.lower() != ".he5":
        target.mkdir(parents=True, exist_ok=True)
        target = target / (f"PRS_L{level}_STD_{acquired:%Y%m%d%H%M%S}_{stop:%Y%m%d%H%M%S}_0001.he5")
    vnir, swir = wl < VNIR_MAX_NM, wl >= SWIR_MIN_NM
    with h5py.File(target, "w") as f:
        f.attrs["Processing_Level"] = level
        f.attrs["Product_StartTime"] = acquired.strftime(_TIME)
        f.attrs["Product_StopTime"] = stop.strftime(_TIME)
        f.attrs["Epsg_Code"] = np.int32(epsg)
        f.attrs["Projection_Name"] = "UTM"
        f.attrs["Projection_Id"] = str(epsg % 100)
        _corners(f, transform, rows, cols)
        swath = f.create_group(f"HDFEOS/SWATHS/PRS_L{level}_HCO")
        fields = swath.create_group("Data Fields")
        _spectrometer(f, fields, "vnir", cube[vnir], wl[vnir], fw[vnir], _UNUSED_VNIR, True)
        _spectrometer(f, fields, "swir", cube[swir], wl[swir], fw[swir], _UNUSED_SWIR, False)
        if cloud is not None:
            fields.create_dataset("Cloud_Mask", data=np.asarray(cloud, np.uint8))
        _geolocation(swath, transform, epsg, rows, cols)
    return target


def zip_delivery(he5: Path) -> Path:
    """The ``.he5`` zipped beside it the way ASI delivers it (``<name>.zip`` holding the file)."""
    he5 = Path(he5)
    archive = he5.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(he5, he5.name)
    return archive
