"""The files of a delivery, wherever they are: a folder, a ZIP, a path inside a ZIP.

Readers find a product's files by name; this module lists them and names each one the way GDAL
opens it (``/vsizip/…`` inside a ZIP), without unpacking anything.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

__all__ = ["Files", "list_files", "zip_part"]

_VSIZIP = "/vsizip/"


@dataclass(frozen=True)
class Files:
    """The files below one place.

    Attributes:
        names: their paths relative to ``base`` (``/`` separated).
        base: how GDAL reaches ``base`` (a folder path, or ``/vsizip/archive.zip``).
    """

    names: tuple[str, ...]
    base: str

    def gdal(self, name: str) -> str:
        """The GDAL name of ``name`` (one of :attr:`names`)."""
        return f"{self.base}/{name}" if self.base else name

    def find(self, suffix: str) -> list[str]:
        """The names ending with ``suffix`` (case-insensitive), sorted."""
        s = suffix.upper()
        return sorted(n for n in self.names if n.upper().endswith(s))

    def read_bytes(self, name: str) -> bytes:
        """The content of ``name`` (a small file: metadata)."""
        if self.base.startswith(_VSIZIP):
            archive, inner = zip_part(self.gdal(name))
            with zipfile.ZipFile(archive) as z:
                return z.read(inner)
        return Path(self.gdal(name)).read_bytes()


def zip_part(name: str) -> tuple[str, str]:
    """``(archive, member)`` of a ``/vsizip/archive.zip/member`` name (member may be empty)."""
    rest = name[len(_VSIZIP):] if name.startswith(_VSIZIP) else name
    parts = rest.split("/")
    for i in range(1, len(parts) + 1):
        head = "/".join(parts[:i])
        if head.lower().endswith(".zip") and os.path.isfile(head):
            return head, "/".join(parts[i:])
    return rest, ""


def list_files(source: str) -> Optional[Files]:
    """The files of ``source`` — a folder, a ``.zip`` file, or a folder inside one
    (``/vsizip/a.zip/dir``) — or None when it is none of these (a file, also one inside a ZIP)."""
    if source.startswith(_VSIZIP) or source.lower().endswith(".zip"):
        archive, inner = zip_part(source)
        if not os.path.isfile(archive) or not zipfile.is_zipfile(archive):
            return None
        with zipfile.ZipFile(archive) as z:
            members = [m for m in z.namelist() if not m.endswith("/")]
        prefix = inner.strip("/")
        if prefix in members:  # one file inside the ZIP (/vsizip/a.zip/x.tif): no folder
            return None
        if prefix:
            members = [m[len(prefix) + 1:] for m in members if m.startswith(prefix + "/")]
        base = f"{_VSIZIP}{archive}" + (f"/{prefix}" if prefix else "")
        return Files(tuple(members), base)
    if os.path.isdir(source):
        root = Path(source)
        names = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
        return Files(tuple(sorted(names)), str(root))
    return None
