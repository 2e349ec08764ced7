"""How an LR-HSI and an HR-MSI meet: the ratio, the pixels they share, and what must be warped.

Real pairs seldom nest exactly: an EnMAP or PRISMA grid lies a fraction of a Sentinel-2 pixel
away from the MSI's (5 m is the normal case), the two extents differ, and the two images may come
in neighbouring UTM zones. The plan keeps the sharp image untouched whenever it can:

* same CRS and an integer pixel ratio (:func:`nested_plan`): the pair is fused on its overlap,
  directly on the HR-MSI's pixels; a sub-pixel offset between the grids is recorded
  (:attr:`PairPlan.grid_offset`) and left to the degradation model, whose PSF is centred where
  each LR pixel really lies on the HR grid;
* otherwise the LR-HSI — the blurry one — is warped with GDAL onto the grid nested in the
  HR-MSI's (:func:`fusion_core.io.resample.plan_lr_warp`);
* on request (``resample_hr_msi``) the HR-MSI is warped onto the LR-HSI's grid instead.

Everything here works from metadata, before any pixel is read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from affine import Affine
from pyproj import CRS as ProjCRS
from rasterio.crs import CRS

from ..errors import GridMismatchError
from .raster import Raster, RasterGrid

__all__ = ["Warp", "PairPlan", "check_inputs", "nested_plan", "resolution_ratio", "same_crs",
           "Rect"]

_TOL = 1e-6
#: Smallest overlap that can be fused, in LR pixels a side.
MIN_OVERLAP = 2

Rect = tuple[int, int, int, int]  # (row0, col0, rows, cols)


@dataclass(frozen=True)
class Warp:
    """A GDAL warp of one input onto ``grid`` (CRS wkt, transform, size) with ``resampling``."""

    crs_wkt: str
    transform: tuple[float, ...]
    width: int
    height: int
    resampling: str

    @property
    def grid(self) -> RasterGrid:
        crs = CRS.from_wkt(self.crs_wkt) if self.crs_wkt else None
        return RasterGrid(crs, Affine(*self.transform[:6]), self.width, self.height)


@dataclass(frozen=True)
class PairPlan:
    """How a pair is fused.

    Attributes:
        scale: the integer ratio r.
        lr_window: the LR pixels fused, ``(row0, col0, rows, cols)`` in the LR-HSI (or in
            ``lr_warp``'s grid).
        hr_window: the HR pixels fused, ``(row0, col0, r rows, r cols)`` in the HR-MSI (or in
            ``hr_warp``'s grid); LR pixel ``(i, j)`` of the window lies over HR pixels
            ``r i … r i + r - 1`` of it, moved by ``grid_offset``.
        lr_warp: the warp of the LR-HSI onto the grid nested in the HR-MSI's, if needed.
        hr_warp: the warp of the HR-MSI onto the LR-HSI's grid (``resample_hr_msi``), if asked.
        grid_offset: (row, column) HR pixels from the HR window's LR-aligned corners to where
            the LR pixels' corners really lie (within ±0.5), from the georeferencing.
        message: what was done, for the log (empty when the pair nests exactly).
        hr_bounds: (rows, cols) of the image the HR window lies in, when the window reaches
            past its edges (an LR pixel partly over the HR-MSI is fused where it is over it);
            pixels outside read as nodata. None: the window lies inside.
        lr_bounds: (rows, cols) of the LR-HSI, when a shift may bring more of it over the
            HR-MSI (:meth:`moved`); None: only the LR window's pixels may be used.
    """

    scale: int
    lr_window: Rect
    hr_window: Rect
    lr_warp: Optional[Warp] = None
    hr_warp: Optional[Warp] = None
    grid_offset: tuple[float, float] = (0.0, 0.0)
    message: str = ""
    hr_bounds: Optional[tuple[int, int]] = None
    lr_bounds: Optional[tuple[int, int]] = None

    def hr_source_grid(self, hr: Raster) -> RasterGrid:
        """The grid the HR window lies in: the HR-MSI's, or its warp's."""
        return self.hr_warp.grid if self.hr_warp is not None else hr.grid

    def hr_grid(self, hr: Raster) -> RasterGrid:
        """The grid of the fused pixels: the HR-MSI's (or its warp's), cut to the HR window."""
        grid = self.hr_source_grid(hr)
        row0, col0, rows, cols = self.hr_window
        return RasterGrid(grid.crs, grid.transform * Affine.translation(col0, row0), cols, rows)

    def moved(self, rows: int, cols: int, hr_shape: tuple[int, int]) -> "PairPlan":
        """The plan with the LR-HSI moved over the HR-MSI of ``hr_shape`` by whole HR pixels (a
        measured shift between the images): the LR pixels it then puts at least partly over
        the HR-MSI (of the whole LR-HSI when :attr:`lr_bounds` is known)."""
        r = self.scale
        (lr0, lc0, lrows, lcols), (hr0, hc0, _, _) = self.lr_window, self.hr_window
        first_row, first_col = hr0 + rows - r * lr0, hc0 + cols - r * lc0  # where LR pixel 0 lies
        lo_r, lo_c = (0, 0) if self.lr_bounds is not None else (lr0, lc0)
        hi_r, hi_c = self.lr_bounds if self.lr_bounds is not None else (lr0 + lrows, lc0 + lcols)
        i0, i1 = _over(first_row, r, hr_shape[0], lo_r, hi_r)
        j0, j1 = _over(first_col, r, hr_shape[1], lo_c, hi_c)
        if i1 - i0 < MIN_OVERLAP or j1 - j0 < MIN_OVERLAP:
            raise GridMismatchError(
                f"The measured shift between the images ({rows:+d}, {cols:+d} HR pixels, row, "
                "column) leaves no overlap to fuse: check that both images show the same place, "
                "or turn co-registration off."
            )
        return replace(self, lr_window=(i0, j0, i1 - i0, j1 - j0),
                       hr_window=(first_row + r * i0, first_col + r * j0, r * (i1 - i0), r * (j1 - j0)),
                       hr_bounds=hr_shape)

    @property
    def hr_margins(self) -> tuple[int, int, int, int]:
        """HR pixels of the window past the top, left, bottom and right edges of its image."""
        if self.hr_bounds is None:
            return 0, 0, 0, 0
        row0, col0, rows, cols = self.hr_window
        return (max(0, -row0), max(0, -col0), max(0, row0 + rows - self.hr_bounds[0]),
                max(0, col0 + cols - self.hr_bounds[1]))


def scaled_rect(rect: Rect, scale: int) -> Rect:
    """The HR rectangle under the LR rectangle ``rect`` at ratio ``scale``."""
    return rect[0] * scale, rect[1] * scale, rect[2] * scale, rect[3] * scale


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _over(first: int, scale: int, n_hr: int, lo: int, hi: int) -> tuple[int, int]:
    """Along one axis, the LR pixels ``[start, stop)`` of ``[lo, hi)`` at least partly over HR
    pixels ``[0, n_hr)``, LR pixel ``j`` lying over HR pixels ``first + scale j …`` (+ scale)."""
    return max(lo, -first // scale), min(hi, _ceil_div(n_hr - first, scale))


def crs_name(crs: Optional[CRS]) -> str:
    """How a CRS is named in messages (its EPSG code when it has one)."""
    return crs.to_string() if crs is not None else "none"


def same_crs(a: Optional[CRS], b: Optional[CRS]) -> bool:
    """Whether two CRSs are the same (compared with pyproj, whatever their spelling)."""
    if a is None or b is None:
        return a is None and b is None
    return ProjCRS.from_wkt(a.to_wkt()) == ProjCRS.from_wkt(b.to_wkt())


def check_inputs(lr: Raster, hr: Raster) -> None:
    """Refuse what no warp can fix: swapped inputs, too few HSI bands, an HR-MSI that is not
    north-up, a missing CRS on one side only."""
    if lr.count <= hr.count:
        raise GridMismatchError(
            f"The LR-HSI has {lr.count} bands and the HR-MSI {hr.count}: the hyperspectral input "
            "must have more bands. Check that the two inputs are not swapped."
        )
    if (lr.grid.crs is None) != (hr.grid.crs is None):
        role, other = ("LR-HSI", hr.grid.crs) if lr.grid.crs is None else ("HR-MSI", lr.grid.crs)
        raise GridMismatchError(
            f"The {role} has no CRS (the other image's is {crs_name(other)}): assign it the "
            "CRS it was produced in ('Assign projection' in QGIS, or gdal_edit.py -a_srs "
            "EPSG:<code> <file>), then run again."
        )
    t = hr.grid.transform
    if abs(t.b) > _TOL or abs(t.d) > _TOL:
        raise GridMismatchError("The HR-MSI grid is rotated: the result is made on its pixels, "
                                "so warp it to a north-up grid first ('Warp (reproject)').")
    if t.a <= 0 or t.e >= 0:
        raise GridMismatchError(
            f"The HR-MSI is not north-up (pixel width {t.a:g}, height {t.e:g}; north-up has a "
            "positive width and a negative height): warp it to a north-up grid first "
            "('Warp (reproject)')."
        )


def resolution_ratio(lr: Raster, hr: Raster) -> float:
    """LR pixel size / HR pixel size (same CRS); raises on swapped inputs or unequal axes."""
    (lx, ly), (hx, hy) = lr.grid.pixel_size, hr.grid.pixel_size
    rx, ry = lx / hx, ly / hy
    if rx < 1.0 - 1e-3 or ry < 1.0 - 1e-3:
        raise GridMismatchError(
            f"The LR-HSI pixels ({lx:g}) are smaller than the HR-MSI pixels ({hx:g}): the inputs "
            "look swapped. LR_HSI must be the hyperspectral image with the coarse pixels, HR_MSI "
            "the multispectral image with the fine ones."
        )
    if abs(rx - ry) > 1e-4 * max(rx, ry):
        raise GridMismatchError(
            f"The resolution ratio differs along x ({rx:.4f}) and y ({ry:.4f}): LR pixels are "
            f"{lx:g}×{ly:g}, HR pixels {hx:g}×{hy:g}."
        )
    if round(rx) == 1 and abs(rx - 1) < 1e-3:
        raise GridMismatchError(
            "The LR-HSI and HR-MSI have the same pixel size: there is nothing to sharpen. "
            "Check that LR_HSI is the hyperspectral image and HR_MSI the multispectral one."
        )
    return rx


def nested_plan(lr: Raster, hr: Raster) -> Optional[PairPlan]:
    """The plan of a pair on one CRS with an integer ratio and north-up grids, fused on its
    overlap without resampling; None when the grids cannot nest (another CRS, a non-integer
    ratio, a rotated or flipped LR-HSI), which a warp of the LR-HSI fixes."""
    t = lr.grid.transform
    if not same_crs(lr.grid.crs, hr.grid.crs) or abs(t.b) > _TOL or abs(t.d) > _TOL \
            or t.a <= 0 or t.e >= 0:
        return None
    ratio = resolution_ratio(lr, hr)
    r = round(ratio)
    if abs(ratio - r) > 1e-3:
        return None
    h = hr.grid.transform
    col_f, row_f = (t.c - h.c) / h.a, (t.f - h.f) / h.e
    oc, orow = round(col_f), round(row_f)
    dy, dx = row_f - orow, col_f - oc
    offset = (0.0 if abs(dy) < 1e-3 else float(dy), 0.0 if abs(dx) < 1e-3 else float(dx))
    # every LR pixel at least partly over the HR-MSI: fused where it is over it
    j0, j1 = _over(oc, r, hr.grid.width, 0, lr.grid.width)
    i0, i1 = _over(orow, r, hr.grid.height, 0, lr.grid.height)
    if j1 - j0 < MIN_OVERLAP or i1 - i0 < MIN_OVERLAP:
        raise GridMismatchError(_no_overlap(lr, hr))
    rows, cols = i1 - i0, j1 - j0
    plan = PairPlan(r, (i0, j0, rows, cols), (orow + r * i0, oc + r * j0, r * rows, r * cols),
                    grid_offset=offset, hr_bounds=(hr.grid.height, hr.grid.width),
                    lr_bounds=(lr.grid.height, lr.grid.width))
    return replace(plan, message=_describe(plan, lr, hr))


def _no_overlap(lr: Raster, hr: Raster) -> str:
    def extent(g: RasterGrid) -> str:
        x0, y0 = g.transform * (0, 0)
        x1, y1 = g.transform * (g.width, g.height)
        return f"x {min(x0, x1):.1f}–{max(x0, x1):.1f}, y {min(y0, y1):.1f}–{max(y0, y1):.1f}"

    return (f"The LR-HSI ({extent(lr.grid)}) and the HR-MSI ({extent(hr.grid)}) do not overlap "
            f"by {MIN_OVERLAP}×{MIN_OVERLAP} LR pixels: check that both images show the same place "
            "(and the same CRS).")


def _describe(plan: PairPlan, lr: Raster, hr: Raster) -> str:
    """The log line of a nested plan (empty when the pair nests exactly)."""
    parts = []
    i0, j0, rows, cols = plan.lr_window
    if (rows, cols) != (lr.grid.height, lr.grid.width) or plan.hr_window[2:] != (hr.grid.height,
                                                                              hr.grid.width):
        parts.append(
            f"The pair is fused on its overlap: {cols}×{rows} LR-HSI pixels (from column {j0}, row "
            f"{i0}) over {plan.hr_window[3]}×{plan.hr_window[2]} HR-MSI pixels (from column "
            f"{plan.hr_window[1]}, row {plan.hr_window[0]}); the output is on the HR-MSI's grid.")
    if any(plan.hr_margins):
        top, left, bottom, right = plan.hr_margins
        parts.append(
            f"The LR-HSI's edge pixels lie partly beyond the HR-MSI: they are fused where they "
            f"are over it, and the output reaches {left}, {top}, {right}, {bottom} pixels past the "
            "HR-MSI's left, top, right and bottom edges there (nodata), on its grid.")
    if plan.grid_offset != (0.0, 0.0):
        dy, dx = plan.grid_offset
        parts.append(
            f"The LR-HSI's grid lies {dx:+.2f}, {dy:+.2f} HR pixels (x, y) from the HR-MSI's: the "
            "degradation model places the PSF there; the HR-MSI is not resampled.")
    return " ".join(parts)

