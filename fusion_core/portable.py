"""What goes to a Dask worker names the engine ``fusion_core``, whatever this process calls it.

In QGIS the engine is a subpackage of the plugin (``hsi_fusion.fusion_core``, after the plugin's
folder): Python's pickle names a class or function by its module, so a task sent from QGIS or
qgis_process would name ``hsi_fusion``, which a worker started from the plugin folder (or with
the engine installed anywhere else) cannot import. :func:`dumps` pickles with the engine's
modules renamed to their top-level name (``fusion_core.…``), and :class:`Shipped` hands such a
pickle to Dask: Dask pickles the wrapper as a call of :func:`pickle.loads` on those bytes, so the
worker receives the object itself. Everything else is pickled as :mod:`cloudpickle` does (code
defined in ``__main__`` or registered by value travels with the task).

The other way, :func:`alias_top_level` lets this process unpickle what a worker sends back (an
engine exception, a statistic) by making ``fusion_core.…`` an alias of the engine as loaded here,
the same module objects, so ``except InputError`` still catches it. :data:`WORKER_PATH_SETUP`
makes the engine importable as ``fusion_core`` in the embedded cluster's workers, which start
with this process's ``sys.path`` (in QGIS: the plugins folder, not the plugin's own).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import operator
import pickle
import sys
import types
from pathlib import Path
from typing import Any, Optional, Sequence

import cloudpickle

__all__ = ["TOP", "ENGINE", "ENGINE_ROOT", "WORKER_PATH_SETUP", "dumps", "Shipped", "alias_top_level"]

#: The name workers import the engine by.
TOP = "fusion_core"
#: The engine's package name in this process (``hsi_fusion.fusion_core`` in QGIS).
ENGINE = __name__.rpartition(".")[0]
#: The folder holding the engine's package (the plugin's folder in QGIS).
ENGINE_ROOT = str(Path(__file__).resolve().parent.parent)
#: A Dask preload (the text of a script) that makes ``fusion_core`` importable in a worker that
#: started with this process's ``sys.path``.
WORKER_PATH_SETUP = f"import sys\nif {ENGINE_ROOT!r} not in sys.path: sys.path.append({ENGINE_ROOT!r})\n"


def _top_name(module: Optional[str]) -> Optional[str]:
    """``module``'s name under :data:`TOP` when it is one of the engine's and named otherwise here."""
    if ENGINE == TOP or not module:
        return None
    if module == ENGINE or module.startswith(ENGINE + "."):
        return TOP + module[len(ENGINE):]
    return None


class _TopLevelPickler(cloudpickle.Pickler):
    """cloudpickle's pickler, naming the engine's classes, functions and modules by :data:`TOP`."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.ModuleType):
            top = _top_name(obj.__name__)
            if top is not None:
                return importlib.import_module, (top,)
        elif isinstance(obj, (type, types.FunctionType)):
            top = _top_name(getattr(obj, "__module__", None))
            if top is not None and "<locals>" not in obj.__qualname__:
                return operator.attrgetter(obj.__qualname__), (sys.modules[obj.__module__],)
        return super().reducer_override(obj)


def dumps(obj: Any) -> bytes:
    """``obj`` pickled so that it names the engine only as :data:`TOP`."""
    buffer = io.BytesIO()
    _TopLevelPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


class Shipped:
    """``obj``, pickled once with :func:`dumps`, for Dask to send as is (to each task).

    Unpickled, it is ``obj`` itself, not this wrapper. Calling it calls ``obj`` (Dask checks that
    a task's function is callable).
    """

    def __init__(self, obj: Any):
        self.obj = obj
        self.payload = dumps(obj)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.obj(*args, **kwargs)

    def __reduce__(self) -> tuple:
        return pickle.loads, (self.payload,)


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``fusion_core.x`` as the already-loaded ``<ENGINE>.x``, the same module object."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname != TOP and not fullname.startswith(TOP + "."):
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(ENGINE + spec.name[len(TOP):])

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module was loaded under the engine's own name."""


def alias_top_level() -> None:
    """Let ``fusion_core.…`` name the engine in this process too (a no-op where it already does,
    or where another package of that name is importable)."""
    if ENGINE == TOP or any(isinstance(finder, _Alias) for finder in sys.meta_path):
        return
    if TOP not in sys.modules and importlib.util.find_spec(TOP) is not None:
        return
    sys.meta_path.insert(0, _Alias())
