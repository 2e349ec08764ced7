"""The degradation picture: written as a PNG without pyplot, a display or QGIS."""

import subprocess
import sys
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from fusion_core.degradation import DegradationModel, motion_psf, simulate_pair
from fusion_core.estimation import estimate_degradation
from fusion_core.srf import load_preset, resample_srf
from hsi_fusion.ui.degradation_plot import plot_degradation

PLUGIN_ROOT = Path(__file__).resolve().parents[2] / "build" / "plugins"


def test_plot_of_an_estimated_model_with_its_prior(tmp_path):
    rng = np.random.default_rng(0)
    wl = np.arange(420.0, 900.0, 10.0)
    cube = np.cumsum(np.cumsum(rng.random((wl.size, 48, 48)), 1), 2) + np.linspace(0, 30, wl.size)[:, None, None]
    prior = resample_srf(load_preset("sentinel-2a").select(["B2", "B3", "B4", "B8"]), wl)
    lr, hr = simulate_pair(cube / cube.max(), DegradationModel(4, motion_psf(6, 4, 0), prior), snr_db=40)
    model = estimate_degradation(lr, hr, 4, srf_prior=prior, hsi_wavelengths=wl,
                                 msi_band_names=["B2", "B3", "B4", "B8"])
    path = tmp_path / "model.png"
    plot_degradation(model, path, srf_prior=prior)
    image = imread(path)
    assert image.shape[:2] == (950, 1300)
    assert image[..., :3].std() > 0.1                 # not a blank page


def test_plot_of_a_model_without_diagnostics_or_wavelengths(tmp_path):
    model = DegradationModel(3, np.ones((3, 3)), np.ones((5, 2)))
    plot_degradation(model, tmp_path / "bare.png")
    assert (tmp_path / "bare.png").read_bytes()[:4] == b"\x89PNG"


def test_module_imports_neither_qgis_nor_pyplot():
    code = ("import sys; sys.path.append(sys.argv[1]); import hsi_fusion.ui.degradation_plot; "
            "print('qgis' in sys.modules, 'matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, str(PLUGIN_ROOT)], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False"]
