"""Fusion methods by index or id: :data:`~.catalog.CATALOG` (the one place that names them, in
the order of the QGIS METHOD enum) and how a method is loaded.

Each method is a package ``fusion_core/methods/<id>/`` with ``method.py`` (the class, which
imports torch) and ``settings.py`` (its options and presets, which does not). This module and
the settings import neither torch nor a method, so the QGIS layer can build its dialogs and help
before it knows whether torch is installed; :func:`load_method` imports a method on demand.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import InputError
from .catalog import CATALOG, MethodEntry
from .settings import OptionHelp, describe_settings

if TYPE_CHECKING:
    from .base import FusionMethod

__all__ = ["MethodEntry", "CATALOG", "load_method", "method_index", "method_entry", "method_presets",
           "describe_options", "method_help"]


def method_index(key: str | int, what: str = "fusion method") -> int:
    """Index in :data:`CATALOG` of a method given by index or id (``"default"`` is index 0).

    ``what`` names the setting in the caller's vocabulary, for the message.
    """
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        i = int(key)
        if 0 <= i < len(CATALOG):
            return i
    elif key.lower() == "default":
        return 0
    else:
        for i, entry in enumerate(CATALOG):
            if entry.id == key.lower():
                return i
    valid = ", ".join(f"{i} = {e.id}" for i, e in enumerate(CATALOG))
    raise InputError(f"Unknown {what} {key!r}; choose one of: {valid}.")


def method_entry(key: str | int) -> MethodEntry:
    """The catalog entry of the method given by index or id."""
    return CATALOG[method_index(key)]


def _module(entry: MethodEntry, name: str) -> Any:
    package = __name__.rsplit(".", 1)[0]  # "fusion_core", or "hsi_fusion.fusion_core" inside QGIS
    return importlib.import_module(f"{package}.methods.{entry.id}.{name}")


def load_method(key: str | int) -> FusionMethod:
    """An instance of the method given by index or id (imports torch)."""
    entry = method_entry(key)
    return getattr(_module(entry, "method"), entry.cls)()


def method_presets(key: str | int) -> Mapping[str, Any]:
    """The settings of the method given by index or id, by preset name (without torch)."""
    return _module(method_entry(key), "settings").PRESETS


def describe_options(key: str | int) -> tuple[OptionHelp, ...]:
    """Name, valid values, default per preset and help of each option of a method (without torch)."""
    return describe_settings(method_presets(key))


def method_help(key: str | int) -> str:
    """Plain-text help of a method: its summary, then one line per option."""
    entry = method_entry(key)
    options = describe_options(key)
    lines = [f"{entry.label}: {entry.summary}"]
    lines += ["Options:", *(f"  {o.text()}" for o in options)] if options else ["No options."]
    return "\n".join(lines)
