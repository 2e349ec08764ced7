"""The Python interpreter this process runs on, for child processes (Dask workers).

Outside a plain ``python`` process ``sys.executable`` is often not that interpreter: under
``qgis_process`` it is whatever ``python3`` comes first on the PATH (a pyenv shim of another
version here, whose workers die with ``No module named '_csv'``), in the QGIS desktop on Windows
it is ``qgis-bin.exe``, in the macOS bundle the QGIS binary. :func:`python_executable` looks
where each platform's QGIS keeps its interpreter and keeps the first one that reports this
process's version and prefix. Only files named ``python…`` are ever run, never a QGIS binary.
Importing this module loads neither torch nor QGIS.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Callable, Optional

__all__ = ["python_candidates", "python_executable", "runs_as_this_python"]

_PROBE = "import sys; print(sys.version_info[0], sys.version_info[1], sys.exec_prefix)"
# Keep Windows from flashing a console window for the probe.
_NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)


def python_candidates(executable: str, base_executable: Optional[str], exec_prefix: str,
                      platform: str, version: tuple[int, int],
                      which: Callable[[str], Optional[str]] = shutil.which) -> list[PurePath]:
    """Paths that may hold this process's interpreter on ``platform``, most likely first,
    without duplicates and without anything not named ``python…``."""
    path = PureWindowsPath if platform == "win32" else PurePosixPath
    name = f"python{version[0]}.{version[1]}"
    prefix, beside = path(exec_prefix), path(executable).parent
    found = [path(p) for p in (executable, base_executable) if p]
    if platform == "win32":  # OSGeo4W and the standalone installer: <root>\apps\Python3xx
        found += [prefix / "python.exe", prefix / "python3.exe", beside / "python.exe"]
    else:  # Linux packages, the macOS bundle (its framework, or Contents/MacOS/bin)
        found += [prefix / "bin" / name, prefix / "bin" / "python3", beside / "bin" / name]
    found += [path(hit) for hit in (which(name), which("python3")) if hit]
    unique: list[PurePath] = []
    for candidate in found:
        if candidate.name.lower().startswith("python") and candidate not in unique:
            unique.append(candidate)
    return unique


def runs_as_this_python(python: Path) -> bool:
    """Whether ``python`` runs as an interpreter of this version and ``sys.exec_prefix``."""
    if not python.is_file():
        return False
    try:
        out = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True,
                             timeout=60, creationflags=_NO_WINDOW)
    except (OSError, subprocess.SubprocessError):
        return False
    parts = out.stdout.split(maxsplit=2)
    return (out.returncode == 0 and len(parts) == 3
            and (int(parts[0]), int(parts[1])) == sys.version_info[:2]
            and os.path.normcase(os.path.realpath(parts[2].strip()))
            == os.path.normcase(os.path.realpath(sys.exec_prefix)))


@functools.lru_cache(maxsize=1)
def python_executable() -> Optional[Path]:
    """This process's interpreter (None when none of the candidates is)."""
    for candidate in python_candidates(sys.executable, getattr(sys, "_base_executable", None),
                                       sys.exec_prefix, sys.platform, sys.version_info[:2]):
        python = Path(candidate)
        if runs_as_this_python(python):
            return python
    return None
