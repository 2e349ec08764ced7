"""When an image was acquired, from its GDAL metadata, and whether two dates are too far apart.

Product readers give a delivery's acquisition time (:attr:`fusion_core.products.Delivery.acquired`);
a plain raster may carry one in its metadata, which :func:`acquisition_time` reads: the
``ACQUISITION_DATETIME`` item (GDAL's IMD convention, and the product VRTs of this engine), other
common items, ENVI's ``acquisition time``, and last TIFF's ``DATETIME`` (often when the file was
made rather than the scene seen, so only when nothing better is there).

Fusion assumes that both images show the same scene. :data:`DATE_GAP_DAYS` is how far apart their
dates may be before the log and the report warn: within a few days what differs (sun angle,
atmosphere, soil moisture after rain) is mostly uniform over a scene and absorbed by the
estimated gains; beyond a week crops grow (leaf area can double in two weeks of spring),
fields are mown or harvested, water levels and snow change, which are local changes the fusion
cannot tell from detail. A week is also more than Sentinel-2's revisit (5 days, 2-3 with both
satellites), so a closer HR-MSI scene usually exists.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

__all__ = ["DATE_GAP_DAYS", "acquisition_time", "acquisition_time_of", "iso_utc", "days_apart",
           "date_gap_warning"]

#: Days between the two acquisitions above which the log and the report warn (module docstring).
DATE_GAP_DAYS = 7.0

#: Metadata items holding an acquisition time, most specific first: (domain, key).
_ITEMS = (("", "ACQUISITION_DATETIME"), ("", "ACQUISITION_DATE"), ("", "ACQUISITION_START_TIME"),
          ("", "DATETIME_ACQUIRED"), ("IMD", "FIRSTLINETIME"), ("ENVI", "acquisition_time"),
          ("", "TIFFTAG_DATETIME"))


def iso_utc(text: str) -> Optional[str]:
    """``text`` (ISO 8601 with or without zone, ``YYYY:MM:DD HH:MM:SS`` as TIFF writes it, or a
    bare date) as ISO 8601 in UTC (``2022-07-24T10:31:05Z``); None when it is no date."""
    value = text.strip().strip('"{}').strip()
    if len(value) >= 10 and value[4] == ":" and value[7] == ":":  # TIFF: 2022:07:24 10:31:05
        value = value[:4] + "-" + value[5:7] + "-" + value[8:]
    value = value.replace("Z", "+00:00").replace(" ", "T", 1)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def acquisition_time(dataset: str) -> Optional[str]:
    """The acquisition time in ``dataset``'s GDAL metadata (ISO 8601, UTC), when it has one."""
    import rasterio

    from .reading import GDAL_ERRORS

    try:
        with rasterio.open(dataset) as ds:
            return acquisition_time_of(ds)
    except GDAL_ERRORS:
        return None


def acquisition_time_of(ds) -> Optional[str]:
    """The acquisition time in the metadata of the open rasterio dataset ``ds`` (ISO 8601, UTC),
    when it has one."""
    tags = {domain: ds.tags(ns=domain or None) for domain in {d for d, _ in _ITEMS}}
    for domain, key in _ITEMS:
        value = tags[domain].get(key)
        found = iso_utc(value) if value else None
        if found:
            return found
    return None


def days_apart(first: Optional[str], second: Optional[str]) -> Optional[float]:
    """Days between two ISO 8601 times (None when either is unknown)."""
    if not first or not second:
        return None
    a, b = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (first, second))
    return abs((b - a).total_seconds()) / 86400.0


def date_gap_warning(lr: Optional[str], hr: Optional[str]) -> Optional[str]:
    """The warning for a pair acquired more than :data:`DATE_GAP_DAYS` apart, else None."""
    gap = days_apart(lr, hr)
    if gap is None or gap <= DATE_GAP_DAYS:
        return None
    return (f"The LR-HSI ({lr}) and the HR-MSI ({hr}) were acquired {gap:.0f} days apart, more "
            f"than {DATE_GAP_DAYS:.0f}: vegetation, crops, water and snow may have changed "
            "between them, and the result takes such changes from the HR-MSI. Prefer an "
            "HR-MSI closer in date; the report's disagreement map shows where they differ.")
