"""QGIS 4 (Qt6) readiness of the plugin's Python code; ``make lint`` runs it.

Two checks, each reporting ``file:line: finding`` and exiting with status 1 when there is one:

1. QGIS's PyQt5→PyQt6 migration script (``scripts/pyqt5_to_pyqt6`` in QGIS's sources), as its
   authors publish it on PyPI (``qgis-pyqt5to6``; ``make lint`` installs it with PyQt6 in
   ``build/qt6check``), rewrites a copy of the files — PyQt5 imports, ``exec_``, Qt enums used
   unscoped (found by introspecting PyQt6), ``QVariant()``, ``qApp``, renamed enums — and warns
   of removed API (``QRegExp``, ``QDesktopWidget``, ``QFontMetrics.width`` …). Every change it
   would make and every warning it prints is a finding, shown as a diff.
2. QGIS's own enums, which that script sees only when it runs inside a Qt6 QGIS: ``Class.Member``
   where ``Class`` is imported from ``qgis.core``, ``qgis.gui`` or ``qgis.analysis`` and
   ``Member`` is a value of one of its enums, found by introspecting the QGIS running this
   script. Qt6 builds know only ``Class.Enum.Member``.

Usage: ``python scripts/check_qt6.py PYQT5TO6 PATH...`` (files, or folders searched for ``*.py``).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import enum
import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

QGIS_MODULES = ("qgis.core", "qgis.gui", "qgis.analysis")


def python_files(paths: list[Path]) -> list[Path]:
    """The ``*.py`` files among ``paths`` and under its folders, without caches."""
    found: list[Path] = []
    for path in paths:
        found += sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts) if path.is_dir() else [path]
    return [p for p in found if p.suffix == ".py"]


def migration_findings(tool: Path, files: list[Path]) -> list[str]:
    """What QGIS's migration script changes in, or warns of, a copy of ``files``."""
    with tempfile.TemporaryDirectory() as tmp:
        copies = {}
        for number, path in enumerate(files):
            copy = Path(tmp) / str(number) / path.name
            copy.parent.mkdir()
            shutil.copyfile(path, copy)
            copies[copy] = path
        run = subprocess.run([str(tool), tmp], capture_output=True, text=True)
        findings = [line for line in (run.stdout + run.stderr).splitlines()
                    if "WARNING" in line or "ERROR" in line or "manually add" in line or "Qt6" in line]
        for copy, path in copies.items():
            before, after = path.read_text(encoding="utf-8"), copy.read_text(encoding="utf-8")
            findings += difflib.unified_diff(before.splitlines(), after.splitlines(), str(path),
                                             f"{path} for Qt6", lineterm="", n=0)
        if run.returncode not in (0, 1) and not findings:    # 1: it changed something (listed above)
            findings.append(f"{tool} failed ({run.returncode}): {run.stderr.strip()}")
        return [line.replace(tmp, "<copy>") for line in findings]


def _enum_member(owner: object, name: str) -> str | None:
    """The name of the enum of ``owner`` that ``owner.name`` is a value of, if it is one."""
    value = getattr(owner, name, None)
    kind = type(value)
    is_enum = isinstance(value, enum.Enum) or type(kind).__name__ in ("enumtype", "EnumType", "EnumMeta")
    if not is_enum or isinstance(value, type) or kind.__name__ == name:
        return None
    return kind.__name__ if getattr(owner, kind.__name__, None) is kind else None


def _qgis_names(tree: ast.Module) -> Iterator[tuple[str, object]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in QGIS_MODULES:
            module = importlib.import_module(node.module)
            for alias in node.names:
                if hasattr(module, alias.name):
                    yield alias.asname or alias.name, getattr(module, alias.name)


def unscoped_qgis_enums(path: Path) -> list[str]:
    """``Class.Member`` uses in ``path`` of QGIS enum values, with their scoped spelling."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    owners = dict(_qgis_names(tree))
    findings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in owners:
            scope = _enum_member(owners[node.value.id], node.attr)
            if scope is not None:
                findings.append(f"{path}:{node.lineno}: {node.value.id}.{node.attr} is an unscoped enum value; "
                                f"Qt6 builds of QGIS know only {node.value.id}.{scope}.{node.attr}")
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pyqt5to6", type=Path, help="QGIS's migration script (the pyqt5to6 command)")
    parser.add_argument("paths", type=Path, nargs="+")
    args = parser.parse_args(argv)
    files = python_files(args.paths)
    findings = migration_findings(args.pyqt5to6, files)
    for path in files:
        findings += unscoped_qgis_enums(path)
    print("\n".join(findings) if findings else
          f"Qt6 check: {len(files)} files clean (QGIS's pyqt5_to_pyqt6, QGIS's enums scoped)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
