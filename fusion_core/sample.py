"""A synthetic but realistic hyperspectral scene, so the plugin can be tried without any data.

``make demo`` fuses it on a fresh machine, and the test suite degrades it into tiny LR-HSI /
HR-MSI pairs. The scene is a 10 m agricultural landscape near Potsdam (UTM zone 33N): parcels of
crops, stubble, ploughed soil, meadow and woodland; a meandering river and a lake; a road network
with tree rows; a small settlement of red-tile and concrete roofs. Every pixel is a linear mixture
of nine analytic reflectance spectra, with soft edges (mixed pixels), within-field texture,
terrain shading and shadows of buildings and trees. The atmospheric water-vapour bands (about
1350–1450 nm and 1800–1960 nm) are dim and noisy, as in a surface-reflectance product, but finite.

The default size, 120 × 120 pixels (240 × 240 for a larger demo), is divisible by 2, 3, 4, 5, 6,
8, 10 and 12, so every common resolution ratio nests exactly; choose sizes that your ratio divides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from scipy.spatial import cKDTree

from .errors import InputError
from .io import RasterGrid, write_raster

__all__ = ["SampleScene", "MATERIALS", "make_sample_scene", "spectral_library", "sample_wavelengths",
           "write_sample"]

MATERIALS = ("green vegetation", "tree canopy", "dry grass", "bare soil", "moist dark soil", "water",
             "asphalt", "red tile roof", "concrete roof")
_KEYS = ("veg", "tree", "dry", "soil", "moist", "water", "asphalt", "tile", "concrete")
_TILE, _CONCRETE = _KEYS.index("tile"), _KEYS.index("concrete")

_PIXEL_M = 10.0
_ORIGIN = (368_000.0, 5_808_000.0)  # top-left corner, EPSG:32633 (south-west of Potsdam)
_MIN_SIZE = 16


@dataclass
class SampleScene:
    """A reflectance cube ``(C, H, W)`` with everything needed to write it as a georeferenced file."""

    cube: np.ndarray
    wavelengths_nm: np.ndarray
    fwhm_nm: np.ndarray
    band_names: list[str]
    grid: RasterGrid
    description: str


# --- spectra ---------------------------------------------------------------------------------

def _g(lam: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((lam - centre) / width) ** 2)


def _s(lam: np.ndarray, centre: float, width: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(lam - centre) / width))


def _liquid_water(lam: np.ndarray) -> np.ndarray:
    """Relative absorption of liquid water in leaves: a SWIR continuum and the 970–1940 nm bands."""
    return (0.45 * _s(lam, 1450, 120) + 0.55 * _s(lam, 2050, 120) + 0.9 * _g(lam, 2550, 120)
            + 0.06 * _g(lam, 975, 30) + 0.14 * _g(lam, 1190, 50)
            + 0.75 * _g(lam, 1450, 65) + 1.25 * _g(lam, 1940, 75))


def _vegetation(lam: np.ndarray, nir: float, water: float, green: float) -> np.ndarray:
    """Green leaves: chlorophyll well at 670 nm, red edge at 715 nm, NIR plateau, water bands."""
    visible = 0.035 + green * _g(lam, 555, 35) - 0.012 * _g(lam, 675, 20)
    canopy = visible + (nir - visible) * _s(lam, 720, 12)
    return canopy * np.exp(-water * _liquid_water(lam))


def spectral_library(wavelengths_nm: np.ndarray) -> np.ndarray:
    """Reflectance ``(len(MATERIALS), C)`` of the scene's materials at the given band centres.

    The curves are analytic caricatures of library spectra (USGS / ECOSTRESS): what matters for
    fusion is that they have the right shapes — vegetation's red edge and water bands, the
    iron-oxide rise of tiles and soil, the clay and carbonate features at 2200–2340 nm, water's
    darkness beyond 700 nm.
    """
    lam = np.asarray(wavelengths_nm, dtype=np.float64)
    soil_ramp = 0.07 + 0.2 * _s(lam, 620, 110) + 0.12 * _s(lam, 1300, 300)
    soil = soil_ramp * (1 - 0.07 * _g(lam, 900, 90) - 0.08 * _g(lam, 1415, 30)
                        - 0.12 * _g(lam, 1915, 40) - 0.1 * _g(lam, 2205, 25) - 0.1 * _s(lam, 2380, 60))
    moist = (0.04 + 0.1 * _s(lam, 650, 150) + 0.06 * _s(lam, 1200, 300)) * np.exp(
        -0.45 * _liquid_water(lam)) * (1 - 0.08 * _g(lam, 2205, 25))
    dry_vis = 0.06 + 0.2 * _s(lam, 640, 70) + 0.1 * _s(lam, 1000, 150)
    dry = dry_vis * np.exp(-0.35 * _liquid_water(lam)) * (1 - 0.12 * _g(lam, 2100, 40)
                                                          - 0.08 * _g(lam, 2300, 35))
    water = 0.02 + 0.035 * _g(lam, 500, 90) + 0.012 * _g(lam, 570, 40) - 0.02 * _s(lam, 720, 40)
    asphalt = (0.055 + 0.05 * _s(lam, 1100, 400)) * (1 - 0.08 * _g(lam, 1730, 25)
                                                       - 0.1 * _g(lam, 2310, 30))
    tile = (0.06 + 0.3 * _s(lam, 580, 25) + 0.08 * _s(lam, 1200, 300)) * (
        1 - 0.12 * _g(lam, 880, 80) - 0.06 * _g(lam, 1930, 40))
    concrete = (0.22 + 0.12 * _s(lam, 520, 60) + 0.06 * _s(lam, 1400, 300)) * (
        1 - 0.08 * _g(lam, 1930, 40) - 0.15 * _g(lam, 2340, 30))
    lib = np.stack([
        _vegetation(lam, nir=0.48, water=1.0, green=0.06),
        _vegetation(lam, nir=0.33, water=1.3, green=0.035),
        dry, soil, moist, np.clip(water, 0.003, None), asphalt, tile, concrete,
    ])
    return np.clip(lib, 0.0, 1.0)


def _atmospheric_transmission(lam: np.ndarray) -> np.ndarray:
    """Two-way water-vapour transmission: near zero at 1400 and 1900 nm, shallow at 940/1135 nm."""
    absorbed = (0.3 * _g(lam, 940, 22) + 0.35 * _g(lam, 1135, 25) + 0.97 * _g(lam, 1395, 38)
                + 0.98 * _g(lam, 1880, 50) + 0.3 * _g(lam, 2500, 40))
    return np.clip(1.0 - absorbed, 0.01, 1.0)


def sample_wavelengths(n_bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Band centres and FWHM (nm) of an EnMAP-like sensor: finer in the VNIR, 420–2450 nm."""
    if n_bands < 4:
        raise InputError(f"The sample scene needs at least 4 bands, got n_bands={n_bands}.")
    u = np.linspace(0.0, 1.0, n_bands)
    wl = 420.0 + 2030.0 * (0.6 * u + 0.4 * u**2)
    return wl, 1.1 * np.gradient(wl)


# --- landscape -------------------------------------------------------------------------------

def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale_px: float) -> np.ndarray:
    """Gaussian noise low-passed at ``scale_px`` pixels, zero mean and unit standard deviation."""
    h, w = shape
    ky = np.fft.fftfreq(h, d=1.0)[:, None]
    kx = np.fft.rfftfreq(w, d=1.0)[None, :]
    spectrum = np.fft.rfft2(rng.standard_normal(shape)) * np.exp(
        -2.0 * (np.pi * scale_px) ** 2 * (ky**2 + kx**2))
    field = np.fft.irfft2(spectrum, s=shape)
    return (field - field.mean()) / (field.std() + 1e-12)


def _step(x: np.ndarray, softness: float = 0.4) -> np.ndarray:
    """Soft 0→1 step at ``x = 0`` (x in pixels), so edges make mixed pixels as a sensor does."""
    return 1.0 / (1.0 + np.exp(-np.clip(x / softness, -30, 30)))


def _overlay(abund: np.ndarray, alpha: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """``abund`` with a fraction ``alpha`` (H, W) of each pixel covered by ``mixture`` (P,) or (P, H, W)."""
    mix = mixture if mixture.ndim == 3 else mixture[:, None, None]
    return abund * (1.0 - alpha) + alpha * mix


def _mixture(**fractions: float) -> np.ndarray:
    """Abundance vector from short material keys, e.g. ``_mixture(veg=0.9, soil=0.1)``."""
    v = np.zeros(len(MATERIALS))
    for key, f in fractions.items():
        v[_KEYS.index(key)] = f
    return v / v.sum()


# Land cover of a parcel: two abundance mixtures the within-field texture blends between.
_COVERS = (
    ("crop", 0.4, _mixture(veg=0.9, soil=0.1), _mixture(veg=0.45, moist=0.3, soil=0.25)),
    ("stubble", 0.2, _mixture(dry=0.75, soil=0.25), _mixture(dry=0.4, soil=0.55, veg=0.05)),
    ("ploughed soil", 0.15, _mixture(soil=0.95, dry=0.05), _mixture(moist=0.9, dry=0.1)),
    ("meadow", 0.15, _mixture(veg=0.7, dry=0.25, soil=0.05), _mixture(veg=0.4, dry=0.5, soil=0.1)),
    ("woodland", 0.1, _mixture(tree=0.95, veg=0.05), _mixture(tree=0.7, veg=0.2, soil=0.1)),
)
_MARGIN = _mixture(veg=0.5, dry=0.4, soil=0.1)
_GARDEN = _mixture(veg=0.6, dry=0.2, tree=0.2)


def _parcels(rng, yy, xx, brightness) -> tuple[np.ndarray, np.ndarray]:
    """Voronoi parcels elongated along a random direction, with row texture and grass margins.

    Returns their abundances ``(P, H, W)`` and ``brightness`` with their own variations.
    """
    h, w = yy.shape
    n = max(6, round(h * w / 650))
    seeds = rng.uniform([0, 0], [h, w], size=(n, 2))
    t = rng.uniform(0, np.pi)
    stretch = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]]) * np.array([[0.75], [1.33]])
    s = seeds @ stretch.T
    dist, nearest = cKDTree(s).query(np.stack([yy, xx], axis=-1) @ stretch.T, k=2)
    first, second = nearest[..., 0], nearest[..., 1]
    d_first, d_second = dist[..., 0] ** 2, dist[..., 1] ** 2
    gap = np.linalg.norm(s[first] - s[second], axis=-1)
    border = (d_second - d_first) / (2 * gap)  # distance to the parcel edge

    kinds = rng.choice(len(_COVERS), size=n, p=[c[1] for c in _COVERS])
    a = np.stack([_COVERS[k][2] for k in kinds])[first].transpose(2, 0, 1)
    b = np.stack([_COVERS[k][3] for k in kinds])[first].transpose(2, 0, 1)
    angle = rng.uniform(0, np.pi, n)[first]
    period = rng.uniform(2.2, 4.0, n)[first]
    rows = np.sin(2 * np.pi * (yy * np.cos(angle) + xx * np.sin(angle)) / period)
    weight = rng.uniform(0.1, 0.9, n)[first] + 0.25 * rows + 0.2 * _smooth_noise(rng, (h, w), 2.0)
    weight = np.clip(weight + 0.15 * _smooth_noise(rng, (h, w), 8.0), 0, 1)
    abund = _overlay(a + weight * (b - a), _step(0.8 - border), _MARGIN)
    brightness = brightness * rng.uniform(0.9, 1.1, n)[first]
    woods = kinds[first] == [c[0] for c in _COVERS].index("woodland")
    brightness = brightness * np.where(woods, 1.0 + 0.15 * _smooth_noise(rng, (h, w), 0.8), 1.0)
    return abund, brightness


def _water(rng, yy, xx, abund) -> tuple[np.ndarray, np.ndarray]:
    """A meandering river north to south with riparian trees, and a lake, laid over ``abund``;
    returns the new abundances and the tree cover."""
    h, w = yy.shape
    half = max(1.2, 0.022 * min(h, w))
    centre = w * rng.uniform(0.12, 0.25) + 0.06 * w * np.sin(2 * np.pi * yy / (0.8 * h)
                                                              + rng.uniform(0, 2 * np.pi))
    slope = np.gradient(centre, axis=0)
    dist = np.abs(xx - centre) / np.sqrt(1 + slope**2)
    river = _step(half - dist)
    ly, lx, radius = rng.uniform(0.72, 0.85) * h, rng.uniform(0.5, 0.62) * w, 0.1 * min(h, w)
    shape = np.hypot((yy - ly) / 1.3, xx - lx) + 0.12 * radius * _smooth_noise(rng, (h, w), 4.0)
    lake = _step(radius - shape)
    water = np.maximum(river, lake)
    banks = np.clip(_step(half + 2.2 - dist) * (0.6 + 0.4 * _smooth_noise(rng, (h, w), 1.5)), 0, 1)
    trees = np.clip(banks - river, 0, 1) * (1 - lake)
    abund = _overlay(abund, trees, _mixture(tree=1))
    return _overlay(abund, water, _mixture(water=1)), trees


def _frame(yy, xx, centre: tuple[float, float], angle: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates (along, across) in pixels of a line through ``centre`` at ``angle`` (radians)."""
    dy, dx = yy - centre[0], xx - centre[1]
    return dx * np.cos(angle) + dy * np.sin(angle), -dx * np.sin(angle) + dy * np.cos(angle)


def _tree_row(along: np.ndarray, across: np.ndarray, offset: float) -> np.ndarray:
    """Cover of a row of crowns every 25 m, ``offset`` pixels beside a line."""
    return np.exp(-0.5 * ((across - offset) / 0.8) ** 2) * (0.6 + 0.4 * np.cos(2 * np.pi * along / 2.5))


def _village(rng, u, v, radius: float, abund) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gardens, houses on 40 m plots and streets around ``(u, v) = 0`` laid over ``abund``;
    returns (abundances, extent, roofs)."""
    village = _step(radius + 2 * _smooth_noise(rng, u.shape, 4.0) - np.hypot(u, 1.3 * v), 1.0)
    abund = _overlay(abund, village, _GARDEN)
    cell = 4.0
    iu, iv = np.floor(u / cell).astype(int), np.floor(v / cell).astype(int)
    size, built, tiled = rng.uniform(size=(3, 64, 64))  # one draw per plot, tiled over the village
    plot = (iu % 64, iv % 64)
    du, dv = u - (iu + 0.5) * cell, v - (iv + 0.5) * cell
    footprint = (_step(0.9 + 0.6 * size[plot] - np.abs(du), 0.3)
                 * _step(1.3 - 0.5 * size[plot] - np.abs(dv), 0.3))
    buildings = footprint * (built[plot] < 0.8) * village
    roof_mix = np.zeros_like(abund)
    roof_mix[_TILE] = tiled[plot] < 0.6
    roof_mix[_CONCRETE] = 1 - roof_mix[_TILE]
    abund = _overlay(abund, buildings, roof_mix)
    off_grid = lambda t: np.abs(t - 3 * cell * np.round(t / (3 * cell)))  # noqa: E731
    streets = np.maximum(_step(0.4 - off_grid(u), 0.3), _step(0.4 - off_grid(v), 0.3)) * village
    return _overlay(abund, streets, _mixture(asphalt=1)), village, buildings


def _settlement_and_roads(rng, yy, xx, abund) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A village on a west–east main road, a side road, both lined with trees, laid over ``abund``.

    Returns the new abundances and the cover of buildings and of roadside trees (they cast
    shadows).
    """
    h, w = yy.shape
    centre = (rng.uniform(0.3, 0.5) * h, rng.uniform(0.6, 0.78) * w)
    theta = rng.uniform(-0.3, 0.3)
    u, v = _frame(yy, xx, centre, theta)
    radius = max(8.0, 0.17 * min(h, w))
    abund, village, buildings = _village(rng, u, v, radius, abund)
    side_u, side_v = _frame(yy, xx, centre, theta + rng.uniform(1.1, 1.6))
    beyond = _step(side_u - radius, 1.0)  # the side road's trees start outside the village
    trees = np.maximum(_tree_row(u, v, 2.0) * (1 - village), _tree_row(side_u, side_v, -1.8) * beyond)
    abund = _overlay(abund, trees, _mixture(tree=1))
    roads = np.maximum(_step(0.65 - np.abs(v), 0.3),
                       _step(0.45 - np.abs(side_v), 0.3) * _step(side_u, 1.0))
    return _overlay(abund, roads, _mixture(asphalt=1)), buildings, trees


def _shadows(tall: np.ndarray, sun_dir: tuple[int, int]) -> np.ndarray:
    """Fraction of each pixel shaded by ``tall`` cover (buildings, trees), cast along ``sun_dir``."""
    dy, dx = sun_dir
    cast = np.zeros_like(tall)
    h, w = tall.shape
    cast[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        tall[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return np.clip(cast - tall, 0.0, 1.0)


def _terrain_shading(rng, shape: tuple[int, int]) -> np.ndarray:
    """Brightness of gentle hills lit from the south-east, about 0.9–1.1."""
    scale = 0.25 * min(shape)
    height = 0.07 * scale * _smooth_noise(rng, shape, scale)  # slopes of a few degrees
    gy, gx = np.gradient(height)
    sun = np.array([0.45, 0.35, 0.82])  # (south, east, up): rows grow southward
    shade = (gy * sun[0] + gx * sun[1] + sun[2]) / np.sqrt(1 + gy**2 + gx**2)
    return shade / shade.mean() * (1 + 0.03 * _smooth_noise(rng, shape, 0.15 * min(shape)))


# --- the scene -------------------------------------------------------------------------------

def pixel_noise_std(wavelengths_nm: np.ndarray) -> np.ndarray:
    """Standard deviation ``(C,)`` of the white noise in every pixel of the sample scene (before
    clipping to 0–1): small, and larger in the water-vapour bands, as in a real product. It is
    part of the scene, so no fusion recovers it from the two images; a score against the scene
    can take it out (:func:`fusion_core.metrics.psnr`'s ``noise_var``)."""
    return 0.0015 + 0.012 * (1.0 - _atmospheric_transmission(wavelengths_nm))


def make_sample_scene(height: int = 120, width: int = 120, n_bands: int = 120,
                      seed: int = 0) -> SampleScene:
    """Build the sample scene: reflectance ``(n_bands, height, width)`` float32, about 0–0.7.

    Args:
        height, width: size in 10 m pixels; use multiples of the resolution ratio you will
            simulate (the default 120 is divisible by 2, 3, 4, 5, 6, 8, 10 and 12).
        n_bands: number of spectral bands between 420 and 2450 nm.
        seed: the same seed gives the same scene, bit for bit.
    """
    if min(height, width) < _MIN_SIZE:
        raise InputError(f"The sample scene needs at least {_MIN_SIZE}×{_MIN_SIZE} pixels, "
                         f"got {height}×{width}.")
    rng = np.random.default_rng(seed)
    shape = (height, width)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    abund, brightness = _parcels(rng, yy, xx, _terrain_shading(rng, shape))
    abund, trees = _water(rng, yy, xx, abund)
    abund, buildings, rows = _settlement_and_roads(rng, yy, xx, abund)
    tall = np.clip(buildings + 0.7 * np.maximum(trees, rows), 0.0, 1.0)
    brightness *= 1.0 - 0.55 * _shadows(tall, (-1, -1))  # sun in the south-east: shade north-west

    wl, fwhm = sample_wavelengths(n_bands)
    lib = spectral_library(wl).astype(np.float32)
    cube = (lib.T @ abund.astype(np.float32).reshape(len(MATERIALS), -1)).reshape(-1, *shape)
    cube *= brightness.astype(np.float32)
    trans = _atmospheric_transmission(wl)[:, None, None].astype(np.float32)
    noise = rng.standard_normal(cube.shape, dtype=np.float32)
    cube = cube * (0.15 + 0.85 * trans) + noise * pixel_noise_std(wl)[:, None, None].astype(np.float32)
    cube = np.clip(cube, 0.0, 1.0).astype(np.float32)

    transform = Affine(_PIXEL_M, 0.0, _ORIGIN[0], 0.0, -_PIXEL_M, _ORIGIN[1])
    grid = RasterGrid(CRS.from_epsg(32633), transform, width, height)
    names = [f"B{i + 1:03d} ({v:.1f} nm)" for i, v in enumerate(wl)]
    description = (
        f"Synthetic sample scene (seed {seed}): {height}×{width} pixels of 10 m in UTM 33N "
        f"(EPSG:32633), {n_bands} bands {wl[0]:.0f}–{wl[-1]:.0f} nm, surface reflectance. "
        "Agricultural parcels (crops, stubble, ploughed soil, meadow, woodland), a river with "
        "riparian trees, a lake, roads with tree rows and a village of red-tile and concrete "
        "roofs; water-vapour bands near 1400 and 1900 nm are dim and noisy. Not a real acquisition."
    )
    return SampleScene(cube, wl, fwhm, names, grid, description)


def write_sample(path: str | os.PathLike, scene: SampleScene) -> None:
    """Write ``scene`` as a GeoTIFF with its band names, wavelengths and FWHM (nm)."""
    write_raster(path, scene.cube, scene.grid, scene.band_names, scene.wavelengths_nm, scene.fwhm_nm)
