"""Shared fixtures: tiny georeferenced LR-HSI / HR-MSI pairs, the real-data folder, devices.

Pairs are simulated from :func:`fusion_core.sample.make_sample_scene` with the engine's own
degradation operators, so a test knows the true PSF, SRF and ratio behind the files it reads.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # so a bare `pytest` finds fusion_core, like `python -m pytest`
    sys.path.insert(0, str(REPO))
# The plugin as QGIS imports it (package ``hsi_fusion``), for its ui/ modules: a link to the repo.
PLUGIN_ROOT = REPO / "build" / "plugins"
if not (PLUGIN_ROOT / "hsi_fusion").exists():
    PLUGIN_ROOT.mkdir(parents=True, exist_ok=True)
    (PLUGIN_ROOT / "hsi_fusion").symlink_to(REPO, target_is_directory=True)
if str(PLUGIN_ROOT) not in sys.path:
    sys.path.append(str(PLUGIN_ROOT))

from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair  # noqa: E402
from fusion_core.io import RasterGrid, write_raster  # noqa: E402
from fusion_core.sample import make_sample_scene  # noqa: E402

SHARED_DATA = REPO.parent / "shared" / "data"

# Sentinel-2-like MSI bands: name, centre (nm), FWHM (nm). A pair uses the first n_msi of them.
MSI_BANDS = (
    ("B2 blue", 490.0, 65.0),
    ("B3 green", 560.0, 35.0),
    ("B4 red", 665.0, 30.0),
    ("B8 NIR", 842.0, 115.0),
    ("B11 SWIR1", 1610.0, 90.0),
    ("B12 SWIR2", 2190.0, 180.0),
)


def gaussian_srf(hsi_wavelengths: np.ndarray, hsi_fwhm: np.ndarray,
                 msi_centres: np.ndarray, msi_fwhm: np.ndarray) -> np.ndarray:
    """An SRF matrix ``(C, M)``: each MSI band a Gaussian over the HSI band centres.

    The width adds the HSI band width in quadrature, so a narrow MSI band still overlaps more
    than one coarse HSI band. Columns sum to one.
    """
    wl = np.asarray(hsi_wavelengths, dtype=np.float64)[:, None]
    fwhm = np.hypot(np.asarray(msi_fwhm, dtype=np.float64)[None, :],
                    np.asarray(hsi_fwhm, dtype=np.float64)[:, None])
    srf = np.exp(-4.0 * np.log(2.0) * ((wl - np.asarray(msi_centres)[None, :]) / fwhm) ** 2)
    srf[srf < 1e-3] = 0.0
    return srf / srf.sum(axis=0)


@dataclass
class SimulatedPair:
    """Files of a simulated pair and the truth behind them (arrays are band-first)."""

    lr_path: Path
    hr_path: Path
    reference_path: Path
    model: DegradationModel
    lr_grid: RasterGrid
    hr_grid: RasterGrid
    reference: np.ndarray
    lr_hsi: np.ndarray
    hr_msi: np.ndarray
    hsi_wavelengths: np.ndarray
    msi_band_names: list[str]


@pytest.fixture
def tmp_rasters(tmp_path: Path) -> Callable[..., SimulatedPair]:
    """Factory writing a georeferenced LR-HSI / HR-MSI pair (and its HR-HSI reference).

    Call it as ``tmp_rasters(size=48, scale=4, n_hsi=30, n_msi=4, psf_fwhm=None, snr_db=None,
    seed=0, wavelengths=True, name="scene")``: the reference is a ``size``×``size`` crop of the
    sample scene (10 m pixels, EPSG:32633) with ``n_hsi`` bands; the LR-HSI is it blurred by a
    Gaussian PSF of FWHM ``psf_fwhm`` HR pixels (default: the ratio, Wald's protocol) and
    decimated by ``scale``; the HR-MSI integrates it with Sentinel-2-like Gaussian SRFs.
    ``wavelengths=False`` writes no spectral metadata.
    """

    def make(size: int = 48, scale: int = 4, n_hsi: int = 30, n_msi: int = 4,
             psf_fwhm: Optional[float] = None, snr_db: Optional[float] = None, seed: int = 0,
             wavelengths: bool = True, name: str = "scene") -> SimulatedPair:
        scene = make_sample_scene(size, size, n_hsi, seed=seed)
        names, centres, widths = (list(v) for v in zip(*MSI_BANDS[:n_msi]))
        model = DegradationModel(
            scale=scale,
            psf=sensor_psf(scale, float(scale) if psf_fwhm is None else psf_fwhm),
            srf=gaussian_srf(scene.wavelengths_nm, scene.fwhm_nm, np.array(centres), np.array(widths)),
            hsi_wavelengths=scene.wavelengths_nm,
            msi_band_names=names,
            diagnostics={"source": "simulated by tests/conftest.py"},
        )
        lr, hr = simulate_pair(scene.cube, model, snr_db=snr_db, seed=seed)
        hr_grid, lr_grid = scene.grid, scene.grid.scaled(scale)
        hsi_meta = (scene.wavelengths_nm, scene.fwhm_nm) if wavelengths else (None, None)
        msi_meta = (np.array(centres), np.array(widths)) if wavelengths else (None, None)
        paths = [tmp_path / f"{name}_{role}.tif" for role in ("lr_hsi", "hr_msi", "reference")]
        write_raster(paths[0], lr, lr_grid, scene.band_names, *hsi_meta)
        write_raster(paths[1], hr, hr_grid, names, *msi_meta)
        write_raster(paths[2], scene.cube, hr_grid, scene.band_names, *hsi_meta)
        return SimulatedPair(*paths, model, lr_grid, hr_grid, scene.cube, lr, hr,
                             scene.wavelengths_nm, names)

    return make


#: HR rows and columns of the change :func:`planted_rasters` plants (LR pixels 10–15 at r = 4).
PLANTED = (slice(40, 64), slice(40, 64))


@pytest.fixture
def planted_rasters(tmp_rasters) -> Callable[..., SimulatedPair]:
    """Factory: a pair of :func:`tmp_rasters` (96×96 HR pixels, r = 4, 24 HSI and 4 MSI bands,
    35 dB) whose HR-MSI shows another scene over :data:`PLANTED` (a change between the dates
    seen only by the HR-MSI); its ``reference`` is still the scene the LR-HSI sees."""

    def make(**kwargs) -> SimulatedPair:
        settings = dict(size=96, scale=4, n_hsi=24, n_msi=4, snr_db=35.0) | kwargs
        pair = tmp_rasters(**settings)
        donor = tmp_rasters(**(settings | {"seed": 3, "name": "donor"}))
        pair.hr_msi[(slice(None), *PLANTED)] = donor.hr_msi[:, 8:32, 48:72]
        bands = MSI_BANDS[:settings["n_msi"]]
        write_raster(pair.hr_path, pair.hr_msi, pair.hr_grid, pair.msi_band_names,
                     np.array([b[1] for b in bands]), np.array([b[2] for b in bands]))
        return pair

    return make


@pytest.fixture(scope="session")
def small_scene():
    """A 48×48 sample scene with 40 bands from 420 to 2450 nm (a second to fuse on a CPU)."""
    return make_sample_scene(48, 48, 40, seed=0)


@pytest.fixture(scope="session")
def six_band_srf() -> Callable[[np.ndarray], np.ndarray]:
    """Factory: the SRF ``(C, 6)`` of six Gaussian MSI bands (σ = 40 nm, Sentinel-2-like centres
    from blue to SWIR 2) over the given HSI band centres; columns sum to one."""
    centres = np.array([490.0, 560.0, 665.0, 842.0, 1610.0, 2190.0])
    fwhm = np.full(6, 40.0 * np.sqrt(8.0 * np.log(2.0)))

    def make(wavelengths: np.ndarray) -> np.ndarray:
        return gaussian_srf(wavelengths, np.zeros(len(wavelengths)), centres, fwhm)

    return make


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real scenes in ``<repo>/../shared/data``; skips the test when that folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent: real-scene tests need it")
    return SHARED_DATA


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA GPU: CUDA variant not run"))])
def device(request) -> torch.device:
    """Each test using it runs on the CPU and, when torch sees one, on the CUDA GPU."""
    return torch.device(request.param)


_QGIS: dict = {}  # the application, Processing and the plugin: created once, never collected


@pytest.fixture(scope="session")
def pyqgis(tmp_path_factory):
    """A standalone PyQGIS application (offscreen) as a script would start one: Processing
    initialised and the plugin's provider added (by the plugin object, kept referenced). Its
    settings and profile live in a temporary folder, so tests never touch a user's QGIS."""
    if not _QGIS:
        import os

        from qgis.PyQt.QtCore import QSettings

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        settings = tmp_path_factory.mktemp("qgis_settings")
        for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
            QSettings.setPath(fmt, QSettings.Scope.UserScope, str(settings))
        from qgis.core import QgsApplication

        app = QgsApplication([], False, str(tmp_path_factory.mktemp("qgis_profile")))
        app.initQgis()
        sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
        from processing.core.Processing import Processing

        Processing.initialize()
        from hsi_fusion.plugin import HsiFusionPlugin

        plugin = HsiFusionPlugin()
        plugin.initProcessing()
        _QGIS.update(app=app, plugin=plugin)
    return _QGIS["plugin"]


@pytest.fixture
def project(pyqgis):
    """The current QGIS project (where runAndLoadResults loads layers), emptied after the test."""
    from qgis.core import QgsProject

    yield QgsProject.instance()
    QgsProject.instance().clear()
