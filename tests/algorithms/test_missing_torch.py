"""Installed from the ZIP `make package` builds, without running setup: the provider loads and
every algorithm says how to install torch."""

import os
import subprocess
import zipfile

import pytest
from qgis_run import REPO, qgis_process_binary


@pytest.fixture
def bare_install(tmp_path):
    """The packaged plugin unzipped into a fresh QGIS profile (new HOME, no venv), enabled."""
    subprocess.run(["make", "-s", "package"], cwd=REPO, check=True, capture_output=True)
    with zipfile.ZipFile(REPO / "hsi_fusion.zip") as archive:
        archive.extractall(tmp_path / "plugins")
    plugins = tmp_path / "plugins" / "hsi_fusion"
    assert (plugins / "metadata.txt").exists() and not (plugins / ".venv").exists()
    # A QGIS whose Python has no torch, also where the system has one (Debian 13's python3-torch):
    # a package named torch that fails to import, first on the path.
    hidden = tmp_path / "no_torch" / "torch"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("No module named \'torch\'")\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("HSI_FUSION")}
    env.update(HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(hidden.parent),
               QGIS_PLUGINPATH=str(tmp_path / "plugins"), XDG_RUNTIME_DIR=str(tmp_path / "run"))
    subprocess.run([qgis_process_binary(), "plugins", "enable", "hsi_fusion"], env=env,
                   capture_output=True, check=True)
    return plugins, env


def test_each_algorithm_fails_with_the_setup_command(qgis, bare_install, tmp_rasters, tmp_path):
    plugins, env = bare_install
    pair = tmp_rasters(size=16, n_hsi=8, n_msi=3)
    runs = {
        "qualitymetrics": {"REFERENCE": pair.reference_path, "ESTIMATE": pair.reference_path},
        "simulatepair": {"REFERENCE": pair.reference_path, "SENSOR": 0, "LR_HSI": tmp_path / "a.tif",
                         "HR_MSI": tmp_path / "b.tif"},
        "estimatedegradation": {"LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path,
                                "OUTPUT": tmp_path / "m.json"},
        "blindfusion": {"LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "OUTPUT": tmp_path / "f.tif"},
    }
    fix = f'bash "{plugins.resolve() / "scripts" / "setup.sh"}"'
    for algorithm, params in runs.items():
        args = [f"{k}={v}" for k, v in params.items()]
        proc = subprocess.run([qgis_process_binary(), "run", f"hsifusion:{algorithm}", "--", *args],
                              env=env, capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out
        assert "cannot import: torch" in out and fix in out, out
    assert not any((tmp_path / name).exists() for name in ("a.tif", "b.tif", "m.json", "f.tif"))
