"""Point one tiled GeoTIFF at tiles that many workers encoded and placed in it, without recompressing them.

Dask workers each encode their output regions as small GeoTIFFs with the output's own tiling,
codec and data type, every region a whole number of the output's tiles, and write those bytes
into the output file, each in a range of its own (:mod:`.region_writer`). Decoding them and
encoding them again would cost as much as writing the output did (33 s for a 3000² × 198 scene
on two cores, measured: more than the 15 % a cluster may add). A TIFF, though, is a directory
that points at tiles anywhere in the file: :class:`Assembly` points the output's tile directory
at the placed tiles. The output is created by GDAL beforehand (sparse, every tile empty, its
georeferencing and band metadata written), so only its two tile arrays change; the regions' own
headers stay in the output as unreferenced bytes, which TIFF allows. Every region is checked to
have the output's layout (tile size, codec, predictor, data type, planar configuration, bands):
a mismatch raises before the directory changes.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

__all__ = ["TiffLayout", "read_layout", "Assembly"]

_TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_BYTE_COUNTS = 322, 323, 324, 325
_WIDTH, _LENGTH, _BITS, _COMPRESSION, _SAMPLES, _PLANAR, _PREDICTOR, _FORMAT = (
    256, 257, 258, 259, 277, 284, 317, 339)
#: Tags that must agree between a region and the output for its tiles to be taken as they are.
_SAME = (_BITS, _COMPRESSION, _SAMPLES, _PLANAR, _PREDICTOR, _FORMAT, _TILE_WIDTH, _TILE_LENGTH)
_TYPES = {1: "B", 3: "H", 4: "I", 16: "Q"}  # BYTE, SHORT, LONG, LONG8 (all an array may be)


@dataclass(frozen=True)
class _Entry:
    typ: int
    count: int
    value_at: int  # where the value (or its array) is in the file


@dataclass(frozen=True)
class TiffLayout:
    """The first directory of a tiled, band-separate TIFF: its tags, tile offsets and sizes."""

    tags: dict[int, tuple]
    entries: dict[int, _Entry]
    offsets: np.ndarray
    byte_counts: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        """(bands, rows, columns)."""
        return self.tags[_SAMPLES][0], self.tags[_LENGTH][0], self.tags[_WIDTH][0]

    @property
    def tile(self) -> tuple[int, int]:
        return self.tags[_TILE_LENGTH][0], self.tags[_TILE_WIDTH][0]

    @property
    def tiles_across(self) -> int:
        return -(-self.shape[2] // self.tile[1])

    @property
    def tiles_down(self) -> int:
        return -(-self.shape[1] // self.tile[0])

    def index(self, band: int, tile_row: int, tile_col: int) -> int:
        """Position of a tile in the tile arrays (band-separate: band after band)."""
        return (band * self.tiles_down + tile_row) * self.tiles_across + tile_col

    def to_dict(self) -> dict[str, Any]:
        """The tags and tile arrays, as JSON holds them (where the directory's entries are is
        left out: only the output's own directory is ever rewritten)."""
        return {"tags": {str(tag): list(values) for tag, values in self.tags.items()},
                "offsets": self.offsets.tolist(), "byte_counts": self.byte_counts.tolist()}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "TiffLayout":
        return cls({int(tag): tuple(values) for tag, values in raw["tags"].items()}, {},
                   np.array(raw["offsets"], dtype=np.uint64), np.array(raw["byte_counts"], dtype=np.uint64))


def read_layout(path: str | os.PathLike) -> TiffLayout:
    """The layout of the tiled TIFF or BigTIFF ``path`` (little- or big-endian)."""
    with open(path, "rb") as f:
        return _layout(f, str(path))


def _layout(f: BinaryIO, path: str) -> TiffLayout:
    order = {b"II": "<", b"MM": ">"}.get(f.read(2))
    if order is None:
        raise ValueError(f"{path} is not a TIFF file.")
    (magic,) = struct.unpack(order + "H", f.read(2))
    big = magic == 43
    if big:
        f.read(4)
        (first,) = struct.unpack(order + "Q", f.read(8))
    elif magic == 42:
        (first,) = struct.unpack(order + "I", f.read(4))
    else:
        raise ValueError(f"{path} is not a TIFF file.")
    f.seek(first)
    (n,) = struct.unpack(order + ("Q" if big else "H"), f.read(8 if big else 2))
    entry, inline = (order + "HHQ", 8) if big else (order + "HHI", 4)
    entries: dict[int, _Entry] = {}
    for k in range(n):
        f.seek(first + (8 if big else 2) + k * (20 if big else 12))
        tag, typ, count = struct.unpack(entry, f.read(struct.calcsize(entry)))
        size = struct.calcsize(_TYPES.get(typ, "B")) * count
        here = f.tell()
        if size > inline:
            (pointer,) = struct.unpack(order + ("Q" if big else "I"), f.read(inline))
            here = pointer
        entries[tag] = _Entry(typ, count, here)
    tags = {tag: _values(f, order, entries[tag]) for tag in (*_SAME, _WIDTH, _LENGTH)
            if tag in entries and entries[tag].typ in _TYPES}
    tags.setdefault(_PREDICTOR, (1,))
    tags.setdefault(_PLANAR, (1,))
    tags.setdefault(_FORMAT, (1,))
    if _TILE_OFFSETS not in entries:
        raise ValueError(f"{path} is not tiled.")
    offsets = np.array(_values(f, order, entries[_TILE_OFFSETS]), dtype=np.uint64)
    counts = np.array(_values(f, order, entries[_TILE_BYTE_COUNTS]), dtype=np.uint64)
    return TiffLayout(tags, entries, offsets, counts)


def _values(f: BinaryIO, order: str, entry: _Entry) -> tuple:
    code = _TYPES[entry.typ]
    f.seek(entry.value_at)
    return struct.unpack(f"{order}{entry.count}{code}", f.read(struct.calcsize(code) * entry.count))


def _checked(part: TiffLayout, output: TiffLayout, rect: tuple[int, int, int, int], name: str) -> None:
    bands, rows, cols = part.shape
    for tag in _SAME:
        if part.tags.get(tag) != output.tags.get(tag):
            raise ValueError(f"The region {name} has tag {tag} = {part.tags.get(tag)}, the "
                             f"output {output.tags.get(tag)}: it cannot be assembled as it is.")
    t_rows, t_cols = output.tile
    out_bands, out_rows, out_cols = output.shape
    if (rect[0] % t_rows or rect[1] % t_cols or (rows, cols) != (rect[2], rect[3])
            or rect[0] + rows > out_rows or rect[1] + cols > out_cols or bands != out_bands
            or (cols % t_cols and rect[1] + cols != out_cols)
            or (rows % t_rows and rect[0] + rows != out_rows)):
        raise ValueError(f"The region {name} ({bands} × {rows} × {cols}) does not fill "
                         f"whole output tiles at {rect}.")


class Assembly:
    """Tiles placed in the closed tiled GeoTIFF ``output`` by other processes, pointed at by its
    tile directory once all are in. :meth:`place` notes a region's tiles (checked first to have
    the output's layout); :meth:`finish` puts the file on disk, then rewrites the directory's two
    tile arrays. Until then the output's directory is as it was: the placed bytes are
    unreferenced, so a run that dies meanwhile leaves a valid file."""

    def __init__(self, output: str | os.PathLike):
        self.output = output
        self.layout = read_layout(output)
        if self.layout.tags[_PLANAR] != (2,) and self.layout.shape[0] > 1:
            raise ValueError(f"{output} is not band-separate (INTERLEAVE=BAND).")
        self.offsets, self.counts = self.layout.offsets.copy(), self.layout.byte_counts.copy()
        self.placed = 0

    def place(self, part: TiffLayout, rect: tuple[int, int, int, int], name: str) -> None:
        """Point at the tiles of region ``name`` (HR rectangle ``(row0, col0, rows, cols)``),
        whose layout ``part`` has offsets counted from the start of the output; it must fill
        whole output tiles at ``rect`` with the output's codec, data type and bands (else
        ``ValueError``). Tiles it leaves empty (sparse) stay empty."""
        _checked(part, self.layout, rect, name)
        out = self.layout
        row0, col0 = rect[0] // out.tile[0], rect[1] // out.tile[1]
        for band in range(part.shape[0]):
            for ty in range(part.tiles_down):
                for tx in range(part.tiles_across):
                    k = part.index(band, ty, tx)
                    if part.byte_counts[k] == 0:
                        continue
                    target = out.index(band, row0 + ty, col0 + tx)
                    self.offsets[target] = part.offsets[k]
                    self.counts[target] = part.byte_counts[k]
                    self.placed += 1

    def finish(self) -> int:
        """Point the directory at the placed tiles; the tiles placed. The workers wrote them
        and closed the file before: a process killed later loses none of them (as for an
        output written in one process, nothing forces them onto the disk itself: 6 GB written
        back within the run cost a 3000² scene 20 CPU-s of system time)."""
        with open(self.output, "r+b") as dst:
            _rewrite(dst, self.layout.entries[_TILE_BYTE_COUNTS], self.counts, self.output)
            _rewrite(dst, self.layout.entries[_TILE_OFFSETS], self.offsets, self.output)
        return self.placed


def _rewrite(dst: BinaryIO, entry: _Entry, values: np.ndarray, output: str | os.PathLike) -> None:
    code = _TYPES[entry.typ]
    limit = np.iinfo(np.dtype(code)).max
    if values.size and int(values.max()) > limit:
        raise ValueError(f"{output} cannot point at tiles beyond {limit} bytes (write it as a BigTIFF).")
    dst.seek(0)
    kind = np.dtype(code).newbyteorder("<" if dst.read(2) == b"II" else ">")
    dst.seek(entry.value_at)
    dst.write(values.astype(kind).tobytes())
