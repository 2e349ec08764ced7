"""The plugin as a user installs it: ``make package``'s ZIP into a fresh QGIS profile whose Python
lacks the engine's packages, then load → a clear refusal → ``installdependencies`` → a fusion.

QGIS's Python is made to lack rasterio, affine, scikit-image, Dask and torch (pyrsr it lacks
anyway) by :func:`hidden_packages`, for imports and for pip alike, so the installer must bring
them. Also hidden: SymPy and mpmath, which torch needs newer than Debian 12's (QGIS for Windows
and macOS has neither), and setuptools, which torch 2.13 needs at 77 or later (Debian 12 has 66;
pinned, pip would fall back to an older torch). Every step is ``qgis_process`` on that profile,
as on a server. The install needs PyPI and PyTorch's CPU index: where either cannot be reached,
the test checks load and refusal, then says it skipped the install.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from qgis_run import qgis_process_binary

from hsi_fusion.installer.plan import TORCH_INDEX

REPO = Path(__file__).resolve().parents[2]
QGIS_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
HIDDEN = ("rasterio", "affine", "skimage", "scikit_image", "dask", "distributed", "pyrsr", "torch",
          "sympy", "mpmath", "setuptools")


def _reachable(scratch: Path) -> str | None:
    """None when pip can reach its index and PyTorch's CPU index answers, else what cannot."""
    probe = subprocess.run([str(QGIS_PYTHON), "-m", "pip", "download", "--no-deps", "--no-cache-dir",
                            "--dest", str(scratch), "--timeout", "15", "immutabledict"],
                           capture_output=True, text=True, timeout=120)
    if probe.returncode != 0:
        return "pip's package index cannot be reached"
    try:
        urllib.request.urlopen(TORCH_INDEX + "cpu/", timeout=15)
    except OSError:
        return f"PyTorch's CPU index {TORCH_INDEX}cpu cannot be reached"
    return None


def _qgis_process(env: dict[str, str], *args: str) -> tuple[int, str]:
    proc = subprocess.run([qgis_process_binary(), *args], env=env, capture_output=True, text=True, timeout=1800)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.timeout(2400)
def test_the_zip_in_a_fresh_profile_loads_refuses_installs_and_fuses(qgis, hidden_packages, tmp_rasters,
                                                                     tmp_path):
    if not QGIS_PYTHON.is_file():
        pytest.skip(f"QGIS's interpreter {QGIS_PYTHON} is not there")
    subprocess.run(["make", "-s", "package"], cwd=REPO, check=True, capture_output=True)
    config = tmp_path / "config"
    plugins = config / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(REPO / "hsi_fusion.zip") as package:   # what Install from ZIP does
        package.extractall(plugins)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HSI_FUSION", "QGIS_PLUGINPATH"))}
    env.update(PYTHONPATH=str(hidden_packages(HIDDEN)), QT_QPA_PLATFORM="offscreen",
               QGIS_CUSTOM_CONFIG_PATH=str(config), HOME=str(tmp_path / "home"),
               XDG_RUNTIME_DIR=str(tmp_path / "run"))
    assert _qgis_process(env, "plugins", "enable", "hsi_fusion")[0] == 0

    code, listed = _qgis_process(env, "list")
    assert code == 0 and all(f"hsifusion:{name}" in listed for name in (
        "blindfusion", "estimatedegradation", "installdependencies", "qualitymetrics", "simulatepair"))
    pair = tmp_rasters(size=32, n_hsi=12, n_msi=4)
    fuse = ("run", "hsifusion:blindfusion", "--", f"LR_HSI={pair.lr_path}", f"HR_MSI={pair.hr_path}",
            f"OUTPUT={tmp_path / 'fused.tif'}")
    code, refused = _qgis_process(env, *fuse)
    assert code != 0 and "HSI Fusion needs Python packages that QGIS's Python cannot import: torch" in refused
    assert "qgis_process run hsifusion:installdependencies" in refused and "Traceback" not in refused
    assert not (tmp_path / "fused.tif").exists()

    unreachable = _reachable(tmp_path / "probe")
    if unreachable:
        pytest.skip(f"{unreachable}: the install and the fusion were skipped (load and refusal checked)")
    t0 = time.perf_counter()
    code, installed = _qgis_process(env, "run", "hsifusion:installdependencies", "--", "BUILD=0")
    seconds = time.perf_counter() - t0
    assert code == 0 and "Installed " in installed, installed
    print(f"installdependencies took {seconds:.0f} s")
    target = config / "profiles" / "default" / "python" / "hsi_fusion_deps"
    assert all((target / name).is_dir() for name in ("torch", "rasterio", "skimage", "dask", "pyrsr"))
    assert not any((target / name).exists() for name in ("numpy", "osgeo", "PyQt5", "scipy"))

    code, fused = _qgis_process(env, *fuse)
    assert code == 0 and (tmp_path / "fused.tif").is_file(), fused
