"""GLP-HS takes no options: every choice (the synthetic bands, the injection gains) is fitted
from the two inputs (torch-free, like every method's settings)."""

from __future__ import annotations

from ..settings import NO_OPTIONS

__all__ = ["PRESETS"]

PRESETS = NO_OPTIONS
