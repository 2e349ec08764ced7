"""Delivered products in, as users download them: one reader per product family.

:func:`open_input` turns what a user gives as LR_HSI or HR_MSI — an EnMAP L2A delivery ZIP, its
folder or METADATA.XML, a Sentinel-2 L2A SAFE (ZIP, folder, ``MTD_MSIL2A.xml`` or GDAL
``SENTINEL2_L2A:`` subdataset), a PRISMA ``.he5``, a DESIS product, or any raster GDAL opens —
into a :class:`~.base.Delivery`: the GDAL dataset the engine reads, with the product's physical
values, wavelengths and quality masks, and its acquisition date.

A reader is a module with ``NAME`` (str), ``claims(source) -> bool`` (cheap: a name or a file
listing, no pixels) and ``read(source, role, classes) -> ProductBands`` (None: a plain raster,
read as it is); :func:`readers` lists them, most specific first. A new product is one new module added there.
"""

from __future__ import annotations

import os
from dataclasses import replace
from functools import lru_cache
from types import ModuleType
from typing import Optional

from ..errors import InputError
from ..io.names import is_vrt_text
from .base import DEFAULT_MASK_CLASSES, MASK_CLASSES, BandSource, Delivery, MaskLayer, ProductBands

__all__ = ["open_input", "parse_mask_classes", "Delivery", "ProductBands", "BandSource",
           "MaskLayer", "MASK_CLASSES", "DEFAULT_MASK_CLASSES", "readers"]


def readers() -> list[ModuleType]:
    """The product readers, most specific first (the generic GDAL reader last)."""
    from . import desis, enmap, generic, prisma, sentinel2

    return [enmap, sentinel2, prisma, desis, generic]


def parse_mask_classes(text: str, name: str = "quality_mask") -> frozenset[str]:
    """The quality classes named in ``text`` (comma separated; ``none`` for no product mask)."""
    words = [w.strip().lower() for w in (text or "").split(",") if w.strip()]
    if words == ["none"]:
        return frozenset()
    unknown = [w for w in words if w not in MASK_CLASSES]
    if unknown:
        raise InputError(f"{name}: unknown quality class {', '.join(unknown)}; choose among "
                         f"{', '.join(MASK_CLASSES)}, or 'none' to use no product mask.")
    return frozenset(words)


def open_input(source: str, role: str, classes: frozenset[str] = frozenset(DEFAULT_MASK_CLASSES),
               mask: Optional[str] = None, mask_name: str = "mask") -> Delivery:
    """The dataset the engine reads for ``source`` (see the module docstring).

    Args:
        source: what the user gave.
        role: ``"LR-HSI"`` or ``"HR-MSI"``, for messages.
        classes: the quality classes whose pixels are left out (see :data:`MASK_CLASSES`).
        mask: a raster of the user's own whose non-zero pixels are left out, on the image's
            grid or coarser by a whole factor (``mask_name`` names its setting in messages).

    Raises:
        InputError: a product that cannot be used (wrong level, missing bands or files), named
            with what to do.
    """
    source = str(source)
    if is_vrt_text(source):  # already opened (a request passed on by the engine itself)
        return Delivery(source, source)
    return _opened(source, role, classes, mask or None, mask_name, _stamp(source), _stamp(mask))


def _stamp(path: Optional[str]) -> Optional[tuple[int, int]]:
    """Size and modification time of a file or folder (None for a GDAL name or nothing)."""
    try:
        st = os.stat(path) if path else None
    except OSError:
        return None
    return None if st is None else (st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=32)
def _opened(source: str, role: str, classes: frozenset[str], mask: Optional[str], mask_name: str,
            *stamps: Optional[tuple[int, int]]) -> Delivery:
    """:func:`open_input`, once per input and version of its files: a run resolves each input
    in its checks, its plan and its report (opening a SAFE's subdatasets, an EnMAP ZIP's
    metadata), and a changed file is read again."""
    from .vrt import build_vrt

    for reader in readers():
        if not reader.claims(source):
            continue
        found = reader.read(source, role, classes)
        if found is None:  # a plain raster, read as it is
            break
        if mask:
            found = replace(found, masks=found.masks + (_user_mask(mask, mask_name),))
        return Delivery(source, build_vrt(found, source, role), found.product, found.acquired,
                        found.sensor, tuple(m.name for m in found.masks), found.notes)
    if not mask:
        return Delivery(source, source)
    from . import generic

    found = generic.as_bands(source, role)
    found = replace(found, masks=found.masks + (_user_mask(mask, mask_name),))
    return Delivery(source, build_vrt(found, source, role), "raster", None, None,
                    tuple(m.name for m in found.masks))


def _user_mask(path: str, name: str) -> MaskLayer:
    return MaskLayer(str(path), 1, (), f"{name} (non-zero)")
