"""How a GDAL dataset name reads in messages: a product's VRT (given as XML text) by the label
it carries, any other name as itself."""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["LABEL_KEY", "is_vrt_text", "vrt_label"]

#: Dataset metadata item naming what a VRT was built from (shown in messages instead of XML).
LABEL_KEY = "HSI_FUSION_SOURCE"


def is_vrt_text(name: str) -> bool:
    """True when ``name`` is a VRT given as XML text rather than a path."""
    return name.lstrip().startswith("<VRTDataset")


def vrt_label(name: str) -> str:
    """What a dataset name should read as in messages: a VRT's source, or the name itself."""
    if not is_vrt_text(name):
        return name
    try:
        root = ET.fromstring(name)
    except ET.ParseError:
        return "a VRT"
    item = root.find(f"./Metadata/MDI[@key='{LABEL_KEY}']")
    return item.text if item is not None and item.text else "a VRT"
