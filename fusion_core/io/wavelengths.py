"""Band centre wavelengths (nm) and FWHM: from GDAL metadata, from a product's own files, or
from the user.

GDAL exposes wavelengths in three places: band-level ``wavelength`` / ``wavelength_units``
(QGIS, EnMAP-Box), the dataset-level ENVI domain (``wavelength = {…}``) and, since GDAL 3.10,
the band-level IMAGERY domain (``CENTRAL_WAVELENGTH_UM`` / ``FWHM_UM``). PRISMA's HDF5 cubes carry
``List_Cw_Vnir`` / ``List_Cw_Swir`` as dataset metadata. Units may be nanometres or micrometres;
without a unit, values below 30 are taken as micrometres, as ENVI readers do.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["Spectral", "parse_wavelengths", "wavelengths_from_gdal", "make_spectral",
           "envi_header_wavelengths"]

_NM_PER_UNIT = {
    "nanometers": 1.0, "nanometer": 1.0, "nanometres": 1.0, "nanometre": 1.0, "nm": 1.0,
    "micrometers": 1e3, "micrometer": 1e3, "micrometres": 1e3, "micrometre": 1e3,
    "microns": 1e3, "micron": 1e3, "um": 1e3, "\u00b5m": 1e3, "\u03bcm": 1e3, "mu": 1e3,
    "millimeters": 1e6, "millimeter": 1e6, "mm": 1e6,
}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# Below this value with no unit, wavelengths are micrometres (no sensor measures below 30 nm).
_MICROMETRE_BELOW = 30.0


@dataclass(frozen=True)
class Spectral:
    """Wavelengths and FWHM in nm (None when unknown) and where they came from, for the log."""

    wavelengths: Optional[np.ndarray]
    fwhm: Optional[np.ndarray]
    source: str

    @property
    def known(self) -> bool:
        return self.wavelengths is not None


NONE = Spectral(None, None, "none found")


def _numbers(text: str) -> list[float]:
    """Every number in ``text``, in order."""
    return [float(v) for v in re.findall(_NUMBER, text)]


def to_nm(values: Sequence[float], unit: Optional[str], reference: Optional[Sequence[float]] = None
          ) -> np.ndarray:
    """``values`` in nm: ``unit`` when known, else micrometres if ``reference`` (the wavelengths
    the values belong with; ``values`` themselves by default) are all below 30."""
    factor = _NM_PER_UNIT.get((unit or "").strip().lower())
    if factor is None:
        ref = values if reference is None else reference
        factor = 1e3 if max(ref) < _MICROMETRE_BELOW else 1.0
    return np.asarray(values, dtype=np.float64) * factor


def _floats(texts) -> Optional[list[float]]:
    """The numbers in ``texts``; None when one is missing or not a number."""
    try:
        return [float(t) for t in texts]
    except (TypeError, ValueError):
        return None


def make_spectral(wl: Optional[Sequence[float]], fw: Optional[Sequence[float]],
                  unit: Optional[str], count: int, source: str) -> Optional[Spectral]:
    """A :class:`Spectral` (nm) when ``wl`` holds ``count`` positive values in ``unit``, else None.

    FWHM is kept when it has ``count`` values and takes the wavelengths' unit.
    """
    if not wl or len(wl) != count:
        return None
    nm = to_nm(wl, unit)
    if not np.all(np.isfinite(nm) & (nm > 0)):
        return None
    fw_nm = to_nm(fw, unit, reference=wl) if fw is not None and len(fw) == count else None
    return Spectral(nm, fw_nm, source)


def _pick(values: list[float], indexes: Sequence[int], total: int) -> list[float]:
    """Values of the data bands from a list that covers every band (alpha included) or only them."""
    if len(values) == total and len(indexes) != total:
        return [values[i - 1] for i in indexes]
    return values


def wavelengths_from_gdal(ds, indexes: Sequence[int]) -> Spectral:
    """Wavelengths of the bands ``indexes`` (1-based) of an open rasterio dataset.

    Looks, in turn, at the ENVI domain, band-level ``wavelength`` items, the IMAGERY domain
    (GDAL ≥ 3.10) and PRISMA's ``List_Cw_Vnir`` / ``List_Cw_Swir``; :data:`NONE` when none fits.
    """
    count = len(indexes)
    envi = ds.tags(ns="ENVI")
    found = None
    if "wavelength" in envi:
        fw = _pick(_numbers(envi["fwhm"]), indexes, ds.count) if "fwhm" in envi else None
        found = make_spectral(_pick(_numbers(envi["wavelength"]), indexes, ds.count), fw,
                          envi.get("wavelength_units"), count, "ENVI metadata domain")
    if found is None:
        tags = [ds.tags(i) for i in indexes]
        found = make_spectral(_floats(t.get("wavelength") for t in tags),
                          _floats(t.get("fwhm") for t in tags),
                          tags[0].get("wavelength_units") if tags else None, count,
                          "band metadata 'wavelength'")
    if found is None:
        imagery = [ds.tags(i, ns="IMAGERY") for i in indexes]
        found = make_spectral(_floats(t.get("CENTRAL_WAVELENGTH_UM") for t in imagery),
                          _floats(t.get("FWHM_UM") for t in imagery), "um", count,
                          "IMAGERY metadata domain (CENTRAL_WAVELENGTH_UM)")
    return found or _prisma_lists(ds.tags(), count) or NONE


def _prisma_lists(tags: Mapping[str, str], count: int) -> Optional[Spectral]:
    """PRISMA's ``List_Cw_Vnir`` / ``List_Cw_Swir`` (nm), in the cube's band order.

    PRISMA marks unused bands with a centre of 0; a raster may keep them or not, so the lists fit
    when ``count`` equals all their entries (none zero) or their non-zero entries.
    """
    lists = {}
    for key, text in tags.items():
        m = re.search(r"list_(cw|fwhm)_(vnir|swir)$", key, re.I)
        if m:
            lists[(m.group(1).lower(), m.group(2).lower())] = _numbers(text)
    parts = [p for p in ("vnir", "swir") if ("cw", p) in lists]
    for chosen in ([parts, ["vnir"], ["swir"]] if len(parts) == 2 else [parts]):
        cw = [v for p in chosen for v in lists[("cw", p)]]
        fw = [v for p in chosen for v in lists.get(("fwhm", p), [])]
        if len(cw) != count:  # the raster left out the unused bands
            fw = [f for f, c in zip(fw, cw) if c != 0] if len(fw) == len(cw) else []
            cw = [c for c in cw if c != 0]
        source = "PRISMA metadata List_Cw_" + "/".join(p.capitalize() for p in chosen)
        found = make_spectral(cw, fw if len(fw) == len(cw) else None, "nm", count, source)
        if found:
            return found
    return None


def _envi_items(text: str) -> dict[str, str]:
    """An ENVI header's ``key = value`` items (keys lower-case; ``{…}`` values span lines)."""
    items = {}
    for m in re.finditer(r"^\s*([A-Za-z][\w .()-]*?)\s*=\s*(\{[^}]*\}|[^\n]*)", text, re.M):
        items[m.group(1).strip().lower()] = m.group(2).strip()
    return items


def envi_header_wavelengths(text: str) -> tuple[list[float], Optional[list[float]], Optional[str]]:
    """Wavelengths, FWHM (or None) and their unit (or None) in an ENVI header's text."""
    items = _envi_items(text)
    wl = _numbers(items.get("wavelength", ""))
    fw = _numbers(items["fwhm"]) if "fwhm" in items else None
    return wl, fw, items.get("wavelength units")


def _header_unit(name: str) -> Optional[str]:
    low = name.lower()
    if re.search(r"\b(um|\u00b5m|\u03bcm|micro\w*)\b", low.replace("_", " ")):
        return "um"
    if re.search(r"\bnm\b|nanomet", low.replace("_", " ")):
        return "nm"
    return None


def _cells(line: str) -> list[str]:
    """The cells of a table row: split on the first of ``,`` ``;`` tab found, else on blanks."""
    sep = next((s for s in (",", ";", "\t") if s in line), None)
    return [c.strip().strip("'\"") for c in (line.split(sep) if sep else line.split()) if c.strip()]


def _from_table(path: Path, text: str) -> tuple[list[float], Optional[list[float]], Optional[str]]:
    """Wavelengths from a CSV/text table: a column named ``wavelength…``, or bare numbers."""
    rows = [_cells(ln) for ln in text.splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]
    if not rows:
        raise InputError(f"The wavelength file {path} is empty: give one wavelength per band.")
    first = rows[0]
    if any(not re.fullmatch(_NUMBER, c) for c in first):  # a header row
        names = [c.lower() for c in first]
        col = next((i for i, n in enumerate(names) if "wavelength" in n), None)
        if col is None:
            raise InputError(
                f"The wavelength file {path} has columns {', '.join(first)} but none named "
                "'wavelength': name the column of band centres 'wavelength' (nm or µm).")
        fcol = next((i for i, n in enumerate(names) if "fwhm" in n), None)
        try:
            wl = [float(r[col]) for r in rows[1:]]
            fw = [float(r[fcol]) for r in rows[1:]] if fcol is not None else None
        except (ValueError, IndexError):
            raise InputError(f"The wavelength file {path} has a row without a number in column "
                             f"'{first[col]}': give one number per band in that column.") from None
        return wl, fw, _header_unit(first[col])
    if len(rows) > 1 and any(len(r) > 1 for r in rows):
        raise InputError(
            f"The wavelength file {path} has several columns and no header: add a header row "
            "naming the column of band centres 'wavelength', or keep one value per line.")
    return _numbers_only([c for r in rows for c in r], f"the wavelength file {path}"), None, None


def _numbers_only(tokens: Sequence[str], where: str) -> list[float]:
    bad = [t for t in tokens if not re.fullmatch(_NUMBER, t)]
    if bad:
        raise InputError(f"{where[0].upper()}{where[1:]} has '{bad[0]}', which is not a number: "
                         "give band centres as numbers in nm or µm, e.g. '443, 490.5, 560'.")
    return [float(t) for t in tokens]


def _from_file(path: Path) -> tuple[list[float], Optional[list[float]], Optional[str]]:
    """Wavelengths, FWHM and unit in a user's file: an ENVI header or a CSV/text table."""
    if not path.is_file():
        raise InputError(f"The wavelength file {path} does not exist: give its full path, or the "
                         "values themselves, e.g. '443, 490.5, 560'.")
    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"Cannot read the wavelength file {path}: {exc}.") from None
    if path.suffix.lower() != ".hdr":
        return _from_table(path, content)
    found = envi_header_wavelengths(content)
    if not found[0]:
        raise InputError(f"The ENVI header {path} has no 'wavelength = {{…}}' item: give the "
                         "wavelengths as a list or a CSV file instead.")
    return found


def parse_wavelengths(value: str, count: int, role: str = "LR-HSI",
                      name: str = "WAVELENGTHS") -> Spectral:
    """Wavelengths the user gives: a list ("443, 490.5, …"), or a CSV/text file or ENVI header.

    Values are nm or µm (µm when all are below 30, or when a header or unit says so). A file has
    one value per band, a column named ``wavelength`` (and optionally ``fwhm``), or is an ENVI
    ``.hdr`` with ``wavelength = {…}``.

    Args:
        value: the list or the path.
        count: the number of bands of the raster the wavelengths belong to.
        role: how that raster is named in messages.
        name: how the caller names the setting (QGIS key, CLI flag, Python argument).

    Raises:
        InputError: unreadable file, a value that is not a number, or not ``count`` values.
    """
    text = value.strip()
    if not text:
        raise InputError(f"{name} is empty: give one band centre per band, e.g. "
                         "'443, 490.5, 560', or a CSV file with a 'wavelength' column.")
    if os.path.exists(text) or re.search(r"\.(csv|txt|hdr|tsv)$", text, re.I):
        wl, fw, unit = _from_file(Path(text))
        source = f"{name} file {Path(text).name}"
    else:
        wl = _numbers_only([t for t in re.split(r"[,;\s]+", text) if t], name)
        fw, unit, source = None, None, f"{name} setting"
    if len(wl) != count:
        raise InputError(
            f"{name} gives {len(wl)} values but the {role} has {count} bands: give exactly "
            "one band centre per band, in band order.")
    found = make_spectral(wl, fw, unit, count, source)
    if found is None:
        raise InputError(f"{name} has a value that is not a positive wavelength "
                         f"({min(wl):g}): give band centres in nm or µm.")
    return found
