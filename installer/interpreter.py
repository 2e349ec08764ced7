"""Finding the Python interpreter behind QGIS, whose pip installs the packages.

Inside QGIS ``sys.executable`` is often QGIS itself (``qgis-bin.exe`` on Windows, ``QGIS`` in the
macOS bundle), and running it with ``-m pip`` would start a second QGIS. The interpreter is looked
for where each platform's QGIS puts it and kept only when it reports the running Python's version:
- Windows, OSGeo4W and the standalone installer: ``<root>\\apps\\Python3xx\\python.exe``
  (``sys.exec_prefix``);
- macOS, the official installer: ``QGIS.app/Contents/MacOS/bin/python3`` (QGIS's prefix path);
- Linux: ``<exec_prefix>/bin/python3.x``, else ``python3.x`` on the PATH.

A candidate must be this very Python, not only its version: in ``qgis_process`` on Linux
``sys.executable`` is whatever ``python3`` comes first on the PATH (measured: a pyenv shim of
another Python 3.11), whose pip would see none of QGIS's packages. So a candidate is kept when it
reports this Python's version and standard library folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Callable, Optional

from .plan import InstallError
from .requirements import ENGINE_REQUIREMENTS

# Keep Windows from flashing a console window for each child process.
NO_WINDOW = getattr(subprocess, "CREATE_NO_WINDOW", 0)


def python_candidates(executable: Path, exec_prefix: Path, prefix_path: Optional[Path],
                      platform: str, version: tuple[int, int],
                      which: Callable[[str], Optional[str]] = shutil.which) -> list[Path]:
    """Paths that may hold QGIS's interpreter, most likely first, without duplicates."""
    name = f"python{version[0]}.{version[1]}"
    found = [executable] if executable.name.lower().startswith("python") else []
    if platform == "win32":
        found += [exec_prefix / "python.exe", exec_prefix / "python3.exe"]
    else:
        found += [exec_prefix / "bin" / name, exec_prefix / "bin" / "python3"]
        if prefix_path is not None:
            found += [prefix_path / "bin" / name, prefix_path / "bin" / "python3"]
    found += [Path(hit) for hit in (which(name), which("python3")) if hit]
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def _same_folder(a: str, b: str) -> bool:
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def reported_identity(python: Path) -> Optional[tuple[int, int, str]]:
    """``(major, minor, standard library folder)`` that ``python`` reports, or None when it does
    not run as a Python."""
    if not python.is_file():
        return None
    try:
        out = subprocess.run([str(python), "-c", "import sys, sysconfig; "
                              "print(*sys.version_info[:2], sysconfig.get_paths()['stdlib'])"],
                             capture_output=True, text=True, timeout=60, creationflags=NO_WINDOW)
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.stdout.strip().split(" ", 2)
    if out.returncode != 0 or len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1]), parts[2]


def find_python(prefix_path: Optional[Path] = None, executable: Optional[Path] = None,
                exec_prefix: Optional[Path] = None, platform: str = sys.platform,
                version: tuple[int, int] = sys.version_info[:2],
                stdlib: str = sysconfig.get_paths()["stdlib"]) -> Path:
    """The interpreter of this Python (QGIS's): its ``version`` and ``stdlib`` folder;
    ``prefix_path`` is QGIS's prefix.

    Raises:
        InstallError: no candidate runs as a Python of ``version``; the message lists them.
    """
    candidates = python_candidates(Path(executable or sys.executable), Path(exec_prefix or sys.exec_prefix),
                                   prefix_path, platform, version)
    for python in candidates:
        found = reported_identity(python)
        if found is not None and found[:2] == version and _same_folder(found[2], stdlib):
            return python
    tried = "\n".join(f"    {p}" for p in candidates)
    raise InstallError(
        f"Could not find QGIS's Python {version[0]}.{version[1]} interpreter; looked at:\n{tried}\n"
        "Install the packages from a terminal with that interpreter: python -m pip install "
        + " ".join(f'"{r}"' for r in ENGINE_REQUIREMENTS) + ".")
