"""Which stored pixels are invalid, the GDAL way.

A pixel of a band is invalid when GDAL says so — its nodata value (per band or per dataset), a
mask band (``GDAL_TIFF_INTERNAL_MASK``, a ``.msk`` file, a per-band mask), an alpha band equal to
0 — or when it is NaN or infinite. GDAL picks only one of these for a band's mask (a mask band
hides the nodata value, a nodata value hides the alpha band), so each is checked. An alpha band
is not a data band: readers leave it out of the bands they return.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np
from rasterio.enums import ColorInterp, MaskFlags
from rasterio.windows import Window

__all__ = ["data_band_indexes", "alpha_index", "mask_kinds", "invalid_pixels", "empty_band_positions",
           "valid_everywhere"]


def alpha_index(ds) -> Optional[int]:
    """The 1-based index of the dataset's alpha band, or None."""
    return next((i for i, ci in zip(ds.indexes, ds.colorinterp) if ci == ColorInterp.alpha), None)


def data_band_indexes(ds) -> list[int]:
    """1-based indexes of the bands that hold data (all but an alpha band)."""
    alpha = alpha_index(ds)
    return [i for i in ds.indexes if i != alpha]


def _has_mask_band(flags: Sequence[MaskFlags]) -> bool:
    """True when GDAL's mask for a band is a real mask band (not nodata, alpha or all-valid)."""
    return not any(f in flags for f in (MaskFlags.all_valid, MaskFlags.nodata, MaskFlags.alpha))


def mask_kinds(ds, indexes: Sequence[int]) -> list[str]:
    """For each band, the validity information GDAL holds besides a nodata value ("" if none)."""
    alpha = alpha_index(ds)
    per_dataset = ("mask file .msk" if isinstance(ds.name, str) and os.path.exists(ds.name + ".msk")
                   else "internal mask")
    kinds, all_flags = [], ds.mask_flag_enums
    for i in indexes:
        flags = all_flags[i - 1]
        if _has_mask_band(flags):
            kinds.append(per_dataset if MaskFlags.per_dataset in flags else "per-band mask")
        elif alpha is not None:
            kinds.append(f"alpha band {alpha}")
        else:
            kinds.append("")
    return kinds


def _equal(raw: np.ndarray, value: float) -> np.ndarray:
    """Where ``raw`` holds ``value`` as its own data type stores it (never, if it cannot)."""
    if np.isnan(value):
        return np.isnan(raw) if raw.dtype.kind == "f" else np.zeros(raw.shape, bool)
    stored = np.asarray(value).astype(raw.dtype)
    if raw.dtype.kind in "iub" and float(stored) != value:
        return np.zeros(raw.shape, bool)  # e.g. nodata -9999 on a uint16 band
    return raw == stored


def invalid_pixels(ds, indexes: Sequence[int], raw: np.ndarray, window: Optional[Window] = None,
                   out_shape: Optional[tuple[int, int]] = None) -> np.ndarray:
    """Boolean ``(C, H, W)``: True where a pixel of ``raw`` (bands ``indexes``, read with
    ``window`` and ``out_shape``) is invalid. Masks are read the same way, so a decimated read
    gets the masks of the pixels it keeps."""
    bad = ~np.isfinite(raw) if raw.dtype.kind == "f" else np.zeros(raw.shape, bool)
    shape = out_shape or raw.shape[1:]
    nodatavals, all_flags = ds.nodatavals, ds.mask_flag_enums
    for k, i in enumerate(indexes):
        nodata = nodatavals[i - 1]
        if nodata is not None:
            bad[k] |= _equal(raw[k], nodata)
    alpha = alpha_index(ds)
    if alpha is not None:
        bad |= (ds.read(alpha, window=window, out_shape=shape) == 0)[None]
    dataset_mask = None
    for k, i in enumerate(indexes):
        flags = all_flags[i - 1]
        if not _has_mask_band(flags):
            continue
        if MaskFlags.per_dataset not in flags:
            bad[k] |= ds.read_masks(i, window=window, out_shape=shape) == 0
            continue
        if dataset_mask is None:
            dataset_mask = ds.read_masks(i, window=window, out_shape=shape) == 0
        bad[k] |= dataset_mask
    return bad


def empty_band_positions(data: np.ndarray) -> list[int]:
    """0-based positions of the bands of a ``(C, H, W)`` array that are NaN everywhere."""
    return [int(k) for k in np.flatnonzero(np.isnan(data).all(axis=(1, 2)))]


def valid_everywhere(data: np.ndarray, skip: Sequence[int] = ()) -> np.ndarray:
    """Boolean ``(H, W)``: pixels valid in every band of ``data`` except the positions ``skip``.

    A pixel invalid in some bands only (e.g. a band that is nodata throughout) is not valid
    everywhere; leave such bands out with ``skip`` to keep their pixels.
    """
    keep = np.setdiff1d(np.arange(data.shape[0]), np.asarray(skip, dtype=int))
    return np.isfinite(data[keep]).all(axis=0)
