"""What a fused image was made from, written into it and into its report.

:func:`input_facts` says what each input was (as given, the product it is, when it was acquired)
and how far apart the two dates are; the report shows it (its JSON's ``inputs``) and
:func:`provenance_tags` writes it, with the method, its settings, the version and the processing
time, as dataset metadata of the output GeoTIFF (``gdalinfo`` lists it; rasterio's
``dataset.tags()`` reads it), so a fused file says how it was made wherever it is copied.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Optional

from ..io.dates import DATE_GAP_DAYS, days_apart
from ..request import FusionRequest, request_fields

if TYPE_CHECKING:
    from ..products import Delivery
    from .plan import Inputs, RunPlan

__all__ = ["input_facts", "run_settings", "provenance_tags", "TAG_PREFIX"]

#: Prefix of the output's provenance metadata items.
TAG_PREFIX = "HSI_FUSION_"
#: Request fields that are no setting of the result: the inputs and outputs themselves.
_NOT_SETTINGS = ("raster_in", "raster_out", "file_out")


def _delivery_facts(delivery: "Delivery") -> dict[str, Any]:
    return {"given": delivery.source, "product": delivery.product, "acquired": delivery.acquired,
            "masks": list(delivery.masks)}


def input_facts(inputs: "Inputs") -> dict[str, Any]:
    """Each input as given, its product kind, acquisition time (ISO 8601 UTC or None) and
    masks, and the days between the two acquisitions (None when a date is unknown)."""
    return {"lr_hsi": _delivery_facts(inputs.lr), "hr_msi": _delivery_facts(inputs.hr),
            "days_apart": days_apart(inputs.lr.acquired, inputs.hr.acquired),
            "days_apart_limit": DATE_GAP_DAYS}


def run_settings(request: FusionRequest) -> dict[str, Any]:
    """Every setting of ``request`` that decides the result, by QGIS key (no input or output
    path; a given degradation model's path is kept)."""
    settings: dict[str, Any] = {}
    for name, spec in request_fields():
        if spec.kind in _NOT_SETTINGS:
            continue
        value = getattr(request, name)
        settings[spec.key] = dict(value) if name == "options" else value
    return settings


def provenance_tags(plan: "RunPlan", processed: Optional[datetime] = None) -> dict[str, str]:
    """The output's provenance metadata items (:data:`TAG_PREFIX` + name): each input as given,
    its product kind and acquisition time, the method and its settings (JSON), the version and
    the processing time (UTC, ``processed`` or now); and TIFF's software tag."""
    from .. import __version__

    facts = input_facts(plan.inputs)
    when = (processed or datetime.now(timezone.utc)).astimezone(timezone.utc)
    tags = {"METHOD": plan.method.name,
            "SETTINGS": json.dumps(run_settings(plan.request), default=list, sort_keys=True),
            "VERSION": __version__, "PROCESSED": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    for role, key in (("LR_HSI", "lr_hsi"), ("HR_MSI", "hr_msi")):
        tags[role] = facts[key]["given"]
        tags[f"{role}_PRODUCT"] = facts[key]["product"]
        tags[f"{role}_ACQUIRED"] = facts[key]["acquired"] or "unknown"
    if facts["days_apart"] is not None:
        tags["DAYS_APART"] = f"{facts['days_apart']:.2f}"
    return {"TIFFTAG_SOFTWARE": f"HSI Fusion {__version__}",
            **{TAG_PREFIX + k: v for k, v in tags.items()}}
