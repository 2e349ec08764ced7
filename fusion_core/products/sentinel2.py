"""sentinel2 products (being written)."""

from __future__ import annotations

from typing import Optional

from .base import ProductBands

NAME = "sentinel2"


def claims(source: str) -> bool:
    return False


def read(source: str, role: str, classes: frozenset[str]) -> Optional[ProductBands]:
    raise NotImplementedError
